//! `sync`, `wait`, `users`, `cancel` and `synced` end to end.

mod common;

use std::time::Duration;

use common::{TestServer, json_settings, redact};
use mrs_iam_sync_server::Config;

#[test]
fn sync_wait_users_cancel_as_json() {
    let server = TestServer::start();
    let cli = || server.cli().args(["--cluster-id", "cid-1", "--json"]);

    let synced = cli().arg("synced").run().expect_code(0);
    insta::assert_snapshot!(synced.stdout, @r#"{"cluster_id":"cid-1","is_synchronized":false}"#);

    let sync = cli()
        .args(["sync", "--user", "user1", "--group", "group3", "--wait"])
        .args(["--interval", "100ms", "--max-interval", "200ms"])
        .run()
        .expect_code(0);
    json_settings().bind(|| insta::assert_json_snapshot!("sync_wait", sync.json_lines()));
    let polls = sync.json_lines()[1]["polls"].as_u64().unwrap();
    assert!(polls >= 2, "the sync was seen running: {sync:#?}");
    assert_eq!(sync.stderr, "", "quiet when stderr is not a terminal");

    let users = cli().arg("users").run().expect_code(0);
    insta::assert_snapshot!(users.stdout, @r#"{"cluster_id":"cid-1","user_names":["user1"],"group_names":["group1","group3"]}"#);

    let cancel = cli()
        .args(["cancel", "--group", "group3"])
        .run()
        .expect_code(0);
    insta::assert_snapshot!(cancel.stdout, @r#"{"cluster_id":"cid-1","state":"synchronizing"}"#);

    let users = cli().arg("users").run().expect_code(0);
    insta::assert_snapshot!(users.stdout, @r#"{"cluster_id":"cid-1","user_names":["user1"],"group_names":["group1"]}"#);

    let synced = cli().arg("synced").run().expect_code(0);
    insta::assert_snapshot!(synced.stdout, @r#"{"cluster_id":"cid-1","is_synchronized":true}"#);
}

#[test]
fn sync_all_then_wait_as_text() {
    // Long enough to be still running when the next process polls.
    let server = TestServer::with(Config {
        sync_duration: Duration::from_millis(1500),
        ..Config::default()
    });
    let cli = || server.cli().args(["--cluster-id", "demo-cluster"]);

    let sync = cli().args(["sync", "--all"]).run().expect_code(0);
    insta::assert_snapshot!(sync.stdout, @"sync started on demo-cluster: every IAM user and group (state synchronizing)");

    let wait = cli()
        .args(["wait", "--interval", "100ms", "--progress", "lines"])
        .run()
        .expect_code(0);
    insta::assert_snapshot!(redact(&wait.stdout), @"no sync running on demo-cluster (waited [timing])");
    let polls: Vec<&str> = wait.stderr.lines().collect();
    assert!(polls.len() >= 2, "{wait:#?}");
    assert!(
        polls[0].starts_with("poll 1: a sync is running"),
        "{wait:#?}"
    );
    assert!(
        polls.last().unwrap().contains("no sync running"),
        "{wait:#?}"
    );

    let users = cli().arg("users").run().expect_code(0);
    insta::assert_snapshot!(users.stdout, @r"
    KIND   NAME
    user   user1
    user   user2
    user   user3
    group  group1
    group  group2
    group  group3
    group  groups1
    ");

    let cancel = cli()
        .args(["cancel", "--user", "user3", "--group", "groups1"])
        .run()
        .expect_code(0);
    insta::assert_snapshot!(cancel.stdout, @"removal accepted on demo-cluster: user user3, group groups1 (state synchronizing)");

    let synced = cli().arg("synced").run().expect_code(0);
    insta::assert_snapshot!(synced.stdout, @"demo-cluster: synchronized yes");
}

#[test]
fn nothing_synchronized_reads_plainly() {
    let server = TestServer::start();
    let users = server
        .cli()
        .args(["users", "--cluster-id", "cid-1"])
        .run()
        .expect_code(0);
    insta::assert_snapshot!(users.stdout, @"no IAM users or groups are synchronized to cid-1");
}

#[test]
fn waiting_too_long_exits_3() {
    let server = TestServer::with(Config {
        sync_duration: Duration::from_secs(30),
        ..Config::default()
    });
    let cli = || server.cli().args(["--cluster-id", "cid-1"]);
    cli().args(["sync", "--all"]).run().expect_code(0);

    let wait = cli()
        .args(["wait", "--timeout", "300ms", "--interval", "100ms"])
        .run()
        .expect_code(3);
    insta::assert_snapshot!(redact(&wait.error_line()), @"error: an IAM sync was still running after [timing] polls)");
    assert_eq!(wait.stdout, "");

    // sync --wait: the POST is refused (a task runs), which is a service error…
    let again = cli()
        .args(["sync", "--all", "--wait", "--timeout", "300ms"])
        .run()
        .expect_code(1);
    insta::assert_snapshot!(again.error_line(), @"error: 409 MRS.0409: A synchronization task is already running on cluster cid-1; wait until ListClusterSyncTaskStatus answers is_synchronizing=false (request id [request-id])");

    // …while on another cluster it starts and then times out.
    let other = server
        .cli()
        .args([
            "--cluster-id",
            "demo-cluster",
            "sync",
            "--user",
            "user2",
            "--wait",
        ])
        .args(["--timeout", "300ms", "--interval", "100ms", "--json"])
        .run()
        .expect_code(3);
    insta::assert_snapshot!(other.stdout, @r#"{"cluster_id":"demo-cluster","state":"synchronizing"}"#);
    assert!(
        other
            .error_line()
            .starts_with("error: an IAM sync was still running after")
    );
}

#[test]
fn wait_flags_are_checked_before_anything_is_sent() {
    let server = TestServer::start();
    let cli = || server.cli().args(["--cluster-id", "cid-1", "wait"]);
    let zero = cli().args(["--interval", "0s"]).run().expect_code(2);
    insta::assert_snapshot!(zero.error_line(), @"error: --interval must be more than 0");
    let inverted = cli()
        .args(["--interval", "2s", "--max-interval", "1s"])
        .run()
        .expect_code(2);
    insta::assert_snapshot!(inverted.error_line(), @"error: --max-interval must not be less than --interval");
    let bad = cli().args(["--timeout", "soon"]).run().expect_code(2);
    assert!(bad.stderr.contains("invalid duration \"soon\""), "{bad:#?}");
    assert_eq!(server.server().request_count(), 0);
}
