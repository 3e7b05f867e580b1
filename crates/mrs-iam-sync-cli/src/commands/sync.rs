//! `sync`: start synchronizing IAM users and groups; `--wait` for the end.

use mrs_iam_sync::types::UpdateSyncIamUserRequest;
use mrs_iam_sync::{OneLine, WaitOptions};
use serde::Serialize;

use super::Ctx;
use crate::args::SyncArgs;
use crate::exit::Failure;
use crate::output;

/// An accepted request (`sync`, `cancel`), as a JSON line.
#[derive(Debug, Serialize)]
pub struct AcceptedJson<'a> {
    /// The cluster.
    pub cluster_id: &'a str,
    /// The service's task state, e.g. `synchronizing`.
    pub state: &'a str,
}

/// Starts the sync, then waits with `--wait`.
pub async fn run(
    ctx: &Ctx,
    cluster_id: &str,
    args: &SyncArgs,
    options: &WaitOptions,
) -> Result<(), Failure> {
    let request = UpdateSyncIamUserRequest {
        is_all_sync: args.all,
        user_names: args.users.clone(),
        group_names: args.groups.clone(),
    };
    let accepted = ctx.client.start_sync(cluster_id, &request).await?;
    if ctx.json {
        output::json(&AcceptedJson {
            cluster_id,
            state: &accepted.state,
        });
    } else {
        output::line(format!(
            "sync started on {cluster_id}: {} (state {})",
            describe(args),
            OneLine::new(&accepted.state)
        ));
    }
    if args.wait {
        super::wait::run(ctx, cluster_id, options, Some(args)).await?;
    }
    Ok(())
}

/// What is being synchronized, in words.
fn describe(args: &SyncArgs) -> String {
    if args.all {
        return "every IAM user and group".into();
    }
    let mut parts = Vec::new();
    if !args.users.is_empty() {
        parts.push(format!("users {}", args.users.join(", ")));
    }
    if !args.groups.is_empty() {
        parts.push(format!("groups {}", args.groups.join(", ")));
    }
    OneLine::new(&parts.join("; ")).to_string()
}
