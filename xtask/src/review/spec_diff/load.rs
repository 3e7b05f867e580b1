//! Loading the two sides of a diff: a git revision, the working tree or a
//! file.

use std::fmt;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};

use crate::codegen::spec::{self, Spec};
use crate::paths;

/// Which side of the comparison a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    Base,
    Head,
}

impl fmt::Display for Which {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Which::Base => "base",
            Which::Head => "head",
        })
    }
}

/// One side, loaded and checked.
pub struct Side {
    pub which: Which,
    /// Where it came from, as shown in reports: `HEAD:spec/...`, a path.
    pub label: String,
    pub spec: Spec,
}

/// Parses spec text; errors name the side and the origin.
pub fn from_text(which: Which, label: &str, text: &str) -> Result<Side> {
    let spec = spec::parse(text, label)
        .with_context(|| format!("the {which} spec ({label}) is invalid"))?;
    Ok(Side {
        which,
        label: label.to_string(),
        spec,
    })
}

/// Reads a spec file.
pub fn from_file(which: Which, path: &Path) -> Result<Side> {
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|err| anyhow!("the {which} spec ({label}) cannot be read: {err}"))?;
    from_text(which, &label, &text)
}

/// The spec at a git revision of the workspace at `root`.
pub fn from_rev(root: &Path, which: Which, rev: &str) -> Result<Side> {
    let label = format!("{rev}:{}", paths::SPEC);
    let text = git_show(root, rev, paths::SPEC)
        .with_context(|| format!("the {which} spec ({label}) cannot be read"))?;
    from_text(which, &label, &text)
}

/// The spec of the working tree at `root`.
pub fn working_tree(root: &Path, which: Which) -> Result<Side> {
    let path = root.join(paths::SPEC);
    let text = std::fs::read_to_string(&path).map_err(|err| {
        anyhow!(
            "the {which} spec ({}, working tree) cannot be read: {err}",
            paths::SPEC
        )
    })?;
    from_text(which, paths::SPEC, &text)
}

/// `git show REV:PATH`, run in `root`.
pub fn git_show(root: &Path, rev: &str, path: &str) -> Result<String> {
    if rev.is_empty() || rev.starts_with('-') {
        bail!("`{rev}` is not a revision");
    }
    let output = Command::new("git")
        .arg("show")
        .arg(format!("{rev}:{path}"))
        .current_dir(root)
        .output()
        .context("cannot run git")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("`git show {rev}:{path}` failed: {}", stderr.trim());
    }
    String::from_utf8(output.stdout).map_err(|_| anyhow!("`{rev}:{path}` is not UTF-8"))
}
