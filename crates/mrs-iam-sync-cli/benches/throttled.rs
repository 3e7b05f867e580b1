//! `mrs-iam-sync status` over 1,000 clusters at concurrency 32 against a
//! loopback gateway that allows 100 requests/s per access key and takes
//! 5 ms over each request: the client's adaptive rate limiter at work, on
//! two shapes of gateway: one whose bucket holds a second's worth of
//! requests (100), and a strict one holding a tenth of a second's (10).
//!
//! Measured, over three runs of each shape (each against a fresh gateway):
//! the wall time against the ideal 10 s (1,000 requests at 100/s; target:
//! median ≤ 1.3×, worst ≤ 1.4×), the clusters answered (target: all 1,000)
//! and the gateway's refusals per answer (target ≤ 0.25). Not a criterion
//! benchmark: one run takes ten seconds, and what matters besides the time
//! are the counts. Writes `target/tmp/throttled.json`, which
//! `cargo xtask bench` and `cargo xtask bench --throttled` report.
//!
//! The CLI measured is this workspace's, or the binary that
//! `MRS_IAM_SYNC_BENCH_CLI` names (to measure an older build against the
//! same gateways: `cargo xtask bench --throttled --cli PATH`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mrs_iam_sync_server::{Config, DEMO_AK, DEMO_PROJECT_ID, DEMO_SK, Server};

const CLUSTERS: usize = 1_000;
const CONCURRENCY: usize = 32;
const GATEWAY_RATE: f64 = 100.0;
const GATEWAY_LATENCY: Duration = Duration::from_millis(5);
/// The gateway's burst, in seconds of its rate: the default shape, and a
/// strict one.
const BURSTS_SECONDS: [f64; 2] = [1.0, 0.1];
const RUNS: usize = 3;

/// What one run did.
struct Outcome {
    seconds: f64,
    answered: usize,
    refusals: usize,
    exit_code: Option<i32>,
    load_before: Option<f64>,
    note: String,
}

fn run_once(
    runtime: &tokio::runtime::Runtime,
    cli: &Path,
    ids: &[String],
    file: &Path,
    burst: f64,
) -> Outcome {
    let config = Config {
        clusters: ids.to_vec(),
        rate_limit: Some(GATEWAY_RATE),
        rate_burst: Some(burst),
        latency: GATEWAY_LATENCY,
        ..Config::default()
    };
    let server = runtime
        .block_on(Server::start(config, "127.0.0.1:0".parse().expect("addr")))
        .expect("server starts");
    let load_before = load_average();
    let started = Instant::now();
    let output = Command::new(cli)
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
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", cli.display()));
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
        load_before,
        note: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    }
}

/// The 1-minute load average, when it can be read.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() {
    let cli = std::env::var_os("MRS_IAM_SYNC_BENCH_CLI").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_mrs-iam-sync")),
        PathBuf::from,
    );
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
    println!("measuring {}", cli.display());
    let mut shapes = Vec::new();
    for burst_seconds in BURSTS_SECONDS {
        let burst = (GATEWAY_RATE * burst_seconds).max(1.0);
        let mut runs = Vec::new();
        for run in 1..=RUNS {
            let outcome = run_once(&runtime, &cli, &ids, &file, burst);
            println!(
                "throttled/status, burst {burst:.0} ({burst_seconds} s), run {run}: {:.2} s \
                 ({:.2}× the ideal {ideal:.0} s), {} of {CLUSTERS} answered, {} refusals \
                 ({:.3} per answer), exit {:?}, load average before {}; stderr: {}",
                outcome.seconds,
                outcome.seconds / ideal,
                outcome.answered,
                outcome.refusals,
                outcome.refusals as f64 / outcome.answered.max(1) as f64,
                outcome.exit_code,
                outcome
                    .load_before
                    .map_or("unknown".into(), |load| format!("{load:.2}")),
                outcome.note,
            );
            runs.push(serde_json::json!({
                "seconds": outcome.seconds,
                "answered": outcome.answered,
                "refusals": outcome.refusals,
                "exit_code": outcome.exit_code,
                "load_before": outcome.load_before,
            }));
        }
        shapes.push(serde_json::json!({
            "burst": burst,
            "burst_seconds": burst_seconds,
            "runs": runs,
        }));
    }
    let _ = std::fs::remove_file(&file);

    let summary = serde_json::json!({
        "cli": cli.display().to_string(),
        "clusters": CLUSTERS,
        "concurrency": CONCURRENCY,
        "gateway_rate": GATEWAY_RATE,
        "gateway_latency_ms": GATEWAY_LATENCY.as_millis() as u64,
        "ideal_seconds": ideal,
        "shapes": shapes,
    });
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("throttled.json");
    std::fs::write(&path, format!("{summary:#}\n")).expect("write the summary");
    println!("wrote {}", path.display());
}
