//! `cargo xtask` acts on the checkout it is run in (issue #17).
//!
//! Two checkouts that share one `CARGO_TARGET_DIR` share one xtask binary:
//! cargo's hashes for workspace members do not depend on the checkout's
//! path, so it runs the binary built in the first checkout in the second.
//! This test reproduces that exactly: the one xtask binary cargo built for
//! these tests is run in two temporary checkouts, each time with the
//! environment `cargo run` gives it there (`CARGO_MANIFEST_DIR` =
//! `<checkout>/xtask`, the current directory inside the checkout).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const STALE: &str = "// stale: not generated from the spec\n";

/// A checkout with what `generate` and `check` read: the workspace manifest,
/// the xtask package folder, the spec, and a stale generated file.
fn checkout(dir: &Path) {
    let root = xtask::workspace_root().unwrap();
    for folder in [
        "xtask",
        "spec",
        "crates/mrs-iam-sync/src",
        "crates/mrs-iam-sync-rules/src",
    ] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
    }
    std::fs::write(
        dir.join("Cargo.toml"),
        "[workspace]\nmembers = [\"xtask\"]\n",
    )
    .unwrap();
    std::fs::copy(root.join("xtask/Cargo.toml"), dir.join("xtask/Cargo.toml")).unwrap();
    std::fs::copy(root.join(xtask::paths::SPEC), dir.join(xtask::paths::SPEC)).unwrap();
    std::fs::write(dir.join(xtask::paths::GENERATED), STALE).unwrap();
}

/// Runs the xtask binary as `cargo xtask ARGS` would in `cwd`, with cargo
/// naming `manifest_dir` as the xtask package.
fn xtask(cwd: &Path, manifest_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(cwd)
        .env("CARGO_MANIFEST_DIR", manifest_dir)
        .output()
        .unwrap()
}

fn generated(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(xtask::paths::GENERATED)).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn generate_and_check_act_on_the_checkout_they_run_in() {
    let temp = tempfile::tempdir().unwrap();
    let made = |name: &str| -> PathBuf {
        let path = temp.path().join(name);
        checkout(&path);
        path.canonicalize().unwrap()
    };
    let (first, second) = (made("first"), made("second"));

    // `generate` in the second checkout writes the second checkout only,
    // and says so.
    let out = xtask(&second, &second.join("xtask"), &["generate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(&format!(
            "generated {}",
            second.join(xtask::paths::GENERATED).display()
        )),
        "{stdout}"
    );
    assert_ne!(generated(&second), STALE);
    assert!(generated(&second).starts_with("// @generated"));
    assert_eq!(generated(&first), STALE, "the first checkout was written");

    // `check` passes in the second and fails in the first, from a
    // subfolder too: each is judged on its own files.
    let out = xtask(&second.join("spec"), &second.join("xtask"), &["check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!(
            "{} is fresh",
            second.join(xtask::paths::GENERATED).display()
        )),
        "{}",
        text(&out.stdout)
    );
    let out = xtask(&first, &first.join("xtask"), &["generate", "--check"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(&format!(
            "{} is stale",
            first.join(xtask::paths::GENERATED).display()
        )),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(generated(&first), STALE);
}

#[test]
fn a_binary_from_another_checkout_says_so_and_writes_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let (first, second) = (temp.path().join("first"), temp.path().join("second"));
    checkout(&first);
    checkout(&second);
    // Cargo named the first checkout's package, but the user stands in the
    // second: neither is a safe guess.
    let out = xtask(&second, &first.join("xtask"), &["generate"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cargo ran the xtask of") && stderr.contains("belongs to the workspace"),
        "{stderr}"
    );
    assert_eq!(generated(&first), STALE);
    assert_eq!(generated(&second), STALE);
}
