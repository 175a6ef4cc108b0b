//! Per-client token buckets.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr},
    sync::Mutex,
    time::Instant,
};

/// Token-bucket rate limit per client address: `burst` requests at once,
/// refilled at `per_second`. IPv4 clients are keyed by address, IPv6
/// clients by their /64 (one subscriber's usual allocation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second per client.
    pub per_second: f64,
    /// Bucket size: requests a client may send at once.
    pub burst: u32,
    /// How many clients are tracked at most; when full, idle clients and
    /// then the longest-unseen are forgotten.
    pub max_clients: usize,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_second: 10.0,
            burst: 20,
            max_clients: 10_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `client`; `false` when its bucket is empty.
    pub(crate) fn try_acquire(&self, client: IpAddr, now: Instant) -> bool {
        let key = client_key(client);
        let burst = f64::from(self.limit.burst);
        let mut buckets = match self.buckets.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if !buckets.contains_key(&key) && buckets.len() >= self.limit.max_clients {
            self.evict(&mut buckets, now);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.limit.per_second).min(burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Makes room for one more client.
    fn evict(&self, buckets: &mut HashMap<IpAddr, Bucket>, now: Instant) {
        let burst = f64::from(self.limit.burst);
        let per_second = self.limit.per_second;
        // Clients whose bucket has refilled are indistinguishable from new ones.
        buckets.retain(|_, b| {
            b.tokens + now.saturating_duration_since(b.last).as_secs_f64() * per_second < burst
        });
        if buckets.len() >= self.limit.max_clients {
            if let Some(oldest) = buckets.iter().min_by_key(|(_, b)| b.last).map(|(k, _)| *k) {
                buckets.remove(&oldest);
            }
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.buckets.lock().map(|b| b.len()).unwrap_or_default()
    }
}

/// The key a client is limited under.
pub(crate) fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_refills() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 2.0,
            burst: 3,
            max_clients: 10,
        });
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let t0 = Instant::now();
        assert!((0..3).all(|_| limiter.try_acquire(ip, t0)));
        assert!(!limiter.try_acquire(ip, t0));
        assert!(limiter.try_acquire("203.0.113.8".parse().unwrap(), t0));
        assert!(limiter.try_acquire(ip, t0 + Duration::from_millis(500)));
        assert!(!limiter.try_acquire(ip, t0 + Duration::from_millis(600)));
    }

    #[test]
    fn ipv6_is_limited_per_64() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 1.0,
            burst: 1,
            max_clients: 10,
        });
        let t0 = Instant::now();
        assert!(limiter.try_acquire("2001:db8:1:2::1".parse().unwrap(), t0));
        assert!(!limiter.try_acquire("2001:db8:1:2::ffff".parse().unwrap(), t0));
        assert!(limiter.try_acquire("2001:db8:1:3::1".parse().unwrap(), t0));
        assert!(limiter.try_acquire("::ffff:192.0.2.1".parse().unwrap(), t0));
        assert!(!limiter.try_acquire("192.0.2.1".parse().unwrap(), t0));
    }

    #[test]
    fn tracked_clients_are_bounded() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 0.001,
            burst: 2,
            max_clients: 4,
        });
        let t0 = Instant::now();
        for i in 0..100u8 {
            assert!(limiter.try_acquire(IpAddr::from([198, 51, 100, i]), t0));
            assert!(limiter.tracked() <= 4);
        }
    }
}
