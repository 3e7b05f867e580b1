//! The gateway's flow control: a token bucket per caller (access key, or all
//! token callers together) that refills at [`Config::rate_limit`] requests
//! per second and holds [`Config::rate_burst`] (one second's worth unless
//! set).
//!
//! [`Config::rate_limit`]: crate::Config::rate_limit
//! [`Config::rate_burst`]: crate::Config::rate_burst

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The buckets of every caller seen so far.
#[derive(Debug)]
pub(crate) struct Throttling {
    rate: f64,
    capacity: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl Throttling {
    /// Buckets refilling at `rate` per second (positive and finite) that
    /// hold `capacity` requests (at least 1) and start full.
    pub(crate) fn new(rate: f64, capacity: f64) -> Self {
        Throttling {
            rate,
            capacity,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token from `caller`'s bucket, or says how long until the
    /// next one.
    pub(crate) fn admit(&self, caller: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(caller.to_owned()).or_insert(Bucket {
            tokens: self.capacity,
            refilled: now,
        });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.capacity);
        bucket.refilled = bucket.refilled.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

/// `Retry-After` in whole seconds, rounded up and at least 1.
pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_gets_its_burst_then_the_rate() {
        let throttling = Throttling::new(50.0, 50.0);
        let start = Instant::now();
        assert!((0..50).all(|_| throttling.admit("AK1", start).is_ok()));
        let wait = throttling.admit("AK1", start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(20));
        assert_eq!(retry_after_seconds(wait), 1);
        // Another caller has a bucket of its own.
        assert!(throttling.admit("AK2", start).is_ok());
        // 100 ms later: five more.
        let later = start + Duration::from_millis(100);
        assert!((0..5).all(|_| throttling.admit("AK1", later).is_ok()));
        assert!(throttling.admit("AK1", later).is_err());
    }

    #[test]
    fn a_small_burst_refuses_sooner_and_refills_at_the_rate() {
        // 100 requests/s holding a tenth of a second's worth.
        let throttling = Throttling::new(100.0, 10.0);
        let start = Instant::now();
        assert!((0..10).all(|_| throttling.admit("AK", start).is_ok()));
        let wait = throttling.admit("AK", start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(10));
        assert_eq!(retry_after_seconds(wait), 1);
        // Evenly spaced at the rate, it never refuses; a second's idling
        // refills the burst, no more.
        let mut now = start;
        for _ in 0..100 {
            now += Duration::from_millis(10);
            assert!(throttling.admit("AK", now).is_ok());
        }
        now += Duration::from_secs(1);
        assert!((0..10).all(|_| throttling.admit("AK", now).is_ok()));
        assert!(throttling.admit("AK", now).is_err());
    }

    #[test]
    fn slow_rates_still_allow_one_request() {
        let throttling = Throttling::new(0.25, 1.0);
        let start = Instant::now();
        assert!(throttling.admit("AK", start).is_ok());
        let wait = throttling.admit("AK", start).unwrap_err();
        assert_eq!(retry_after_seconds(wait), 4);
    }
}
