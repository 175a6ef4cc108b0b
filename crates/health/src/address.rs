//! Which addresses a checker may connect to.
//!
//! An endpoint URL is chosen by the operator, so a checker must not let it
//! point at the checker's own machine or network (loopback, private ranges,
//! cloud metadata services, ...). [`classify`] names the range an address is
//! in; [`AddressPolicy`] decides. Cloud metadata addresses and IPv6
//! transition addresses are refused whatever the policy's switches say.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The kind of range an IP address belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddressClass {
    /// Globally routable unicast.
    Public,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`), IPv6 unique local
    /// (`fc00::/7`) and the deprecated site-local `fec0::/10`.
    Private,
    /// Carrier-grade NAT shared space, `100.64.0.0/10` (RFC 6598).
    SharedCgnat,
    /// `169.254.0.0/16`, `fe80::/10` (cloud metadata services live here).
    LinkLocal,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `0.0.0.0/8` ("this network"), `::`.
    Unspecified,
    /// `255.255.255.255`.
    Broadcast,
    /// A cloud provider's instance metadata, credentials or platform
    /// endpoint, as published by the providers. Some are link-local or
    /// private anyway; all are refused even where their range is allowed:
    ///
    /// - `169.254.169.254`: AWS EC2, Google Cloud, Azure IMDS, Oracle Cloud,
    ///   OpenStack, DigitalOcean, Hetzner and most others;
    /// - `fd00:ec2::254`: AWS EC2 IMDS over IPv6;
    /// - `169.254.170.2`: AWS ECS task metadata and credentials;
    /// - `169.254.170.23`, `fd00:ec2::23`: AWS EKS Pod Identity Agent;
    /// - `fd20:ce::254`: Google Cloud metadata server over IPv6;
    /// - `100.100.100.200`: Alibaba Cloud (in CGNAT space);
    /// - `168.63.129.16`: Azure WireServer / host platform (a public address);
    /// - `169.254.0.23`: Tencent Cloud;
    /// - `169.254.42.42`, `fd00:42::42`: Scaleway;
    /// - `192.0.0.192`: Oracle Cloud Classic;
    /// - `fe80::a9fe:a9fe`: OpenStack metadata over IPv6.
    ///
    /// IPv6 forms that embed one of the IPv4 addresses (IPv4-mapped and so
    /// on, see [`classify`]) are this class too.
    CloudMetadata,
    /// IPv6 transition addresses, whose real destination is chosen by a
    /// translator or relay, possibly one inside the checker's own network:
    /// SIIT IPv4-translated `::ffff:0:0/96` (RFC 6145, RFC 7915), 6to4
    /// `2002::/16` (RFC 3056) and its relay anycast `192.88.99.0/24`
    /// (RFC 7526), Teredo `2001::/32` (RFC 4380) and NAT64 local-use
    /// `64:ff9b:1::/48` (RFC 8215). Refused whatever the policy says.
    Transition,
    /// Other special-purpose ranges that are not reachable hosts:
    /// IETF protocol assignments `192.0.0.0/24`, documentation
    /// (`192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`),
    /// benchmarking `198.18.0.0/15`, reserved `240.0.0.0/4`, discard-only
    /// `100::/64`.
    Reserved,
}

/// Classifies `ip`. IPv6 addresses that embed an IPv4 address
/// (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64
/// well-known prefix `64:ff9b::/96`) are classified by that IPv4 address,
/// since that is where a connection to them ends up. Other IPv6 forms that
/// carry an IPv4 address (SIIT, 6to4, Teredo, NAT64 local-use) are
/// [`AddressClass::Transition`].
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// [`AddressClass::CloudMetadata`]'s IPv4 addresses.
const METADATA_V4: [Ipv4Addr; 8] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2),
    Ipv4Addr::new(169, 254, 170, 23),
    Ipv4Addr::new(169, 254, 0, 23),
    Ipv4Addr::new(169, 254, 42, 42),
    Ipv4Addr::new(100, 100, 100, 200),
    Ipv4Addr::new(168, 63, 129, 16),
    Ipv4Addr::new(192, 0, 0, 192),
];

/// [`AddressClass::CloudMetadata`]'s IPv6 addresses.
const METADATA_V6: [Ipv6Addr; 5] = [
    Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254),
    Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23),
    Ipv6Addr::new(0xfd20, 0xce, 0, 0, 0, 0, 0, 0x254),
    Ipv6Addr::new(0xfd00, 0x42, 0, 0, 0, 0, 0, 0x42),
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0xa9fe, 0xa9fe),
];

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    if METADATA_V4.contains(&ip) {
        AddressClass::CloudMetadata
    } else if a == 192 && b == 88 && c == 99 {
        AddressClass::Transition
    } else if ip.is_broadcast() {
        AddressClass::Broadcast
    } else if a == 0 {
        AddressClass::Unspecified
    } else if a == 127 {
        AddressClass::Loopback
    } else if a == 10 || (a == 172 && (16..=31).contains(&b)) || (a == 192 && b == 168) {
        AddressClass::Private
    } else if a == 100 && (64..=127).contains(&b) {
        AddressClass::SharedCgnat
    } else if a == 169 && b == 254 {
        AddressClass::LinkLocal
    } else if (224..=239).contains(&a) {
        AddressClass::Multicast
    } else if a >= 240
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 198 && (b == 18 || b == 19))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
    {
        AddressClass::Reserved
    } else {
        AddressClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if ip.is_unspecified() {
        return AddressClass::Unspecified;
    }
    if ip.is_loopback() {
        return AddressClass::Loopback;
    }
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    if METADATA_V6.contains(&ip) {
        return AddressClass::CloudMetadata;
    }
    let s = ip.segments();
    if is_transition(s) {
        return AddressClass::Transition;
    }
    let [first, second, ..] = s;
    if first & 0xff00 == 0xff00 {
        AddressClass::Multicast
    } else if first & 0xffc0 == 0xfe80 {
        AddressClass::LinkLocal
    } else if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfec0 {
        AddressClass::Private
    } else if (first == 0x2001 && second == 0x0db8) || s.starts_with(&[0x100, 0, 0, 0]) {
        AddressClass::Reserved
    } else {
        AddressClass::Public
    }
}

/// SIIT `::ffff:0:0/96`, 6to4 `2002::/16`, Teredo `2001::/32`, NAT64
/// local-use `64:ff9b:1::/48`.
fn is_transition(s: [u16; 8]) -> bool {
    let [s0, s1, s2, s3, s4, s5, _, _] = s;
    let siit = [s0, s1, s2, s3, s4, s5] == [0, 0, 0, 0, 0xffff, 0];
    let six_to_four = s0 == 0x2002;
    let teredo = [s0, s1] == [0x2001, 0];
    let nat64_local = [s0, s1, s2] == [0x64, 0xff9b, 1];
    siit || six_to_four || teredo || nat64_local
}

/// The IPv4 address an IPv6 address stands for, if it is IPv4-mapped,
/// IPv4-compatible (deprecated, `::a.b.c.d` other than `::` and `::1`) or
/// NAT64 well-known prefix `64:ff9b::/96`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let (head, tail) = s.split_at(6);
    let embedded = || match tail {
        [hi, lo] => Some(Ipv4Addr::from((u32::from(*hi) << 16) | u32::from(*lo))),
        _ => None,
    };
    if head == [0, 0, 0, 0, 0, 0] || head == [0x64, 0xff9b, 0, 0, 0, 0] {
        return embedded();
    }
    None
}

/// Which address classes a checker may connect to. Public addresses are
/// always allowed; cloud metadata, transition, link-local, multicast,
/// unspecified, broadcast and reserved addresses never are, whatever the
/// switches say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Allow [`AddressClass::Loopback`] (the local devnet).
    pub allow_loopback: bool,
    /// Allow [`AddressClass::Private`] and [`AddressClass::SharedCgnat`]
    /// (a private test network, a VPN).
    pub allow_private: bool,
}

impl AddressPolicy {
    /// Whether a checker may connect to `ip`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        match classify(ip) {
            AddressClass::Public => true,
            AddressClass::Loopback => self.allow_loopback,
            AddressClass::Private | AddressClass::SharedCgnat => self.allow_private,
            AddressClass::CloudMetadata
            | AddressClass::Transition
            | AddressClass::LinkLocal
            | AddressClass::Multicast
            | AddressClass::Unspecified
            | AddressClass::Broadcast
            | AddressClass::Reserved => false,
        }
    }
}
