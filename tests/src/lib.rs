//! Support code shared by the workspace's snapshot and end-to-end tests.

pub mod capture;
pub mod independent_signature;
pub mod pinned;
pub mod spec;
