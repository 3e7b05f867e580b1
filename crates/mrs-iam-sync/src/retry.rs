//! When and how long to wait before trying a request again.
//!
//! The rule:
//! - GET operations and CancelSyncIamUser (a DELETE the service treats as
//!   idempotent) are retried on HTTP 429, 500, 502, 503 and 504, on
//!   timeouts and on broken or refused connections.
//! - UpdateSyncIamUser (POST starts a task) is retried only when the request
//!   surely never reached the server: the connection could not be made.
//! - The wait is exponential backoff with full jitter (a random delay
//!   between zero and `initial_backoff × 2^(attempt-1)`, capped at
//!   `max_backoff`); a `Retry-After` header on 429 and 503 (seconds or an
//!   HTTP date) is honoured instead.
//! - Nothing is retried past `max_attempts` or past the call's deadline.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

/// How many times to try, and how long to wait in between.
///
/// Start from [`RetryPolicy::default()`] (or [`RetryPolicy::disabled()`]) and
/// change what you need; fields may be added in a minor release.
///
/// ```
/// use std::time::Duration;
/// use mrs_iam_sync::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_max_attempts(5)
///     .with_max_backoff(Duration::from_secs(10));
/// assert_eq!(policy.max_attempts, 5);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 turns retries off.
    pub max_attempts: u32,
    /// The backoff ceiling of the first retry.
    pub initial_backoff: Duration,
    /// The largest wait between two attempts (a `Retry-After` may ask more,
    /// within the deadline).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 200 ms up to 5 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries: every call is one attempt.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets [`max_attempts`](Self::max_attempts): attempts in all, the first
    /// included (1 turns retries off; 0 is refused by the client builder).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets [`initial_backoff`](Self::initial_backoff).
    pub fn with_initial_backoff(mut self, initial_backoff: Duration) -> Self {
        self.initial_backoff = initial_backoff;
        self
    }

    /// Sets [`max_backoff`](Self::max_backoff).
    pub fn with_max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// The jittered wait before attempt `next` (2 for the first retry).
    pub(crate) fn backoff(&self, next: u32, random: f64) -> Duration {
        let exponent = next.saturating_sub(2).min(30);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        ceiling.mul_f64(random.clamp(0.0, 1.0))
    }
}

/// How long connecting, one attempt and a whole call may take.
///
/// Start from [`Timeouts::default()`] and change what you need (or use the
/// builder's `connect_timeout`, `attempt_timeout` and `total_timeout`);
/// fields may be added in a minor release.
///
/// ```
/// use std::time::Duration;
/// use mrs_iam_sync::Timeouts;
///
/// let timeouts = Timeouts::default().with_total(Duration::from_secs(45));
/// assert_eq!(timeouts.connect, Duration::from_secs(5));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Establishing a connection (TCP and TLS). Default 5 s.
    pub connect: Duration,
    /// One attempt, from sending to the end of the response body. Default 30 s.
    pub attempt: Duration,
    /// The whole call, retries and waits included. Default 60 s.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            attempt: Duration::from_secs(30),
            total: Duration::from_secs(60),
        }
    }
}

impl Timeouts {
    /// Sets [`connect`](Self::connect).
    pub fn with_connect(mut self, connect: Duration) -> Self {
        self.connect = connect;
        self
    }

    /// Sets [`attempt`](Self::attempt).
    pub fn with_attempt(mut self, attempt: Duration) -> Self {
        self.attempt = attempt;
        self
    }

    /// Sets [`total`](Self::total).
    pub fn with_total(mut self, total: Duration) -> Self {
        self.total = total;
        self
    }
}

/// The call's overall deadline passed.
#[derive(Debug)]
pub(crate) struct DeadlineExceeded {
    pub(crate) total: Duration,
}

impl std::fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the call's deadline of {:.1} s passed",
            self.total.as_secs_f64()
        )
    }
}

impl std::error::Error for DeadlineExceeded {}

/// Statuses worth another attempt of an idempotent request.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// Whether the method may be sent again after it may have reached the
/// server. POST (UpdateSyncIamUser) starts a task and may not.
pub(crate) fn is_idempotent(method: &reqwest::Method) -> bool {
    method != reqwest::Method::POST
}

/// What to do after a transport error.
pub(crate) fn may_retry_error(err: &reqwest::Error, idempotent: bool) -> bool {
    // A connection that was never made cannot have delivered anything.
    err.is_connect() || (idempotent && (err.is_timeout() || err.is_request() || err.is_body()))
}

/// The delay a `Retry-After` header asks for: delta-seconds or an HTTP date.
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An HTTP date: RFC 9110's IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) or one of the
/// two obsolete forms a recipient must accept too (RFC 850, asctime).
fn parse_http_date(value: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_to_the_cap() {
        let policy = RetryPolicy::default()
            .with_max_attempts(10)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(1));
        assert_eq!(policy.backoff(2, 1.0), Duration::from_millis(100));
        assert_eq!(policy.backoff(3, 1.0), Duration::from_millis(200));
        assert_eq!(policy.backoff(4, 1.0), Duration::from_millis(400));
        assert_eq!(policy.backoff(6, 1.0), Duration::from_secs(1));
        assert_eq!(policy.backoff(60, 1.0), Duration::from_secs(1));
        assert_eq!(policy.backoff(4, 0.5), Duration::from_millis(200));
        assert_eq!(policy.backoff(4, 0.0), Duration::ZERO);
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        // RFC 850 and asctime, which RFC 9110 asks recipients to read as well.
        assert_eq!(
            retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            retry_after("Sun Nov  6 08:49:47 1994", now),
            Some(Duration::from_secs(10))
        );
        // RFC 2822 allows a numeric zone; an HTTP date is always GMT.
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:47 +0000", now), None);
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }

    #[test]
    fn only_throttling_and_server_faults_are_retryable() {
        for code in [429, 500, 502, 503, 504] {
            assert!(
                is_retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
        for code in [400, 401, 403, 404, 405, 409, 413, 501] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
        assert!(!is_idempotent(&reqwest::Method::POST));
        assert!(is_idempotent(&reqwest::Method::GET));
        assert!(is_idempotent(&reqwest::Method::DELETE));
    }
}
