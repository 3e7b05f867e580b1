//! [`ProvideCredentials`]: what every credential source implements.

use std::fmt;
use std::time::SystemTime;

use super::{CredentialSource, Credentials, CredentialsError};
use crate::transport::{BoxFuture, HttpClient};

/// Credentials as a source handed them out: the value, when it expires, where it came from.
///
/// Fields may be added in a minor release: make one with [`Provided::permanent`] and the
/// `with_*` setters.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use hwcloud_auth::{CredentialSource, Credentials, Provided};
///
/// let expires_at = SystemTime::now() + Duration::from_secs(3600);
/// let provided = Provided::permanent(
///     Credentials::temporary("AK", "SK", "TOKEN"),
///     CredentialSource::Explicit,
/// )
/// .with_expires_at(expires_at);
/// assert_eq!(provided.expires_at, Some(expires_at));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Provided {
    /// The credentials.
    pub credentials: Credentials,
    /// When they stop working; `None` for permanent keys and static temporary keys.
    pub expires_at: Option<SystemTime>,
    /// The source.
    pub source: CredentialSource,
}

impl Provided {
    /// Credentials that never expire (until [`with_expires_at`](Self::with_expires_at)
    /// says otherwise).
    pub fn permanent(credentials: Credentials, source: CredentialSource) -> Self {
        Provided {
            credentials,
            expires_at: None,
            source,
        }
    }

    /// Sets [`credentials`](Self::credentials).
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Sets [`expires_at`](Self::expires_at): when the credentials stop working, or `None`
    /// for never.
    pub fn with_expires_at(mut self, expires_at: impl Into<Option<SystemTime>>) -> Self {
        self.expires_at = expires_at.into();
        self
    }

    /// Sets [`source`](Self::source).
    pub fn with_source(mut self, source: CredentialSource) -> Self {
        self.source = source;
        self
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
