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
        ("169.254.169.254", LinkLocal),
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
        ("::ffff:169.254.169.254", LinkLocal),
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
