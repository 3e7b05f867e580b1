//! The logic of `cargo xtask`, as a library so that integration tests can
//! call it directly; `main.rs` only parses arguments and dispatches.

pub mod bench;
pub mod codegen;
pub mod review;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Keeps what cargo set for the running test (`CARGO_MANIFEST_DIR`,
/// `CARGO_PKG_*`, ...) out of a nested cargo `command`: build scripts that
/// watch such a variable (ring's) would run again, with all that depends on
/// them, there and in the next ordinary build.
pub fn without_test_cargo_env(command: &mut std::process::Command) -> &mut std::process::Command {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_MANIFEST_")
            || name.starts_with("CARGO_PKG_")
            || [
                "CARGO_CRATE_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
            ]
            .contains(&name.as_ref())
        {
            command.env_remove(name.as_ref());
        }
    }
    command
}

/// Copies the files git knows in the checkout `from` (tracked ones, with
/// their uncommitted edits, and new ones git does not ignore) into `to`: a
/// scratch copy of the workspace for tests that change it.
pub fn copy_checkout(from: &Path, to: &Path) -> Result<()> {
    let listed = std::process::Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(from)
        .output()
        .context("cannot run git ls-files")?;
    if !listed.status.success() {
        bail!(
            "git ls-files failed in {} ({})",
            from.display(),
            listed.status
        );
    }
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).context("a file name that is not UTF-8")?;
        let source = from.join(name);
        // Listed but gone from the working tree (deleted, not yet committed).
        if !source.is_file() {
            continue;
        }
        let target = to.join(name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::copy(&source, &target)
            .with_context(|| format!("cannot copy {} to {}", source.display(), target.display()))?;
    }
    Ok(())
}

/// The root of the workspace this run acts on, found at run time.
///
/// Never compiled in: two checkouts that share one `CARGO_TARGET_DIR` share
/// one xtask binary (cargo's artifact hashes do not depend on the checkout's
/// path), so a root baked in with `env!` would be the first checkout's in
/// both. Two witnesses are read instead and must agree:
/// - `CARGO_MANIFEST_DIR`, which `cargo run` (the `cargo xtask` alias) sets
///   for the binary it runs: `<root>/xtask`;
/// - the workspace that encloses the current directory: the nearest
///   `Cargo.toml` with a `[workspace]` table, going up.
///
/// When they disagree the run stops with both paths. Without
/// `CARGO_MANIFEST_DIR` (the binary run directly) the enclosing workspace is
/// the root.
pub fn workspace_root() -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    find_root(manifest_dir.as_deref(), &cwd)
}

/// [`workspace_root`] with its two inputs given: the xtask package directory
/// that cargo named (if any) and the current directory.
pub fn find_root(manifest_dir: Option<&Path>, cwd: &Path) -> Result<PathBuf> {
    let enclosing = enclosing_workspace(cwd)?;
    let Some(manifest_dir) = manifest_dir else {
        return Ok(enclosing);
    };
    let named = manifest_dir.parent().with_context(|| {
        format!(
            "CARGO_MANIFEST_DIR ({}) has no parent folder",
            manifest_dir.display()
        )
    })?;
    let same = match (named.canonicalize(), enclosing.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same {
        bail!(
            "cargo ran the xtask of {} (CARGO_MANIFEST_DIR={}), but the current directory {} \
             belongs to the workspace {}; run `cargo xtask` from inside the checkout it should \
             act on, or unset CARGO_MANIFEST_DIR",
            named.display(),
            manifest_dir.display(),
            cwd.display(),
            enclosing.display()
        );
    }
    Ok(enclosing)
}

/// The nearest folder at or above `dir` whose `Cargo.toml` has a
/// `[workspace]` table (what `cargo locate-project --workspace` finds for a
/// workspace member, without running cargo).
pub fn enclosing_workspace(dir: &Path) -> Result<PathBuf> {
    for candidate in dir.ancestors() {
        let manifest = candidate.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let document: toml_edit::DocumentMut = text
            .parse()
            .with_context(|| format!("{}: not valid TOML", manifest.display()))?;
        if document.contains_key("workspace") {
            return Ok(candidate.to_path_buf());
        }
    }
    bail!(
        "no Cargo workspace encloses {} (no Cargo.toml with a [workspace] table above it)",
        dir.display()
    )
}

/// Where the spec and the generated client live, relative to the root.
pub mod paths {
    /// The one OpenAPI document the client is generated from.
    pub const SPEC: &str = "spec/mrs-iam-sync.yaml";
    /// The single generated source file of the client crate.
    pub const GENERATED: &str = "crates/mrs-iam-sync/src/generated.rs";
    /// The generated rules of the spec (bounds, patterns, rule texts,
    /// operations), in the internal crate that the client and the loopback
    /// server share.
    pub const RULES: &str = "crates/mrs-iam-sync-rules/src/rules.rs";
    /// The generated path parameters: their rules and validating newtypes
    /// (progenitor's client uses the newtypes, which the client re-exports).
    pub const PARAMS: &str = "crates/mrs-iam-sync-rules/src/params.rs";
    /// The manifest of the generated client crate (its version is gated).
    pub const CLIENT_MANIFEST: &str = "crates/mrs-iam-sync/Cargo.toml";
    /// The changelog (keep-a-changelog form): a version change of the
    /// client needs its entry there.
    pub const CHANGELOG: &str = "CHANGELOG.md";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(dir: &Path) {
        std::fs::create_dir_all(dir.join("xtask")).unwrap();
        std::fs::create_dir_all(dir.join("crates/a")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            "[workspace]\nmembers = [\"xtask\"]\n",
        )
        .unwrap();
        std::fs::write(dir.join("crates/a/Cargo.toml"), "[package]\nname = \"a\"\n").unwrap();
    }

    #[test]
    fn the_root_is_the_enclosing_workspace_when_cargo_agrees() {
        let temp = tempfile::tempdir().unwrap();
        let one = temp.path().join("one");
        workspace(&one);
        let inner = one.join("crates/a");
        assert_eq!(find_root(Some(&one.join("xtask")), &inner).unwrap(), one);
        assert_eq!(find_root(None, &inner).unwrap(), one);
    }

    #[test]
    fn a_disagreement_names_both_checkouts_and_stops() {
        let temp = tempfile::tempdir().unwrap();
        let (one, two) = (temp.path().join("one"), temp.path().join("two"));
        workspace(&one);
        workspace(&two);
        let msg = format!(
            "{:#}",
            find_root(Some(&one.join("xtask")), &two).unwrap_err()
        );
        assert!(
            msg.contains(&format!("cargo ran the xtask of {}", one.display()))
                && msg.contains(&format!("belongs to the workspace {}", two.display())),
            "{msg}"
        );
    }

    #[test]
    fn no_workspace_above_is_an_error() {
        let temp = tempfile::tempdir().unwrap();
        let msg = format!("{:#}", enclosing_workspace(temp.path()).unwrap_err());
        assert!(msg.contains("no Cargo workspace encloses"), "{msg}");
    }
}
