//! Placeholder until generation.
#[rustfmt::skip]
mod generated;
pub use generated::*;

#[derive(Clone, Debug, Default)]
pub struct Runtime;

impl progenitor_client::ClientHooks<Runtime> for Client {}
