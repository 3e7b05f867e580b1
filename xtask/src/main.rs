//! `cargo xtask`: maintenance tasks of the workspace.
//!
//! A plain binary, run through the `xtask` alias in `.cargo/config.toml`
//! (the rust-analyzer pattern): no build scripts, nothing generated at
//! build time. Every command prints what it did.

mod check;
mod generate;
mod lint;
mod spec;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
cargo xtask <command>

Commands:
  generate [--check]   regenerate crates/mrs-iam-sync/src/generated.rs from the spec
                       (--check: write nothing, fail if the file is stale)
  check                lint the spec and verify that the generated client is fresh
  help                 print this message
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = workspace_root();
    let result = match args.as_slice() {
        ["generate"] => generate::run(&root, generate::Mode::Write),
        ["generate", "--check"] => generate::run(&root, generate::Mode::Check),
        ["check"] => check::run(&root),
        [] | ["help"] | ["--help"] | ["-h"] => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
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

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Where the spec and the generated client live, relative to the root.
pub(crate) mod paths {
    /// The one OpenAPI document the client is generated from.
    pub const SPEC: &str = "spec/mrs-iam-sync.yaml";
    /// The single generated source file of the client crate.
    pub const GENERATED: &str = "crates/mrs-iam-sync/src/generated.rs";
}
