//! The subcommands: each one call of the client (or a few), printed.

pub mod cancel;
pub mod completions;
pub mod credentials;
pub mod demo;
pub mod man;
pub mod status;
pub mod sync;
pub mod synced;
pub mod users;
pub mod wait;

use mrs_iam_sync::Client;

use crate::args::{Cli, Command, GlobalArgs};
use crate::exit::Failure;
use crate::interrupt::Interrupt;
use crate::progress::Mode;

/// What every command works with.
pub struct Ctx {
    /// The API client.
    pub client: Client,
    /// `--json`: one JSON object per line instead of text.
    pub json: bool,
    /// How to show progress.
    pub progress: Mode,
    /// Ctrl-C, for the commands that stop cleanly on it (`status`, waiting).
    pub interrupt: Interrupt,
    /// The global options a follow-up command needs to reach the same
    /// service (`--region`, `--endpoint`, `--project-id`; never a token),
    /// each with a leading space.
    pub same_service: String,
}

/// Runs the command of the command line. Arguments are checked before the
/// client is built, and the client before anything is sent.
pub async fn run(cli: &Cli) -> Result<(), Failure> {
    let global = &cli.global;
    match &cli.command {
        Command::Demo(args) => demo::run(args, global.progress.mode(Mode::Lines)).await,
        Command::Completions(args) => completions::run(args.shell),
        Command::Man(args) => man::run(args),
        Command::Credentials => {
            with_context(global, false, async |ctx| credentials::run(ctx).await).await
        }
        Command::Status(args) => {
            let ids = status::cluster_ids(global, args)?;
            let remaining = status::Remaining::prepare(args.remaining.as_deref())?;
            with_context(global, true, async |ctx| {
                status::run(ctx, &ids, args.concurrency.into(), remaining).await
            })
            .await
        }
        Command::Wait(args) => {
            let (cluster_id, options) = (one_cluster(global)?, wait::options(args)?);
            with_context(global, true, async |ctx| {
                wait::run(ctx, cluster_id, &options, None).await
            })
            .await
        }
        Command::Sync(args) => {
            let (cluster_id, options) = (one_cluster(global)?, wait::options(&args.waiting)?);
            with_context(global, args.wait, async |ctx| {
                sync::run(ctx, cluster_id, args, &options).await
            })
            .await
        }
        Command::Users => {
            let cluster_id = one_cluster(global)?;
            with_context(global, false, async |ctx| users::run(ctx, cluster_id).await).await
        }
        Command::Cancel(args) => {
            let cluster_id = one_cluster(global)?;
            with_context(global, false, async |ctx| {
                cancel::run(ctx, cluster_id, args).await
            })
            .await
        }
        Command::Synced => {
            let cluster_id = one_cluster(global)?;
            with_context(global, false, async |ctx| {
                synced::run(ctx, cluster_id).await
            })
            .await
        }
    }
}

/// Runs `work` with the client and output settings of the global options
/// (taking over Ctrl-C when `interruptible`), then says once on stderr if
/// the gateway throttled the run.
async fn with_context(
    global: &GlobalArgs,
    interruptible: bool,
    work: impl AsyncFnOnce(&Ctx) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let ctx = Ctx {
        client: crate::client::build(global)?,
        json: global.json,
        progress: global.progress.mode(Mode::Quiet),
        interrupt: if interruptible {
            Interrupt::listen()
        } else {
            Interrupt::none()
        },
        same_service: same_service(global),
    };
    let outcome = work(&ctx).await;
    let report = ctx.client.throttling();
    if report.throttled > 0 {
        eprintln!(
            "{}",
            throttling_note(report.throttled, report.answered_rate_since_throttled)
        );
    }
    outcome
}

/// What a throttled run tells its user, once: how often the gateway refused
/// and the rate of answers since it first did.
fn throttling_note(refused: u64, rate: Option<f64>) -> String {
    let refusals = match refused {
        1 => "1 refusal".to_owned(),
        n => format!("{n} refusals"),
    };
    match rate {
        Some(rate) => {
            format!("note: throttled by the gateway; slowed to ~{rate:.0} req/s ({refusals})")
        }
        None => format!("note: throttled by the gateway ({refusals})"),
    }
}

/// ` --region R --endpoint URL[,URL] --project-id P`, as far as they were
/// given. (Not `--proxy`: its URL may hold a password.)
fn same_service(global: &GlobalArgs) -> String {
    let endpoints = (!global.endpoints.is_empty()).then(|| global.endpoints.join(","));
    let given = [
        ("--region", &global.region),
        ("--endpoint", &endpoints),
        ("--project-id", &global.project_id),
    ];
    given
        .into_iter()
        .filter_map(|(flag, value)| Some(format!(" {flag} {}", value.as_deref()?)))
        .collect()
}

/// The one valid `--cluster-id` of a single-cluster command.
fn one_cluster(global: &GlobalArgs) -> Result<&str, Failure> {
    match global.cluster_ids.as_slice() {
        [id] => {
            id.parse::<mrs_iam_sync::types::ClusterId>()
                .map_err(mrs_iam_sync::Error::from)?;
            Ok(id)
        }
        [] => Err(Failure::Usage("--cluster-id is required".into())),
        _ => Err(Failure::Usage(
            "this command takes one --cluster-id (only `status` takes several)".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttling_note_gives_the_rate_and_the_refusals() {
        assert_eq!(
            throttling_note(34, Some(96.6)),
            "note: throttled by the gateway; slowed to ~97 req/s (34 refusals)"
        );
        assert_eq!(
            throttling_note(1, None),
            "note: throttled by the gateway (1 refusal)"
        );
    }
}
