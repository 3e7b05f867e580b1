//! Pacing under API-gateway throttling, shared by every call of a client
//! and its clones.
//!
//! Huawei Cloud's API gateway limits each account's calls per API and
//! answers over the limit with 429 (`APIGW.0308`) and `Retry-After`. Each
//! call retrying on its own tells the other calls in flight nothing, so a
//! fan-out keeps hitting the limit. Two shared pieces, modelled on
//! aws-sdk-rust's "adaptive" retry mode (aws-smithy-runtime), prevent that:
//!
//! - **A rate limiter that learns the gateway's rate** ([`RateLimit`]): off
//!   until the first throttling answer, so that it costs nothing until
//!   then. From the first throttle on, every call takes a token before each
//!   attempt, first come, first served, and the tokens come evenly spaced
//!   at a rate just under what the gateway was measured to serve (the
//!   requests it lets through between two refusals); it probes upwards
//!   gently and rarely. With [`RateLimit::max_rate`] it paces from the start
//!   and never goes above. `limiter.rs` says how, and what differs from
//!   AWS's CUBIC limiter.
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

mod limiter;
mod pace;
mod retry_quota;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use progenitor_client::ClientInfo as _;
use tokio::sync::Notify;
use tokio::time::Instant;

pub(crate) use limiter::Answer;
use limiter::Limiter;
pub use retry_quota::RetryQuota;
use retry_quota::RetryTokens;

/// How a client paces its requests. On by default: until the gateway first
/// throttles, it costs nothing; then it paces just under the rate the
/// gateway is measured to serve.
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
    /// On throttling answers, learn the gateway's rate and pace just under
    /// it. Default `true`.
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
    /// Mirrors the limiter's `is_pacing`: the lock-free check of every send.
    pacing: AtomicBool,
    limiter: Mutex<Limiter>,
    /// Senders waiting for a token line up here, first come first served.
    queue: tokio::sync::Mutex<()>,
    /// Wakes the sender at the head of the queue when the rate rises, so
    /// that it does not sleep out a wait computed at the old rate.
    rate_raised: Notify,
    pub(crate) retries: RetryTokens,
}

impl Throttle {
    pub(crate) fn new(rate_limit: RateLimit, quota: RetryQuota) -> Self {
        let limiter = Limiter::new(rate_limit.adaptive, rate_limit.max_rate);
        Self {
            pacing: AtomicBool::new(limiter.is_pacing()),
            limiter: Mutex::new(limiter),
            queue: tokio::sync::Mutex::new(()),
            rate_raised: Notify::new(),
            retries: RetryTokens::new(quota),
        }
    }

    fn limiter(&self) -> MutexGuard<'_, Limiter> {
        // Every critical section leaves the limiter consistent.
        self.limiter
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
        // However this ends (a token, the deadline, the call dropped), the
        // pace no longer counts on this sender.
        let _waiting = StopWaiting(self);
        loop {
            let raised = self.rate_raised.notified();
            let now = Instant::now();
            let wait = match self.limiter().try_acquire(now) {
                Ok(()) => return true,
                Err(wait) => wait,
            };
            if now + wait >= deadline {
                return false;
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = raised => {}
            }
        }
    }

    /// Learns from the answer to a request sent at `sent_at`, answered at
    /// `answered_at`.
    pub(crate) fn record(&self, sent_at: Instant, answered_at: Instant, answer: Answer) {
        let mut limiter = self.limiter();
        let before = limiter.rate();
        limiter.record(sent_at, answered_at, answer);
        let after = limiter.rate();
        self.pacing.store(limiter.is_pacing(), Ordering::Relaxed);
        drop(limiter);
        if let (Some(before), Some(after)) = (before, after)
            && after > before
        {
            self.rate_raised.notify_waiters();
        }
    }

    pub(crate) fn report(&self) -> ThrottleReport {
        let limiter = self.limiter();
        ThrottleReport {
            throttled: limiter.throttled(),
            rate: limiter.rate(),
            answered_rate_since_throttled: limiter.answered_rate_since_throttled(Instant::now()),
            retries_refused: self.retries.refused(),
            retry_tokens: self.retries.available(),
        }
    }
}

/// Tells the limiter that the sender at the head of the queue is gone.
struct StopWaiting<'a>(&'a Throttle);

impl Drop for StopWaiting<'_> {
    fn drop(&mut self) {
        self.0.limiter().stop_waiting();
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

    fn refusal() -> Answer {
        Answer::Throttled {
            retry_after: Some(Duration::from_secs(1)),
        }
    }

    /// 40 concurrent senders against a client paced at 20 req/s: they go
    /// one after another, evenly spaced, in the order they asked.
    #[tokio::test(start_paused = true)]
    async fn paced_senders_line_up_at_the_rate() {
        let paced = RateLimit::off().with_max_rate(20.0);
        let throttle = Arc::new(Throttle::new(paced, RetryQuota::default()));
        let start = Instant::now();

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
        // Evenly spaced (the timer rounds each wait to the millisecond).
        for pair in sent.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= Duration::from_millis(49) && gap <= Duration::from_millis(51),
                "{gap:?}"
            );
        }
        // The first at once (the pace starts with one token).
        let took = sent[39].duration_since(start).as_secs_f64();
        assert!((took - 39.0 / 20.0).abs() < 0.01, "{took}");
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
            throttle.record(start, start, Answer::Admitted);
        }
        throttle.record(start, start, refusal());
        throttle.record(start, start, refusal());
        tokio::time::advance(Duration::from_secs(2)).await;
        for _ in 0..20 {
            throttle.record(start, Instant::now(), Answer::Admitted);
        }
        let report = throttle.report();
        assert_eq!(report.throttled, 2);
        assert_eq!(report.answered_rate_since_throttled, Some(10.0));
        assert!(report.rate.is_some());
    }

    /// A strict gateway as the loopback server plays it: a token bucket of
    /// `rate` per second holding `burst`, 5 ms to answer, `Retry-After: 1`
    /// over the limit.
    struct Gateway {
        rate: f64,
        burst: f64,
        bucket: Mutex<(f64, Instant)>,
    }

    impl Gateway {
        fn new(rate: f64, burst: f64) -> Self {
            Gateway {
                rate,
                burst,
                bucket: Mutex::new((burst, Instant::now())),
            }
        }

        async fn call(&self) -> bool {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let mut bucket = self.bucket.lock().unwrap();
            let now = Instant::now();
            let tokens = (bucket.0 + (now - bucket.1).as_secs_f64() * self.rate).min(self.burst);
            *bucket = (tokens, now);
            if tokens >= 1.0 {
                bucket.0 -= 1.0;
                return true;
            }
            false
        }
    }

    /// What a fan-out did: its time, answers and refusals, and the rates it
    /// paced at.
    struct Run {
        seconds: f64,
        answered: usize,
        refused: usize,
        /// The rate paced at when the last call ended.
        rate: Option<f64>,
        /// The highest rate paced at after the first second.
        highest_rate_after_a_second: f64,
    }

    /// `calls` calls through one client's throttle, `concurrency` at a time,
    /// as the CLI's `status` makes them: each attempt waits for its token,
    /// a refused one waits its `Retry-After` and tries again, three attempts
    /// in all.
    async fn fan_out(gateway: Gateway, calls: usize, concurrency: usize) -> Run {
        let throttle = Arc::new(Throttle::new(RateLimit::default(), RetryQuota::default()));
        let gateway = Arc::new(gateway);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let highest = Arc::new(Mutex::new(0.0_f64));
        let start = Instant::now();
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..concurrency {
            let (throttle, gateway, next) = (throttle.clone(), gateway.clone(), next.clone());
            let highest = highest.clone();
            workers.spawn(async move {
                let note_rate = |throttle: &Throttle| {
                    if start.elapsed() >= Duration::from_secs(1) {
                        let rate = throttle.report().rate.unwrap_or_default();
                        let mut highest = highest.lock().unwrap();
                        *highest = highest.max(rate);
                    }
                };
                let (mut answered, mut refused) = (0, 0);
                while next.fetch_add(1, Ordering::Relaxed) < calls {
                    for _attempt in 0..3 {
                        assert!(
                            throttle
                                .ready_to_send(start + Duration::from_secs(600))
                                .await
                        );
                        let sent_at = Instant::now();
                        if gateway.call().await {
                            throttle.record(sent_at, Instant::now(), Answer::Admitted);
                            note_rate(&throttle);
                            answered += 1;
                            break;
                        }
                        throttle.record(sent_at, Instant::now(), refusal());
                        note_rate(&throttle);
                        refused += 1;
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
                (answered, refused)
            });
        }
        let (mut answered, mut refused) = (0, 0);
        while let Some(worker) = workers.join_next().await {
            let (a, r) = worker.unwrap();
            answered += a;
            refused += r;
        }
        let highest_rate_after_a_second = *highest.lock().unwrap();
        Run {
            seconds: start.elapsed().as_secs_f64(),
            answered,
            refused,
            rate: throttle.report().rate,
            highest_rate_after_a_second,
        }
    }

    /// A gateway of 40 requests/s whose bucket holds a second's worth: the
    /// first burst refuses every one of 16 senders, and while they sit out
    /// the `Retry-After`, the bucket refills. Coming back, the pace does not
    /// take that refill for the gateway's rate: it stays within twice the
    /// rate it came back at (40/s, the first burst) until the next refusal,
    /// however long the run, and a run that outlasts that refusal ends
    /// paced close to the gateway's rate.
    #[tokio::test(start_paused = true)]
    async fn after_a_pause_the_pace_does_not_take_the_refill_for_the_rate() {
        const RATE: f64 = 40.0;
        for calls in (60..=240).step_by(30) {
            let run = fan_out(Gateway::new(RATE, RATE), calls, 16).await;
            assert_eq!(run.answered, calls);
            assert!(run.refused >= 16, "every sender paused: {}", run.refused);
            let highest = run.highest_rate_after_a_second;
            assert!(
                highest <= 2.0 * RATE + 1e-9,
                "{calls} calls: paced at up to {highest}/s after the pause (gateway {RATE}/s)"
            );
            let rate = run.rate.expect("pacing");
            assert!(
                rate <= 2.0 * RATE + 1e-9,
                "{calls} calls: ended at {rate}/s"
            );
            if calls == 240 {
                assert!(rate < 1.5 * RATE, "{calls} calls: ended at {rate}/s");
            }
        }
    }

    /// 1,000 calls at concurrency 32 against a gateway of 100 requests/s
    /// (ideal: 10 s), holding a second's worth of requests, or a tenth of
    /// a second's: every call answered, few refusals, close to the ideal.
    #[tokio::test(start_paused = true)]
    async fn a_fan_out_keeps_just_under_a_strict_gateway() {
        for (burst, limit) in [(100.0, 1.0), (10.0, 1.25)] {
            let run = fan_out(Gateway::new(100.0, burst), 1000, 32).await;
            assert_eq!(run.answered, 1000, "burst {burst}");
            assert!(
                run.seconds <= 10.0 * limit,
                "burst {burst}: {} s",
                run.seconds
            );
            assert!(
                run.refused as f64 <= 0.1 * run.answered as f64,
                "burst {burst}: {} refusals",
                run.refused
            );
        }
    }

    /// The same gateway at the CLI's default concurrency, 8.
    #[tokio::test(start_paused = true)]
    async fn a_fan_out_of_eight_keeps_close_to_a_strict_gateway() {
        for (burst, limit) in [(100.0, 1.05), (10.0, 1.3)] {
            let run = fan_out(Gateway::new(100.0, burst), 1000, 8).await;
            assert_eq!(run.answered, 1000, "burst {burst}");
            assert!(
                run.seconds <= 10.0 * limit,
                "burst {burst}: {} s",
                run.seconds
            );
            assert!(run.refused <= 50, "burst {burst}: {} refusals", run.refused);
        }
    }
}
