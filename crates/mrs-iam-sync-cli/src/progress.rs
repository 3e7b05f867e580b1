//! Waiting with something to look at: a hand-drawn spinner on a terminal,
//! one line per poll otherwise (when asked), or silence.

use std::cell::Cell;
use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use mrs_iam_sync::{Client, Error, WaitOptions, WaitProgress};
use tokio::time::{Instant, MissedTickBehavior};

use crate::args::ProgressArg;

/// How progress is shown, on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A spinner line redrawn in place.
    Spinner,
    /// One line per poll.
    Lines,
    /// Nothing.
    Quiet,
}

impl Mode {
    /// The mode for `--progress`: `auto` draws a spinner when stderr is a
    /// terminal and otherwise falls back to `otherwise`.
    pub fn resolve(arg: ProgressArg, otherwise: Mode) -> Mode {
        match arg {
            ProgressArg::Auto if std::io::stderr().is_terminal() => Mode::Spinner,
            ProgressArg::Auto => otherwise,
            ProgressArg::Spinner => Mode::Spinner,
            ProgressArg::Lines => Mode::Lines,
            ProgressArg::None => Mode::Quiet,
        }
    }
}

const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const REDRAW: Duration = Duration::from_millis(100);

/// The state of one wait's display.
struct Display<'a> {
    mode: Mode,
    cluster_id: &'a str,
    started: Instant,
    frame: Cell<usize>,
    last: Cell<Option<WaitProgress>>,
}

impl Display<'_> {
    fn on_poll(&self, progress: &WaitProgress) {
        self.last.set(Some(*progress));
        match self.mode {
            Mode::Spinner => self.draw(),
            Mode::Lines => eprintln!(
                "poll {}: {} ({:.1} s)",
                progress.polls,
                if progress.running {
                    "a sync is running"
                } else {
                    "no sync running"
                },
                progress.elapsed.as_secs_f64()
            ),
            Mode::Quiet => {}
        }
    }

    fn draw(&self) {
        let frame = self.frame.get();
        self.frame.set(frame.wrapping_add(1));
        let polls = self.last.get().map_or(0, |p| p.polls);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K{} waiting for {}: {:.1} s, {polls} poll{}",
            FRAMES[frame % FRAMES.len()],
            mrs_iam_sync::OneLine(self.cluster_id),
            self.started.elapsed().as_secs_f64(),
            if polls == 1 { "" } else { "s" },
        );
        let _ = err.flush();
    }

    fn clear(&self) {
        if self.mode == Mode::Spinner {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

/// Waits until no sync runs on the cluster (`Client::wait_until_idle_with`),
/// showing progress per `mode`; the waiter gives up at `options.timeout`,
/// cutting off a poll still in flight.
pub async fn wait(
    client: &Client,
    cluster_id: &str,
    options: &WaitOptions,
    mode: Mode,
) -> Result<WaitProgress, Error> {
    let display = Display {
        mode,
        cluster_id,
        started: Instant::now(),
        frame: Cell::new(0),
        last: Cell::new(None),
    };
    let bounded = client.wait_until_idle_with(cluster_id, options, |p| display.on_poll(p));
    let result = if mode == Mode::Spinner {
        let mut ticks = tokio::time::interval(REDRAW);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut bounded = std::pin::pin!(bounded);
        loop {
            tokio::select! {
                result = &mut bounded => break result,
                _ = ticks.tick() => display.draw(),
            }
        }
    } else {
        bounded.await
    };
    display.clear();
    result
}
