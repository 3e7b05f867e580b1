//! The subcommands: each one call of the client (or a few), printed.

pub mod cancel;
pub mod demo;
pub mod status;
pub mod sync;
pub mod synced;
pub mod users;
pub mod wait;

use mrs_iam_sync::Client;

use crate::args::{Cli, Command, GlobalArgs};
use crate::exit::Failure;
use crate::progress::Mode;

/// What every command works with.
pub struct Ctx {
    /// The API client.
    pub client: Client,
    /// `--json`: one JSON object per line instead of text.
    pub json: bool,
    /// How to show waiting.
    pub progress: Mode,
}

/// Runs the command of the command line. Arguments are checked before the
/// client is built, and the client before anything is sent.
pub async fn run(cli: &Cli) -> Result<(), Failure> {
    let global = &cli.global;
    match &cli.command {
        Command::Demo(args) => demo::run(args, Mode::resolve(global.progress, Mode::Lines)).await,
        Command::Status(args) => {
            let ids = status::cluster_ids(global, args)?;
            status::run(&context(global)?, &ids, args.concurrency.into()).await
        }
        Command::Wait(args) => {
            let (cluster_id, options) = (one_cluster(global)?, wait::options(args)?);
            wait::run(&context(global)?, cluster_id, &options).await
        }
        Command::Sync(args) => {
            let (cluster_id, options) = (one_cluster(global)?, wait::options(&args.waiting)?);
            sync::run(&context(global)?, cluster_id, args, &options).await
        }
        Command::Users => {
            let cluster_id = one_cluster(global)?;
            users::run(&context(global)?, cluster_id).await
        }
        Command::Cancel(args) => {
            let cluster_id = one_cluster(global)?;
            cancel::run(&context(global)?, cluster_id, args).await
        }
        Command::Synced => {
            let cluster_id = one_cluster(global)?;
            synced::run(&context(global)?, cluster_id).await
        }
    }
}

/// The client and output settings of the global options.
fn context(global: &GlobalArgs) -> Result<Ctx, Failure> {
    Ok(Ctx {
        client: crate::client::build(global)?,
        json: global.json,
        progress: Mode::resolve(global.progress, Mode::Quiet),
    })
}

/// The one valid `--cluster-id` of a single-cluster command.
fn one_cluster(global: &GlobalArgs) -> Result<&str, Failure> {
    match global.cluster_ids.as_slice() {
        [id] => {
            mrs_iam_sync::ids::cluster_id(id).map_err(mrs_iam_sync::Error::from)?;
            Ok(id)
        }
        [] => Err(Failure::Usage("--cluster-id is required".into())),
        _ => Err(Failure::Usage(
            "this command takes one --cluster-id (only `status` takes several)".into(),
        )),
    }
}
