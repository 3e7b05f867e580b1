//! Support code shared by the workspace's snapshot and end-to-end tests.

pub mod capture;
pub mod spec;
