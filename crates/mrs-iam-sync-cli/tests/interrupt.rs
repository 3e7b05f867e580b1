//! SIGINT without a terminal (a CI job cancelled, `kill -INT`): the same
//! clean stop as Ctrl-C on a terminal, with plain progress lines for logs.

mod common;

use std::time::Duration;

use common::{TestServer, cluster_ids, scratch_file, slow_server};

#[test]
fn sigint_during_status_keeps_every_answered_json_line() {
    let ids = cluster_ids(300);
    // About 4 s in all: a progress line comes after 3 s.
    let server = slow_server(&ids, Duration::from_millis(50));
    let list = scratch_file("sigint-clusters.txt", &ids.join("\n"));
    let running = server
        .cli()
        .args([
            "--json",
            "--progress",
            "lines",
            "status",
            "--concurrency",
            "4",
        ])
        .arg("--clusters-file")
        .arg(&list)
        .spawn();
    running.wait_for_stderr("progress: ");
    running.interrupt();
    let run = running.finish().expect_code(130);

    let lines = run.json_lines();
    assert!(!lines.is_empty() && lines.len() < ids.len(), "{run:#?}");
    assert!(run.stdout.ends_with('\n'));
    for (line, id) in lines.iter().zip(&ids) {
        assert_eq!(line["cluster_id"], id.as_str());
        assert_eq!(line["is_synchronizing"], false);
    }
    let progress = run.stderr.lines().next().unwrap();
    assert!(
        progress.starts_with("progress: ") && progress.contains(" of 300 clusters ("),
        "{run:#?}"
    );
    assert!(
        run.stderr.ends_with(&format!(
            "interrupted: {} of 300 clusters answered\n",
            lines.len()
        )),
        "{run:#?}"
    );
}

#[test]
fn sigint_during_wait_says_the_sync_goes_on() {
    let server = TestServer::with(mrs_iam_sync_server::Config {
        sync_duration: Duration::from_secs(60),
        ..mrs_iam_sync_server::Config::default()
    });
    let cluster = mrs_iam_sync_server::DEMO_CLUSTER_ID;
    server
        .cli()
        .args(["sync", "--cluster-id", cluster, "--all"])
        .run()
        .expect_code(0);
    let running = server
        .cli()
        .args(["wait", "--cluster-id", cluster, "--interval", "100ms"])
        .args(["--progress", "lines"])
        .spawn();
    running.wait_for_stderr("poll 2: a sync is running");
    running.interrupt();
    let run = running.finish().expect_code(130);
    assert_eq!(run.stdout, "");
    let endpoint = server.server().base_url();
    assert!(
        run.stderr.contains(&format!(
            "interrupted: a sync running on {cluster} goes on in the service; only the waiting stopped.\n\
             watch it:  mrs-iam-sync --endpoint {endpoint} wait --cluster-id {cluster}\n\
             cancel it: mrs-iam-sync --endpoint {endpoint} cancel --cluster-id {cluster} --user NAME --group NAME\n"
        )),
        "{run:#?}"
    );
}

#[test]
fn remaining_is_checked_before_anything_is_sent_and_empty_after_a_whole_run() {
    let ids = cluster_ids(3);
    let server = slow_server(&ids, Duration::ZERO);
    let nowhere = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-dir/left.txt");
    let run = server
        .cli()
        .args(["status", "--cluster-id", "cid-0000", "--remaining"])
        .arg(&nowhere)
        .run()
        .expect_code(2);
    assert!(
        run.error_line()
            .starts_with("error: cannot write --remaining "),
        "{run:#?}"
    );
    assert!(server.server().requests().is_empty(), "sent anyway");

    let left = scratch_file("whole-run-remaining.txt", "cid-0001\n");
    server
        .cli()
        .args(["status", "--cluster-id", "cid-0000", "--remaining"])
        .arg(&left)
        .run()
        .expect_code(0);
    assert_eq!(std::fs::read_to_string(&left).unwrap(), "");
}
