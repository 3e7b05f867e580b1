//! `cargo xtask check`: the spec is sound and the generated code is fresh.

use std::path::Path;

use anyhow::{Result, bail};

use crate::{codegen::generate, codegen::lint, codegen::spec, paths};

/// Paths come from `root`, the workspace found at run time, and are printed
/// in full: the messages name the checkout that was checked.
pub fn run(root: &Path) -> Result<()> {
    let spec_path = root.join(paths::SPEC);
    let shown = spec_path.display().to_string();
    let spec = spec::load(&spec_path, &shown)?;
    let report = lint::lint(&spec);
    for problem in &report.problems {
        eprintln!("{shown}: {problem}");
    }
    if !report.problems.is_empty() {
        bail!("{shown}: {} problem(s) in the spec", report.problems.len());
    }
    println!(
        "{shown}: sound ({} operations, {} path parameters, {} examples valid against their schemas)",
        report.operations, report.path_parameters, report.examples
    );
    let files = generate::render_all(&spec)?;
    generate::check_all_fresh(root, &files)
}

/// `cargo xtask check --base REV`: the normal check, then the version gate
/// of `spec-diff --check-version` against `REV`, then the changelog entry a
/// version change needs.
pub fn run_with_base(root: &Path, base: &str) -> Result<()> {
    run(root)?;
    crate::review::spec_diff::version_gate_since(root, base)?;
    crate::review::changelog::check_since(root, base)
}
