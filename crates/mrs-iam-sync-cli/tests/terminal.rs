//! The binary on a real pseudo-terminal, as an operator runs it with stdout
//! redirected: the progress bar of a fan-out, and Ctrl-C as the terminal
//! sends it.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Terminal, cluster_ids, scratch_file, slow_server};

/// The rows of a status table on stdout: whole lines, free of escape codes,
/// the header first; their cluster ids.
fn rows(stdout: &str) -> Vec<String> {
    assert!(
        !stdout.contains('\x1b') && !stdout.contains('\r'),
        "escape codes on stdout: {stdout:?}"
    );
    assert!(
        stdout.is_empty() || stdout.ends_with('\n'),
        "a cut line: {stdout:?}"
    );
    let mut lines = stdout.lines();
    assert!(
        lines
            .next()
            .is_some_and(|header| header.starts_with("CLUSTER ID"))
    );
    lines
        .map(|line| {
            let (id, answer) = line.split_once("  ").expect("id and answer");
            assert_eq!(answer.trim(), "no", "{line:?}");
            id.to_owned()
        })
        .collect()
}

/// The frames of the bar drawn on the terminal.
fn frames(screen: &str) -> usize {
    screen.matches(" clusters [").count()
}

#[test]
fn the_bar_shows_the_total_and_stdout_stays_clean() {
    let ids = cluster_ids(240);
    let server = slow_server(&ids, Duration::from_millis(40));
    let list = scratch_file("bar-clusters.txt", &ids.join("\n"));
    let terminal = Terminal::start(
        &server,
        "bar",
        &[
            "status",
            "--concurrency",
            "8",
            "--clusters-file",
            list.to_str().unwrap(),
        ],
    );
    let run = terminal.finish();
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(rows(&run.stdout), ids);
    // Drawn while the calls ran (about 1.2 s), with the right total ...
    assert!(run.screen.contains("/240 clusters ["), "{run:#?}");
    assert!(frames(&run.screen) >= 3, "{run:#?}");
    // ... at most ten times a second ...
    let most = run.took.as_secs_f64() * 10.0 + 1.0;
    assert!(
        frames(&run.screen) as f64 <= most,
        "{} frames in {:?}",
        frames(&run.screen),
        run.took
    );
    // ... and cleared at the end: nothing is left on the line.
    assert!(run.screen.ends_with("\r\x1b[2K"), "{:?}", run.screen);
}

#[test]
fn nothing_is_drawn_without_a_terminal() {
    let ids = cluster_ids(40);
    let server = slow_server(&ids, Duration::from_millis(20));
    let list = scratch_file("no-terminal-clusters.txt", &ids.join("\n"));
    let list = list.to_str().unwrap();
    let run = server
        .cli()
        .args(["status", "--concurrency", "4", "--clusters-file", list])
        .run()
        .expect_code(0);
    assert_eq!(rows(&run.stdout), ids);
    assert_eq!(run.stderr, "", "drawn on a pipe");

    // --progress lines: plain lines for logs (here, the one at the end).
    let run = server
        .cli()
        .args(["status", "--progress", "lines", "--clusters-file", list])
        .run()
        .expect_code(0);
    assert!(
        run.stderr
            .starts_with("progress: 40 of 40 clusters (100%), ")
            && !run.stderr.contains('\x1b'),
        "{run:#?}"
    );
    // --progress none: not even on a terminal.
    let terminal = Terminal::start(
        &server,
        "progress-none",
        &["status", "--progress", "none", "--clusters-file", list],
    );
    let run = terminal.finish();
    assert_eq!((run.code, run.screen.as_str()), (0, ""), "{run:#?}");
}

#[test]
fn ctrl_c_writes_every_answered_line_and_the_remaining_ids() {
    let ids = cluster_ids(400);
    let server = slow_server(&ids, Duration::from_millis(50));
    let list = scratch_file("ctrl-c-clusters.txt", &ids.join("\n"));
    let remaining = scratch_file("ctrl-c-remaining.txt", "stale");
    let terminal = Terminal::start(
        &server,
        "ctrl-c",
        &[
            "status",
            "--concurrency",
            "4",
            "--clusters-file",
            list.to_str().unwrap(),
            "--remaining",
            remaining.to_str().unwrap(),
        ],
    );
    terminal.wait_until("the bar and 20 rows", |screen| {
        screen.contains("/400 clusters [") && terminal.stdout().lines().count() > 20
    });
    terminal.press_ctrl_c();
    let run = terminal.finish();
    assert_eq!(run.code, 130, "{run:#?}");

    let answered = rows(&run.stdout);
    let left: Vec<String> = std::fs::read_to_string(&remaining)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(answered.len() > 20 && !left.is_empty(), "{run:#?}");
    // Printed in the order given; every cluster either printed or left.
    assert!(answered.windows(2).all(|pair| pair[0] < pair[1]));
    let mut all: BTreeSet<&String> = answered.iter().collect();
    assert!(left.iter().all(|id| all.insert(id)), "printed and left");
    assert_eq!(all.len(), ids.len());
    // The bar is cleared before the summary.
    let summary = format!(
        "\x1b[2Kinterrupted: {} of 400 clusters answered; the other {} are in {} (for --clusters-file)\r\n",
        answered.len(),
        left.len(),
        remaining.display()
    );
    assert!(run.screen.ends_with(&summary), "{:?}", run.screen);
}

#[test]
fn calls_in_flight_get_a_bounded_time_and_a_second_ctrl_c_exits_at_once() {
    // Answers come after 6 s: later than the 3 s the calls in flight get.
    let ids = cluster_ids(6);
    let server = slow_server(&ids, Duration::from_secs(6));
    let list = scratch_file("bounded-clusters.txt", &ids.join("\n"));
    let remaining = scratch_file("bounded-remaining.txt", "");
    let args = [
        "status",
        "--concurrency",
        "2",
        "--clusters-file",
        list.to_str().unwrap(),
        "--remaining",
        remaining.to_str().unwrap(),
    ];

    let terminal = Terminal::start(&server, "bounded", &args);
    terminal.wait_until("the bar", |screen| screen.contains("0/6 clusters ["));
    let pressed = Instant::now();
    terminal.press_ctrl_c();
    let run = terminal.finish();
    let waited = pressed.elapsed();
    assert_eq!(run.code, 130, "{run:#?}");
    assert!(
        waited >= Duration::from_millis(2900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    assert!(run.screen.contains(&format!(
        "interrupted: 0 of 6 clusters answered; the other 6 are in {}",
        remaining.display()
    )));
    assert_eq!(
        std::fs::read_to_string(&remaining).unwrap(),
        ids.join("\n") + "\n"
    );
    assert_eq!(rows(&run.stdout), Vec::<String>::new());

    let terminal = Terminal::start(&server, "twice", &args);
    terminal.wait_until("the bar", |screen| screen.contains("0/6 clusters ["));
    terminal.press_ctrl_c();
    std::thread::sleep(Duration::from_millis(200));
    let pressed = Instant::now();
    terminal.press_ctrl_c();
    let run = terminal.finish();
    assert_eq!(run.code, 130, "{run:#?}");
    assert!(pressed.elapsed() < Duration::from_millis(1500), "{run:#?}");
    assert!(
        run.screen.contains("interrupted again: exiting now"),
        "{run:#?}"
    );
}

#[test]
fn ctrl_c_while_waiting_says_the_sync_goes_on_and_how_to_watch_or_cancel_it() {
    let server = common::TestServer::with(mrs_iam_sync_server::Config {
        sync_duration: Duration::from_secs(60),
        ..mrs_iam_sync_server::Config::default()
    });
    let cluster = mrs_iam_sync_server::DEMO_CLUSTER_ID;
    let terminal = Terminal::start(
        &server,
        "sync-wait",
        &[
            "sync",
            "--cluster-id",
            cluster,
            "--user",
            "user1",
            "--group",
            "group3",
            "--wait",
            "--interval",
            "100ms",
        ],
    );
    terminal.wait_until("the spinner", |screen| {
        screen.contains(&format!("waiting for {cluster}: ")) && screen.contains(" polls")
    });
    terminal.press_ctrl_c();
    let run = terminal.finish();
    assert_eq!(run.code, 130, "{run:#?}");
    assert!(
        run.stdout
            .starts_with(&format!("sync started on {cluster}")),
        "{run:#?}"
    );
    let endpoint = server.server().base_url();
    for expected in [
        format!(
            "\x1b[2Kinterrupted: the sync started on {cluster} goes on in the service; only the waiting stopped."
        ),
        format!("watch it:  mrs-iam-sync --endpoint {endpoint} wait --cluster-id {cluster}"),
        format!(
            "cancel it: mrs-iam-sync --endpoint {endpoint} cancel --cluster-id {cluster} --user user1 --group group3"
        ),
    ] {
        assert!(
            run.screen.contains(&expected),
            "no {expected:?} in {:?}",
            run.screen
        );
    }
    // The sync does go on.
    let run = server
        .cli()
        .args(["status", "--cluster-id", cluster])
        .run()
        .expect_code(0);
    assert!(run.stdout.contains("yes"), "{run:#?}");
}
