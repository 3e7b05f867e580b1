//! The generated builders, for full control over a call, together with
//! `resolve_project_id`: the project id looked up at IAM (once per client)
//! when none is configured, as the official SDK does.
//!
//! The short forms (`client.is_synchronizing(cluster)`, ...) fill the
//! project in and return plain values; a generated builder
//! (`client.show_sync_iam_user()...send()`) takes every parameter itself and
//! returns progenitor's `ResponseValue` (status and headers too). Its error,
//! `OperationError`, converts into `mrs_iam_sync::Error` with `?`.
//!
//! Runs offline against the loopback MRS server and its IAM stand-in:
//! `cargo run -p mrs-iam-sync --example builders_and_project_lookup`.

use mrs_iam_sync::types::{ClusterId, UpdateSyncIamUserRequest};
use mrs_iam_sync::{Client, Credentials, Environment, Error};
use mrs_iam_sync_server::identity::{IdentityConfig, IdentityServer};
use mrs_iam_sync_server::{Config, DEMO_AK, DEMO_CLUSTER_ID, DEMO_SK, Server};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mrs = Server::start(Config::default(), "127.0.0.1:0".parse()?).await?;
    let iam = IdentityServer::start(IdentityConfig::default(), "127.0.0.1:0".parse()?).await?;

    // No project id anywhere: with a region, the client asks IAM for the
    // project of that name on its first call. (In production the IAM
    // endpoint comes from the region; here it is the loopback stand-in.)
    let client = Client::builder()
        .region("cn-north-4")
        .endpoint(mrs.base_url())
        .credentials(Credentials::permanent(DEMO_AK, DEMO_SK))
        .environment(Environment::from_vars([(
            "HUAWEICLOUD_SDK_IAM_ENDPOINT",
            iam.base_url(),
        )]))
        .build()?;
    assert!(client.project_id().is_none());
    let project = client.resolve_project_id().await?;
    println!("project of cn-north-4, from IAM: {}", project.as_str());

    // Ids are checked before anything is sent: parse them once.
    let cluster: ClusterId = DEMO_CLUSTER_ID.parse()?;

    // A generated builder: every parameter given, the whole answer back.
    let request = UpdateSyncIamUserRequest {
        user_names: vec!["user1".into()],
        ..Default::default()
    };
    let accepted = client
        .update_sync_iam_user()
        .project_id(project.clone())
        .cluster_id(cluster.clone())
        .body(request)
        .send()
        .await
        .map_err(Error::from)?;
    let status = accepted.status();
    let request_id = accepted.headers().get("x-request-id").cloned();
    println!(
        "HTTP {status} (request id {request_id:?}): {}",
        accepted.into_inner().state
    );

    let synced = client
        .show_sync_iam_user()
        .project_id(project.clone())
        .cluster_id(cluster.clone())
        .send()
        .await
        .map_err(Error::from)?
        .into_inner();
    println!(
        "users {:?}, groups {:?}",
        synced.user_names, synced.group_names
    );

    // A value that breaks a rule of the spec is refused by the builder
    // before sending, with the field and the rule.
    let refused = client
        .show_sync_iam_user()
        .project_id(project)
        .cluster_id("no/such cluster")
        .send()
        .await
        .map_err(Error::from)
        .expect_err("an invalid id");
    println!("refused before sending: {refused}");
    Ok(())
}
