//! `cargo xtask bench --build`: what depending on the client costs a cold
//! build, against a bare crate that does the same job by hand.
//!
//! Two throw-away binaries are written under `target/bench-build/`, each its
//! own workspace with a copy of this workspace's `Cargo.lock` (so both build
//! the same dependency versions, offline):
//! - `dependant`: `mrs-iam-sync` (default features) and tokio;
//! - `bare`: reqwest (json, rustls with ring), serde and tokio.
//!
//! Each is built from an empty target directory, alternately, `runs` times.
//! The table gives the median wall time, the CPU time (user + system of every
//! compiler process, steadier than wall time on a shared machine) and the
//! crates compiled, with the load average; the wall-time ratio is printed only
//! when the load average is at most 1.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bench::{load_average, ratio_if_quiet};

const DEPENDANT_MANIFEST: &str = r#"[package]
name = "dependant"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
mrs-iam-sync = { path = "@CLIENT@" }
tokio = { version = "1", default-features = false, features = ["rt", "macros"] }
"#;

const DEPENDANT_MAIN: &str = r#"#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = mrs_iam_sync::Client::builder()
        .endpoint("http://127.0.0.1:9")
        .project_id("0a1b2c3d4e5f60718293a4b5c6d7e8f9")
        .anonymous()
        .build()
        .expect("a client");
    println!("{:?}", client.is_synchronizing("cluster-1").await.is_ok());
}
"#;

const BARE_MANIFEST: &str = r#"[package]
name = "bare"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
reqwest = { version = "0.13", default-features = false, features = ["json", "rustls-no-provider"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12"] }
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", default-features = false, features = ["rt", "macros"] }
"#;

const BARE_MAIN: &str = r#"#[derive(serde::Deserialize)]
struct SyncTaskStatus {
    is_synchronizing: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let url = "http://127.0.0.1:9/v2/p/clusters/cluster-1/iam-sync-status";
    let answer = match client.get(url).send().await {
        Ok(response) => response.json::<SyncTaskStatus>().await.ok(),
        Err(_) => None,
    };
    println!("{:?}", answer.map(|status| status.is_synchronizing));
}
"#;

/// One cold build's cost.
struct Build {
    wall: Duration,
    cpu: Duration,
    crates: usize,
}

/// Builds both crates cold `runs` times, alternately, and prints the table.
pub fn run(root: &Path, runs: usize) -> Result<()> {
    let base = root.join("target/bench-build");
    let client = root.join("crates/mrs-iam-sync");
    let lock = std::fs::read(root.join("Cargo.lock")).context("cannot read Cargo.lock")?;
    let dependant = write_crate(
        &base.join("dependant"),
        &DEPENDANT_MANIFEST.replace("@CLIENT@", &client.display().to_string()),
        DEPENDANT_MAIN,
        &lock,
    )?;
    let bare = write_crate(&base.join("bare"), BARE_MANIFEST, BARE_MAIN, &lock)?;

    let load_before = load_average();
    let (mut dependant_builds, mut bare_builds) = (Vec::new(), Vec::new());
    for run in 1..=runs {
        for (name, dir, builds) in [
            ("bare", &bare, &mut bare_builds),
            ("dependant", &dependant, &mut dependant_builds),
        ] {
            let build = cold_build(dir)?;
            println!(
                "run {run}/{runs}: {name:<9} {:>6.1} s wall, {:>6.1} s CPU, {} crates",
                build.wall.as_secs_f64(),
                build.cpu.as_secs_f64(),
                build.crates
            );
            builds.push(build);
        }
    }
    let load = load_average().max(load_before);
    let (dependant, bare) = (median(dependant_builds), median(bare_builds));
    println!("\ncold debug build, median of {runs} (load average up to {load:.2})");
    println!(
        "  dependant of mrs-iam-sync  {:>6.1} s wall  {:>6.1} s CPU  {} crates",
        dependant.wall.as_secs_f64(),
        dependant.cpu.as_secs_f64(),
        dependant.crates
    );
    println!(
        "  bare reqwest+serde+tokio   {:>6.1} s wall  {:>6.1} s CPU  {} crates",
        bare.wall.as_secs_f64(),
        bare.cpu.as_secs_f64(),
        bare.crates
    );
    println!(
        "  ratio (target ≤ 1.15×): wall {}, CPU {:.2}×",
        ratio_if_quiet(
            load,
            dependant.wall.as_secs_f64() / bare.wall.as_secs_f64(),
            "×"
        ),
        dependant.cpu.as_secs_f64() / bare.cpu.as_secs_f64()
    );
    Ok(())
}

fn write_crate(dir: &Path, manifest: &str, main: &str, lock: &[u8]) -> Result<PathBuf> {
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join("Cargo.toml"), manifest)?;
    std::fs::write(dir.join("src/main.rs"), main)?;
    // The workspace's versions; cargo drops the entries this crate does not use.
    std::fs::write(dir.join("Cargo.lock"), lock)?;
    Ok(dir.to_path_buf())
}

/// `cargo build` from an empty target directory.
fn cold_build(dir: &Path) -> Result<Build> {
    let target = dir.join("target");
    if target.exists() {
        std::fs::remove_dir_all(&target)
            .with_context(|| format!("cannot remove {}", target.display()))?;
    }
    let cpu_before = children_cpu()?;
    let started = Instant::now();
    let output = Command::new(env!("CARGO"))
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .args(["build", "--offline", "--timings"])
        .output()
        .with_context(|| format!("cannot run cargo build in {}", dir.display()))?;
    let wall = started.elapsed();
    let cpu = children_cpu()?.saturating_sub(cpu_before);
    let log = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("cargo build in {} failed:\n{log}", dir.display());
    }
    let crates = log
        .lines()
        .filter(|line| line.trim_start().starts_with("Compiling "))
        .count();
    Ok(Build { wall, cpu, crates })
}

/// User + system time of this process's finished children (and theirs):
/// fields `cutime` and `cstime` of `/proc/self/stat`, in clock ticks of 10 ms.
fn children_cpu() -> Result<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat")
        .context("the CPU time of a build is read from /proc/self/stat (Linux)")?;
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |index: usize| -> Result<u64> {
        fields
            .get(index)
            .and_then(|field| field.parse().ok())
            .context("unexpected /proc/self/stat")
    };
    // cutime and cstime are fields 16 and 17; `fields[0]` is field 3.
    let ticks = ticks(13)? + ticks(14)?;
    Ok(Duration::from_millis(ticks * 10))
}

/// The median of each measure on its own.
fn median(builds: Vec<Build>) -> Build {
    fn middle<T: Ord + Copy>(mut values: Vec<T>) -> T {
        values.sort_unstable();
        values[values.len() / 2]
    }
    Build {
        wall: middle(builds.iter().map(|build| build.wall).collect()),
        cpu: middle(builds.iter().map(|build| build.cpu).collect()),
        crates: middle(builds.iter().map(|build| build.crates).collect()),
    }
}
