//! Which addresses a checker may connect to.
//!
//! An endpoint URL is chosen by the operator, so a checker must not let it
//! point at the checker's own machine or network (loopback, private ranges,
//! cloud metadata on link-local, ...). [`classify`] names the range an
//! address is in; [`AddressPolicy`] decides.

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
    /// Other special-purpose ranges that are not reachable hosts:
    /// IETF protocol assignments `192.0.0.0/24`, documentation
    /// (`192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`),
    /// benchmarking `198.18.0.0/15`, reserved `240.0.0.0/4`, discard-only
    /// `100::/64`.
    Reserved,
}

/// Classifies `ip`. IPv6 addresses that embed an IPv4 address
/// (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64
/// `64:ff9b::/96`) are classified by that IPv4 address, since that is where
/// a connection to them ends up.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    if ip.is_broadcast() {
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
    let s = ip.segments();
    let first = s.first().copied().unwrap_or_default();
    if first & 0xff00 == 0xff00 {
        AddressClass::Multicast
    } else if first & 0xffc0 == 0xfe80 {
        AddressClass::LinkLocal
    } else if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfec0 {
        AddressClass::Private
    } else if (first == 0x2001 && s.get(1) == Some(&0x0db8)) || s.starts_with(&[0x100, 0, 0, 0]) {
        AddressClass::Reserved
    } else {
        AddressClass::Public
    }
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
/// always allowed; link-local, multicast, unspecified, broadcast and
/// reserved addresses never are.
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
            AddressClass::LinkLocal
            | AddressClass::Multicast
            | AddressClass::Unspecified
            | AddressClass::Broadcast
            | AddressClass::Reserved => false,
        }
    }
}
