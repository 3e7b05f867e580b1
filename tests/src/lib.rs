//! Support code shared by the workspace's snapshot and end-to-end tests.

pub mod canned;
pub mod capture;
pub mod conformance;
pub mod dropping;
pub mod hostile;
pub mod pinned;
pub mod proxy;
pub mod spec;
pub mod tls;

/// The README's Rust examples, compiled as doc tests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
