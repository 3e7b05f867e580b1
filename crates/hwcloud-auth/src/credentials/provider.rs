//! [`ProvideCredentials`]: what every credential source implements.

use std::fmt;
use std::time::SystemTime;

use super::{CredentialSource, Credentials, CredentialsError};
use crate::transport::{BoxFuture, HttpClient};

/// Credentials as a source handed them out: the value, when it expires, where it came from.
#[derive(Clone, Debug)]
pub struct Provided {
    /// The credentials.
    pub credentials: Credentials,
    /// When they stop working; `None` for permanent keys and static temporary keys.
    pub expires_at: Option<SystemTime>,
    /// The source.
    pub source: CredentialSource,
}

impl Provided {
    /// Credentials that never expire.
    pub fn permanent(credentials: Credentials, source: CredentialSource) -> Self {
        Provided {
            credentials,
            expires_at: None,
            source,
        }
    }
}

/// A source of credentials. `provide` fetches afresh (the caller caches: see
/// [`CredentialsCache`](super::CredentialsCache)); all I/O goes through `http`.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Fetches credentials.
    fn provide<'a>(
        &'a self,
        http: &'a dyn HttpClient,
    ) -> BoxFuture<'a, Result<Provided, CredentialsError>>;

    /// The credentials, when they are known without any I/O (static keys).
    fn static_credentials(&self) -> Option<&Provided> {
        None
    }
}

/// Credentials known up front (explicit, environment AK/SK, profile file).
#[derive(Clone, Debug)]
pub struct StaticProvider(pub Provided);

impl ProvideCredentials for StaticProvider {
    fn provide<'a>(
        &'a self,
        _http: &'a dyn HttpClient,
    ) -> BoxFuture<'a, Result<Provided, CredentialsError>> {
        Box::pin(std::future::ready(Ok(self.0.clone())))
    }

    fn static_credentials(&self) -> Option<&Provided> {
        Some(&self.0)
    }
}
