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
//!
//! Drawing the progress bar must not cost throughput (#25, ≤ 2%): each round
//! also runs the CLI with its stderr on a pseudo-terminal (util-linux's
//! `script`), once with `--progress none` and once with the bar drawn, and
//! the medians of these two are compared (the terminal and `script` cost the
//! same in both). With
//! `MRS_IAM_SYNC_BENCH_BEFORE=<another build of mrs-iam-sync>`, each round
//! runs that binary too (the "before" of a change, in the same hour).

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bench::harness::{ratio_if_quiet, settle};

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
    let cli = release.join("mrs-iam-sync");
    let before = std::env::var_os(BEFORE_ENV).map(PathBuf::from);
    let mut variants = vec![
        (
            "stderr piped (nothing drawn)",
            cli.clone(),
            Stderr::Piped,
            Vec::new(),
        ),
        (
            "stderr on a terminal, --progress none",
            cli.clone(),
            Stderr::TerminalQuiet,
            Vec::new(),
        ),
        (
            "stderr on a terminal, the bar drawn",
            cli,
            Stderr::Terminal,
            Vec::new(),
        ),
    ];
    if let Some(before) = before {
        variants.push((
            "before (MRS_IAM_SYNC_BENCH_BEFORE), stderr piped",
            before,
            Stderr::Piped,
            Vec::new(),
        ));
    }
    for round in 1..=ROUNDS {
        for (name, binary, stderr, runs) in &mut variants {
            load = load.max(settle());
            let took = cli_status(binary, base, &clusters, *stderr)?;
            println!(
                "round {round}/{ROUNDS}, {name}: {CLUSTERS} clusters at concurrency {CONCURRENCY}: {:.2} s ({:.0} clusters/s)",
                took.as_secs_f64(),
                CLUSTERS as f64 / took.as_secs_f64()
            );
            runs.push(took);
        }
    }
    drop(server);
    println!();
    // Paired by round (run one after the other), so that the machine's
    // drift between rounds cancels out: the median of the rounds' ratios,
    // each the throughput of `b` over that of `a`.
    let paired = |a: &[Duration], b: &[Duration]| {
        let mut ratios: Vec<f64> = a
            .iter()
            .zip(b)
            .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios[ratios.len() / 2]
    };
    let drawing = paired(&variants[1].3, &variants[2].3);
    let against_before = variants
        .get(3)
        .map(|before| paired(&before.3, &variants[0].3));
    let mut rates = Vec::new();
    for (name, _, _, runs) in &mut variants {
        runs.sort();
        let rate = CLUSTERS as f64 / runs[ROUNDS / 2].as_secs_f64();
        println!(
            "CLI, {name}: {rate:.0} clusters/s (median of {ROUNDS}) against wrk {wrk_rate:.0} requests/s: {} (target ≥ 0.3)",
            ratio_if_quiet(load, rate / wrk_rate, " of wrk")
        );
        rates.push(rate);
    }
    println!(
        "drawing the bar: {} of the throughput with nothing drawn on the same terminal \
         (median of the rounds' ratios; ratio of the medians {:.2}; target ≥ 0.98)",
        ratio_if_quiet(load, drawing, ""),
        rates[2] / rates[1]
    );
    if let Some(against_before) = against_before {
        println!(
            "this CLI (nothing drawn) against before: {} (median of the rounds' ratios; ratio of the medians {:.2})",
            ratio_if_quiet(load, against_before, ""),
            rates[0] / rates[3]
        );
    }
    println!("load average before each measurement up to {load:.2}");
    Ok(())
}

/// Rounds of each variant; the median counts.
const ROUNDS: usize = 15;
/// Another build of the CLI to run alongside, e.g. the commit before a change.
const BEFORE_ENV: &str = "MRS_IAM_SYNC_BENCH_BEFORE";

/// Where the CLI's stderr goes.
#[derive(Clone, Copy)]
enum Stderr {
    /// A pipe: nothing is drawn.
    Piped,
    /// A pseudo-terminal (util-linux's `script`) with `--progress none`: the
    /// terminal's cost without the drawing.
    TerminalQuiet,
    /// A pseudo-terminal: the progress bar is drawn.
    Terminal,
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
fn cli_status(cli: &Path, base: &str, clusters: &Path, stderr: Stderr) -> Result<Duration> {
    let mut command = match stderr {
        Stderr::Piped => {
            let mut command = Command::new(cli);
            command
                .args(["--endpoint", base, "--json", "status"])
                .args(["--concurrency", CONCURRENCY, "--clusters-file"])
                .arg(clusters);
            command
        }
        Stderr::Terminal | Stderr::TerminalQuiet => {
            // stdout still to /dev/null; the terminal's output (the bar) is
            // read by `script` and dropped; --return: the CLI's exit status.
            let progress = match stderr {
                Stderr::TerminalQuiet => " --progress none",
                _ => "",
            };
            let line = format!(
                "{} --endpoint {base} --json{progress} status --concurrency {CONCURRENCY} --clusters-file {} > /dev/null",
                cli.display(),
                clusters.display()
            );
            let mut command = Command::new("script");
            command.args(["--quiet", "--return", "--command", &line, "/dev/null"]);
            command
        }
    };
    let started = Instant::now();
    let output = command
        .env_clear()
        .env("HUAWEICLOUD_SDK_AK", "AKEXAMPLE")
        .env("HUAWEICLOUD_SDK_SK", "SKEXAMPLE")
        .env("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)
        .env("HOME", "/nonexistent")
        .env("TERM", "xterm")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
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
