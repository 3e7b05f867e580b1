//! Code generation: the spec loaded and linted, its rules compiled (patterns
//! to tables), the client generated with progenitor, and the check that the
//! checked-in code is fresh (`cargo xtask generate`, `cargo xtask check`).

pub mod builder_docs;
pub mod check;
pub mod generate;
pub mod lint;
pub mod pattern;
pub mod rules;
pub mod send_path;
pub mod spec;
pub mod syntax;
