//! What every benchmark shares: the machine's load (no ratio from a busy
//! machine), the build of a "before" checkout, and the table of results.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Builds `args` (release) in the checkout `base` (another commit of this
/// workspace, for a before/after in one run) into its own target directory
/// under this one's, so that neither build overwrites the other's
/// binaries. Returns that build's release directory.
pub fn build_base(root: &Path, base: &Path, args: &[&str]) -> Result<std::path::PathBuf> {
    let base = std::fs::canonicalize(base)
        .with_context(|| format!("no checkout at {}", base.display()))?;
    let target = root.join("target/bench-base");
    println!("building {args:?} in {} (release)", base.display());
    let status = Command::new(env!("CARGO"))
        .current_dir(&base)
        .args(["build", "--release", "--locked", "--quiet", "--target-dir"])
        .arg(&target)
        .args(args)
        .status()
        .context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build in {} failed ({status})", base.display());
    }
    Ok(target.join("release"))
}

/// Waits up to two minutes for the load average to fall to [`MAX_LOAD`] and
/// returns it: the work of everything else on the machine. It is read before
/// each measurement, not after, because a benchmark's own threads (client,
/// server, wrk) raise the load average while it runs.
pub fn settle() -> f64 {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while load_average() > MAX_LOAD && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_secs(5));
    }
    load_average()
}

/// The 1-minute load average (`/proc/loadavg`); `f64::INFINITY` when it
/// cannot be read, so that no ratio is printed on an unknown load.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::INFINITY)
}

/// The highest load average at which a ratio is worth printing: above it,
/// other work on the machine decides the figures.
pub const MAX_LOAD: f64 = 1.0;

/// `ratio` with its unit, or the refusal to give one under load.
pub fn ratio_if_quiet(load: f64, ratio: f64, unit: &str) -> String {
    if load <= MAX_LOAD {
        format!("{ratio:.2}{unit}")
    } else {
        format!("no ratio: load average {load:.2} > {MAX_LOAD}")
    }
}

/// The rows as an aligned table, under the load average they were taken at.
pub fn table(load: f64, rows: &[[String; 4]]) -> String {
    let header = ["benchmark", "time", "baseline (same run)", "ratio"].map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out =
        format!("load average before the benchmarks: up to {load:.2} (ratios need ≤ {MAX_LOAD})\n");
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
