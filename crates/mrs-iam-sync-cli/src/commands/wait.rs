//! `wait`: poll until no IAM sync runs on the cluster.

use mrs_iam_sync::{WaitOptions, WaitProgress};
use serde::Serialize;

use super::Ctx;
use crate::args::WaitArgs;
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
    Ok(WaitOptions {
        min_interval: args.interval,
        max_interval,
        timeout: args.timeout,
    })
}

/// Waits, then says how long it took.
pub async fn run(ctx: &Ctx, cluster_id: &str, options: &WaitOptions) -> Result<(), Failure> {
    let done = crate::progress::wait(&ctx.client, cluster_id, options, ctx.progress).await?;
    report(ctx, cluster_id, &done);
    Ok(())
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
