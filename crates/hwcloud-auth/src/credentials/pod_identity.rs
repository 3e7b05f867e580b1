//! CCE pod identity: `POST` to `HC_CONTAINER_CREDENTIALS_FULL_URI` with the text of
//! `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE` as `Authorization` and an empty JSON object as
//! the body (the official SDK's `PodIdentityAccessor`). Always sent directly, never through
//! a proxy (the official SDK sends it through one when one is configured).

use std::path::PathBuf;

use super::document::{Route, USER_AGENT, fetch_credential};
use super::{
    CredentialSource, CredentialsError, ProvideCredentials, Provided, env_var, read_token_file,
};
use crate::env::Environment;
use crate::transport::{BoxFuture, HttpClient};

/// The pod identity agent's credentials URI.
pub const ENV_FULL_URI: &str = "HC_CONTAINER_CREDENTIALS_FULL_URI";
/// The file holding the pod's authorization token, read on every fetch.
pub const ENV_TOKEN_FILE: &str = "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE";

const SERVICE: &str = "the pod identity agent";

/// The pod identity source.
#[derive(Clone, Debug)]
pub struct PodIdentity {
    uri: http::Uri,
    token_file: PathBuf,
}

impl PodIdentity {
    /// The source as the `HC_CONTAINER_*` variables configure it: `Ok(None)` when neither
    /// is set; an error naming the variable when one is missing or the URI is not a URL.
    pub fn from_env(env: &Environment) -> Result<Option<Self>, CredentialsError> {
        let incomplete = |present, missing| CredentialsError::Incomplete {
            present,
            missing,
            location: "environment, CCE pod identity".into(),
        };
        match (env_var(env, ENV_FULL_URI), env_var(env, ENV_TOKEN_FILE)) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(incomplete(ENV_FULL_URI, ENV_TOKEN_FILE)),
            (None, Some(_)) => Err(incomplete(ENV_TOKEN_FILE, ENV_FULL_URI)),
            (Some(uri), Some(file)) => {
                let uri: http::Uri = uri
                    .trim()
                    .parse()
                    .ok()
                    .filter(|u: &http::Uri| {
                        matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some()
                    })
                    .ok_or_else(|| CredentialsError::InvalidVariable {
                        variable: ENV_FULL_URI,
                        reason: "it must be an http:// or https:// URL".into(),
                    })?;
                Ok(Some(PodIdentity {
                    uri,
                    token_file: PathBuf::from(file),
                }))
            }
        }
    }
}

impl ProvideCredentials for PodIdentity {
    fn provide<'a>(
        &'a self,
        http: &'a dyn HttpClient,
    ) -> BoxFuture<'a, Result<Provided, CredentialsError>> {
        Box::pin(async move {
            let token = read_token_file(ENV_TOKEN_FILE, &self.token_file).await?;
            let mut authorization = http::HeaderValue::from_str(token.expose()).map_err(|_| {
                CredentialsError::InvalidVariable {
                    variable: ENV_TOKEN_FILE,
                    reason: "the token cannot be sent in an HTTP header".into(),
                }
            })?;
            authorization.set_sensitive(true);
            let request = http::Request::builder()
                .method(http::Method::POST)
                .uri(self.uri.clone())
                .header(http::header::AUTHORIZATION, authorization)
                .header(http::header::CONTENT_TYPE, "application/json")
                .header(http::header::USER_AGENT, USER_AGENT);
            let body = b"{}".to_vec();
            let source = CredentialSource::PodIdentity;
            // Never through a proxy: one elsewhere would answer with its own host's identity.
            fetch_credential(
                http,
                Route::Direct,
                SERVICE,
                request,
                body,
                ENV_FULL_URI,
                source,
            )
            .await
        })
    }
}
