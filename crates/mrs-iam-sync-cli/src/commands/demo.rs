//! `demo`: the whole workflow against loopback servers started in this
//! process: no account, no keys, no network, no setup. The credentials come
//! from a loopback ECS metadata service (as on an MRS node with an agency) and
//! the project id from a loopback IAM, as they would in production.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use mrs_iam_sync::{Client, Environment, WaitOptions};
use mrs_iam_sync_server::identity::{IdentityConfig, IdentityServer};
use mrs_iam_sync_server::{Config, DEMO_CLUSTER_ID, DEMO_PROJECT_ID, KeyRing, Server};

use super::status::Remaining;
use super::{Ctx, cancel, credentials, status, sync, users};
use crate::args::{CancelArgs, DemoArgs, SyncArgs, WaitArgs};
use crate::exit::Failure;
use crate::interrupt::Interrupt;
use crate::output;
use crate::progress::Mode;

/// Starts the server, runs status → sync --wait → users → cancel → users →
/// status, and stops the server.
pub async fn run(args: &DemoArgs, progress: Mode) -> Result<(), Failure> {
    // Keys the loopback metadata service hands out are good at the loopback MRS.
    let key_ring = KeyRing::default();
    let config = Config {
        sync_duration: args.sync_duration,
        key_ring: key_ring.clone(),
        ..Config::default()
    };
    let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let cannot_start =
        |err: std::io::Error| Failure::Usage(format!("cannot start the loopback servers: {err}"));
    let server = Server::start(config, listen).await.map_err(cannot_start)?;
    let identity = IdentityConfig {
        key_ring,
        ..IdentityConfig::default()
    };
    let identity = IdentityServer::start(identity, listen)
        .await
        .map_err(cannot_start)?;
    let result = workflow(&server, &identity, progress).await;
    server.shutdown().await;
    identity.shutdown().await;
    if result.is_ok() {
        output::line("\nDemo complete.");
    }
    result
}

async fn workflow(
    server: &Server,
    identity: &IdentityServer,
    progress: Mode,
) -> Result<(), Failure> {
    // No keys and no project id: the default chain finds the loopback
    // metadata service, and the project id is looked up at loopback IAM. The
    // process environment and profile file are not read.
    let client = Client::builder()
        .region("cn-north-4")
        .endpoint(server.base_url())
        .environment(Environment::from_vars([
            ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", identity.base_url()),
            ("HUAWEICLOUD_SDK_IAM_ENDPOINT", identity.base_url()),
        ]))
        .build()?;
    let ctx = Ctx {
        client,
        json: false,
        progress,
        interrupt: Interrupt::none(),
        same_service: String::new(),
    };
    let cluster = DEMO_CLUSTER_ID;
    output::line(format!(
        "Loopback MRS server at {} (project {DEMO_PROJECT_ID}); a sync there takes {:.1} s.\n\
         Loopback metadata service and IAM at {}: no keys are configured.",
        server.base_url(),
        server.config().sync_duration.as_secs_f64(),
        identity.base_url(),
    ));

    step(
        0,
        "where do the credentials come from?",
        "credentials --region cn-north-4 --endpoint URL",
    );
    credentials::run(&ctx).await?;

    step(
        1,
        "is a sync running?",
        &format!("status --cluster-id {cluster}"),
    );
    status::run(&ctx, &[cluster.to_owned()], 1, Remaining::none()).await?;

    let sync_args = SyncArgs {
        all: false,
        users: vec!["user1".into(), "user2".into()],
        groups: vec!["group3".into()],
        wait: true,
        waiting: WaitArgs {
            timeout: Duration::from_secs(60),
            interval: Duration::from_millis(500),
            max_interval: Some(Duration::from_secs(1)),
        },
    };
    let options = WaitOptions::default()
        .with_min_interval(sync_args.waiting.interval)
        .with_max_interval(Duration::from_secs(1))
        .with_timeout(sync_args.waiting.timeout);
    step(
        2,
        "synchronize two users (their groups come along) and a group, and wait",
        &format!(
            "sync --cluster-id {cluster} --user user1 --user user2 --group group3 --wait \
             --interval 500ms --max-interval 1s"
        ),
    );
    sync::run(&ctx, cluster, &sync_args, &options).await?;

    step(
        3,
        "who is synchronized now?",
        &format!("users --cluster-id {cluster}"),
    );
    users::run(&ctx, cluster).await?;

    let cancel_args = CancelArgs {
        users: vec!["user2".into()],
        groups: vec!["group3".into()],
    };
    step(
        4,
        "take user2 and group3 out again",
        &format!("cancel --cluster-id {cluster} --user user2 --group group3"),
    );
    cancel::run(&ctx, cluster, &cancel_args).await?;

    step(5, "who is left?", &format!("users --cluster-id {cluster}"));
    users::run(&ctx, cluster).await?;

    step(
        6,
        "nothing is running any more",
        &format!("status --cluster-id {cluster}"),
    );
    status::run(&ctx, &[cluster.to_owned()], 1, Remaining::none()).await
}

/// Announces a step and the command line that does the same.
fn step(number: u32, what: &str, command: &str) {
    output::line(format!("\n[{number}/6] {what}\n$ mrs-iam-sync {command}"));
}
