//! `cancel`: remove synchronized users and groups from the cluster.

use mrs_iam_sync::OneLine;
use mrs_iam_sync::types::CancelSyncIamUserRequest;

use super::Ctx;
use super::sync::AcceptedJson;
use crate::args::CancelArgs;
use crate::exit::Failure;
use crate::output;

/// Sends the removal and prints the service's answer.
pub async fn run(ctx: &Ctx, cluster_id: &str, args: &CancelArgs) -> Result<(), Failure> {
    let request = CancelSyncIamUserRequest {
        user_names: args.users.clone(),
        group_names: args.groups.clone(),
    };
    let accepted = ctx.client.cancel_sync(cluster_id, &request).await?;
    if ctx.json {
        output::json(&AcceptedJson {
            cluster_id,
            state: &accepted.state,
        });
    } else {
        let mut removed = args
            .users
            .iter()
            .map(|u| format!("user {u}"))
            .collect::<Vec<_>>();
        removed.extend(args.groups.iter().map(|g| format!("group {g}")));
        output::line(format!(
            "removal accepted on {cluster_id}: {} (state {})",
            OneLine::new(&removed.join(", ")),
            OneLine::new(&accepted.state)
        ));
    }
    Ok(())
}
