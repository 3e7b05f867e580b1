//! A fan-out against a throttling gateway: the run shares one client, so the
//! client's rate limiter paces every call; no cluster is lost, the gateway
//! refuses a small fraction of the requests, and the run says so once.

mod common;

use common::TestServer;
use mrs_iam_sync_server::Config;

fn clusters(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("cluster-{i:03}")).collect()
}

#[test]
fn status_over_200_clusters_at_50_per_second_loses_none() {
    let ids = clusters(200);
    let server = TestServer::with(Config {
        clusters: ids.clone(),
        rate_limit: Some(50.0),
        ..Config::default()
    });
    let run = server
        .cli()
        .args([
            "--json",
            "status",
            "--concurrency",
            "32",
            "--clusters-file",
            "-",
        ])
        .stdin(&ids.join("\n"))
        .run()
        .expect_code(0);

    // Every cluster answered, in order, in the usual JSON shape.
    let lines = run.json_lines();
    assert_eq!(lines.len(), 200);
    for (line, id) in lines.iter().zip(&ids) {
        assert_eq!(
            line,
            &serde_json::json!({"cluster_id": id, "is_synchronizing": false, "error": null})
        );
    }
    let statuses: Vec<Option<u16>> = server
        .server()
        .requests()
        .iter()
        .map(|request| request.status)
        .collect();
    let answers = statuses.iter().filter(|s| **s == Some(200)).count();
    let refusals = statuses.iter().filter(|s| **s == Some(429)).count();
    assert_eq!(answers, 200);
    assert_eq!(refusals + answers, statuses.len(), "{statuses:?}");
    // The burst in flight when the gateway first refuses (at most the
    // concurrency), and little after it.
    assert!(refusals <= 50, "{refusals} refusals for {answers} answers");

    // Said once, on stderr, with the rate the run slowed to.
    let notes: Vec<&str> = run.stderr.lines().collect();
    eprintln!("{refusals} refusals for {answers} answers; {}", run.stderr);
    assert_eq!(notes.len(), 1, "{run:#?}");
    assert!(
        notes[0].starts_with("note: throttled by the gateway; slowed to ~")
            && notes[0].contains(&format!("({refusals} refusals)")),
        "{run:#?}"
    );
}

#[test]
fn max_rate_paces_from_the_start() {
    let ids = clusters(12);
    let server = TestServer::with(Config {
        clusters: ids.clone(),
        rate_limit: Some(10.0),
        ..Config::default()
    });
    let started = std::time::Instant::now();
    let run = server
        .cli()
        .args(["status", "--concurrency", "8", "--max-rate", "20"])
        .arg("--clusters-file")
        .arg("-")
        .stdin(&ids.join("\n"))
        .run()
        .expect_code(0);
    // 12 requests at 20/s after the first: at least 0.55 s; never refused
    // (the gateway's burst is 10, and it refills 5 in that time).
    assert!(started.elapsed().as_secs_f64() >= 0.55);
    assert_eq!(run.stdout.lines().count(), 13);
    assert_eq!(run.stderr, "", "not throttled, nothing to say");
    assert!(
        server
            .server()
            .requests()
            .iter()
            .all(|request| request.status == Some(200))
    );
}
