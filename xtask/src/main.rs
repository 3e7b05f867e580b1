//! `cargo xtask`: maintenance tasks of the workspace.
//!
//! A plain binary, run through the `xtask` alias in `.cargo/config.toml`
//! (the rust-analyzer pattern): no build scripts, nothing generated at
//! build time. Every command prints what it did. The logic lives in the
//! library (`src/lib.rs`); this file only dispatches.

use std::process::ExitCode;

use std::path::Path;

use xtask::bench;
use xtask::codegen::{check, generate};
use xtask::review::{spec_diff, spec_review};
use xtask::workspace_root;

const USAGE: &str = "\
cargo xtask <command>

Commands:
  generate [--check]   regenerate crates/mrs-iam-sync/src/{generated,params,rules}.rs from the spec
                       (--check: write nothing, fail if the file is stale)
  check [--base REV]   lint the spec and verify that the generated client is fresh
                       (--base REV: also fail on a breaking spec change since REV
                       without the matching version bump of mrs-iam-sync, and on a
                       version change without its `## [X.Y.Z] - YYYY-MM-DD` section
                       in CHANGELOG.md)
  spec-diff [..]       review the spec changes since a git revision (default HEAD)
                       or between two files; `cargo xtask spec-diff --help` for more
  spec-review --event FILE --comment FILE
                       the pull-request review (.github/workflows/spec-review.yml):
                       spec-diff and `check --base` against the event's base commit,
                       one markdown comment written to FILE; fails when the check does
  bench [--report]     run the benchmarks and print their ratios to the baselines
                       (--report: only print the table of the last run)
  bench --build [--runs N] [--base DIR]
                       build a dependant of the client and a bare reqwest crate
                       from cold, in turn N times (default 1), and compare (--base:
                       the dependant of DIR's client too, e.g. a checkout of main)
  bench --wrk          `mrs-iam-sync status` over 10,000 clusters at concurrency 32
                       against wrk at 32 connections, on one canned-JSON server
  bench --rounds N [--base DIR]
                       the round trip: bare reqwest, bare with the signed request's
                       headers and the signed client in turn, N rounds; median ratios
                       (--base: DIR's signed client too, in turn: a before/after)
  bench --throttled [--cli PATH]
                       `mrs-iam-sync status` over 1,000 clusters against a 100 requests/s
                       gateway with a 1 s and a 0.1 s burst, three runs each
                       (--cli: measure that CLI binary instead, e.g. an older build)
  help                 print this message
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if matches!(args.as_slice(), [] | ["help"] | ["--help"] | ["-h"]) {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    // Found at run time, never compiled in (see `workspace_root`).
    let root = match workspace_root() {
        Ok(root) => root,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.as_slice() {
        ["generate"] => generate::run(&root, generate::Mode::Write),
        ["generate", "--check"] => generate::run(&root, generate::Mode::Check),
        ["check"] => check::run(&root),
        ["check", "--base", base] => check::run_with_base(&root, base),
        ["check", flag] if flag.starts_with("--base=") => {
            check::run_with_base(&root, &flag["--base=".len()..])
        }
        ["bench"] => bench::run(&root, false),
        ["bench", "--report"] => bench::run(&root, true),
        ["bench", "--wrk"] => bench::wrk::run(&root),
        ["bench", "--build", rest @ ..] => bench::build::main(&root, rest),
        ["bench", "--throttled"] => bench::throttled::run(&root, None),
        ["bench", "--throttled", "--cli", cli] => {
            bench::throttled::run(&root, Some(Path::new(cli)))
        }
        ["bench", "--rounds", rest @ ..] => bench::rounds::main(&root, rest),
        ["spec-diff", rest @ ..] => return spec_diff::main(&root, rest),
        ["spec-review", "--event", event, "--comment", comment] => {
            spec_review::run(&root, Path::new(event), Path::new(comment))
        }
        _ => {
            eprint!("error: unknown arguments {args:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
