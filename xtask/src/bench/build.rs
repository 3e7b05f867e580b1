//! `cargo xtask bench --build`: what depending on the client costs a cold
//! build, against a bare crate that does the same job by hand.
//!
//! Throw-away binaries are written under `target/bench-build/`, each its own
//! workspace with a copy of a `Cargo.lock` (so that they build the same
//! dependency versions, offline):
//! - `dependant`: `mrs-iam-sync` (default features) and tokio;
//! - `bare`: reqwest (json, rustls with ring), serde and tokio;
//! - with `--base DIR`, `dependant-base`: the dependant of the client in
//!   another checkout (e.g. the commit before a change), with that checkout's
//!   lock file.
//!
//! Each is built from an empty target directory, in turn, `runs` times. The
//! table gives the median wall time, the CPU time (user + system of every
//! compiler process, steadier than wall time on a shared machine) and the
//! crates compiled, with the load average; the wall-time ratio is printed only
//! when the load average was at most 1 before the first build (the builds
//! themselves keep both cores busy and raise it to ~2, so the load after them
//! is printed, not judged). Then the units that the last dependant
//! build compiled and the bare one did not, longest first, from cargo's
//! `--timings` reports: what depending on the client adds.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bench::harness::{load_average, ratio_if_quiet};

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

impl std::fmt::Display for Build {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>6.1} s wall, {:>6.1} s CPU, {:>3} crates",
            self.wall.as_secs_f64(),
            self.cpu.as_secs_f64(),
            self.crates
        )
    }
}

/// A crate to build cold, and its builds so far.
struct Subject {
    name: &'static str,
    label: String,
    dir: PathBuf,
    builds: Vec<Build>,
}

/// `cargo xtask bench --build [--runs N] [--base DIR]`.
pub fn main(root: &Path, args: &[&str]) -> Result<()> {
    let (mut runs, mut base) = (1, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match (*arg, args.next()) {
            ("--runs", Some(value)) => {
                runs = value
                    .parse()
                    .ok()
                    .filter(|runs| *runs > 0)
                    .with_context(|| format!("--runs takes a positive number, not {value:?}"))?;
            }
            ("--base", Some(dir)) => base = Some(Path::new(dir)),
            (arg, _) => bail!("bench --build takes --runs N and --base DIR, not {arg:?}"),
        }
    }
    run(root, runs, base)
}

/// Builds the crates cold `runs` times, in turn, and prints the table.
fn run(root: &Path, runs: usize, base: Option<&Path>) -> Result<()> {
    let out = root.join("target/bench-build");
    let dependant = |dir: &Path, name: &str| -> Result<PathBuf> {
        let client = dir.join("crates/mrs-iam-sync");
        let lock = std::fs::read(dir.join("Cargo.lock"))
            .with_context(|| format!("cannot read {}/Cargo.lock", dir.display()))?;
        write_crate(
            &out.join(name),
            &DEPENDANT_MANIFEST.replace("@CLIENT@", &client.display().to_string()),
            DEPENDANT_MAIN,
            &lock,
        )
    };
    let lock = std::fs::read(root.join("Cargo.lock")).context("cannot read Cargo.lock")?;
    let mut subjects = vec![Subject {
        name: "bare",
        label: "bare reqwest+serde+tokio".into(),
        dir: write_crate(&out.join("bare"), BARE_MANIFEST, BARE_MAIN, &lock)?,
        builds: Vec::new(),
    }];
    if let Some(base) = base {
        let base = base
            .canonicalize()
            .with_context(|| format!("no checkout at {}", base.display()))?;
        subjects.push(Subject {
            name: "base",
            label: format!("dependant of {}", base.display()),
            dir: dependant(&base, "dependant-base")?,
            builds: Vec::new(),
        });
    }
    subjects.push(Subject {
        name: "dependant",
        label: "dependant of mrs-iam-sync".into(),
        dir: dependant(root, "dependant")?,
        builds: Vec::new(),
    });

    let load_before = load_average();
    for run in 1..=runs {
        for subject in &mut subjects {
            let build = cold_build(&subject.dir)?;
            println!("run {run}/{runs}: {:<9} {build}", subject.name);
            subject.builds.push(build);
        }
    }
    let load_after = load_average();
    println!(
        "\ncold debug build, median of {runs} (load average {load_before:.2} before the builds, \
         {load_after:.2} after them, their own included)"
    );
    let load = load_before;
    let medians: Vec<Build> = subjects
        .iter()
        .map(|subject| median(&subject.builds))
        .collect();
    let bare = &medians[0];
    for (subject, build) in subjects.iter().zip(&medians) {
        print!("  {:<28} {build}", subject.label);
        if subject.name == "bare" {
            println!();
        } else {
            println!(
                "  ratio (target ≤ 1.15×): wall {}, CPU {:.2}×",
                ratio_if_quiet(
                    load,
                    build.wall.as_secs_f64() / bare.wall.as_secs_f64(),
                    "×"
                ),
                build.cpu.as_secs_f64() / bare.cpu.as_secs_f64()
            );
        }
    }
    let last = |name: &str| {
        subjects
            .iter()
            .find(|subject| subject.name == name)
            .map(|subject| subject.dir.join("target/cargo-timings/cargo-timing.html"))
    };
    if let (Some(bare), Some(dependant)) = (last("bare"), last("dependant")) {
        print_added_units(&bare, &dependant)?;
    }
    Ok(())
}

/// The units (crate and target) of one `--timings` report, with their
/// durations in seconds: the `UNIT_DATA` array cargo writes into its HTML.
fn timed_units(report: &Path) -> Result<Vec<(String, f64)>> {
    let html = std::fs::read_to_string(report)
        .with_context(|| format!("cannot read {}", report.display()))?;
    const START: &str = "const UNIT_DATA = ";
    let data = html
        .split_once(START)
        .and_then(|(_, rest)| rest.split_once(";\n"))
        .map(|(data, _)| data)
        .with_context(|| format!("no {START:?} in {}", report.display()))?;
    let units: Vec<serde_json::Value> = serde_json::from_str(data)
        .with_context(|| format!("unexpected UNIT_DATA in {}", report.display()))?;
    Ok(units
        .iter()
        .map(|unit| {
            let target = unit["target"].as_str().unwrap_or_default().trim();
            let name = format!(
                "{} {}{}",
                unit["name"].as_str().unwrap_or("?"),
                unit["version"].as_str().unwrap_or("?"),
                if target.is_empty() {
                    String::new()
                } else {
                    format!(" ({target})")
                }
            );
            (name, unit["duration"].as_f64().unwrap_or_default())
        })
        .collect())
}

/// Prints the units of the dependant's last build that the bare build did
/// not compile, longest first, and their sum. Unit times overlap on several
/// cores: the sum is CPU-like time, not wall time.
fn print_added_units(bare: &Path, dependant: &Path) -> Result<()> {
    let bare: std::collections::HashSet<String> = timed_units(bare)?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let mut added: Vec<(String, f64)> = timed_units(dependant)?
        .into_iter()
        .filter(|(name, _)| !bare.contains(name))
        .collect();
    added.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = added.iter().map(|(_, seconds)| seconds).sum();
    println!(
        "\nunits the last dependant build compiled and the bare one did not ({} units, {total:.1} s summed; cargo --timings):",
        added.len()
    );
    for (name, seconds) in &added {
        println!("  {seconds:>6.1} s  {name}");
    }
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
fn median(builds: &[Build]) -> Build {
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
