//! The rules of the MRS IAM-synchronization spec, generated from
//! `spec/mrs-iam-sync.yaml` by `cargo xtask generate`: the table of
//! operations, each path parameter's rule and validating newtype, and the
//! constraints of each request body, with the code that applies them.
//!
//! **Internal to [`mrs-iam-sync`](https://docs.rs/mrs-iam-sync); not a public
//! API.** It exists so that the client and the loopback server
//! (`mrs-iam-sync-server`) apply the same generated rules without the client
//! exposing them. Its version moves in lock-step with the client's, which
//! pins it exactly (`=x.y.z`); anything here may change in any release.
//! The client re-exports the few items that are part of its own API by
//! design, under its own semver: the newtypes [`ProjectId`](types::ProjectId) and
//! [`ClusterId`](types::ClusterId) (in `mrs_iam_sync::types`) and their error,
//! [`InvalidValue`]. Depend on `mrs-iam-sync`, not on this crate.

mod constraint;
#[rustfmt::skip]
mod params;
#[rustfmt::skip]
mod rules;

pub use constraint::{
    BodyRules, BodyUse, Dfa, FieldRule, InvalidValue, ListRule, PathParam, Pattern, StringRule,
    match_path,
};
pub use params::types;
pub use rules::*;
