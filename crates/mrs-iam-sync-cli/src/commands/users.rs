//! `users`: the IAM users and groups synchronized to the cluster.

use mrs_iam_sync::OneLine;
use serde::Serialize;

use super::Ctx;
use crate::exit::Failure;
use crate::output;

/// The synchronized principals, as a JSON line.
#[derive(Debug, Serialize)]
struct UsersJson<'a> {
    cluster_id: &'a str,
    user_names: &'a [String],
    group_names: &'a [String],
}

/// Prints the synchronized users and groups: a table, or one JSON line.
pub async fn run(ctx: &Ctx, cluster_id: &str) -> Result<(), Failure> {
    let synced = ctx.client.synced_principals(cluster_id).await?;
    if ctx.json {
        output::json(&UsersJson {
            cluster_id,
            user_names: &synced.user_names,
            group_names: &synced.group_names,
        });
        return Ok(());
    }
    let users = synced.user_names.iter().map(|name| ("user", name));
    let groups = synced.group_names.iter().map(|name| ("group", name));
    let rows: Vec<[String; 2]> = users
        .chain(groups)
        .map(|(kind, name)| [kind.to_owned(), OneLine::new(name).to_string()])
        .collect();
    if rows.is_empty() {
        output::line(format!(
            "no IAM users or groups are synchronized to {cluster_id}"
        ));
    } else {
        output::line(output::table(["KIND", "NAME"], &rows));
    }
    Ok(())
}
