//! `cargo xtask bench`: runs the workspace's criterion benchmarks and prints
//! each result next to the baseline measured in the same run, as ratios.
//!
//! - signing one request (target: ≤ 2 µs), next to a bare HMAC-SHA256 of the
//!   same string to sign;
//! - a client round trip vs a bare reqwest GET of the same URL (target: the
//!   client reaches ≥ 0.9 of the bare call's throughput), and the bare GET
//!   with the signed request's headers (what the request's shape costs);
//! - `mrs-iam-sync status` over 10,000 clusters at concurrency 1, 8, 32, 128
//!   (requests per second and the speed-up over concurrency 1);
//! - the same over 1,000 clusters against a gateway allowing 100 requests/s,
//!   with a burst of one second and of a tenth of a second (wall time
//!   against the ideal 10 s, answers, refusals per answer), and a client
//!   round trip with the rate limiter on against off
//!   ([`crate::bench::throttled`]).
//!
//! The table states the highest load average seen before each benchmark (the
//! machine's other work; see [`settle`]) and gives
//! no ratio when it was above 1: a busy machine decides such figures.

pub mod build;
pub mod harness;
pub mod rounds;
pub mod throttled;
pub mod wrk;

use harness::{ratio_if_quiet, settle, table};

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// (package, bench target) pairs, in the order they run.
const BENCHES: [(&str, &str); 4] = [
    ("hwcloud-auth", "sign"),
    ("mrs-iam-sync-tests", "round_trip"),
    ("mrs-iam-sync-cli", "many_clusters"),
    ("mrs-iam-sync-cli", "throttled"),
];

/// Where the load average of the last run is kept for `--report`.
const LOAD_FILE: &str = "target/criterion/xtask-load-average";

/// Runs the benchmarks (unless `report_only`) and prints the summary.
pub fn run(root: &Path, report_only: bool) -> Result<()> {
    if !report_only {
        // Build first, then let the build's own load fade before measuring.
        for (package, bench) in BENCHES {
            cargo_bench(root, package, bench, &["--no-run"])?;
        }
        let mut load: f64 = 0.0;
        for (package, bench) in BENCHES {
            let before = settle();
            println!("running cargo bench -p {package} --bench {bench} (load average {before:.2})");
            cargo_bench(root, package, bench, &[])?;
            load = load.max(before);
        }
        std::fs::write(root.join(LOAD_FILE), format!("{load:.2}\n"))
            .context("cannot record the load average")?;
    }
    let criterion = root.join("target/criterion");
    let load = std::fs::read_to_string(root.join(LOAD_FILE))
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(f64::INFINITY);
    println!("\n{}", summary(&criterion, load)?);
    Ok(())
}

fn cargo_bench(root: &Path, package: &str, bench: &str, extra: &[&str]) -> Result<()> {
    let status = Command::new(env!("CARGO"))
        .current_dir(root)
        .args(["bench", "-p", package, "--bench", bench])
        // hwcloud-auth's other algorithms are features of their own (not
        // `--all-features`: that would sign with aws-lc-rs, not the default ring).
        .args(
            (package == "hwcloud-auth")
                .then_some(["--features", "hmac-sm3,ecdsa-p256-sha256,sm2-sm3"])
                .into_iter()
                .flatten(),
        )
        .args(extra)
        .status()
        .with_context(|| format!("cannot run cargo bench for {package}"))?;
    if !status.success() {
        bail!("cargo bench -p {package} --bench {bench} {extra:?} failed ({status})");
    }
    Ok(())
}

/// Criterion's saved estimates of one benchmark, in nanoseconds per
/// iteration: its slope estimate (what it prints) when it has one, else the
/// mean; and the mean, which keeps a slow tail.
fn estimates(criterion: &Path, id: &str) -> Option<(f64, f64)> {
    let path = criterion.join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let mean = json["mean"]["point_estimate"].as_f64()?;
    Some((
        json["slope"]["point_estimate"].as_f64().unwrap_or(mean),
        mean,
    ))
}

/// Criterion's estimate of one iteration, in nanoseconds.
fn mean_ns(criterion: &Path, id: &str) -> Option<f64> {
    estimates(criterion, id).map(|(estimate, _)| estimate)
}

fn human(ns: f64) -> String {
    match ns {
        ns if ns >= 1e9 => format!("{:.2} s", ns / 1e9),
        ns if ns >= 1e6 => format!("{:.2} ms", ns / 1e6),
        ns if ns >= 1e3 => format!("{:.2} µs", ns / 1e3),
        ns => format!("{ns:.0} ns"),
    }
}

/// The table of results and ratios from criterion's saved estimates.
pub fn summary(criterion: &Path, load: f64) -> Result<String> {
    let mut rows: Vec<[String; 4]> = Vec::new();
    for request in ["get_iam_sync", "post_iam_sync_user_json"] {
        // Signing a fresh request = (clone + sign) - clone; a retry re-signs.
        let (Some(with_clone), Some(clone), Some(resign), Some(floor)) = (
            mean_ns(criterion, &format!("sign/{request}_clone_and_sign")),
            mean_ns(criterion, &format!("sign/{request}_clone_only")),
            mean_ns(criterion, &format!("sign/{request}_resign")),
            mean_ns(criterion, &format!("sign/{request}_floor_hmac")),
        ) else {
            continue;
        };
        let sign = with_clone - clone;
        rows.push([
            format!("sign/{request}"),
            format!("{} (re-sign {})", human(sign), human(resign)),
            format!("HMAC floor {}", human(floor)),
            format!(
                "{} (target ≤ 2 µs)",
                ratio_if_quiet(load, sign / floor, "× the floor")
            ),
        ]);
    }
    // Each signing algorithm (a re-sign of the GET), next to the official Python
    // signer's time for it, measured at a desk with
    // crates/hwcloud-auth/tests/data/signer_time.py (2026-11-30, load average 15:
    // the official ECDSA and SM2 derive the key and do the curve arithmetic in
    // pure Python on every signature).
    for (algorithm, python_us, target) in [
        ("hmac-sha256", 253.0, "≤ 2 µs"),
        ("hmac-sm3", 254.0, "≤ 3 µs"),
        ("ecdsa-p256-sha256", 428_563.0, "≤ 100 µs"),
        ("sm2-sm3", 474_406.0, "≤ 150 µs"),
    ] {
        let Some(time) = mean_ns(criterion, &format!("sign/algorithm_{algorithm}")) else {
            continue;
        };
        rows.push([
            format!("sign/algorithm_{algorithm}"),
            human(time),
            format!("official Python {}", human(python_us * 1e3)),
            format!(
                "{} faster (target {target})",
                ratio_if_quiet(load, python_us * 1e3 / time, "×")
            ),
        ]);
    }
    // Both ratios (estimate and mean) count, so that a slow tail cannot hide.
    for (id, meaning) in [
        (
            "round_trip/client_signed",
            "of the bare throughput (target ≥ 0.9 both)",
        ),
        // The signed request's headers sent by reqwest alone: what the
        // request's shape costs, apart from the client's work.
        (
            "round_trip/bare_reqwest_signed_shape",
            "of the bare throughput (the request's shape alone)",
        ),
    ] {
        if let (Some((time, mean)), Some((bare, bare_mean))) = (
            estimates(criterion, id),
            estimates(criterion, "round_trip/bare_reqwest_get"),
        ) {
            rows.push([
                id.into(),
                format!("{} (mean {})", human(time), human(mean)),
                format!("bare reqwest {} (mean {})", human(bare), human(bare_mean)),
                format!(
                    "{} (mean {}) {meaning}",
                    ratio_if_quiet(load, bare / time, ""),
                    ratio_if_quiet(load, bare_mean / mean, "")
                ),
            ]);
        }
    }
    let single = mean_ns(criterion, "many_clusters/status/1");
    for concurrency in [1, 8, 32, 128] {
        let Some(time) = mean_ns(criterion, &format!("many_clusters/status/{concurrency}")) else {
            continue;
        };
        let rate = 10_000.0 / (time / 1e9);
        rows.push([
            format!("many_clusters/status/{concurrency}"),
            format!("{} ({rate:.0} clusters/s)", human(time)),
            "concurrency 1".into(),
            single.map_or("-".into(), |single| {
                ratio_if_quiet(load, single / time, "× concurrency 1")
            }),
        ]);
    }
    if let Some(target) = criterion.parent() {
        rows.extend(crate::bench::throttled::rows(target, |id| {
            mean_ns(criterion, id)
        }));
    }
    if rows.is_empty() {
        bail!(
            "no benchmark results under {}: run `cargo xtask bench` first",
            criterion.display()
        );
    }
    Ok(table(load, &rows))
}
