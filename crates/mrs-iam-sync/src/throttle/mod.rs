//! Pacing under API-gateway throttling, shared by every call of a client
//! and its clones.
//!
//! Huawei Cloud's API gateway limits each account's calls per API and
//! answers over the limit with 429 (`APIGW.0308`) and `Retry-After`. Each
//! call retrying on its own tells the other calls in flight nothing, so a
//! fan-out keeps hitting the limit. Two shared pieces, modelled on
//! aws-sdk-rust's "adaptive" retry mode (aws-smithy-runtime), prevent that:
//!
//! - **An adaptive rate limiter** ([`RateLimit`]): off until the first
//!   throttling answer, so that it costs nothing until then. The first
//!   throttle starts a token bucket at 0.7 × the answers of the last second;
//!   every call then takes a token before each attempt, first come, first
//!   served. Further throttles cut the rate again (at most once per
//!   episode), successes let it climb back along a CUBIC curve. With
//!   [`RateLimit::max_rate`] it paces from the start and never goes above.
//! - **A retry quota** ([`RetryQuota`]): every retry draws from one bucket
//!   that successes refill, so that a failing service sees a bounded number
//!   of retries, not `max_attempts` × the calls.
//!
//! How they combine with the [`RetryPolicy`](crate::RetryPolicy) of a call:
//! a throttled attempt waits its `Retry-After` (a floor) or its backoff,
//! then needs a retry token from the quota and a send token from the rate
//! limiter; the attempt limit and the call's deadline hold throughout (a
//! call whose wait for a send token would pass its deadline fails with the
//! deadline error).

mod cubic;
mod retry_quota;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use progenitor_client::ClientInfo as _;
use tokio::time::Instant;

pub use retry_quota::RetryQuota;
use retry_quota::RetryTokens;

/// How a client paces its requests. On by default: until the gateway first
/// throttles, it costs nothing.
///
/// Start from [`RateLimit::default()`] (or [`RateLimit::off()`]) and change
/// what you need; fields may be added in a minor release.
///
/// ```
/// use mrs_iam_sync::RateLimit;
///
/// let limit = RateLimit::default().with_max_rate(97.0);
/// assert_eq!(limit.max_rate, Some(97.0));
/// assert!(limit.adaptive);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Slow down on throttling answers and climb back when they stop.
    /// Default `true`.
    pub adaptive: bool,
    /// At most this many requests per second, from the start (attempts and
    /// retries alike). Default: none.
    pub max_rate: Option<f64>,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            adaptive: true,
            max_rate: None,
        }
    }
}

impl RateLimit {
    /// No pacing: each call retries on its own (the retry quota still holds).
    pub fn off() -> Self {
        Self {
            adaptive: false,
            max_rate: None,
        }
    }

    /// Sets [`adaptive`](Self::adaptive).
    pub fn with_adaptive(mut self, adaptive: bool) -> Self {
        self.adaptive = adaptive;
        self
    }

    /// Sets [`max_rate`](Self::max_rate): a number of requests per second,
    /// or `None` for no ceiling.
    pub fn with_max_rate(mut self, max_rate: impl Into<Option<f64>>) -> Self {
        self.max_rate = max_rate.into();
        self
    }

    /// The problem with these settings, if any.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        match self.max_rate {
            Some(rate) if !(rate.is_finite() && rate > 0.0) => {
                Some("rate_limit.max_rate must be a number of requests per second above zero")
            }
            _ => None,
        }
    }
}

/// What throttling a client has met so far: see
/// [`Client::throttling`](crate::Client::throttling). Fields may be added in
/// a minor release; the setters are for tests of code that takes one.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ThrottleReport {
    /// Throttling answers received (HTTP 429, `APIGW.0308`).
    pub throttled: u64,
    /// The rate the client paces itself to now, in requests per second;
    /// `None` while it does not pace.
    pub rate: Option<f64>,
    /// Answers per second since the first throttling answer (over at least
    /// one second); `None` before one.
    pub answered_rate_since_throttled: Option<f64>,
    /// Retries not made because the retry quota was spent.
    pub retries_refused: u64,
    /// Tokens left in the retry quota.
    pub retry_tokens: u32,
}

impl ThrottleReport {
    /// Sets [`throttled`](Self::throttled).
    pub fn with_throttled(mut self, throttled: u64) -> Self {
        self.throttled = throttled;
        self
    }

    /// Sets [`rate`](Self::rate).
    pub fn with_rate(mut self, rate: impl Into<Option<f64>>) -> Self {
        self.rate = rate.into();
        self
    }

    /// Sets [`answered_rate_since_throttled`](Self::answered_rate_since_throttled).
    pub fn with_answered_rate_since_throttled(mut self, rate: impl Into<Option<f64>>) -> Self {
        self.answered_rate_since_throttled = rate.into();
        self
    }

    /// Sets [`retries_refused`](Self::retries_refused).
    pub fn with_retries_refused(mut self, retries_refused: u64) -> Self {
        self.retries_refused = retries_refused;
        self
    }

    /// Sets [`retry_tokens`](Self::retry_tokens).
    pub fn with_retry_tokens(mut self, retry_tokens: u32) -> Self {
        self.retry_tokens = retry_tokens;
        self
    }
}

impl crate::Client {
    /// What throttling this client (and its clones) met so far, and how it
    /// paces itself now.
    pub fn throttling(&self) -> ThrottleReport {
        self.inner().throttle().report()
    }
}

/// Whether an answer tells the client to slow down: HTTP 429, or the
/// gateway's throttling code (`APIGW.0308`, `APIG.0308`) with any status.
pub(crate) fn is_throttling(status: u16, code: Option<&str>) -> bool {
    status == 429 || code.is_some_and(|code| code.starts_with("APIG") && code.ends_with(".0308"))
}

/// The rate limiter and retry quota of one client.
#[derive(Debug)]
pub(crate) struct Throttle {
    /// Mirrors the bucket's `is_pacing`: the lock-free check of every send.
    pacing: AtomicBool,
    bucket: Mutex<cubic::Bucket>,
    /// Senders waiting for a token line up here, first come first served.
    queue: tokio::sync::Mutex<()>,
    pub(crate) retries: RetryTokens,
}

impl Throttle {
    pub(crate) fn new(rate_limit: RateLimit, quota: RetryQuota) -> Self {
        let bucket = cubic::Bucket::new(rate_limit.adaptive, rate_limit.max_rate);
        Self {
            pacing: AtomicBool::new(bucket.is_pacing()),
            bucket: Mutex::new(bucket),
            queue: tokio::sync::Mutex::new(()),
            retries: RetryTokens::new(quota),
        }
    }

    fn bucket(&self) -> MutexGuard<'_, cubic::Bucket> {
        // Every critical section leaves the bucket consistent.
        self.bucket
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a send token. `false` when it would come after `deadline`.
    pub(crate) async fn ready_to_send(&self, deadline: Instant) -> bool {
        if !self.pacing.load(Ordering::Relaxed) {
            return true;
        }
        let Ok(_turn) = tokio::time::timeout_at(deadline, self.queue.lock()).await else {
            return false;
        };
        loop {
            let now = Instant::now();
            let wait = match self.bucket().try_acquire(now) {
                Ok(()) => return true,
                Err(wait) => wait,
            };
            if now + wait >= deadline {
                return false;
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Learns from the answer to a request sent at `sent_at`.
    pub(crate) fn record(&self, sent_at: Instant, throttled: bool) {
        let mut bucket = self.bucket();
        if let Some(rate) = bucket.record(sent_at, Instant::now(), throttled) {
            tracing::debug!(rate, "throttled: slowing down");
        }
        self.pacing.store(bucket.is_pacing(), Ordering::Relaxed);
    }

    pub(crate) fn report(&self) -> ThrottleReport {
        let bucket = self.bucket();
        ThrottleReport {
            throttled: bucket.throttled(),
            rate: bucket.rate(),
            answered_rate_since_throttled: bucket.answered_rate_since_throttled(Instant::now()),
            retries_refused: self.retries.refused(),
            retry_tokens: self.retries.available(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn throttling_answers_are_429_and_the_gateway_code() {
        assert!(is_throttling(429, None));
        assert!(is_throttling(429, Some("APIGW.0308")));
        assert!(is_throttling(403, Some("APIGW.0308")));
        assert!(is_throttling(503, Some("APIG.0308")));
        assert!(!is_throttling(503, Some("MRS.0503")));
        assert!(!is_throttling(401, Some("APIGW.0301")));
        assert!(!is_throttling(200, None));
    }

    #[test]
    fn a_max_rate_must_be_positive_and_finite() {
        assert_eq!(RateLimit::default().problem(), None);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let limit = RateLimit::default().with_max_rate(bad);
            assert!(limit.problem().unwrap().contains("max_rate"), "{bad}");
        }
    }

    /// 40 concurrent senders against a client throttled down to 14 req/s:
    /// they go one after another at that rate, in the order they asked.
    #[tokio::test(start_paused = true)]
    async fn paced_senders_line_up_at_the_rate() {
        let throttle = Arc::new(Throttle::new(RateLimit::default(), RetryQuota::default()));
        let start = Instant::now();
        for _ in 0..20 {
            throttle.record(start, false);
        }
        throttle.record(start, true);
        let rate = throttle.report().rate.expect("pacing");
        assert!((rate - 14.0).abs() < 1e-9, "{rate}");

        let deadline = start + Duration::from_secs(60);
        let mut senders = Vec::new();
        for _ in 0..40 {
            let throttle = throttle.clone();
            senders.push(tokio::spawn(async move {
                assert!(throttle.ready_to_send(deadline).await);
                Instant::now()
            }));
            tokio::task::yield_now().await;
        }
        let mut sent = Vec::new();
        for sender in senders {
            sent.push(sender.await.unwrap());
        }
        assert!(sent.windows(2).all(|pair| pair[0] <= pair[1]), "in order");
        let took = sent[39].duration_since(start).as_secs_f64();
        assert!((took - 40.0 / 14.0).abs() < 0.01, "{took}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_beyond_the_deadline_is_not_waited_for() {
        let throttle = Throttle::new(
            RateLimit::default().with_max_rate(1.0),
            RetryQuota::default(),
        );
        let start = Instant::now();
        let deadline = start + Duration::from_millis(500);
        assert!(throttle.ready_to_send(deadline).await);
        assert!(!throttle.ready_to_send(deadline).await);
        assert_eq!(Instant::now(), start, "gave up without waiting");
        assert!(throttle.ready_to_send(start + Duration::from_secs(2)).await);
        let waited = Instant::now() - start;
        // The timer's resolution is a millisecond.
        assert!(
            waited >= Duration::from_secs(1) && waited <= Duration::from_millis(1002),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_report_says_what_happened() {
        let throttle = Throttle::new(RateLimit::default(), RetryQuota::default());
        assert_eq!(
            throttle.report(),
            ThrottleReport {
                throttled: 0,
                rate: None,
                answered_rate_since_throttled: None,
                retries_refused: 0,
                retry_tokens: 500,
            }
        );
        let start = Instant::now();
        for _ in 0..10 {
            throttle.record(start, false);
        }
        throttle.record(start, true);
        throttle.record(start, true);
        tokio::time::advance(Duration::from_secs(2)).await;
        for _ in 0..20 {
            throttle.record(start, false);
        }
        let report = throttle.report();
        assert_eq!(report.throttled, 2);
        assert_eq!(report.answered_rate_since_throttled, Some(10.0));
        assert!(report.rate.is_some());
    }
}
