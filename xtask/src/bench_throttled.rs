//! The rows of `cargo xtask bench` for the throttled fan-out
//! (`crates/mrs-iam-sync-cli/benches/throttled.rs`, which writes
//! `target/tmp/throttled.json`): wall time against the ideal, clusters
//! answered, refusals per answer, each against its target; and the client
//! round trip with the rate limiter on against off (same run).

use std::path::Path;

/// Target: the wall time within this multiple of the ideal.
const WALL_TARGET: f64 = 1.3;
/// Target: at most this many refusals per answer.
const REFUSALS_TARGET: f64 = 0.25;

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
    let runs = summary["runs"].as_array().cloned().unwrap_or_default();
    let field = |name: &str| -> Vec<f64> {
        let mut values: Vec<f64> = runs.iter().filter_map(|run| run[name].as_f64()).collect();
        values.sort_by(f64::total_cmp);
        values
    };
    let (seconds, answered, refusals) = (field("seconds"), field("answered"), field("refusals"));
    let (Some(ideal), Some(clusters), Some(&slowest)) = (
        summary["ideal_seconds"].as_f64(),
        summary["clusters"].as_f64(),
        seconds.last(),
    ) else {
        return rows;
    };
    let median = seconds[seconds.len() / 2];
    let fewest = answered.first().copied().unwrap_or(0.0);
    let worst_ratio = runs
        .iter()
        .filter_map(|run| Some(run["refusals"].as_f64()? / run["answered"].as_f64()?.max(1.0)))
        .fold(0.0, f64::max);
    let name = format!(
        "throttled/status ({clusters:.0} clusters, {} req/s gateway)",
        summary["gateway_rate"]
    );
    rows.push([
        name.clone(),
        format!(
            "{median:.2} s (median of {}; slowest {slowest:.2} s)",
            seconds.len()
        ),
        format!("ideal {ideal:.0} s"),
        format!(
            "{:.2}× the ideal (slowest {:.2}×; target ≤ {WALL_TARGET}×)",
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
    rows
}
