//! `wait`: poll until no IAM sync runs on the cluster.

use mrs_iam_sync::{OneLine, WaitOptions, WaitProgress};
use serde::Serialize;

use super::Ctx;
use crate::args::{SyncArgs, WaitArgs};
use crate::duration;
use crate::exit::Failure;
use crate::output;

/// The end of a wait, as a JSON line.
#[derive(Debug, Serialize)]
struct WaitJson<'a> {
    cluster_id: &'a str,
    is_synchronizing: bool,
    polls: u32,
    elapsed_ms: u64,
}

/// The waiter's options from `--timeout`, `--interval`, `--max-interval`.
pub fn options(args: &WaitArgs) -> Result<WaitOptions, Failure> {
    let max_interval = args
        .max_interval
        .unwrap_or_else(|| args.interval.saturating_mul(8));
    if args.interval.is_zero() {
        return Err(Failure::Usage("--interval must be more than 0".into()));
    }
    if max_interval < args.interval {
        return Err(Failure::Usage(
            "--max-interval must not be less than --interval".into(),
        ));
    }
    Ok(WaitOptions::default()
        .with_min_interval(args.interval)
        .with_max_interval(max_interval)
        .with_timeout(args.timeout))
}

/// Waits, then says how long it took. Ctrl-C stops the waiting only: the
/// message says the sync goes on in the service (that of `started`, when
/// this run started it) and how to watch or undo it.
pub async fn run(
    ctx: &Ctx,
    cluster_id: &str,
    options: &WaitOptions,
    started: Option<&SyncArgs>,
) -> Result<(), Failure> {
    let waiting = crate::progress::wait(&ctx.client, cluster_id, options, ctx.progress);
    let done = tokio::select! {
        done = waiting => done?,
        () = ctx.interrupt.first() => {
            return Err(Failure::Interrupted(goes_on(ctx, cluster_id, started)));
        }
    };
    report(ctx, cluster_id, &done);
    Ok(())
}

/// What Ctrl-C during a wait tells: the sync goes on, and the commands that
/// watch it and undo it.
fn goes_on(ctx: &Ctx, cluster_id: &str, started: Option<&SyncArgs>) -> String {
    let same = &ctx.same_service;
    let cluster = shell_word(cluster_id);
    let (what, names) = match started {
        Some(args) if !args.all => {
            let users = args
                .users
                .iter()
                .map(|u| format!(" --user {}", shell_word(u)));
            let groups = args
                .groups
                .iter()
                .map(|g| format!(" --group {}", shell_word(g)));
            (
                "the sync started on",
                users.chain(groups).collect::<String>(),
            )
        }
        Some(_) => (
            "the sync started on",
            " --user NAME --group NAME".to_owned(),
        ),
        None => ("a sync running on", " --user NAME --group NAME".to_owned()),
    };
    format!(
        "interrupted: {what} {} goes on in the service; only the waiting stopped.\n\
         watch it:  mrs-iam-sync{same} wait --cluster-id {cluster}\n\
         cancel it: mrs-iam-sync{same} cancel --cluster-id {cluster}{names}\n\
         \x20          (removes these users and groups from the cluster, from a running sync's result too)",
        OneLine::new(cluster_id)
    )
}

/// A word as a POSIX shell reads it back: bare when it is plain, else in
/// single quotes.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.@:/=+,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_owned();
    }
    format!(
        "'{}'",
        OneLine::new(word).to_string().replace('\'', r"'\''")
    )
}

/// Prints the end of a successful wait.
pub fn report(ctx: &Ctx, cluster_id: &str, done: &WaitProgress) {
    if ctx.json {
        output::json(&WaitJson {
            cluster_id,
            is_synchronizing: done.running,
            polls: done.polls,
            elapsed_ms: duration::millis(done.elapsed),
        });
    } else {
        output::line(format!(
            "no sync running on {cluster_id} (waited {:.1} s, {} poll{})",
            done.elapsed.as_secs_f64(),
            done.polls,
            if done.polls == 1 { "" } else { "s" }
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_for_the_shell_when_needed() {
        assert_eq!(shell_word("user1"), "user1");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("x\ny"), "'x y'");
        assert_eq!(shell_word(""), "''");
    }
}
