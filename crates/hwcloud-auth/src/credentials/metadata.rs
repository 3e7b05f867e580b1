//! The ECS/BMS metadata service: temporary keys of the agency bound to the instance.
//!
//! As in the official SDK (`MetadataAccessor`):
//! 1. `PUT /meta-data/latest/api/token` with `X-Metadata-Token-Ttl-Seconds: 21600` gets a
//!    session token, once (again after 24 hours without one). An answer of 404, 405 or 503
//!    means the service does not do tokens: go on without one.
//! 2. `GET /openstack/latest/securitykey` with `X-Metadata-Token` gets the keys. A 401 that
//!    is not "Please configure Cloud Service Agency first" means the token went stale: get a
//!    new one (this time any error status is an error) and ask once more.
//!
//! Unlike the official SDK, the service is always reached directly, never through a proxy
//! (a proxy on another instance would answer with that instance's agency), a service that
//! cannot be reached is an error the chain moves on from (the official one aborts the
//! whole chain), and the 401 "configure agency" answer becomes
//! [`CredentialsError::AgencyNotBound`], which says what to do.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::document::{Route, USER_AGENT, describe, exchange, provided, rejected};
use super::{CredentialSource, CredentialsError, ProvideCredentials, Provided};
use crate::endpoints::{ENV_METADATA_ENDPOINT, metadata_endpoint};
use crate::env::Environment;
use crate::secret::Secret;
use crate::transport::{BoxFuture, HttpClient};

const TOKEN_PATH: &str = "/meta-data/latest/api/token";
const KEY_PATH: &str = "/openstack/latest/securitykey";
const TOKEN_HEADER: &str = "X-Metadata-Token";
const TTL_HEADER: &str = "X-Metadata-Token-Ttl-Seconds";
const TOKEN_TTL_SECONDS: u32 = 6 * 60 * 60;
/// How long to go on without a token after the service said it does none.
const RECHECK_TOKEN_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
const AGENCY_NOT_CONFIGURED: &str = "Please configure Cloud Service Agency first";
const SERVICE: &str = "the metadata service";

#[derive(Debug, Default)]
struct SessionToken {
    token: Option<Secret>,
    last_asked: Option<Instant>,
}

/// The metadata source.
#[derive(Debug)]
pub struct Metadata {
    endpoint: String,
    session: Mutex<SessionToken>,
}

impl Metadata {
    /// The metadata service at `http://169.254.169.254`, or at
    /// `HUAWEICLOUD_SDK_METADATA_ENDPOINT` when set.
    pub fn from_env(env: &Environment) -> Result<Self, CredentialsError> {
        Ok(Self::new(
            metadata_endpoint(env).map_err(CredentialsError::Endpoint)?,
        ))
    }

    /// The metadata service at `endpoint` (`http://host:port`, no trailing `/`).
    pub fn new(endpoint: impl Into<String>) -> Self {
        Metadata {
            endpoint: endpoint.into(),
            session: Mutex::new(SessionToken::default()),
        }
    }

    fn request(&self, method: http::Method, path: &str) -> http::request::Builder {
        http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.endpoint))
            .header(http::header::USER_AGENT, USER_AGENT)
    }

    fn session(&self) -> std::sync::MutexGuard<'_, SessionToken> {
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends directly, never through a proxy: one on another instance would answer with
    /// that instance's agency.
    async fn send(
        &self,
        http: &dyn HttpClient,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, CredentialsError> {
        exchange(http, Route::Direct, SERVICE, request).await
    }

    /// Asks for a session token. `strict`: every error status is an error (after a 401);
    /// otherwise 404, 405 and 503 mean "no tokens here".
    async fn update_token(
        &self,
        http: &dyn HttpClient,
        strict: bool,
    ) -> Result<(), CredentialsError> {
        self.session().last_asked = Some(Instant::now());
        let request = self
            .request(http::Method::PUT, TOKEN_PATH)
            .header(TTL_HEADER, TOKEN_TTL_SECONDS.to_string())
            .body(Vec::new())
            .map_err(|_| invalid_endpoint())?;
        let (line, _) = describe(&request);
        let response = self.send(http, request).await?;
        let token = match response.status().as_u16() {
            200 => Some(Secret::new(
                String::from_utf8_lossy(response.body()).into_owned(),
            )),
            404 | 405 | 503 if !strict => None,
            _ => return Err(rejected(SERVICE, line, &response)),
        };
        self.session().token = token;
        Ok(())
    }

    async fn security_key(
        &self,
        http: &dyn HttpClient,
    ) -> Result<http::Response<Vec<u8>>, CredentialsError> {
        let token = self.session().token.clone();
        let mut request = self.request(http::Method::GET, KEY_PATH);
        if let Some(token) = &token {
            let mut value = http::HeaderValue::from_str(token.expose()).map_err(|_| {
                CredentialsError::Malformed {
                    service: SERVICE,
                    reason: "the session token cannot be sent in a header".into(),
                }
            })?;
            value.set_sensitive(true);
            request = request.header(TOKEN_HEADER, value);
        }
        let request = request.body(Vec::new()).map_err(|_| invalid_endpoint())?;
        self.send(http, request).await
    }
}

fn invalid_endpoint() -> CredentialsError {
    CredentialsError::InvalidVariable {
        variable: ENV_METADATA_ENDPOINT,
        reason: "it does not make a valid URL".into(),
    }
}

impl ProvideCredentials for Metadata {
    fn provide<'a>(
        &'a self,
        http: &'a dyn HttpClient,
    ) -> BoxFuture<'a, Result<Provided, CredentialsError>> {
        Box::pin(async move {
            let ask_for_token = {
                let session = self.session();
                session.token.is_none()
                    && session
                        .last_asked
                        .is_none_or(|at| at.elapsed() > RECHECK_TOKEN_AFTER)
            };
            if ask_for_token {
                self.update_token(http, false).await?;
            }
            let mut response = self.security_key(http).await?;
            let agency_missing = |r: &http::Response<Vec<u8>>| {
                String::from_utf8_lossy(r.body()).contains(AGENCY_NOT_CONFIGURED)
            };
            if response.status() == http::StatusCode::UNAUTHORIZED && !agency_missing(&response) {
                self.update_token(http, true).await?;
                response = self.security_key(http).await?;
            }
            if response.status() == http::StatusCode::UNAUTHORIZED && agency_missing(&response) {
                return Err(CredentialsError::AgencyNotBound {
                    endpoint: self.endpoint.clone(),
                });
            }
            if response.status().as_u16() >= 400 {
                let line = format!("GET {}{KEY_PATH}", self.endpoint);
                return Err(rejected(SERVICE, line, &response));
            }
            provided(response.body(), SERVICE, CredentialSource::Metadata)
        })
    }
}
