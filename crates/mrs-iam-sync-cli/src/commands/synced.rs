//! `synced`: has the cluster ever completed an IAM sync?

use serde::Serialize;

use super::Ctx;
use crate::exit::Failure;
use crate::output;

/// The answer, as a JSON line.
#[derive(Debug, Serialize)]
struct SyncedJson<'a> {
    cluster_id: &'a str,
    is_synchronized: bool,
}

/// Prints whether the cluster has been synchronized.
pub async fn run(ctx: &Ctx, cluster_id: &str) -> Result<(), Failure> {
    let synchronized = ctx.client.is_synchronized(cluster_id).await?;
    if ctx.json {
        output::json(&SyncedJson {
            cluster_id,
            is_synchronized: synchronized,
        });
    } else {
        output::line(format!(
            "{cluster_id}: synchronized {}",
            output::yes_no(synchronized)
        ));
    }
    Ok(())
}
