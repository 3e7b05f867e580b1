//! `cargo xtask bench --rounds N`: the round trip's ratios as medians of many
//! short alternations, for a machine whose speed changes within a minute
//! (criterion measures each variant once, one after the other, so a change
//! of speed between them decides the ratio).
//!
//! `tests/examples/round_trip_profile.rs` (release) runs `bare` (reqwest
//! alone), `shaped` (reqwest alone with the signed request's headers) and
//! `client` (signed, no retries) in turn, 20,000 calls each, N times; each
//! round gives the ratios bare/client and bare/shaped of the times per call,
//! and the medians are the figures (target for the client: ≥ 0.9).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::bench::{ratio_if_quiet, settle};

const CALLS: &str = "20000";
const VARIANTS: [&str; 3] = ["bare", "shaped", "client"];

pub fn run(root: &Path, rounds: usize) -> Result<()> {
    println!("building tests/examples/round_trip_profile.rs (release)");
    let status = Command::new(env!("CARGO"))
        .current_dir(root)
        .args(["build", "--release", "--locked", "-p", "mrs-iam-sync-tests"])
        .args(["--example", "round_trip_profile"])
        .status()
        .context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build of the round_trip_profile example failed ({status})");
    }
    let example = root.join("target/release/examples/round_trip_profile");
    // Read before the rounds, as the other benchmarks do: the rounds' own
    // process raises the load average while they run.
    let load = settle();
    let mut client_ratios = Vec::with_capacity(rounds);
    let mut shaped_ratios = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        let mut micros = [0.0; VARIANTS.len()];
        for (variant, time) in VARIANTS.iter().zip(&mut micros) {
            *time = per_call(&example, variant)?;
        }
        let [bare, shaped, client] = micros;
        println!(
            "round {round}: bare {bare:.1} µs, shaped {shaped:.1} µs, client {client:.1} µs per call"
        );
        client_ratios.push(bare / client);
        shaped_ratios.push(bare / shaped);
    }
    println!(
        "\nload average before the rounds: {load:.2} (ratios need ≤ 1); {rounds} rounds of {CALLS} calls"
    );
    for (name, ratios, meaning) in [
        ("client", &mut client_ratios, "(target ≥ 0.9)"),
        ("shaped", &mut shaped_ratios, "(the request's shape alone)"),
    ] {
        ratios.sort_by(f64::total_cmp);
        println!(
            "{name}: median {} of the bare throughput, {}–{} over the rounds {meaning}",
            // The upper median, as the other benchmarks take it.
            ratio_if_quiet(load, ratios[ratios.len() / 2], ""),
            ratio_if_quiet(load, ratios[0], ""),
            ratio_if_quiet(load, ratios[ratios.len() - 1], ""),
        );
    }
    Ok(())
}

/// One run of the example: its time per call in microseconds.
fn per_call(example: &Path, variant: &str) -> Result<f64> {
    let output = Command::new(example)
        .args([variant, CALLS])
        .output()
        .with_context(|| format!("cannot run {}", example.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "round_trip_profile {variant} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_per_call(&text)
        .with_context(|| format!("round_trip_profile {variant} printed no time: {text:?}"))
}

/// `"client: 20000 calls, 81.234 µs per call"` → 81.234.
fn parse_per_call(line: &str) -> Option<f64> {
    line.trim()
        .strip_suffix(" µs per call")?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_examples_line() {
        assert_eq!(
            parse_per_call("client: 20000 calls, 81.234 µs per call\n"),
            Some(81.234)
        );
        assert_eq!(parse_per_call("client: 20000 calls"), None);
    }
}
