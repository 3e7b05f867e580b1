//! `cargo xtask check`: the spec is sound and the generated code is fresh.

use std::path::Path;

use anyhow::{Result, bail};

use crate::{generate, lint, paths, spec};

pub fn run(root: &Path) -> Result<()> {
    let spec = spec::load(&root.join(paths::SPEC), paths::SPEC)?;
    let report = lint::lint(&spec);
    for problem in &report.problems {
        eprintln!("{}: {problem}", paths::SPEC);
    }
    if !report.problems.is_empty() {
        bail!(
            "{}: {} problem(s) in the spec",
            paths::SPEC,
            report.problems.len()
        );
    }
    println!(
        "{}: sound ({} operations, {} path parameters, {} examples valid against their schemas)",
        paths::SPEC,
        report.operations,
        report.path_parameters,
        report.examples
    );
    let code = generate::render(&spec)?;
    generate::check_fresh(&root.join(paths::GENERATED), &code)
}

/// `cargo xtask check --base REV`: the normal check, then the version gate
/// of `spec-diff --check-version` against `REV`.
pub fn run_with_base(root: &Path, base: &str) -> Result<()> {
    run(root)?;
    crate::spec_diff::version_gate_since(root, base)
}
