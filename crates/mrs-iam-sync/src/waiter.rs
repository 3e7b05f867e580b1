//! Waiting until no IAM sync runs on a cluster.

use std::time::Duration;

use tokio::time::Instant;

use crate::{Client, Error};

/// How a waiter polls.
///
/// Start from [`WaitOptions::default()`] and change what you need; fields
/// may be added in a minor release.
///
/// ```
/// use std::time::Duration;
/// use mrs_iam_sync::WaitOptions;
///
/// let options = WaitOptions::default().with_timeout(Duration::from_secs(120));
/// assert_eq!(options.min_interval, Duration::from_secs(1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitOptions {
    /// The first pause between two polls. Default 1 s.
    pub min_interval: Duration,
    /// The pause doubles after each poll up to this. Default 15 s.
    pub max_interval: Duration,
    /// Give up after this long. Default 10 minutes.
    pub timeout: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(15),
            timeout: Duration::from_secs(600),
        }
    }
}

impl WaitOptions {
    /// Sets [`min_interval`](Self::min_interval).
    pub fn with_min_interval(mut self, min_interval: Duration) -> Self {
        self.min_interval = min_interval;
        self
    }

    /// Sets [`max_interval`](Self::max_interval).
    pub fn with_max_interval(mut self, max_interval: Duration) -> Self {
        self.max_interval = max_interval;
        self
    }

    /// Sets [`timeout`](Self::timeout).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// What a waiter saw: reported after each poll and at the end. Fields may be
/// added in a minor release; the setters are for tests of code that takes one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitProgress {
    /// Time since the wait began.
    pub elapsed: Duration,
    /// Status polls so far.
    pub polls: u32,
    /// Whether the last poll saw a sync running.
    pub running: bool,
}

impl WaitProgress {
    /// Sets [`elapsed`](Self::elapsed).
    pub fn with_elapsed(mut self, elapsed: Duration) -> Self {
        self.elapsed = elapsed;
        self
    }

    /// Sets [`polls`](Self::polls).
    pub fn with_polls(mut self, polls: u32) -> Self {
        self.polls = polls;
        self
    }

    /// Sets [`running`](Self::running).
    pub fn with_running(mut self, running: bool) -> Self {
        self.running = running;
        self
    }
}

impl Client {
    /// Polls ListClusterSyncTaskStatus until no IAM sync runs on the
    /// cluster, pausing between `min_interval` and `max_interval`; returns
    /// how long it waited and how many polls it made, or
    /// [`Error::WaitTimedOut`] at `timeout` (a poll still under way then is
    /// cut off). A failed poll ends the wait with its error (each poll
    /// already retries per the client's policy).
    /// Dropping the future stops the wait.
    ///
    /// ```no_run
    /// # async fn run(client: mrs_iam_sync::Client) -> Result<(), mrs_iam_sync::Error> {
    /// use mrs_iam_sync::WaitOptions;
    ///
    /// let done = client.wait_until_idle("6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a", &WaitOptions::default()).await?;
    /// println!("idle after {:?} and {} polls", done.elapsed, done.polls);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_until_idle(
        &self,
        cluster_id: &str,
        options: &WaitOptions,
    ) -> Result<WaitProgress, Error> {
        self.wait_until_idle_with(cluster_id, options, |_| {}).await
    }

    /// [`wait_until_idle`](Self::wait_until_idle), calling `on_poll` after
    /// every poll (for progress displays).
    pub async fn wait_until_idle_with(
        &self,
        cluster_id: &str,
        options: &WaitOptions,
        mut on_poll: impl FnMut(&WaitProgress),
    ) -> Result<WaitProgress, Error> {
        let started = Instant::now();
        let mut pause = options.min_interval.min(options.max_interval);
        let mut polls = 0;
        let deadline = started + options.timeout;
        loop {
            // A poll may not outlast the wait: it is cut off at the deadline.
            let poll = tokio::time::timeout_at(deadline, self.is_synchronizing(cluster_id)).await;
            polls += 1;
            let Ok(running) = poll else {
                return Err(Error::WaitTimedOut {
                    waited: started.elapsed(),
                    polls,
                });
            };
            let running = running?;
            let progress = WaitProgress {
                elapsed: started.elapsed(),
                polls,
                running,
            };
            on_poll(&progress);
            if !running {
                return Ok(progress);
            }
            let left = options.timeout.saturating_sub(progress.elapsed);
            if left.is_zero() {
                return Err(Error::WaitTimedOut {
                    waited: progress.elapsed,
                    polls,
                });
            }
            tokio::time::sleep(pause.min(left)).await;
            pause = pause.saturating_mul(2).min(options.max_interval);
        }
    }
}
