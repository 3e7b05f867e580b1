//! `mrs-iam-sync status` over 1,000 clusters at concurrency 32 against a
//! loopback gateway that allows 100 requests/s per access key and takes
//! 5 ms over each request: the client's adaptive rate limiter at work.
//!
//! Measured, over three runs (each against a fresh gateway): the wall time
//! against the ideal 10 s (1,000 requests at 100/s; target ≤ 1.3×), the
//! clusters answered (target: all 1,000) and the gateway's refusals per
//! answer (target ≤ 0.25). Not a criterion benchmark: one run takes ten
//! seconds, and what matters besides the time are the counts. Writes
//! `target/tmp/throttled.json`, which `cargo xtask bench` reports.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mrs_iam_sync_server::{Config, DEMO_AK, DEMO_PROJECT_ID, DEMO_SK, Server};

const CLUSTERS: usize = 1_000;
const CONCURRENCY: usize = 32;
const GATEWAY_RATE: f64 = 100.0;
const GATEWAY_LATENCY: Duration = Duration::from_millis(5);
const RUNS: usize = 3;

/// What one run did.
struct Outcome {
    seconds: f64,
    answered: usize,
    refusals: usize,
    exit_code: Option<i32>,
    note: String,
}

fn run_once(runtime: &tokio::runtime::Runtime, ids: &[String], file: &std::path::Path) -> Outcome {
    let config = Config {
        clusters: ids.to_vec(),
        rate_limit: Some(GATEWAY_RATE),
        latency: GATEWAY_LATENCY,
        ..Config::default()
    };
    let server = runtime
        .block_on(Server::start(config, "127.0.0.1:0".parse().expect("addr")))
        .expect("server starts");
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_mrs-iam-sync"))
        .args(["--endpoint", &server.base_url(), "--json", "status"])
        .args(["--concurrency", &CONCURRENCY.to_string(), "--clusters-file"])
        .arg(file)
        .env_clear()
        .env("HUAWEICLOUD_SDK_AK", DEMO_AK)
        .env("HUAWEICLOUD_SDK_SK", DEMO_SK)
        .env("HUAWEICLOUD_SDK_PROJECT_ID", DEMO_PROJECT_ID)
        .env("HOME", "/nonexistent")
        .stdin(Stdio::null())
        .output()
        .expect("the CLI runs");
    let seconds = started.elapsed().as_secs_f64();
    let answered = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains(r#""is_synchronizing":false"#))
        .count();
    let refusals = server
        .requests()
        .iter()
        .filter(|request| request.status == Some(429))
        .count();
    runtime.block_on(server.shutdown());
    Outcome {
        seconds,
        answered,
        refusals,
        exit_code: output.status.code(),
        note: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let ids: Vec<String> = (0..CLUSTERS).map(|i| format!("cluster-{i:04}")).collect();
    let file = std::env::temp_dir().join(format!(
        "mrs-iam-sync-throttled-bench-{}.txt",
        std::process::id()
    ));
    std::fs::write(&file, ids.join("\n")).expect("write the cluster list");

    let ideal = CLUSTERS as f64 / GATEWAY_RATE;
    let mut runs = Vec::new();
    for run in 1..=RUNS {
        let outcome = run_once(&runtime, &ids, &file);
        println!(
            "throttled/status run {run}: {:.2} s ({:.2}× the ideal {ideal:.0} s), {} of {CLUSTERS} answered, \
             {} refusals ({:.3} per answer), exit {:?}; stderr: {}",
            outcome.seconds,
            outcome.seconds / ideal,
            outcome.answered,
            outcome.refusals,
            outcome.refusals as f64 / outcome.answered.max(1) as f64,
            outcome.exit_code,
            outcome.note,
        );
        runs.push(outcome);
    }
    let _ = std::fs::remove_file(&file);

    let runs_json: Vec<serde_json::Value> = runs
        .iter()
        .map(|run| {
            serde_json::json!({
                "seconds": run.seconds,
                "answered": run.answered,
                "refusals": run.refusals,
                "exit_code": run.exit_code,
            })
        })
        .collect();
    let summary = serde_json::json!({
        "clusters": CLUSTERS,
        "concurrency": CONCURRENCY,
        "gateway_rate": GATEWAY_RATE,
        "gateway_latency_ms": GATEWAY_LATENCY.as_millis() as u64,
        "ideal_seconds": ideal,
        "runs": runs_json,
    });
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("throttled.json");
    std::fs::write(&path, format!("{summary:#}\n")).expect("write the summary");
    println!("wrote {}", path.display());
}
