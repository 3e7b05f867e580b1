//! `cargo xtask bench --rounds N [--base DIR]`: the round trip's ratios as
//! medians of many short alternations, for a machine whose speed changes
//! within a minute (criterion measures each variant once, one after the
//! other, so a change of speed between them decides the ratio).
//!
//! `tests/examples/round_trip_profile.rs` (release) runs `bare` (reqwest
//! alone), `shaped` (reqwest alone with the signed request's headers) and
//! `client` (signed, no retries) in turn, 20,000 calls each, N times; each
//! round gives the ratios bare/client and bare/shaped of the times per call,
//! and the medians are the figures (target for the client: ≥ 0.9).
//!
//! With `--base DIR` (a checkout of another commit, e.g. the one before a
//! change), that checkout's example is built too and its `client` runs in
//! every round as well, in turn with this one's (which goes first
//! alternates): the before and after of a change, measured in the same
//! minutes, as the median of the per-round speed-ups.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::bench::harness::{build_base, ratio_if_quiet, settle};

const CALLS: &str = "20000";
const EXAMPLE: [&str; 4] = [
    "-p",
    "mrs-iam-sync-tests",
    "--example",
    "round_trip_profile",
];

/// `cargo xtask bench --rounds N [--base DIR]`.
pub fn main(root: &Path, args: &[&str]) -> Result<()> {
    let (rounds, base) = match args {
        [rounds] => (rounds, None),
        [rounds, "--base", dir] => (rounds, Some(Path::new(*dir))),
        _ => bail!("bench --rounds takes a number of rounds, then optionally --base DIR"),
    };
    match rounds.parse() {
        Ok(rounds) if rounds > 0 => run(root, rounds, base),
        _ => bail!("--rounds takes a positive number, not {rounds:?}"),
    }
}

fn run(root: &Path, rounds: usize, base: Option<&Path>) -> Result<()> {
    println!("building tests/examples/round_trip_profile.rs (release)");
    let status = Command::new(env!("CARGO"))
        .current_dir(root)
        .args(["build", "--release", "--locked"])
        .args(EXAMPLE)
        .status()
        .context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build of the round_trip_profile example failed ({status})");
    }
    let example = root.join("target/release/examples/round_trip_profile");
    let base_example: Option<PathBuf> = match base {
        Some(base) => Some(build_base(root, base, &EXAMPLE)?.join("examples/round_trip_profile")),
        None => None,
    };
    // Read before the rounds, as the other benchmarks do: the rounds' own
    // process raises the load average while they run.
    let load = settle();
    let mut client_ratios = Vec::with_capacity(rounds);
    let mut shaped_ratios = Vec::with_capacity(rounds);
    let mut base_ratios = Vec::with_capacity(rounds);
    let mut speedups = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        let bare = per_call(&example, "bare")?;
        let shaped = per_call(&example, "shaped")?;
        let (client, before) = match &base_example {
            None => (per_call(&example, "client")?, None),
            // Which of the two goes first alternates.
            Some(base) if round % 2 == 1 => {
                let client = per_call(&example, "client")?;
                (client, Some(per_call(base, "client")?))
            }
            Some(base) => {
                let before = per_call(base, "client")?;
                (per_call(&example, "client")?, Some(before))
            }
        };
        print!(
            "round {round}: bare {bare:.1} µs, shaped {shaped:.1} µs, client {client:.1} µs per call"
        );
        if let Some(before) = before {
            print!(", base's client {before:.1} µs");
            base_ratios.push(bare / before);
            speedups.push(before / client);
        }
        println!();
        client_ratios.push(bare / client);
        shaped_ratios.push(bare / shaped);
    }
    println!(
        "\nload average before the rounds: {load:.2} (ratios need ≤ 1); {rounds} rounds of {CALLS} calls"
    );
    let mut rows = vec![
        (
            "client",
            client_ratios,
            "of the bare throughput (target ≥ 0.9)",
        ),
        (
            "shaped",
            shaped_ratios,
            "of the bare throughput (the request's shape alone)",
        ),
    ];
    if let Some(base) = base {
        rows.push((
            "base's client",
            base_ratios,
            "of the bare throughput (the checkout given with --base)",
        ));
        rows.push((
            "client / base's client",
            speedups,
            "the speed of this client over the base's, per round",
        ));
        println!("base: {}", base.display());
    }
    for (name, mut ratios, meaning) in rows {
        ratios.sort_by(f64::total_cmp);
        println!(
            "{name}: median {}, {}–{} over the rounds: {meaning}",
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
