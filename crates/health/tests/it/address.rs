//! The address classifier and policy, and the checker refusing loopback.

use crate::{bind, key, loopback_checker, spawn_server};
use liveliness_health::{
    classify, test_utils::MemoryBlockSource, AddressClass, AddressPolicy, CheckOutcome, Checker,
    CheckerConfig, ServerConfig,
};
use liveliness_primitives::FailureReason;
use std::{net::IpAddr, sync::Arc, time::Duration};

#[test]
fn classifies_addresses() {
    use AddressClass::*;
    let table = [
        ("8.8.8.8", Public),
        ("1.1.1.1", Public),
        ("172.15.255.255", Public),
        ("172.32.0.0", Public),
        ("100.63.255.255", Public),
        ("100.128.0.0", Public),
        ("169.253.0.1", Public),
        ("223.255.255.255", Public),
        ("127.0.0.1", Loopback),
        ("127.255.255.254", Loopback),
        ("10.0.0.1", Private),
        ("10.255.255.255", Private),
        ("172.16.0.1", Private),
        ("172.31.255.255", Private),
        ("192.168.1.1", Private),
        ("100.64.0.1", SharedCgnat),
        ("100.127.255.255", SharedCgnat),
        ("169.254.169.254", CloudMetadata),
        ("169.254.1.1", LinkLocal),
        ("224.0.0.1", Multicast),
        ("239.255.255.255", Multicast),
        ("0.0.0.0", Unspecified),
        ("0.1.2.3", Unspecified),
        ("255.255.255.255", Broadcast),
        ("240.0.0.1", Reserved),
        ("192.0.2.1", Reserved),
        ("198.51.100.1", Reserved),
        ("203.0.113.1", Reserved),
        ("198.18.0.1", Reserved),
        ("192.0.0.8", Reserved),
        ("2606:4700:4700::1111", Public),
        ("2a00:1450:4001::200e", Public),
        ("::1", Loopback),
        ("::", Unspecified),
        ("fc00::1", Private),
        ("fd12:3456::1", Private),
        ("fec0::1", Private),
        ("fe80::1", LinkLocal),
        ("febf::1", LinkLocal),
        ("ff02::1", Multicast),
        ("2001:db8::1", Reserved),
        ("100::1", Reserved),
        // IPv6 forms of IPv4 addresses are judged as the IPv4 address.
        ("::ffff:127.0.0.1", Loopback),
        ("::ffff:10.1.2.3", Private),
        ("::ffff:169.254.169.254", CloudMetadata),
        ("::ffff:169.254.1.1", LinkLocal),
        ("::ffff:8.8.8.8", Public),
        ("::10.1.2.3", Private),
        ("64:ff9b::7f00:1", Loopback),
        ("64:ff9b::808:808", Public),
    ];
    for (ip, class) in table {
        assert_eq!(classify(ip.parse().unwrap()), class, "{ip}");
    }
}

#[test]
fn policy_switches() {
    let allows = |policy: AddressPolicy, ip: &str| policy.allows(ip.parse::<IpAddr>().unwrap());
    let strict = AddressPolicy::default();
    let loopback = AddressPolicy {
        allow_loopback: true,
        allow_private: false,
    };
    let private = AddressPolicy {
        allow_loopback: false,
        allow_private: true,
    };
    let both = AddressPolicy {
        allow_loopback: true,
        allow_private: true,
    };

    for ip in ["8.8.8.8", "2606:4700:4700::1111"] {
        assert!(allows(strict, ip), "{ip}");
    }
    for ip in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
        assert!(
            !allows(strict, ip) && allows(loopback, ip) && !allows(private, ip),
            "{ip}"
        );
    }
    for ip in [
        "10.0.0.1",
        "172.20.0.2",
        "192.168.0.10",
        "fd00::1",
        "100.100.0.1",
    ] {
        assert!(
            !allows(strict, ip) && !allows(loopback, ip) && allows(private, ip),
            "{ip}"
        );
    }
    for ip in [
        "169.254.169.254",
        "100.100.100.200",
        "fd00:ec2::254",
        "::ffff:0:7f00:1",
        "2002:7f00:1::",
        "2001::1",
        "64:ff9b:1::a00:1",
        "192.88.99.1",
        "fe80::1",
        "224.0.0.1",
        "ff02::1",
        "0.0.0.0",
        "::",
        "255.255.255.255",
        "240.0.0.1",
        "2001:db8::1",
    ] {
        assert!(!allows(both, ip), "{ip}");
    }
}

/// Each transition prefix, with the first and last address inside it and the
/// nearest addresses outside it on both sides.
#[test]
fn transition_prefixes_have_exact_edges() {
    use AddressClass::*;
    let table = [
        // SIIT, IPv4-translated ::ffff:0:0/96 (not IPv4-mapped ::ffff:0:0/96
        // one group later).
        ("::fffe:ffff:ffff:ffff", Public),
        ("::ffff:0:0:0", Transition),
        ("::ffff:0:7f00:1", Transition),
        ("::ffff:0:808:808", Transition),
        ("::ffff:0:ffff:ffff", Transition),
        ("::ffff:1:0:0", Public),
        ("::ffff:0:0", Unspecified),
        ("::ffff:808:808", Public),
        // 6to4 2002::/16, and its relay anycast 192.88.99.0/24.
        ("2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Public),
        ("2002::", Transition),
        ("2002:808:808::1", Transition),
        ("2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Transition),
        ("2003::", Public),
        ("192.88.98.255", Public),
        ("192.88.99.0", Transition),
        ("192.88.99.255", Transition),
        ("192.88.100.0", Public),
        // Teredo 2001::/32.
        ("2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Public),
        ("2001::", Transition),
        ("2001:0:ffff:ffff:ffff:ffff:ffff:ffff", Transition),
        ("2001:1::", Public),
        // NAT64 local-use 64:ff9b:1::/48; the well-known 64:ff9b::/96 is
        // still judged by the IPv4 address it carries.
        ("64:ff9b:0:ffff:ffff:ffff:ffff:ffff", Public),
        ("64:ff9b:1::", Transition),
        ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", Transition),
        ("64:ff9b:2::", Public),
        ("64:ff9b::808:808", Public),
        ("64:ff9b::a00:1", Private),
    ];
    for (ip, class) in table {
        assert_eq!(classify(ip.parse().unwrap()), class, "{ip}");
    }
}

/// Every listed metadata address, in every form that reaches it, and its
/// neighbours, which keep their range's class.
#[test]
fn cloud_metadata_addresses_and_their_neighbours() {
    use AddressClass::*;
    let metadata = [
        "169.254.169.254",
        "169.254.170.2",
        "169.254.170.23",
        "169.254.0.23",
        "169.254.42.42",
        "100.100.100.200",
        "168.63.129.16",
        "192.0.0.192",
        "fd00:ec2::254",
        "fd00:ec2::23",
        "fd20:ce::254",
        "fd00:42::42",
        "fe80::a9fe:a9fe",
        // IPv4 ones in IPv6 forms that are judged by the IPv4 address.
        "::ffff:100.100.100.200",
        "::100.100.100.200",
        "64:ff9b::6464:64c8",
        "::ffff:168.63.129.16",
    ];
    for ip in metadata {
        assert_eq!(classify(ip.parse().unwrap()), CloudMetadata, "{ip}");
    }
    let neighbours = [
        ("169.254.169.253", LinkLocal),
        ("169.254.169.255", LinkLocal),
        ("169.254.170.3", LinkLocal),
        ("100.100.100.199", SharedCgnat),
        ("100.100.100.201", SharedCgnat),
        ("168.63.129.15", Public),
        ("168.63.129.17", Public),
        ("192.0.0.191", Reserved),
        ("192.0.0.193", Reserved),
        ("fd00:ec2::253", Private),
        ("fd00:ec2::255", Private),
        ("fd00:ec2::22", Private),
        ("fd20:ce::253", Private),
        ("fd20:ce::255", Private),
        ("fd00:42::41", Private),
        ("fd00:42::43", Private),
        ("fe80::a9fe:a9fd", LinkLocal),
    ];
    for (ip, class) in neighbours {
        assert_eq!(classify(ip.parse().unwrap()), class, "{ip}");
    }
}

#[test]
fn metadata_and_transition_addresses_are_refused_with_every_switch_on() {
    let all = AddressPolicy {
        allow_loopback: true,
        allow_private: true,
    };
    for ip in [
        "169.254.169.254",
        "169.254.170.2",
        "100.100.100.200",
        "168.63.129.16",
        "fd00:ec2::254",
        "fd20:ce::254",
        "::ffff:0:7f00:1",
        "::ffff:0:a00:1",
        "2002:7f00:1::1",
        "2002:a00:1::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "64:ff9b:1::a00:1",
        "192.88.99.1",
    ] {
        assert!(!all.allows(ip.parse().unwrap()), "{ip}");
    }
    // Their neighbours follow their range's switch.
    let private = AddressPolicy {
        allow_loopback: false,
        allow_private: true,
    };
    for ip in ["100.100.100.201", "fd00:ec2::253", "fd20:ce::255"] {
        let ip: IpAddr = ip.parse().unwrap();
        assert!(
            private.allows(ip) && !AddressPolicy::default().allows(ip),
            "{ip}"
        );
    }
    assert!(AddressPolicy::default().allows("168.63.129.17".parse().unwrap()));
}

#[tokio::test]
async fn metadata_endpoints_are_refused_without_connecting() {
    // With every switch on, a connection attempt to these would time out (or
    // worse, succeed); a refusal that comes at once is the policy's.
    let checker = Checker::new(CheckerConfig {
        health_timeout_ms: 5_000,
        allow_loopback: true,
        allow_private: true,
        ..Default::default()
    });
    for endpoint in [
        "http://100.100.100.200/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:0:7f00:1]:8600/",
        "http://168.63.129.16/",
    ] {
        let started = std::time::Instant::now();
        let outcome = checker
            .check(endpoint, key(1).address(), 1, Default::default())
            .await;
        assert_eq!(
            outcome,
            CheckOutcome::Unhealthy(FailureReason::Refused),
            "{endpoint}"
        );
        assert!(started.elapsed() < Duration::from_secs(1), "{endpoint}");
    }
}

#[tokio::test]
async fn loopback_is_refused_by_default_without_connecting() {
    let (listener, addr) = bind().await;
    let checker = Checker::new(CheckerConfig::default());
    let endpoints = [
        format!("http://{addr}/"),
        format!("http://localhost:{}/", addr.port()),
        format!("http://[::ffff:127.0.0.1]:{}/", addr.port()),
    ];
    for endpoint in &endpoints {
        let outcome = checker
            .check(endpoint, key(1).address(), 1, Default::default())
            .await;
        assert_eq!(
            outcome,
            CheckOutcome::Unhealthy(FailureReason::Refused),
            "{endpoint}"
        );
    }
    // Nothing ever connected.
    let accepted = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
    assert!(
        accepted.is_err(),
        "the checker connected to a refused address"
    );

    // Private switches do not open loopback.
    let private_only = Checker::new(CheckerConfig {
        allow_private: true,
        ..Default::default()
    });
    let outcome = private_only
        .check(&endpoints[0], key(1).address(), 1, Default::default())
        .await;
    assert_eq!(outcome, CheckOutcome::Unhealthy(FailureReason::Refused));
}

#[tokio::test]
async fn loopback_is_reached_when_allowed_by_name_too() {
    let source = Arc::new(MemoryBlockSource::with_head(50));
    let signer = key(3);
    let operator = signer.address();
    let (url, _server) = spawn_server(source, signer, ServerConfig::default()).await;
    let port = url.rsplit(':').next().unwrap();
    let by_name = format!("http://localhost:{port}");
    let outcome = loopback_checker(2000)
        .check(&by_name, operator, 50, MemoryBlockSource::default_hash(50))
        .await;
    assert!(matches!(outcome, CheckOutcome::Healthy(_)), "{outcome:?}");
}
