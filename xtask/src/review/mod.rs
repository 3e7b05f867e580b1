//! Spec review: what a spec change means for the wire and the Rust API
//! (`cargo xtask spec-diff`), the pull-request comment (`cargo xtask
//! spec-review`) and the changelog gate that `check --base` applies.

pub mod changelog;
pub mod spec_diff;
pub mod spec_review;
