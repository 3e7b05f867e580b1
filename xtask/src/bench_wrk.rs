//! `cargo xtask bench --wrk`: the CLI's fan-out against wrk on the same
//! server.
//!
//! One canned-JSON server process (`tests/examples/canned_server.rs`, one
//! thread) answers both:
//! - wrk, one thread, 32 connections, 10 s, GETting a status URL;
//! - `mrs-iam-sync --json status --concurrency 32` over 10,000 clusters
//!   (signed, one thread), three times; the median run counts.
//!
//! Target: the CLI reaches at least 0.3 of wrk's requests per second. The
//! ratio is printed only when the load average is at most 1.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bench::{ratio_if_quiet, settle};

const CLUSTERS: usize = 10_000;
const CONCURRENCY: &str = "32";
const PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

/// Kills the server when the benchmark ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn run(root: &Path) -> Result<()> {
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("wrk is not installed: `apt-get install wrk` (Debian)");
    }
    println!("building the CLI and the canned server (release)");
    let status = Command::new(env!("CARGO"))
        .current_dir(root)
        .args(["build", "--release", "--quiet"])
        .args(["-p", "mrs-iam-sync-cli", "--bin", "mrs-iam-sync"])
        .args(["-p", "mrs-iam-sync-tests", "--example", "canned_server"])
        .status()
        .context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build failed ({status})");
    }
    let release = root.join("target/release");
    let mut child = Command::new(release.join("examples/canned_server"))
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start the canned server")?;
    let stdout = child.stdout.take().context("the server's stdout")?;
    let server = Server(child);
    let mut base = String::new();
    BufReader::new(stdout)
        .read_line(&mut base)
        .context("the server did not say where it listens")?;
    let base = base.trim();

    let dir = root.join("target/bench-wrk");
    std::fs::create_dir_all(&dir)?;
    let clusters = dir.join("clusters.txt");
    let ids: Vec<String> = (0..CLUSTERS).map(|i| format!("cluster-{i:05}")).collect();
    std::fs::write(&clusters, ids.join("\n"))?;

    // The load of everything else, read before each measurement (see `settle`).
    let mut load = settle();
    let wrk_rate = wrk(&format!(
        "{base}/v2/{PROJECT}/clusters/cluster-00000/iam-sync"
    ))?;
    println!("wrk -t1 -c{CONCURRENCY} -d10s: {wrk_rate:.0} requests/s");
    let mut runs = Vec::new();
    for run in 1..=3 {
        load = load.max(settle());
        let took = cli_status(&release.join("mrs-iam-sync"), base, &clusters)?;
        println!(
            "run {run}/3: mrs-iam-sync status, {CLUSTERS} clusters at concurrency {CONCURRENCY}: {:.2} s ({:.0} clusters/s)",
            took.as_secs_f64(),
            CLUSTERS as f64 / took.as_secs_f64()
        );
        runs.push(took);
    }
    drop(server);
    runs.sort();
    let cli_rate = CLUSTERS as f64 / runs[1].as_secs_f64();
    println!(
        "\nCLI {cli_rate:.0} clusters/s (median of 3) against wrk {wrk_rate:.0} requests/s, load average before each measurement up to {load:.2}: {} (target ≥ 0.3)",
        ratio_if_quiet(load, cli_rate / wrk_rate, " of wrk")
    );
    Ok(())
}

/// wrk's requests per second at 32 connections on one thread.
fn wrk(url: &str) -> Result<f64> {
    let output = Command::new("wrk")
        .args(["-t1", &format!("-c{CONCURRENCY}"), "-d10s", url])
        .output()
        .context("cannot run wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || text.contains("Non-2xx") {
        bail!("wrk failed:\n{text}");
    }
    text.lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|rate| rate.trim().parse().ok())
        .with_context(|| format!("no Requests/sec in wrk's output:\n{text}"))
}

/// One `status` run over the cluster file; fails unless every call succeeded.
fn cli_status(cli: &Path, base: &str, clusters: &Path) -> Result<Duration> {
    let started = Instant::now();
    let output = Command::new(cli)
        .args(["--endpoint", base, "--json", "status"])
        .args(["--concurrency", CONCURRENCY, "--clusters-file"])
        .arg(clusters)
        .env_clear()
        .env("HUAWEICLOUD_SDK_AK", "AKEXAMPLE")
        .env("HUAWEICLOUD_SDK_SK", "SKEXAMPLE")
        .env("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)
        .env("HOME", "/nonexistent")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .context("cannot run the CLI")?;
    let took = started.elapsed();
    if !output.status.success() {
        bail!(
            "mrs-iam-sync status failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(took)
}
