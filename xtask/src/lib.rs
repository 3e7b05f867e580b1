//! The logic of `cargo xtask`, as a library so that integration tests can
//! call it directly; `main.rs` only parses arguments and dispatches.

pub mod bench;
pub mod bench_build;
pub mod check;
pub mod generate;
pub mod lint;
pub mod spec;
pub mod spec_diff;

use std::path::{Path, PathBuf};

/// The workspace root: the parent of this crate's manifest directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Where the spec and the generated client live, relative to the root.
pub mod paths {
    /// The one OpenAPI document the client is generated from.
    pub const SPEC: &str = "spec/mrs-iam-sync.yaml";
    /// The single generated source file of the client crate.
    pub const GENERATED: &str = "crates/mrs-iam-sync/src/generated.rs";
    /// The manifest of the generated client crate (its version is gated).
    pub const CLIENT_MANIFEST: &str = "crates/mrs-iam-sync/Cargo.toml";
}
