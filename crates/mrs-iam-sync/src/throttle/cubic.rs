//! The adaptive rate: a token bucket whose fill rate follows CUBIC.
//!
//! Taken from aws-smithy-runtime 1.16.2
//! (`src/client/retries/client_rate_limiter.rs`, itself a port of
//! aws-sdk-go-v2's adaptive rate limiter): the bucket is off until the first
//! throttling answer; a throttle cuts the rate to `BETA` (0.7) of the rate in
//! force, after which it climbs back along `SCALE × (t − K)³ + W_max` with
//! `K = ∛(W_max × (1 − BETA) / SCALE)`; a success never lets the rate grow
//! beyond twice the measured rate; the rate stays at or above 0.5 requests
//! per second and the bucket holds one second of it (at least one request);
//! a sender short of a token waits for the shortfall and asks again, so the
//! bucket never goes negative. The constants are AWS's.
//!
//! What differs, and why (a fleet fan-out of 32 calls against a gateway that
//! answers `Retry-After: 1` showed each of these in AWS's form):
//! - One cut per throttling episode: a throttle answering a request sent
//!   before the last cut does not cut again (TCP's once-per-window rule).
//!   AWS cuts on every throttle, so the 32 refusals of one burst would take
//!   the rate to 0.7³² of itself.
//! - The rate measured at the first throttle is the number of answers (not
//!   refusals) in the last second, read from a sliding window; AWS's
//!   half-second buckets read zero during the first half second, which
//!   starts the client at the 0.5 requests/s floor.
//! - After the first throttle, a cut starts from the rate in force (TCP's
//!   `W_max` is the window at the loss), and the twice-the-measured-rate cap
//!   holds growth back without ever cutting: calls that sat out a
//!   `Retry-After` in silence do not drag the rate down.
//! - An optional ceiling (`max_rate`) paces from the start and bounds the
//!   growth.

use std::time::Duration;

use tokio::time::Instant;

/// The lowest rate, in requests per second (AWS `MIN_FILL_RATE`).
const MIN_RATE: f64 = 0.5;
/// The bucket always holds at least one request (AWS `MIN_CAPACITY`).
const MIN_CAPACITY: f64 = 1.0;
/// The share of the rate kept on a throttle: CUBIC's β (AWS `BETA`).
const BETA: f64 = 0.7;
/// How fast the rate climbs back: CUBIC's C (AWS `SCALE_CONSTANT`).
const SCALE: f64 = 0.4;

/// The pacing state of one client. Every method takes the time, so tests
/// drive it without waiting.
#[derive(Debug)]
pub(crate) struct Bucket {
    /// Cut on throttles and climb back; off, only `max_rate` paces.
    adaptive: bool,
    /// The ceiling, in requests per second.
    max_rate: Option<f64>,
    /// Whether sending is paced at all (after a throttle, or with a ceiling).
    enabled: bool,
    /// Tokens (requests) added per second.
    fill_rate: f64,
    /// The most tokens the bucket holds.
    capacity: f64,
    tokens: f64,
    last_refill: Option<Instant>,
    /// The rate in force at the last cut (CUBIC's `W_max`) and its time.
    last_max_rate: f64,
    last_cut: Option<Instant>,
    answers: AnswerWindow,
    /// Throttling answers seen.
    throttled: u64,
    first_throttle: Option<Instant>,
    answers_since_first_throttle: u64,
}

impl Bucket {
    /// A bucket that adapts (or not) under an optional ceiling; with one it
    /// paces from the start, holding one request.
    pub(crate) fn new(adaptive: bool, max_rate: Option<f64>) -> Self {
        let mut bucket = Bucket {
            adaptive,
            max_rate,
            enabled: false,
            fill_rate: MIN_RATE,
            capacity: MIN_CAPACITY,
            tokens: 0.0,
            last_refill: None,
            last_max_rate: 0.0,
            last_cut: None,
            answers: AnswerWindow::default(),
            throttled: 0,
            first_throttle: None,
            answers_since_first_throttle: 0,
        };
        if let Some(max_rate) = max_rate {
            bucket.enabled = true;
            bucket.fill_rate = max_rate.max(MIN_RATE);
            bucket.capacity = max_rate.max(MIN_CAPACITY);
            bucket.tokens = MIN_CAPACITY;
        }
        bucket
    }

    /// Whether senders must take a token.
    pub(crate) fn is_pacing(&self) -> bool {
        self.enabled
    }

    /// The rate the client paces itself to, when it does.
    pub(crate) fn rate(&self) -> Option<f64> {
        self.enabled.then_some(self.fill_rate)
    }

    /// Throttling answers seen.
    pub(crate) fn throttled(&self) -> u64 {
        self.throttled
    }

    /// Answers per second since the first throttling answer.
    pub(crate) fn answered_rate_since_throttled(&self, now: Instant) -> Option<f64> {
        let since = now.saturating_duration_since(self.first_throttle?);
        Some(self.answers_since_first_throttle as f64 / since.as_secs_f64().max(1.0))
    }

    /// Takes a token to send one request, or says how long to wait before
    /// asking again.
    pub(crate) fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        if !self.enabled {
            return Ok(());
        }
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let wait = Duration::from_secs_f64((1.0 - self.tokens) / self.fill_rate);
        if wait.is_zero() {
            // A sub-nanosecond shortfall: waiting zero would spin.
            self.tokens = 0.0;
            return Ok(());
        }
        Err(wait)
    }

    /// Learns from the answer to a request sent at `sent_at`. Returns the
    /// new rate when this answer cut it.
    pub(crate) fn record(
        &mut self,
        sent_at: Instant,
        now: Instant,
        throttled: bool,
    ) -> Option<f64> {
        if !throttled {
            self.answers.add(now);
            if self.first_throttle.is_some() {
                self.answers_since_first_throttle += 1;
            }
            if self.adaptive && self.last_cut.is_some() {
                let ceiling = self.fill_rate.max(2.0 * self.answers.rate(now));
                let grown = self.cubic_success(now).min(ceiling);
                self.set_rate(now, grown);
            }
            return None;
        }
        self.throttled += 1;
        self.first_throttle.get_or_insert(now);
        if !self.adaptive || self.last_cut.is_some_and(|cut| sent_at < cut) {
            return None;
        }
        let rate_in_force = if self.enabled {
            self.fill_rate
        } else {
            self.answers.rate(now)
        };
        self.last_max_rate = rate_in_force;
        self.last_cut = Some(now);
        self.enabled = true;
        self.set_rate(now, rate_in_force * BETA);
        Some(self.fill_rate)
    }

    fn refill(&mut self, now: Instant) {
        if let Some(last) = self.last_refill {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.fill_rate).min(self.capacity);
        }
        if self.last_refill.is_none_or(|last| now > last) {
            self.last_refill = Some(now);
        }
    }

    fn set_rate(&mut self, now: Instant, rate: f64) {
        self.refill(now);
        let rate = self.max_rate.map_or(rate, |max| rate.min(max));
        self.fill_rate = rate.max(MIN_RATE);
        self.capacity = rate.max(MIN_CAPACITY);
        self.tokens = self.tokens.min(self.capacity);
    }

    /// CUBIC's `K`: how long the rate takes to climb back to `W_max`.
    fn time_window(&self) -> f64 {
        (self.last_max_rate * (1.0 - BETA) / SCALE).cbrt()
    }

    fn cubic_success(&self, now: Instant) -> f64 {
        let since_cut = self
            .last_cut
            .map_or(0.0, |cut| now.saturating_duration_since(cut).as_secs_f64());
        let dt = since_cut - self.time_window();
        SCALE * dt.powi(3) + self.last_max_rate
    }
}

/// Answers counted over the last second in ten slots of 100 ms.
#[derive(Debug, Default)]
struct AnswerWindow {
    origin: Option<Instant>,
    /// The slot `now` falls in, counted from `origin`.
    slot: u64,
    counts: [u32; SLOTS],
}

const SLOTS: usize = 10;
const SLOT: Duration = Duration::from_millis(100);

impl AnswerWindow {
    fn add(&mut self, now: Instant) {
        self.advance(now);
        let current = &mut self.counts[self.slot as usize % SLOTS];
        *current = current.saturating_add(1);
    }

    /// Answers per second: those of the last second (this slot and the nine
    /// before it).
    fn rate(&mut self, now: Instant) -> f64 {
        self.advance(now);
        self.counts.iter().map(|&count| f64::from(count)).sum()
    }

    fn advance(&mut self, now: Instant) {
        let origin = *self.origin.get_or_insert(now);
        let slot = (now.saturating_duration_since(origin).as_nanos() / SLOT.as_nanos()) as u64;
        if slot <= self.slot {
            return;
        }
        let stale = (slot - self.slot).min(SLOTS as u64);
        for passed in 1..=stale {
            self.counts[(self.slot + passed) as usize % SLOTS] = 0;
        }
        self.slot = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, seconds: f64) -> Instant {
        start + Duration::from_secs_f64(seconds)
    }

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-6 * expected.abs().max(1.0),
            "{actual} != {expected}"
        );
    }

    /// aws-smithy-runtime's `test_calculated_rate_with_successes` (ported by
    /// AWS from aws-sdk-go-v2): the CUBIC curve after a cut from 10 req/s.
    #[test]
    fn the_curve_matches_aws_vectors() {
        let start = Instant::now();
        let mut bucket = Bucket::new(true, None);
        bucket.last_max_rate = 10.0;
        bucket.last_cut = Some(at(start, 5.0));
        for (seconds, expected) in [
            (5.0, 7.0),
            (6.0, 9.64893600966),
            (7.0, 10.000030849917364),
            (8.0, 10.453284520772092),
            (9.0, 13.408697022224185),
            (10.0, 21.26626835427364),
            (11.0, 36.425998516920465),
        ] {
            close(bucket.cubic_success(at(start, seconds)), expected);
        }
    }

    #[test]
    fn nothing_is_paced_until_a_throttle() {
        let start = Instant::now();
        let mut bucket = Bucket::new(true, None);
        for i in 0..1000 {
            let now = at(start, f64::from(i) * 0.001);
            assert_eq!(bucket.try_acquire(now), Ok(()));
            assert_eq!(bucket.record(now, now, false), None);
        }
        assert!(!bucket.is_pacing());
        assert_eq!(bucket.rate(), None);
        assert_eq!(bucket.answered_rate_since_throttled(start), None);
    }

    #[test]
    fn the_first_throttle_cuts_to_beta_of_the_answers_of_the_last_second() {
        let start = Instant::now();
        let mut bucket = Bucket::new(true, None);
        // 100 answers within 20 ms: a gateway's one-second burst.
        for i in 0..100 {
            let now = at(start, f64::from(i) * 0.0002);
            bucket.record(now, now, false);
        }
        let now = at(start, 0.02);
        let cut = bucket
            .record(now, now, true)
            .expect("the first throttle cuts");
        close(cut, 70.0);
        assert!(bucket.is_pacing());
        // The bucket starts empty: the next request waits for one token.
        let wait = bucket.try_acquire(now).expect_err("empty bucket");
        close(wait.as_secs_f64(), 1.0 / 70.0);
        assert_eq!(bucket.try_acquire(now + wait), Ok(()));
    }

    #[test]
    fn throttles_of_requests_sent_before_the_cut_do_not_cut_again() {
        let start = Instant::now();
        let mut bucket = Bucket::new(true, None);
        for _ in 0..100 {
            bucket.record(start, start, false);
        }
        let first = at(start, 0.01);
        close(bucket.record(start, first, true).unwrap(), 70.0);
        // 31 more refusals of requests that were in flight at the cut.
        for i in 0..31 {
            let now = at(start, 0.011 + f64::from(i) * 0.0001);
            assert_eq!(bucket.record(start, now, true), None);
        }
        close(bucket.rate().unwrap(), 70.0);
        assert_eq!(bucket.throttled(), 32);
        // A request sent after the cut and refused is a new episode.
        let later = at(start, 0.5);
        close(bucket.record(later, later, true).unwrap(), 49.0);
    }

    #[test]
    fn the_rate_climbs_back_after_a_cut_but_not_beyond_twice_the_measured_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(true, None);
        for _ in 0..100 {
            bucket.record(start, start, false);
        }
        bucket.record(start, start, true);
        // Answers at the paced rate for 8 s: the rate passes W_max = 100
        // once K = ∛75 ≈ 4.2 s have gone by, then keeps probing upwards.
        let mut now = start;
        let mut rates = Vec::new();
        while now < at(start, 8.0) {
            match bucket.try_acquire(now) {
                Ok(()) => {
                    bucket.record(now, now, false);
                }
                Err(wait) => now += wait,
            }
            rates.push(bucket.rate().unwrap());
        }
        assert!(
            rates.windows(2).all(|pair| pair[1] >= pair[0] - 1e-9),
            "never cut"
        );
        let at_k = bucket.cubic_success(at(start, 75f64.cbrt()));
        close(at_k, 100.0);
        let last = *rates.last().unwrap();
        assert!(last > 100.0 && last < 200.0, "{last}");

        // Silence does not cut the rate, and growth stops at twice the
        // answers of the last second.
        let quiet = at(start, 30.0);
        bucket.record(quiet, quiet, false);
        close(bucket.rate().unwrap(), last);
    }

    #[test]
    fn a_ceiling_paces_from_the_start_and_bounds_the_growth() {
        let start = Instant::now();
        let mut bucket = Bucket::new(true, Some(10.0));
        assert_eq!(bucket.rate(), Some(10.0));
        assert_eq!(bucket.try_acquire(start), Ok(()));
        let wait = bucket
            .try_acquire(start)
            .expect_err("one token to start with");
        close(wait.as_secs_f64(), 0.1);
        // One second later the bucket holds a second's worth, no more.
        let later = at(start, 5.0);
        for _ in 0..10 {
            assert_eq!(bucket.try_acquire(later), Ok(()));
        }
        assert!(bucket.try_acquire(later).is_err());
        // A throttle cuts below the ceiling; recovery never passes it.
        close(bucket.record(later, later, true).unwrap(), 7.0);
        let much_later = at(start, 60.0);
        for _ in 0..50 {
            bucket.record(much_later, much_later, false);
        }
        close(bucket.rate().unwrap(), 10.0);
    }

    #[test]
    fn without_adaptation_throttles_are_only_counted() {
        let start = Instant::now();
        let mut bucket = Bucket::new(false, None);
        assert_eq!(bucket.record(start, start, true), None);
        assert!(!bucket.is_pacing());
        assert_eq!(bucket.throttled(), 1);
        let mut capped = Bucket::new(false, Some(5.0));
        assert_eq!(capped.record(start, start, true), None);
        assert_eq!(capped.rate(), Some(5.0));
    }

    #[test]
    fn the_rate_never_falls_below_the_floor() {
        let start = Instant::now();
        let mut bucket = Bucket::new(true, None);
        // Refused at once, nothing answered: the floor.
        close(bucket.record(start, start, true).unwrap(), MIN_RATE);
        for i in 1..20 {
            let now = at(start, f64::from(i));
            bucket.record(now, now, true);
        }
        close(bucket.rate().unwrap(), MIN_RATE);
        // One request at a time, one every two seconds.
        let now = at(start, 30.0);
        assert_eq!(bucket.try_acquire(now), Ok(()));
        assert_eq!(bucket.try_acquire(now), Err(Duration::from_secs(2)));
    }

    #[test]
    fn answers_since_the_first_throttle_give_the_achieved_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(true, None);
        bucket.record(start, start, true);
        for i in 0..200 {
            let now = at(start, f64::from(i) * 0.01);
            bucket.record(now, now, false);
        }
        close(
            bucket
                .answered_rate_since_throttled(at(start, 2.0))
                .unwrap(),
            100.0,
        );
    }

    #[test]
    fn the_window_forgets_answers_older_than_a_second() {
        let start = Instant::now();
        let mut window = AnswerWindow::default();
        for i in 0..50 {
            window.add(at(start, f64::from(i) * 0.01));
        }
        close(window.rate(at(start, 0.5)), 50.0);
        // The first 100 ms slot (10 answers) has left the window.
        close(window.rate(at(start, 1.05)), 40.0);
        close(window.rate(at(start, 1.5)), 0.0);
        window.add(at(start, 100.0));
        close(window.rate(at(start, 100.0)), 1.0);
    }
}
