//! The throttled fan-out (`crates/mrs-iam-sync-cli/benches/throttled.rs`,
//! which writes `target/tmp/throttled.json`): for each gateway shape, the
//! wall time against the ideal, clusters answered and refusals per answer,
//! each against its target; and the client round trip with the rate limiter
//! on against off (same run). `cargo xtask bench --throttled` runs only the
//! fan-out, optionally with another build's CLI (`--cli PATH`) for a
//! before/after against the same gateways.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::bench::harness::{settle, table};

/// Target: the median run's wall time within this multiple of the ideal.
const MEDIAN_TARGET: f64 = 1.3;
/// Target: the slowest run's wall time within this multiple of the ideal.
const WORST_TARGET: f64 = 1.4;
/// Target: at most this many refusals per answer.
const REFUSALS_TARGET: f64 = 0.25;

/// `cargo xtask bench --throttled [--cli PATH]`: runs the fan-out on both
/// gateway shapes and prints its rows.
pub fn run(root: &Path, cli: Option<&Path>) -> Result<()> {
    let bench = |extra: &[&str]| -> Result<()> {
        let mut command = Command::new(env!("CARGO"));
        command
            .current_dir(root)
            .args([
                "bench",
                "--locked",
                "-p",
                "mrs-iam-sync-cli",
                "--bench",
                "throttled",
            ])
            .args(extra);
        if let Some(cli) = cli {
            let cli = std::fs::canonicalize(cli)
                .with_context(|| format!("no CLI binary at {}", cli.display()))?;
            command.env("MRS_IAM_SYNC_BENCH_CLI", cli);
        }
        let status = command.status().context("cannot run cargo bench")?;
        if !status.success() {
            bail!("cargo bench -p mrs-iam-sync-cli --bench throttled failed ({status})");
        }
        Ok(())
    };
    bench(&["--no-run"])?;
    let load = settle();
    println!("running the throttled fan-out (load average {load:.2})");
    bench(&[])?;
    let rows = rows(&root.join("target"), |_| None);
    if rows.is_empty() {
        bail!("the throttled fan-out left no results in target/tmp/throttled.json");
    }
    println!("\n{}", table(load, &rows));
    Ok(())
}

/// The rows, when their results exist under `target` (the target dir).
pub fn rows(target: &Path, mean_ns: impl Fn(&str) -> Option<f64>) -> Vec<[String; 4]> {
    let mut rows = Vec::new();
    if let (Some(paced), Some(unpaced)) = (
        mean_ns("round_trip/client_signed"),
        mean_ns("round_trip/client_signed_limiter_off"),
    ) {
        rows.push([
            "round_trip/client_signed (limiter on)".into(),
            format!("{:.2} µs", paced / 1e3),
            format!("limiter off {:.2} µs", unpaced / 1e3),
            format!("{:.3}× the time with it off (target ≈ 1)", paced / unpaced),
        ]);
    }
    let Some(summary) = std::fs::read_to_string(target.join("tmp/throttled.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
    else {
        return rows;
    };
    let (Some(ideal), Some(clusters)) = (
        summary["ideal_seconds"].as_f64(),
        summary["clusters"].as_f64(),
    ) else {
        return rows;
    };
    for shape in summary["shapes"].as_array().into_iter().flatten() {
        let runs = shape["runs"].as_array().cloned().unwrap_or_default();
        let field = |name: &str| -> Vec<f64> {
            let mut values: Vec<f64> = runs.iter().filter_map(|run| run[name].as_f64()).collect();
            values.sort_by(f64::total_cmp);
            values
        };
        let (seconds, answered, refusals, loads) = (
            field("seconds"),
            field("answered"),
            field("refusals"),
            field("load_before"),
        );
        let Some(&slowest) = seconds.last() else {
            continue;
        };
        // The upper median, as the other benchmarks take it.
        let median = seconds[seconds.len() / 2];
        let fewest = answered.first().copied().unwrap_or(0.0);
        let worst_ratio = runs
            .iter()
            .filter_map(|run| Some(run["refusals"].as_f64()? / run["answered"].as_f64()?.max(1.0)))
            .fold(0.0, f64::max);
        let name = format!(
            "throttled/status ({clusters:.0} clusters, {} req/s gateway, burst {} = {} s)",
            summary["gateway_rate"], shape["burst"], shape["burst_seconds"]
        );
        rows.push([
            name.clone(),
            format!(
                "{median:.2} s (median of {}; slowest {slowest:.2} s; load before up to {})",
                seconds.len(),
                loads
                    .last()
                    .map_or("unknown".into(), |load| format!("{load:.2}"))
            ),
            format!("ideal {ideal:.0} s"),
            format!(
                "{:.2}× the ideal (target ≤ {MEDIAN_TARGET}×); slowest {:.2}× (target ≤ {WORST_TARGET}×)",
                median / ideal,
                slowest / ideal
            ),
        ]);
        rows.push([
            format!("{name}: answers"),
            format!("{fewest:.0} in the worst run"),
            format!("{clusters:.0} clusters"),
            format!("{:.3} of the clusters (target: all)", fewest / clusters),
        ]);
        rows.push([
            format!("{name}: refusals"),
            format!(
                "{:.0}–{:.0} per run",
                refusals.first().copied().unwrap_or(0.0),
                refusals.last().copied().unwrap_or(0.0)
            ),
            "answers".into(),
            format!("{worst_ratio:.3} per answer in the worst run (target ≤ {REFUSALS_TARGET})"),
        ]);
    }
    rows
}
