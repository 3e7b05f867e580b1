//! The retry quota: a token bucket that every retry draws from and that
//! successes refill, so that a failing service does not draw a storm of
//! retries.
//!
//! Taken from aws-smithy-runtime 1.16.2 (`src/client/retries/token_bucket.rs`
//! and `strategy/standard.rs`, the "standard" retry mode): 500 tokens; a
//! retry costs 5, or 10 after a timeout; a call that succeeds at once adds
//! one token; a call that succeeds after retrying gives back the cost of its
//! last retry. A retry that finds too few tokens is not made: the call ends
//! with the answer it has.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// How many retries a client may make before successes earn more.
///
/// With `capacity` C and `retry_cost` R, a run in which every request fails
/// makes at most C / R retries in all (100 with the defaults; 50 when they
/// follow timeouts), whatever the number of calls: N calls send at most
/// N + C / R requests. Every call that succeeds on its first attempt adds a
/// token, and one that succeeds after retrying returns its last retry's
/// cost. Shared by every call of a client and its clones.
///
/// Start from [`RetryQuota::default()`] (or [`RetryQuota::unlimited()`])
/// and change what you need; fields may be added in a minor release.
///
/// ```
/// use mrs_iam_sync::RetryQuota;
///
/// let quota = RetryQuota::default().with_capacity(1000);
/// assert_eq!(quota.retry_cost, 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryQuota {
    /// Tokens in a full quota (and at the start). Default 500.
    pub capacity: u32,
    /// What a retry after an error answer or a broken connection costs.
    /// Default 5.
    pub retry_cost: u32,
    /// What a retry after a timeout costs. Default 10.
    pub timeout_retry_cost: u32,
}

impl Default for RetryQuota {
    fn default() -> Self {
        Self {
            capacity: 500,
            retry_cost: 5,
            timeout_retry_cost: 10,
        }
    }
}

impl RetryQuota {
    /// No quota: retries are limited only by the
    /// [`RetryPolicy`](crate::RetryPolicy) of each call.
    pub fn unlimited() -> Self {
        Self {
            capacity: u32::MAX,
            retry_cost: 0,
            timeout_retry_cost: 0,
        }
    }
}

impl RetryQuota {
    /// Sets [`capacity`](Self::capacity).
    pub fn with_capacity(mut self, capacity: u32) -> Self {
        self.capacity = capacity;
        self
    }

    /// Sets [`retry_cost`](Self::retry_cost).
    pub fn with_retry_cost(mut self, retry_cost: u32) -> Self {
        self.retry_cost = retry_cost;
        self
    }

    /// Sets [`timeout_retry_cost`](Self::timeout_retry_cost).
    pub fn with_timeout_retry_cost(mut self, timeout_retry_cost: u32) -> Self {
        self.timeout_retry_cost = timeout_retry_cost;
        self
    }
}

/// Tokens a retry took; given back if its call then succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPermit(u32);

/// A [`RetryQuota`] in use.
#[derive(Debug)]
pub(crate) struct RetryTokens {
    quota: RetryQuota,
    available: AtomicU32,
    refused: AtomicU64,
}

impl RetryTokens {
    pub(crate) fn new(quota: RetryQuota) -> Self {
        Self {
            quota,
            available: AtomicU32::new(quota.capacity),
            refused: AtomicU64::new(0),
        }
    }

    /// Takes the cost of a retry after `error` (`None`: an error answer) into
    /// `permit`, or refuses it.
    pub(crate) fn withdraw(
        &self,
        permit: &mut Option<RetryPermit>,
        error: Option<&reqwest::Error>,
    ) -> bool {
        match self.take(error.is_some_and(reqwest::Error::is_timeout)) {
            Some(taken) => {
                *permit = Some(taken);
                true
            }
            None => false,
        }
    }

    /// Takes the cost of one retry, or refuses it.
    fn take(&self, after_timeout: bool) -> Option<RetryPermit> {
        let cost = if after_timeout {
            self.quota.timeout_retry_cost
        } else {
            self.quota.retry_cost
        };
        let taken = self
            .available
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |available| {
                available.checked_sub(cost)
            });
        match taken {
            Ok(_) => Some(RetryPermit(cost)),
            Err(_) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// A call succeeded: it gives back its last retry's cost, or earns one
    /// token when it needed no retry.
    pub(crate) fn succeeded(&self, last_retry: Option<RetryPermit>) {
        let earned = last_retry.map_or(1, |RetryPermit(cost)| cost);
        let capacity = self.quota.capacity;
        // Never fails: the closure always returns a value.
        let _ = self
            .available
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |available| {
                Some(available.saturating_add(earned).min(capacity))
            });
    }

    /// Retries refused for want of tokens.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Tokens left.
    pub(crate) fn available(&self) -> u32 {
        self.available.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_alone_allow_capacity_over_cost_retries() {
        let tokens = RetryTokens::new(RetryQuota::default());
        let granted = (0..1000).filter(|_| tokens.take(false).is_some()).count();
        assert_eq!(granted, 100);
        assert_eq!(tokens.refused(), 900);
        let timeouts = RetryTokens::new(RetryQuota::default());
        let granted = (0..1000).filter(|_| timeouts.take(true).is_some()).count();
        assert_eq!(granted, 50);
    }

    #[test]
    fn successes_refill_the_quota_up_to_its_capacity() {
        let tokens = RetryTokens::new(RetryQuota {
            capacity: 10,
            retry_cost: 5,
            timeout_retry_cost: 10,
        });
        let first = tokens.take(false).unwrap();
        let second = tokens.take(false).unwrap();
        assert_eq!(tokens.take(false), None);
        // A retried call that succeeds returns its retry's cost.
        tokens.succeeded(Some(first));
        assert_eq!(tokens.available(), 5);
        // Five first-attempt successes earn one more retry.
        for _ in 0..5 {
            tokens.succeeded(None);
        }
        assert_eq!(tokens.available(), 10);
        tokens.succeeded(Some(second));
        tokens.succeeded(None);
        assert_eq!(tokens.available(), 10, "never above the capacity");
    }

    #[test]
    fn an_unlimited_quota_never_refuses() {
        let tokens = RetryTokens::new(RetryQuota::unlimited());
        assert!((0..10_000).all(|i| tokens.take(i % 2 == 0).is_some()));
        tokens.succeeded(None);
        assert_eq!(tokens.available(), u32::MAX);
    }
}
