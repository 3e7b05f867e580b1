//! The rate a throttled client paces itself to: learned from the gateway's
//! answers, just under the rate the gateway actually serves.
//!
//! Off until the first throttling answer, as in aws-smithy-runtime 1.16.2's
//! adaptive mode (`src/client/retries/client_rate_limiter.rs`, itself a port
//! of aws-sdk-go-v2's), so that an unthrottled client pays nothing. What
//! follows differs from AWS, whose limiter cuts the rate to 0.7 on every
//! throttle and climbs back along a CUBIC curve: against a strict gateway (a
//! token bucket holding a tenth of a second of its rate) that spends much of
//! a run below the line, and its half-second measuring buckets read zero at
//! first, starting it at its 0.5 requests/s floor.
//!
//! **Measuring.** A refusal means the gateway's bucket is empty at that
//! moment. Between two refusals while the client sends faster than the
//! gateway serves (the pace fully used, never idle), the bucket cannot fill,
//! so the requests it let through in between are exactly its rate times the
//! time between them (within one request). The pace is then set just under
//! that rate ([`MARGIN`]), evenly spaced, so that the bucket is never
//! overdrawn.
//!
//! **Finding the rate.** The first throttle starts the pace at the answers
//! of the last second (a gateway's burst, at least); the pace then grows by
//! 75% every [`SEARCH_WAIT`] that it is fully used without a refusal. When
//! refusals come while the pace is fully used, it holds the pace and
//! measures (spending at most [`HOLD_REFUSALS`] refusals on it). A refusal
//! soon after the senders came back from a pause (their calls sat out a
//! `Retry-After`) says the pace overdraws even a refilled bucket: that pace
//! becomes a ceiling and the rate is cut to AWS's 0.7 of it; growth then
//! halves the distance to the ceiling.
//!
//! **After a pause.** While every sender sits out a `Retry-After`, the
//! gateway's bucket refills, by up to its rate times the pause (and no more
//! than it holds). The pace the senders come back to is fully used and not
//! refused while it eats that refill, which says nothing about the rate the
//! gateway sustains: a search growing on it ran far past that rate before
//! the next refusal (40, 70, 122, 214/s against a gateway of 40/s holding a
//! second). So from the senders' return the limiter keeps the gateway's
//! bucket as it would be were the gateway's rate the rate the pace came
//! back at: filled over the pause at that rate, up to the gateway's first
//! burst. While that bucket holds tokens, the pace grows to at most
//! [`AFTER_PAUSE_GROWTH`] times that rate (paced there, it empties in as
//! long as the pause lasted). Once the gateway has let through more than
//! it held (by a search step's worth) without a refusal, it serves more
//! than that rate, and the search goes on; a refusal ends the wait too (it
//! measures, or cuts, as above). When the senders come back, a gateway
//! holding a second at that rate and one ten times as fast holding a tenth
//! of a second look the same (the first burst started the pace at both);
//! the bound costs the second about the pause at twice that rate (+0.7 s
//! of a 10 s fan-out at 100/s in the tests' simulation), a tighter one more.
//!
//! **Probing.** Once measured, the rate rises by 1% after [`PROBE_WAIT`]
//! without a refusal, then 2%, 4%, ... (a gateway's limit can rise, or
//! another client of the account stop), until a refusal measures it again.
//!
//! Kept from AWS: off until the first throttle; the 0.5 requests/s floor;
//! a throttle answering a request sent before the rate last changed says
//! nothing about the new rate (AWS cuts on it; here it neither cuts nor
//! holds); silence never lowers the rate (AWS lets a lull in answers pull it
//! down). An optional ceiling ([`RateLimit::max_rate`]) paces from the start
//! and bounds everything above.
//!
//! [`RateLimit::max_rate`]: super::RateLimit::max_rate

use std::time::Duration;

use tokio::time::Instant;

use super::pace::Pace;

/// The lowest rate, in requests per second (AWS `MIN_FILL_RATE`).
const MIN_RATE: f64 = 0.5;
/// The share of the measured rate the client paces at: close enough that
/// little time is lost, far enough that a measurement one request off (or a
/// gateway a little slower than it was) does not overdraw.
const MARGIN: f64 = 0.98;
/// The share kept when a pace overdraws and could not be measured (AWS
/// `BETA`).
const CUT: f64 = 0.7;
/// While the rate is unknown: how much it grows, and after how long fully
/// used without a refusal.
const SEARCH_STEP: f64 = 1.75;
const SEARCH_WAIT: Duration = Duration::from_millis(150);
/// Once measured: the first probe upwards and how long without a refusal it
/// waits; each further probe is half as large again, up to [`MAX_PROBE`].
const PROBE: f64 = 0.01;
const PROBE_GROWTH: f64 = 1.5;
const MAX_PROBE: f64 = 0.5;
const PROBE_WAIT: Duration = Duration::from_secs(2);
/// Requests let through for a measurement within ~3%.
const PRECISE_SAMPLES: u64 = 30;
/// After a pause, the most the pace grows above the rate it came back at
/// until it has let through more than the pause could have refilled.
const AFTER_PAUSE_GROWTH: f64 = 2.0;
/// The fewest requests a measurement cut short counts.
const ROUGH_SAMPLES: u64 = 3;
/// The most refusals spent holding a pace to measure it.
const HOLD_REFUSALS: u32 = 12;
/// The shortest time a measurement spans (the timers' jitter is a few ms).
const MIN_SPAN: Duration = Duration::from_millis(100);
/// Refusals further apart than this (or than 1.5 × the `Retry-After` the
/// gateway sent) are not one measurement.
const LINK: Duration = Duration::from_millis(1500);
/// A refusal this soon after the senders came back from a pause means the
/// pace overdraws.
const FRESH: Duration = Duration::from_secs(1);

/// What an answer tells the limiter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Answer {
    /// The gateway let the request through (whatever the service answered).
    Admitted,
    /// The gateway refused it, asking to wait this long.
    Throttled { retry_after: Option<Duration> },
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// The gateway's rate is not known: grow fast.
    Search,
    /// Paced just under a measured rate: probe gently, by `probe`.
    Steady { probe: f64 },
}

/// Since the senders came back after leaving the pace unused: the gateway's
/// bucket as it would be if the gateway's rate were the rate the pace came
/// back at. While it holds tokens, what the gateway lets through may be its
/// refill.
#[derive(Clone, Copy, Debug)]
struct Refilled {
    /// The rate the pace came back at, which refills this bucket.
    rate: f64,
    /// What this bucket holds at most: the gateway's first burst.
    size: f64,
    /// Its tokens (below zero: overdrawn) at `at`, when `admitted`
    /// requests had been let through all told.
    tokens: f64,
    at: Instant,
    admitted: u64,
}

impl Refilled {
    /// The bucket after a pause of `paused` (it filled meanwhile) for a pace
    /// back at `rate`.
    fn new(rate: f64, size: f64, paused: Duration, now: Instant, admitted: u64) -> Self {
        Refilled {
            rate,
            size,
            tokens: (rate * paused.as_secs_f64()).min(size),
            at: now,
            admitted,
        }
    }

    /// The most the pace may grow to as of `now`; `None` once the gateway
    /// has let through more than this bucket held (by a search step's
    /// worth, so that a gateway serving exactly `rate` cannot pass for a
    /// faster one as its own bucket runs dry): it serves more than `rate`.
    fn bound(&mut self, now: Instant, admitted: u64) -> Option<f64> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        // Taken, then refilled: a full bucket loses nothing to its size
        // while it is being drawn from.
        let taken = (admitted - self.admitted) as f64;
        self.tokens = (self.tokens - taken + self.rate * elapsed).min(self.size);
        self.at = self.at.max(now);
        self.admitted = admitted;
        let step = (AFTER_PAUSE_GROWTH - 1.0) * self.rate * SEARCH_WAIT.as_secs_f64();
        (self.tokens > -step).then_some(self.rate * AFTER_PAUSE_GROWTH)
    }
}

/// Refusals of a fully used pace, linked: the gateway's rate in between.
#[derive(Clone, Copy, Debug)]
struct Measurement {
    since: Instant,
    admitted: u64,
    refusals: u32,
}

/// The pacing state of one client. Every method takes the time, so tests
/// drive it without waiting.
#[derive(Debug)]
pub(crate) struct Limiter {
    /// Learn from throttles; off, only `max_rate` paces.
    adaptive: bool,
    max_rate: Option<f64>,
    /// `None` while sending is not paced.
    pace: Option<Pace>,
    phase: Phase,
    /// When the rate last changed.
    changed: Option<Instant>,
    /// The lowest pace seen to overdraw since the rate was last measured.
    ceiling: Option<f64>,
    measurement: Option<Measurement>,
    last_refusal: Option<Instant>,
    /// When the senders came back after leaving the pace unused, and the
    /// admitted count then.
    resumed: Option<(Instant, u64)>,
    /// Since the senders came back, until the refill of their pause is
    /// spent or a refusal comes.
    refilled: Option<Refilled>,
    /// Requests the gateway let through, all told.
    admitted: u64,
    answers: AnswerWindow,
    throttled: u64,
    first_throttle: Option<Instant>,
    admitted_at_first_throttle: u64,
    /// The answers of the second before the first throttle: the most the
    /// gateway's bucket is taken to hold.
    first_burst: f64,
}

impl Limiter {
    /// A limiter that adapts (or not) under an optional ceiling; with one it
    /// paces from the start, the first request at once.
    pub(crate) fn new(adaptive: bool, max_rate: Option<f64>) -> Self {
        Limiter {
            adaptive,
            max_rate,
            pace: max_rate.map(|rate| Pace::new(rate.max(MIN_RATE), 1.0)),
            phase: Phase::Steady { probe: PROBE },
            changed: None,
            ceiling: None,
            measurement: None,
            last_refusal: None,
            resumed: None,
            refilled: None,
            admitted: 0,
            answers: AnswerWindow::default(),
            throttled: 0,
            first_throttle: None,
            admitted_at_first_throttle: 0,
            first_burst: 0.0,
        }
    }

    /// Whether senders must take a token.
    pub(crate) fn is_pacing(&self) -> bool {
        self.pace.is_some()
    }

    /// The rate the client paces itself to, when it does.
    pub(crate) fn rate(&self) -> Option<f64> {
        self.pace.as_ref().map(Pace::rate)
    }

    /// Throttling answers seen.
    pub(crate) fn throttled(&self) -> u64 {
        self.throttled
    }

    /// Answers per second since the first throttling answer.
    pub(crate) fn answered_rate_since_throttled(&self, now: Instant) -> Option<f64> {
        let since = now.saturating_duration_since(self.first_throttle?);
        let answered = self.admitted - self.admitted_at_first_throttle;
        Some(answered as f64 / since.as_secs_f64().max(1.0))
    }

    /// Takes a token to send one request, or says how long to wait before
    /// asking again.
    pub(crate) fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        self.grow(now);
        match &mut self.pace {
            None => Ok(()),
            Some(pace) => pace.try_acquire(now),
        }
    }

    /// The sender told to wait gave up.
    pub(crate) fn stop_waiting(&mut self) {
        if let Some(pace) = &mut self.pace {
            pace.stop_waiting();
        }
    }

    /// Learns from the answer to a request sent at `sent_at`.
    pub(crate) fn record(&mut self, sent_at: Instant, now: Instant, answer: Answer) {
        self.note_resumption(now);
        match answer {
            Answer::Admitted => {
                self.admitted += 1;
                self.answers.add(now);
                self.grow(now);
            }
            Answer::Throttled { retry_after } => self.refused(sent_at, now, retry_after),
        }
    }

    fn refused(&mut self, sent_at: Instant, now: Instant, retry_after: Option<Duration>) {
        self.throttled += 1;
        if self.first_throttle.is_none() {
            self.first_throttle = Some(now);
            self.admitted_at_first_throttle = self.admitted;
        }
        if !self.adaptive {
            return;
        }
        let previous = self.last_refusal.replace(now);
        if self.resumed.is_some_and(|(resumed, _)| sent_at >= resumed) {
            // Refused since the senders came back: the refill is spent.
            self.refilled = None;
        }
        let Some(pace) = &mut self.pace else {
            // The first throttle: pace from here, at the answers of the
            // last second (the gateway's burst, at least), from empty.
            let rate = self.answers.rate(now);
            self.first_burst = rate;
            self.pace = Some(Pace::new(MIN_RATE, 0.0));
            self.phase = Phase::Search;
            self.measurement = Some(Measurement::new(now, self.admitted));
            self.set_rate(now, rate);
            return;
        };
        let unused_at = pace.unused_at(now);
        let rate = pace.rate();
        let link = LINK.max(retry_after.unwrap_or_default().mul_f64(1.5));
        let linked = previous.is_some_and(|previous| {
            now.saturating_duration_since(previous) <= link
                && unused_at.is_none_or(|unused| previous >= unused)
        });
        // Sent after the requests of an earlier rate had all reached the
        // gateway (they take as long as this one did to be answered)?
        let in_flight = now.saturating_duration_since(sent_at);
        let sent_at_this_rate = self
            .changed
            .is_none_or(|changed| sent_at.saturating_duration_since(changed) >= in_flight);
        if let Some(measurement) = self.measurement.as_mut().filter(|_| linked) {
            // Only refusals of this pace count against holding it.
            measurement.refusals += u32::from(sent_at_this_rate);
            let span = now.saturating_duration_since(measurement.since);
            if span < MIN_SPAN {
                return;
            }
            let got = self.admitted - measurement.admitted;
            let measured = got as f64 / span.as_secs_f64();
            if got >= PRECISE_SAMPLES {
                self.learn(now, measured);
            } else if got >= ROUGH_SAMPLES
                && (measurement.refusals >= HOLD_REFUSALS
                    || u64::from(measurement.refusals) > got + 2)
            {
                // Enough refusals spent: a rougher measure will do.
                self.learn(now, measured);
            } else if measurement.refusals >= HOLD_REFUSALS {
                self.measurement = None;
                self.overdrawn(now);
            }
            return;
        }
        self.measurement = Some(Measurement::new(now, self.admitted));
        if !sent_at_this_rate {
            // Sent at an earlier rate: it says nothing about this one.
            return;
        }
        let fully_used_for =
            unused_at.map_or(FRESH, |unused| now.saturating_duration_since(unused));
        let first_at_this_rate = previous
            .zip(self.changed)
            .is_none_or(|(previous, changed)| previous <= changed);
        if fully_used_for >= FRESH && first_at_this_rate {
            // A refusal after a long stretch at this pace: hold it and
            // measure; it overdraws, so growth stops below it.
            self.lower_ceiling(rate);
            return;
        }
        // Refused soon after the senders came back: the pace overdraws even
        // a bucket that refilled meanwhile. What got through since then
        // bounds the gateway's rate from above too.
        if let Some((resumed, admitted)) = self.resumed
            && self.first_throttle.is_some_and(|first| resumed > first)
            && self.changed.is_some_and(|changed| changed <= resumed)
        {
            let since = now.saturating_duration_since(resumed);
            if since >= Duration::from_millis(50) {
                self.lower_ceiling((self.admitted - admitted) as f64 / since.as_secs_f64());
            }
        }
        self.overdrawn(now);
    }

    /// The pace overdraws and could not be measured: cut it.
    fn overdrawn(&mut self, now: Instant) {
        let Some(rate) = self.rate() else { return };
        self.lower_ceiling(rate);
        self.phase = Phase::Search;
        let cut = (rate * CUT).min(self.ceiling.unwrap_or(rate));
        self.set_rate(now, cut);
    }

    fn lower_ceiling(&mut self, rate: f64) {
        self.ceiling = Some(self.ceiling.map_or(rate, |ceiling| ceiling.min(rate)));
    }

    /// Paces just under a measured rate of the gateway.
    fn learn(&mut self, now: Instant, rate: f64) {
        tracing::debug!(rate, "measured the gateway's rate");
        self.phase = Phase::Steady { probe: PROBE };
        self.ceiling = None;
        self.measurement = None;
        self.set_rate(now, rate * MARGIN);
    }

    /// Raises the rate when the pace has been fully used for a while
    /// without a refusal.
    fn grow(&mut self, now: Instant) {
        if !self.adaptive || self.first_throttle.is_none() {
            return;
        }
        let admitted = self.admitted;
        let refilled = self
            .refilled
            .as_mut()
            .and_then(|refilled| refilled.bound(now, admitted));
        if refilled.is_none() {
            self.refilled = None;
        }
        let refilled = refilled.unwrap_or(f64::INFINITY);
        let Some(pace) = &mut self.pace else { return };
        let wait = match self.phase {
            Phase::Search => SEARCH_WAIT,
            Phase::Steady { .. } => PROBE_WAIT,
        }
        // A slow pace shows it is fully used only over a few of its tokens.
        .max(Duration::from_secs_f64(2.0 / pace.rate()));
        let quiet_since = [self.changed, self.last_refusal, pace.unused_at(now)]
            .into_iter()
            .flatten()
            .max();
        if quiet_since.is_some_and(|since| now.saturating_duration_since(since) < wait) {
            return;
        }
        let rate = pace.rate();
        if refilled <= rate {
            return;
        }
        self.measurement = None;
        if self.phase == Phase::Search {
            match self.ceiling {
                None => return self.set_rate(now, (rate * SEARCH_STEP).min(refilled)),
                // Halfway to the ceiling; once there, probe past it gently.
                Some(ceiling) if (rate + ceiling) / 2.0 >= rate * 1.02 => {
                    let grown = (rate * SEARCH_STEP).min((rate + ceiling) / 2.0);
                    return self.set_rate(now, grown.min(refilled));
                }
                Some(_) => {
                    self.ceiling = None;
                    self.phase = Phase::Steady { probe: PROBE };
                }
            }
        }
        if let Phase::Steady { probe } = &mut self.phase {
            let grown = rate * (1.0 + *probe);
            *probe = (*probe * PROBE_GROWTH).min(MAX_PROBE);
            self.set_rate(now, grown.min(refilled));
        }
    }

    fn set_rate(&mut self, now: Instant, rate: f64) {
        let Some(pace) = &mut self.pace else { return };
        let rate = self
            .max_rate
            .map_or(rate, |max| rate.min(max))
            .max(MIN_RATE);
        tracing::trace!(rate, "pace");
        pace.set_rate(rate, now);
        self.changed = Some(now);
    }

    /// Notes when the senders come back after leaving the pace unused.
    fn note_resumption(&mut self, now: Instant) {
        let Some(pace) = &mut self.pace else { return };
        let Some(unused_at) = pace.unused_at(now) else {
            return;
        };
        if self.resumed.is_none_or(|(resumed, _)| unused_at > resumed) {
            self.resumed = Some((unused_at, self.admitted));
            if self.refilled.is_none() {
                let paused = pace.last_pause(now);
                let refilled =
                    Refilled::new(pace.rate(), self.first_burst, paused, now, self.admitted);
                self.refilled = Some(refilled);
            }
        }
    }
}

impl Measurement {
    fn new(since: Instant, admitted: u64) -> Self {
        Measurement {
            since,
            admitted,
            refusals: 0,
        }
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

    fn refusal() -> Answer {
        Answer::Throttled {
            retry_after: Some(Duration::from_secs(1)),
        }
    }

    /// Sends as fast as the pace allows from `from` to `until`, and has the
    /// gateway (`admits`) answer each at once. Returns when it stopped.
    fn send_paced(
        limiter: &mut Limiter,
        from: Instant,
        until: Instant,
        mut admits: impl FnMut(Instant) -> bool,
    ) -> Instant {
        let mut now = from;
        while now < until {
            match limiter.try_acquire(now) {
                Ok(()) => {
                    let answer = if admits(now) {
                        Answer::Admitted
                    } else {
                        refusal()
                    };
                    limiter.record(now, now, answer);
                }
                Err(wait) => now += wait,
            }
        }
        now
    }

    /// A strict gateway: a token bucket of `rate` per second holding
    /// `burst`, full at `start`.
    fn gateway(rate: f64, burst: f64, start: Instant) -> impl FnMut(Instant) -> bool {
        let (mut tokens, mut last) = (burst, start);
        move |now| {
            tokens = (tokens + (now - last).as_secs_f64() * rate).min(burst);
            last = now;
            let admitted = tokens >= 1.0;
            if admitted {
                tokens -= 1.0;
            }
            admitted
        }
    }

    #[test]
    fn nothing_is_paced_until_a_throttle() {
        let start = Instant::now();
        let mut limiter = Limiter::new(true, None);
        for i in 0..1000 {
            let now = at(start, f64::from(i) * 0.001);
            assert_eq!(limiter.try_acquire(now), Ok(()));
            limiter.record(now, now, Answer::Admitted);
        }
        assert!(!limiter.is_pacing());
        assert_eq!(limiter.rate(), None);
        assert_eq!(limiter.answered_rate_since_throttled(start), None);
    }

    #[test]
    fn the_first_throttle_paces_at_the_answers_of_the_last_second_from_empty() {
        let start = Instant::now();
        let mut limiter = Limiter::new(true, None);
        // 100 answers within 20 ms: a gateway's one-second burst.
        for i in 0..100 {
            let now = at(start, f64::from(i) * 0.0002);
            limiter.record(now, now, Answer::Admitted);
        }
        let now = at(start, 0.02);
        limiter.record(now, now, refusal());
        close(limiter.rate().expect("pacing"), 100.0);
        let wait = limiter.try_acquire(now).expect_err("no token yet");
        close(wait.as_secs_f64(), 0.01);
        assert_eq!(limiter.try_acquire(now + wait), Ok(()));
        // Nothing answered before: the floor.
        let mut limiter = Limiter::new(true, None);
        limiter.record(start, start, refusal());
        close(limiter.rate().unwrap(), MIN_RATE);
    }

    #[test]
    fn a_fully_used_pace_grows_until_refused_then_holds_and_measures_the_gateway() {
        let start = Instant::now();
        // A strict gateway: 100 requests/s, a bucket of 10.
        let mut admits = gateway(100.0, 10.0, start);
        let mut limiter = Limiter::new(true, None);
        // Its burst goes through, then it refuses.
        for _ in 0..10 {
            assert!(admits(start));
            limiter.record(start, start, Answer::Admitted);
        }
        assert!(!admits(start));
        limiter.record(start, start, refusal());
        close(limiter.rate().unwrap(), 10.0);
        // Fully used and never refused, the pace grows by 75% every
        // 150 ms: 10, 17.5, 30.6, ... until it passes the gateway's rate.
        let mut rates = vec![10.0];
        let mut now = start;
        while limiter.throttled() == 1 {
            now = send_paced(
                &mut limiter,
                now,
                now + Duration::from_millis(1),
                &mut admits,
            );
            let rate = limiter.rate().unwrap();
            if rate != *rates.last().unwrap() {
                rates.push(rate);
            }
        }
        for pair in rates.windows(2) {
            close(pair[1], pair[0] * SEARCH_STEP);
        }
        assert!(*rates.last().unwrap() > 100.0, "{rates:?}");
        // Refused while fully used: it holds the pace and counts what gets
        // through until the next refusals, then paces just under it.
        let overdrawing = limiter.rate().unwrap();
        while limiter.rate() == Some(overdrawing) {
            now = send_paced(
                &mut limiter,
                now,
                now + Duration::from_millis(1),
                &mut admits,
            );
        }
        let learned = limiter.rate().unwrap();
        assert!(
            (learned - 98.0).abs() < 98.0 * 0.035,
            "{learned} (measured within a request of 30)"
        );
        // The refusal that started the measurement, and those it held for.
        assert!(
            limiter.throttled() - 1 <= 1 + u64::from(HOLD_REFUSALS),
            "{}",
            limiter.throttled()
        );
        // From then on the gateway's bucket hardly runs dry: over the next
        // ten seconds, the probes upwards cost a refusal or two, and the pace
        // uses ~98% of the rate.
        let throttled = limiter.throttled();
        let mut admitted = 0;
        send_paced(&mut limiter, now, now + Duration::from_secs(10), |t| {
            let yes = admits(t);
            admitted += u64::from(yes);
            yes
        });
        assert!(
            limiter.throttled() - throttled <= 4,
            "{}",
            limiter.throttled()
        );
        assert!(admitted >= 970, "{admitted}");
    }

    #[test]
    fn a_refusal_of_a_request_sent_at_an_earlier_rate_changes_nothing() {
        let start = Instant::now();
        let mut limiter = Limiter::new(true, None);
        for _ in 0..50 {
            limiter.record(start, start, Answer::Admitted);
        }
        let first = at(start, 0.01);
        limiter.record(start, first, refusal());
        close(limiter.rate().unwrap(), 50.0);
        // 31 more refusals of requests that were in flight at the first.
        for i in 0..31 {
            let now = at(start, 0.011 + f64::from(i) * 0.0001);
            limiter.record(start, now, refusal());
        }
        close(limiter.rate().unwrap(), 50.0);
        assert_eq!(limiter.throttled(), 32);
    }

    #[test]
    fn a_refusal_soon_after_the_senders_return_cuts_below_a_ceiling() {
        let start = Instant::now();
        let mut limiter = Limiter::new(true, None);
        for _ in 0..40 {
            limiter.record(start, start, Answer::Admitted);
        }
        limiter.record(start, start, refusal());
        close(limiter.rate().unwrap(), 40.0);
        // Every sender sits out a Retry-After: the pace goes unused for a
        // second, and nothing grows meanwhile.
        let back = at(start, 1.0);
        assert_eq!(limiter.try_acquire(back), Ok(()));
        close(limiter.rate().unwrap(), 40.0);
        // Back and at once refused: 40/s overdraws even a refilled bucket.
        let refused = at(start, 1.02);
        limiter.record(refused, refused, refusal());
        close(limiter.rate().unwrap(), 40.0 * CUT);
        // Fully used without a refusal, it grows halfway to the ceiling
        // every 150 ms; within 2% of it, it probes past it gently (+1%,
        // then +1.5% two seconds later).
        let mut now = refused;
        let mut rates = vec![limiter.rate().unwrap()];
        while rates.len() < 6 {
            now = send_paced(&mut limiter, now, now + Duration::from_millis(10), |_| true);
            let rate = limiter.rate().unwrap();
            if rate != *rates.last().unwrap() {
                rates.push(rate);
            }
        }
        for (rate, expected) in rates
            .iter()
            .zip([28.0, 34.0, 37.0, 38.5, 38.885, 39.468_275])
        {
            close(*rate, expected);
        }
    }

    /// The pace after a second's pause, fully used: the highest rate before
    /// the next refusal, and when it first passed twice the rate it came
    /// back at (40/s).
    fn after_a_pause(gateway_rate: f64) -> (f64, Option<Duration>) {
        let start = Instant::now();
        // A first burst of 40 at once, then refused: paced at 40/s.
        let mut admits = gateway(gateway_rate, 40.0, start);
        let mut limiter = Limiter::new(true, None);
        while admits(start) {
            limiter.record(start, start, Answer::Admitted);
        }
        limiter.record(start, start, refusal());
        close(limiter.rate().unwrap(), 40.0);
        // Every sender sits out a second; the bucket refills meanwhile.
        let back = at(start, 1.0);
        let (mut now, mut highest, mut past_twice) = (back, 0.0_f64, None);
        while limiter.throttled() == 1 && now < at(start, 10.0) {
            now = send_paced(
                &mut limiter,
                now,
                now + Duration::from_millis(1),
                &mut admits,
            );
            highest = highest.max(limiter.rate().unwrap());
            if highest > 80.0 && past_twice.is_none() {
                past_twice = Some(now - back);
            }
        }
        assert_eq!(limiter.throttled(), 2, "refused again");
        (highest, past_twice)
    }

    #[test]
    fn after_a_pause_the_pace_stays_within_twice_its_rate_until_the_refill_is_spent() {
        // A gateway serving 40/s: the bucket's 40 tokens kept a pace of
        // 80/s going for a second, and no further.
        let (highest, past_twice) = after_a_pause(40.0);
        close(highest, 80.0);
        assert_eq!(past_twice, None);
        // A gateway serving 400/s: once the pace has let through, on top of
        // 40/s, more than 40/s refills over the pause (which began when the
        // pace's token was full, 26 ms after the refusal) and a search
        // step's worth (6), the refill cannot explain it: the search goes on.
        let (highest, past_twice) = after_a_pause(400.0);
        assert!(highest > 400.0, "{highest}");
        let past_twice = past_twice.expect("grew past twice").as_secs_f64();
        // 150 ms at 40/s, 150 ms at 70/s (4.5 on top), then at 80/s.
        let refill = 40.0 * (1.0 - 1.04 / 40.0);
        let expected = 0.3 + (refill + 6.0 - 4.5) / 40.0;
        assert!((past_twice - expected).abs() < 0.01, "{past_twice} s");
    }

    #[test]
    fn probes_start_small_and_grow_while_nothing_is_refused() {
        let start = Instant::now();
        let mut limiter = Limiter::new(true, None);
        limiter.record(start, start, refusal());
        limiter.learn(start, 100.0);
        let mut now = start;
        let mut rates = vec![limiter.rate().unwrap()];
        while now < at(start, 9.0) {
            now = send_paced(&mut limiter, now, now + Duration::from_millis(10), |_| true);
            let rate = limiter.rate().unwrap();
            if rate != *rates.last().unwrap() {
                rates.push(rate);
            }
        }
        // One probe every two seconds: +1%, +1.5%, +2.25%, +3.375%.
        assert_eq!(rates.len(), 5, "{rates:?}");
        for (pair, gain) in rates.windows(2).zip([0.01, 0.015, 0.0225, 0.03375]) {
            close(pair[1], pair[0] * (1.0 + gain));
        }
    }

    #[test]
    fn an_unused_pace_does_not_grow() {
        let start = Instant::now();
        let mut limiter = Limiter::new(true, None);
        for _ in 0..10 {
            limiter.record(start, start, Answer::Admitted);
        }
        limiter.record(start, start, refusal());
        // One request every half second, at a pace of 10/s: no growth.
        for i in 1..20 {
            let now = at(start, f64::from(i) * 0.5);
            assert_eq!(limiter.try_acquire(now), Ok(()));
            limiter.record(now, now, Answer::Admitted);
        }
        close(limiter.rate().unwrap(), 10.0);
    }

    #[test]
    fn a_ceiling_paces_from_the_start_and_bounds_everything() {
        let start = Instant::now();
        let mut limiter = Limiter::new(true, Some(10.0));
        assert_eq!(limiter.rate(), Some(10.0));
        assert_eq!(limiter.try_acquire(start), Ok(()));
        let wait = limiter
            .try_acquire(start)
            .expect_err("one token to start with");
        close(wait.as_secs_f64(), 0.1);
        // Paced at the ceiling, the gateway never refuses, nothing grows.
        let mut admits = gateway(20.0, 20.0, start);
        send_paced(&mut limiter, start, at(start, 10.0), &mut admits);
        assert_eq!(limiter.throttled(), 0);
        close(limiter.rate().unwrap(), 10.0);
        // A gateway slower than the ceiling: measured, and never passed.
        let mut limiter = Limiter::new(true, Some(10.0));
        let mut admits = gateway(5.0, 5.0, start);
        let end = send_paced(&mut limiter, start, at(start, 30.0), &mut admits);
        let rate = limiter.rate().unwrap();
        assert!(rate <= 10.0 && rate > 4.0, "{rate}");
        let throttled = limiter.throttled();
        send_paced(&mut limiter, end, at(start, 60.0), &mut admits);
        assert!(limiter.rate().unwrap() <= 10.0);
        assert!(limiter.throttled() - throttled <= 3 * u64::from(HOLD_REFUSALS));
    }

    #[test]
    fn without_adaptation_throttles_are_only_counted() {
        let start = Instant::now();
        let mut limiter = Limiter::new(false, None);
        limiter.record(start, start, refusal());
        assert!(!limiter.is_pacing());
        assert_eq!(limiter.throttled(), 1);
        let mut capped = Limiter::new(false, Some(5.0));
        capped.record(start, start, refusal());
        assert_eq!(capped.rate(), Some(5.0));
    }

    #[test]
    fn the_rate_never_falls_below_the_floor() {
        let start = Instant::now();
        let mut limiter = Limiter::new(true, None);
        // Refused at once, nothing answered: the floor, one request every
        // two seconds.
        limiter.record(start, start, refusal());
        close(limiter.rate().unwrap(), MIN_RATE);
        assert_eq!(limiter.try_acquire(start), Err(Duration::from_secs(2)));
        // Every request refused for a minute: it stays there.
        let mut now = start;
        while now < at(start, 60.0) {
            match limiter.try_acquire(now) {
                Ok(()) => limiter.record(now, now, refusal()),
                Err(wait) => now += wait,
            }
            assert!(limiter.rate().unwrap() >= MIN_RATE);
        }
        close(limiter.rate().unwrap(), MIN_RATE);
    }

    #[test]
    fn answers_since_the_first_throttle_give_the_achieved_rate() {
        let start = Instant::now();
        let mut limiter = Limiter::new(true, None);
        limiter.record(start, start, refusal());
        for i in 0..200 {
            let now = at(start, f64::from(i) * 0.01);
            limiter.record(now, now, Answer::Admitted);
        }
        close(
            limiter
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
