//! Progress on stderr: a bar over a `status` fan-out and a spinner while
//! waiting (indicatif, on a terminal only), plain lines for logs, or nothing.
//!
//! Frames are drawn by [`Drawing::frame`], which the command calls every
//! [`FRAME`]: at most ten a second, however fast the answers come. While a
//! frame is on screen, the lines that would tear it (log lines, and stdout's
//! when stdout is the same kind of terminal) are held and written between two
//! frames, in the same redraw. stdout is never written by the drawing itself.

use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use indicatif::{
    HumanDuration, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle, TermLike,
};
use mrs_iam_sync::{Client, Error, WaitOptions, WaitProgress};
use tokio::time::{Instant, Interval, MissedTickBehavior};

/// How progress is shown, on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A bar or spinner redrawn in place (a terminal).
    Draw,
    /// Plain lines: `status` every [`LINE_EVERY`], waiting at each poll.
    Lines,
    /// Nothing.
    Quiet,
}

/// The time between two frames: at most ten redraws a second.
pub const FRAME: Duration = Duration::from_millis(100);
/// The time between two progress lines of `--progress lines` (and one at
/// the end).
pub const LINE_EVERY: Duration = Duration::from_secs(3);

/// The spinner's frames; the last is shown once finished (never: the
/// drawing is cleared).
const SPINNER: &str = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ";

/// Output held back while something is drawn.
struct Held {
    bar: ProgressBar,
    /// stdout is a terminal too: its lines would land inside the frame.
    hold_stdout: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Held {
    fn has_output(&self) -> bool {
        !(self.stdout.is_empty() && self.stderr.is_empty())
    }
}

/// The one drawing of the process, if any, and what waits to be written.
static HELD: Mutex<Option<Held>> = Mutex::new(None);
/// Whether [`HELD`] holds a drawing: the lock-free check of every line.
static DRAWING: AtomicBool = AtomicBool::new(false);

fn held() -> MutexGuard<'static, Option<Held>> {
    // Every critical section leaves the buffers consistent.
    HELD.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes to stdout, or holds the bytes until the next frame when the
/// drawing shares a terminal with stdout. A closed pipe drops them.
pub fn write_stdout(bytes: &[u8]) {
    if DRAWING.load(Ordering::Acquire)
        && let Some(held) = held().as_mut()
        && held.hold_stdout
    {
        held.stdout.extend_from_slice(bytes);
        return;
    }
    let _ = std::io::stdout().lock().write_all(bytes);
}

/// Writes to stderr, or holds the bytes until the next frame while
/// something is drawn there.
pub fn write_stderr(bytes: &[u8]) {
    if DRAWING.load(Ordering::Acquire)
        && let Some(held) = held().as_mut()
    {
        held.stderr.extend_from_slice(bytes);
        return;
    }
    let _ = std::io::stderr().lock().write_all(bytes);
}

/// Writes held output where it belongs.
fn write_out(stdout: &[u8], stderr: &[u8]) {
    if !stdout.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(stdout);
        let _ = out.flush();
    }
    if !stderr.is_empty() {
        let _ = std::io::stderr().lock().write_all(stderr);
    }
}

/// Clears whatever is drawn and writes what was held: for a process about
/// to exit at once (a second Ctrl-C).
pub fn abandon() {
    let taken = {
        let mut held = held();
        DRAWING.store(false, Ordering::Release);
        held.take()
    };
    if let Some(held) = taken {
        held.bar.finish_and_clear();
        write_out(&held.stdout, &held.stderr);
    }
}

/// A bar or spinner on stderr, from its first frame until it is cleared.
struct Drawing {
    bar: ProgressBar,
    /// The last frame wrote held output (with the old state): the next one
    /// shows the new state, so that neither waits more than a frame.
    flushed: bool,
}

impl Drawing {
    /// Starts drawing `bar`, unless stderr cannot show it (not a terminal,
    /// or `TERM=dumb`: see [`stderr_target`]).
    fn start(bar: ProgressBar) -> Option<Drawing> {
        if bar.is_hidden() {
            return None;
        }
        *held() = Some(Held {
            bar: bar.clone(),
            hold_stdout: std::io::stdout().is_terminal(),
            stdout: Vec::new(),
            stderr: Vec::new(),
        });
        DRAWING.store(true, Ordering::Release);
        Some(Drawing {
            bar,
            flushed: false,
        })
    }

    /// One frame: either the held output, written around one redraw, or
    /// `update`, which redraws with the new state. One redraw either way.
    fn frame(&mut self, update: impl FnOnce(&ProgressBar)) {
        let (stdout, stderr) = match held().as_mut() {
            Some(held) if !self.flushed && held.has_output() => (
                std::mem::take(&mut held.stdout),
                std::mem::take(&mut held.stderr),
            ),
            _ => {
                self.flushed = false;
                update(&self.bar);
                return;
            }
        };
        self.flushed = true;
        self.bar.suspend(|| write_out(&stdout, &stderr));
    }
}

impl Drop for Drawing {
    /// Clears the drawing and writes what it held, however the command ends.
    fn drop(&mut self) {
        abandon();
    }
}

/// stderr as indicatif draws on it, when it is a terminal that can show a
/// drawing (not `TERM=dumb`).
fn stderr_target() -> ProgressDrawTarget {
    let term = console::Term::buffered_stderr();
    if !term.is_term() || std::env::var_os("TERM").is_some_and(|name| name == "dumb") {
        return ProgressDrawTarget::hidden();
    }
    ProgressDrawTarget::term_like_with_hz(Box::new(Unpadded(term)), 10)
}

/// The terminal without the blanks indicatif pads each drawn line with to
/// the terminal's width. Padded, the cursor waits in the last column, so the
/// `^C` the terminal echoes at Ctrl-C wraps to a new line and the final
/// clear misses the bar's line; unpadded, the echo lands on the bar's line
/// and is cleared with it (each redraw clears the line first anyway).
#[derive(Debug)]
struct Unpadded(console::Term);

impl TermLike for Unpadded {
    fn width(&self) -> u16 {
        self.0.width()
    }

    fn height(&self) -> u16 {
        self.0.height()
    }

    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_up(n)
    }

    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_down(n)
    }

    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_right(n)
    }

    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_left(n)
    }

    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.0.write_line(s)
    }

    fn write_str(&self, s: &str) -> std::io::Result<()> {
        // The padding comes in a write of its own; a drawn line never is
        // blanks only (it starts with the spinner).
        if !s.is_empty() && s.bytes().all(|b| b == b' ') {
            return Ok(());
        }
        self.0.write_str(s)
    }

    fn clear_line(&self) -> std::io::Result<()> {
        self.0.clear_line()
    }

    fn flush(&self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// A tick every [`FRAME`] (none missed in a burst).
fn frames() -> Interval {
    let mut ticks = tokio::time::interval(FRAME);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticks
}

/// The progress of a `status` fan-out: done/total, rate, ETA, failures so
/// far, and the rate the client slowed to if the gateway throttles.
pub struct Fanout {
    mode: Mode,
    /// The rate and ETA estimator (indicatif's), drawn or not.
    bar: ProgressBar,
    drawing: Option<Drawing>,
    done: u64,
    failed: Arc<AtomicU64>,
    client: Client,
    ticks: Option<Interval>,
    next_line: Instant,
}

impl Fanout {
    /// Progress over `total` clusters asked through `client`; none for a
    /// single cluster.
    pub fn start(mode: Mode, total: usize, client: &Client) -> Fanout {
        let mode = if total > 1 { mode } else { Mode::Quiet };
        let total = total as u64;
        let failed = Arc::new(AtomicU64::new(0));
        let (bar, drawing) = if mode == Mode::Draw {
            let bar = ProgressBar::with_draw_target(Some(total), stderr_target())
                .with_style(fanout_style(failed.clone(), client.clone()));
            let drawing = Drawing::start(bar.clone());
            (bar, drawing)
        } else {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
            (bar, None)
        };
        let mode = match (mode, &drawing) {
            (Mode::Draw, None) => Mode::Quiet,
            (mode, _) => mode,
        };
        Fanout {
            mode,
            bar,
            drawing,
            done: 0,
            failed,
            client: client.clone(),
            ticks: (mode != Mode::Quiet).then(frames),
            next_line: Instant::now() + LINE_EVERY,
        }
    }

    /// One cluster answered (or failed).
    pub fn answered(&mut self, failed: bool) {
        self.done += 1;
        if failed {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Resolves at the next frame; never when nothing is shown.
    pub async fn next_frame(&mut self) {
        match &mut self.ticks {
            Some(ticks) => {
                ticks.tick().await;
            }
            None => std::future::pending().await,
        }
    }

    /// Shows the progress: a frame of the bar, or a line when one is due.
    pub fn show(&mut self) {
        let done = self.done;
        match (&mut self.drawing, self.mode) {
            (Some(drawing), _) => drawing.frame(|bar| bar.set_position(done)),
            (None, Mode::Lines) => {
                self.bar.set_position(done);
                if Instant::now() >= self.next_line {
                    self.next_line = Instant::now() + LINE_EVERY;
                    let line = format!("progress: {}\n", self.summary());
                    write_stderr(line.as_bytes());
                }
            }
            _ => {}
        }
    }

    /// `1234 of 10000 clusters (12%), 97/s, ETA 1m, 3 failed, throttled: ...`
    fn summary(&self) -> String {
        let total = self.bar.length().unwrap_or(0);
        let percent = (self.done * 100).checked_div(total).unwrap_or(100);
        format!(
            "{} of {total} clusters ({percent}%), {:.0}/s, ETA {:#}{}{}",
            self.done,
            self.bar.per_sec(),
            HumanDuration(self.bar.eta()),
            failed_note(self.failed.load(Ordering::Relaxed)),
            throttled_note(&self.client),
        )
    }

    /// Clears the bar (stdout keeps everything written meanwhile); in
    /// lines mode, says where the run ended.
    pub fn finish(mut self) {
        drop(self.drawing.take());
        if self.mode == Mode::Lines {
            self.bar.set_position(self.done);
            let line = format!("progress: {}\n", self.summary());
            write_stderr(line.as_bytes());
        }
    }
}

/// `⠹ 1234/10000 clusters [=====>        ] 12% 97/s ETA 1m, 3 failed, throttled: ...`
fn fanout_style(failed: Arc<AtomicU64>, client: Client) -> ProgressStyle {
    ProgressStyle::with_template(
        "{spinner} {pos}/{len} clusters [{bar:24}] {percent}% {rate} ETA {eta}{failed}{throttled}",
    )
    .expect("a valid template")
    .tick_chars(SPINNER)
    .progress_chars("=> ")
    .with_key(
        "rate",
        |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0}/s", state.per_sec());
        },
    )
    .with_key(
        "failed",
        move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&failed_note(failed.load(Ordering::Relaxed)));
        },
    )
    .with_key(
        "throttled",
        move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&throttled_note(&client));
        },
    )
}

/// `, 3 failed`, or nothing.
fn failed_note(failed: u64) -> String {
    match failed {
        0 => String::new(),
        n => format!(", {n} failed"),
    }
}

/// `, throttled: slowed to 97 req/s`, or nothing while the gateway has not
/// throttled the client.
fn throttled_note(client: &Client) -> String {
    let report = client.throttling();
    match (report.throttled, report.rate) {
        (0, _) => String::new(),
        (_, Some(rate)) => format!(", throttled: slowed to {rate:.0} req/s"),
        (refused, None) => format!(", throttled {refused}×"),
    }
}

/// Waits until no sync runs on the cluster (`Client::wait_until_idle_with`),
/// showing progress per `mode`; the waiter gives up at `options.timeout`,
/// cutting off a poll still in flight. Dropping the future clears the
/// spinner.
pub async fn wait(
    client: &Client,
    cluster_id: &str,
    options: &WaitOptions,
    mode: Mode,
) -> Result<WaitProgress, Error> {
    let polls = Arc::new(AtomicU32::new(0));
    let drawing = (mode == Mode::Draw)
        .then(|| {
            let bar = ProgressBar::with_draw_target(None, stderr_target())
                .with_style(spinner_style(polls.clone()))
                .with_prefix(mrs_iam_sync::OneLine::new(cluster_id).to_string());
            Drawing::start(bar)
        })
        .flatten();
    let on_poll = |progress: &WaitProgress| {
        polls.store(progress.polls, Ordering::Relaxed);
        if mode == Mode::Lines {
            let line = format!(
                "poll {}: {} ({:.1} s)\n",
                progress.polls,
                if progress.running {
                    "a sync is running"
                } else {
                    "no sync running"
                },
                progress.elapsed.as_secs_f64()
            );
            write_stderr(line.as_bytes());
        }
    };
    let bounded = client.wait_until_idle_with(cluster_id, options, on_poll);
    let Some(mut drawing) = drawing else {
        return bounded.await;
    };
    let mut ticks = frames();
    let mut bounded = std::pin::pin!(bounded);
    loop {
        tokio::select! {
            result = &mut bounded => break result,
            _ = ticks.tick() => drawing.frame(ProgressBar::tick),
        }
    }
}

/// `⠹ waiting for CLUSTER: 2.3 s, 3 polls`
fn spinner_style(polls: Arc<AtomicU32>) -> ProgressStyle {
    ProgressStyle::with_template("{spinner} waiting for {prefix}: {waited}, {polls}")
        .expect("a valid template")
        .tick_chars(SPINNER)
        .with_key(
            "waited",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.1} s", state.elapsed().as_secs_f64());
            },
        )
        .with_key(
            "polls",
            move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = match polls.load(Ordering::Relaxed) {
                    1 => write!(w, "1 poll"),
                    n => write!(w, "{n} polls"),
                };
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_empty_until_something_happens() {
        assert_eq!(failed_note(0), "");
        assert_eq!(failed_note(3), ", 3 failed");
    }
}
