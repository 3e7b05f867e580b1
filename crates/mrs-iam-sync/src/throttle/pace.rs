//! Sends spaced evenly at a rate: how a throttled client keeps under the
//! gateway's limit without ever sending a burst.
//!
//! A token bucket that holds one request (and the little that [`SLACK`] is
//! worth): a sender takes a token or learns how long until the next one. A
//! strict gateway (a token bucket with a small burst) is never overdrawn by
//! a pace below its rate, however long the run. The pace also notices when
//! senders leave it unused (fewer of them ready than it allows, say while
//! their calls sit out a `Retry-After`): a pace that was not used tells
//! nothing about the gateway.

use std::time::Duration;

use tokio::time::Instant;

/// How late a sender may come for its token without losing it. A timer
/// fires up to a millisecond late, and a pace that dropped that time on
/// every request would run ~10% under its rate at 100 requests/s; the next
/// sender makes it up. A token ready for longer, with nobody waiting, is
/// lost: the pace went unused.
const SLACK: Duration = Duration::from_millis(4);

#[derive(Debug)]
pub(super) struct Pace {
    /// Requests per second.
    rate: f64,
    /// Tokens in hand, at most [`Pace::capacity`].
    tokens: f64,
    refilled: Option<Instant>,
    /// A sender was told to wait and has not taken its token yet: time it
    /// spends asleep is not time the pace went unused.
    awaited: bool,
    /// The last time a token was lost: ready for longer than the slack
    /// with no sender waiting for it.
    unused_at: Option<Instant>,
    /// When the pace began to go unused, the last time it did (its tokens
    /// full, nobody waiting): the stretch that lasts until `unused_at`.
    unused_since: Option<Instant>,
    /// A token was taken since `unused_at`.
    taken_since_unused: bool,
}

impl Pace {
    /// A pace of `rate` requests per second with `tokens` in hand.
    pub(super) fn new(rate: f64, tokens: f64) -> Self {
        let mut pace = Pace {
            rate,
            tokens: 0.0,
            refilled: None,
            awaited: false,
            unused_at: None,
            unused_since: None,
            taken_since_unused: false,
        };
        pace.tokens = tokens.min(pace.capacity());
        pace
    }

    pub(super) fn rate(&self) -> f64 {
        self.rate
    }

    /// One request, and the slack: never a burst of two.
    fn capacity(&self) -> f64 {
        1.0 + SLACK.as_secs_f64() * self.rate
    }

    fn refill(&mut self, now: Instant) {
        if let Some(last) = self.refilled {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            let tokens = self.tokens + elapsed * self.rate;
            if tokens > self.capacity() && !self.awaited {
                if self.unused_at.is_none() || self.taken_since_unused {
                    // A new stretch unused: since the tokens were full.
                    let full_after = (self.capacity() - self.tokens).max(0.0) / self.rate;
                    let full_after = Duration::from_secs_f64(full_after).min(now - last);
                    self.unused_since = Some(last + full_after);
                    self.taken_since_unused = false;
                }
                self.unused_at = Some(now);
            }
            self.tokens = tokens.min(self.capacity());
        }
        if self.refilled.is_none_or(|last| now > last) {
            self.refilled = Some(now);
        }
    }

    /// From `now` on, `rate` requests per second; the tokens in hand stay
    /// (within the new capacity).
    pub(super) fn set_rate(&mut self, rate: f64, now: Instant) {
        self.refill(now);
        self.rate = rate;
        self.tokens = self.tokens.min(self.capacity());
    }

    /// Takes a token to send one request, or says how long until the next.
    pub(super) fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.awaited = false;
            self.taken_since_unused = true;
            return Ok(());
        }
        let wait = Duration::from_secs_f64((1.0 - self.tokens) / self.rate);
        if wait.is_zero() {
            // A sub-nanosecond shortfall: waiting zero would spin.
            self.tokens = 0.0;
            self.awaited = false;
            self.taken_since_unused = true;
            return Ok(());
        }
        self.awaited = true;
        Err(wait)
    }

    /// The sender told to wait gave up (its deadline, or its call dropped).
    pub(super) fn stop_waiting(&mut self) {
        self.awaited = false;
    }

    /// The last time, as of `now`, that the pace went unused.
    pub(super) fn unused_at(&mut self, now: Instant) -> Option<Instant> {
        self.refill(now);
        self.unused_at
    }

    /// How long the pace went unused the last time it did, as of `now`:
    /// from when its tokens were full with nobody waiting to the last token
    /// lost.
    pub(super) fn last_pause(&mut self, now: Instant) -> Duration {
        self.refill(now);
        self.unused_since
            .zip(self.unused_at)
            .map_or(Duration::ZERO, |(since, until)| {
                until.saturating_duration_since(since)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    /// Within a microsecond: the pace computes in floating point.
    fn near(actual: Duration, expected: Duration) -> bool {
        actual.abs_diff(expected) < Duration::from_micros(1)
    }

    /// A sender that always comes back exactly when told, `count` times.
    fn sends(pace: &mut Pace, start: Instant, count: usize) -> Vec<Instant> {
        let mut now = start;
        let mut sent = Vec::new();
        while sent.len() < count {
            match pace.try_acquire(now) {
                Ok(()) => sent.push(now),
                Err(wait) => now += wait,
            }
        }
        sent
    }

    #[test]
    fn sends_are_spaced_evenly_at_the_rate() {
        let start = Instant::now();
        let mut pace = Pace::new(100.0, 0.0);
        let sent = sends(&mut pace, start, 50);
        for pair in sent.windows(2) {
            assert!(near(pair[1] - pair[0], ms(10)), "{pair:?}");
        }
        assert_eq!(pace.unused_at(sent[49]), None);
    }

    #[test]
    fn a_late_sender_is_made_up_for_within_the_slack_and_no_more() {
        let start = Instant::now();
        let mut pace = Pace::new(100.0, 1.0);
        assert_eq!(pace.try_acquire(start), Ok(()));
        let wait = pace.try_acquire(start).expect_err("one token only");
        assert!(near(wait, ms(10)), "{wait:?}");
        // Woken 3 ms late: the next token comes 3 ms early, so the pace
        // keeps its rate.
        assert_eq!(pace.try_acquire(start + ms(13)), Ok(()));
        assert_eq!(pace.try_acquire(start + ms(20)), Ok(()));
        assert!(pace.try_acquire(start + ms(20)).is_err());
        assert_eq!(pace.unused_at(start + ms(20)), None);
        // A sender 40 ms late gets one token, not a burst of four.
        let late = start + ms(70);
        assert_eq!(pace.try_acquire(late), Ok(()));
        assert!(pace.try_acquire(late).is_err());
    }

    #[test]
    fn a_pace_nobody_waits_for_is_unused() {
        let start = Instant::now();
        let mut pace = Pace::new(10.0, 0.0);
        // A sender waits its 100 ms and comes back a little late: used.
        let wait = pace.try_acquire(start).expect_err("empty");
        assert_eq!(pace.try_acquire(start + wait + ms(2)), Ok(()));
        assert_eq!(pace.unused_at(start + wait + ms(2)), None);
        // Nobody for half a second: the pace went unused.
        let later = start + ms(700);
        assert_eq!(pace.unused_at(later), Some(later));
        // A sender told to wait who oversleeps (the rate rose meanwhile)
        // does not count as unused; one who gave up does.
        let mut pace = Pace::new(10.0, 0.0);
        pace.try_acquire(start).expect_err("empty");
        pace.set_rate(100.0, start + ms(50));
        assert_eq!(pace.try_acquire(start + ms(200)), Ok(()));
        assert_eq!(pace.unused_at(start + ms(200)), None);
        pace.try_acquire(start + ms(200)).expect_err("empty");
        pace.stop_waiting();
        assert_eq!(pace.unused_at(start + ms(300)), Some(start + ms(300)));
    }

    #[test]
    fn a_pause_lasts_from_when_the_tokens_were_full_to_the_senders_return() {
        let start = Instant::now();
        let mut pace = Pace::new(10.0, 0.0);
        assert_eq!(pace.last_pause(start), Duration::ZERO);
        let sent = sends(&mut pace, start, 3);
        assert_eq!(pace.last_pause(sent[2]), Duration::ZERO, "fully used");
        // Nobody comes for a second: the token was full 100 ms after the
        // last send (and the slack later), and lost until the return.
        let back = sent[2] + ms(1000);
        assert!(pace.try_acquire(back).is_ok());
        let paused = pace.last_pause(back);
        assert!(near(paused, ms(1000 - 100 - 4)), "{paused:?}");
        // Used again: the pause stays what it was; checking later while a
        // sender waits does not lengthen it.
        let wait = pace.try_acquire(back).expect_err("one token");
        assert!(pace.try_acquire(back + wait).is_ok());
        assert!(near(pace.last_pause(back + wait), paused));
        // A second pause, shorter, replaces it.
        let again = back + wait + ms(400);
        assert!(pace.try_acquire(again).is_ok());
        assert!(near(pace.last_pause(again), ms(400 - 100 - 4)));
    }

    #[test]
    fn a_new_rate_applies_from_then_on_without_a_burst() {
        let start = Instant::now();
        let mut pace = Pace::new(10.0, 0.0);
        assert!(near(pace.try_acquire(start).unwrap_err(), ms(100)));
        // Half a token gathered at 10/s; at 100/s the other half takes 5 ms.
        pace.set_rate(100.0, start + ms(50));
        assert!(near(pace.try_acquire(start + ms(50)).unwrap_err(), ms(5)));
        let sent = sends(&mut pace, start + ms(50), 3);
        for (sent, expected) in sent.iter().zip([55, 65, 75]) {
            assert!(near(*sent - start, ms(expected)), "{sent:?}");
        }
    }
}
