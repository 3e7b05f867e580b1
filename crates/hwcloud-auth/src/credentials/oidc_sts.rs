//! OIDC federation: an ID token from the CI system or identity provider is exchanged at STS
//! (`POST /v5/agencies/assume-with-oidc`) for temporary keys of an agency.

use std::path::PathBuf;

use serde_json::json;

use super::document::{Route, fetch_credential, json_request, ordered_object};
use super::{
    CredentialSource, CredentialsError, ProvideCredentials, Provided, env_var, read_token_file,
};
use crate::endpoints::{ENV_STS_ENDPOINT, sts_endpoint};
use crate::env::Environment;
use crate::secret::Secret;
use crate::transport::{BoxFuture, HttpClient};

/// The identity provider's URN (required).
pub const ENV_PROVIDER_URN: &str = "HUAWEICLOUD_OIDC_PROVIDER_URN";
/// The agency's URN (required).
pub const ENV_AGENCY_URN: &str = "HUAWEICLOUD_OIDC_AGENCY_URN";
/// The ID token itself (or else [`ENV_TOKEN_FILE`]).
pub const ENV_ID_TOKEN: &str = "HUAWEICLOUD_OIDC_ID_TOKEN";
/// A file holding the ID token, read on every fetch.
pub const ENV_TOKEN_FILE: &str = "HUAWEICLOUD_OIDC_TOKEN_FILE";
/// The session name (default `oidc-sts-session`).
pub const ENV_SESSION_NAME: &str = "HUAWEICLOUD_OIDC_SESSION_NAME";
/// How long the keys last, in seconds (default 3600).
pub const ENV_DURATION_SECONDS: &str = "HUAWEICLOUD_OIDC_DURATION_SECONDS";
/// A session policy (a JSON document, sent as a string).
pub const ENV_POLICY: &str = "HUAWEICLOUD_OIDC_POLICY";
/// Session policy ids, comma-separated.
pub const ENV_POLICY_IDS: &str = "HUAWEICLOUD_OIDC_POLICY_IDS";

const PATH: &str = "/v5/agencies/assume-with-oidc";
const SERVICE: &str = "STS (assume-with-oidc)";
const DEFAULT_SESSION_NAME: &str = "oidc-sts-session";
const DEFAULT_DURATION_SECONDS: u32 = 3600;

/// Where the ID token comes from.
#[derive(Clone, Debug)]
enum IdToken {
    Value(Secret),
    File(PathBuf),
}

/// The OIDC STS source. `Debug` hides the ID token.
#[derive(Clone, Debug)]
pub struct OidcSts {
    provider_urn: String,
    agency_urn: String,
    id_token: IdToken,
    session_name: String,
    duration_seconds: u32,
    policy: Option<String>,
    policy_ids: Option<Vec<String>>,
    sts_endpoint: String,
}

impl OidcSts {
    /// The source as the `HUAWEICLOUD_OIDC_*` variables configure it: `Ok(None)` when
    /// neither URN is set; an error naming the variable when one is missing or unusable.
    /// The STS endpoint is `HUAWEICLOUD_SDK_STS_ENDPOINT`, else the region's.
    pub fn from_env(
        env: &Environment,
        region: Option<&str>,
    ) -> Result<Option<Self>, CredentialsError> {
        let provider_urn = env_var(env, ENV_PROVIDER_URN);
        let agency_urn = env_var(env, ENV_AGENCY_URN);
        let incomplete = |present, missing| CredentialsError::Incomplete {
            present,
            missing,
            location: "environment, OIDC federation".into(),
        };
        let (provider_urn, agency_urn) = match (provider_urn, agency_urn) {
            (None, None) => return Ok(None),
            (Some(_), None) => return Err(incomplete(ENV_PROVIDER_URN, ENV_AGENCY_URN)),
            (None, Some(_)) => return Err(incomplete(ENV_AGENCY_URN, ENV_PROVIDER_URN)),
            (Some(p), Some(a)) => (p, a),
        };
        let id_token = match (env_var(env, ENV_ID_TOKEN), env_var(env, ENV_TOKEN_FILE)) {
            (Some(token), _) => IdToken::Value(Secret::new(token)),
            (None, Some(file)) => IdToken::File(PathBuf::from(file)),
            (None, None) => {
                return Err(incomplete(
                    "HUAWEICLOUD_OIDC_PROVIDER_URN and HUAWEICLOUD_OIDC_AGENCY_URN",
                    "HUAWEICLOUD_OIDC_ID_TOKEN or HUAWEICLOUD_OIDC_TOKEN_FILE",
                ));
            }
        };
        let duration_seconds = match env_var(env, ENV_DURATION_SECONDS) {
            None => DEFAULT_DURATION_SECONDS,
            Some(text) => text
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|d| *d > 0)
                .ok_or_else(|| CredentialsError::InvalidVariable {
                    variable: ENV_DURATION_SECONDS,
                    reason: "it must be a whole number of seconds greater than 0".into(),
                })?,
        };
        let policy_ids = env_var(env, ENV_POLICY_IDS).map(|ids| {
            ids.split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        });
        Ok(Some(OidcSts {
            provider_urn,
            agency_urn,
            id_token,
            session_name: env_var(env, ENV_SESSION_NAME)
                .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned()),
            duration_seconds,
            policy: env_var(env, ENV_POLICY),
            policy_ids: policy_ids.filter(|ids| !ids.is_empty()),
            sts_endpoint: sts_endpoint(region, env).map_err(CredentialsError::Endpoint)?,
        }))
    }

    /// The request body, keys in the official SDK's order.
    fn body(&self, id_token: &Secret) -> Vec<u8> {
        let mut fields = vec![
            ("provider_urn", json!(self.provider_urn).to_string()),
            ("agency_urn", json!(self.agency_urn).to_string()),
            ("agency_session_name", json!(self.session_name).to_string()),
            ("id_token", json!(id_token.expose()).to_string()),
            ("duration_seconds", self.duration_seconds.to_string()),
        ];
        if let Some(policy) = &self.policy {
            fields.push(("policy", json!(policy).to_string()));
        }
        if let Some(ids) = &self.policy_ids {
            fields.push(("policy_ids", json!(ids).to_string()));
        }
        ordered_object(&fields).into_bytes()
    }
}

impl ProvideCredentials for OidcSts {
    fn provide<'a>(
        &'a self,
        http: &'a dyn HttpClient,
    ) -> BoxFuture<'a, Result<Provided, CredentialsError>> {
        Box::pin(async move {
            let id_token = match &self.id_token {
                IdToken::Value(token) => token.clone(),
                IdToken::File(path) => read_token_file(ENV_TOKEN_FILE, path).await?,
            };
            let url = format!("{}{PATH}", self.sts_endpoint);
            let request = json_request(http::Method::POST, &url, ENV_STS_ENDPOINT)?;
            let body = self.body(&id_token);
            let source = CredentialSource::OidcSts;
            fetch_credential(
                http,
                Route::Configured,
                SERVICE,
                request,
                body,
                ENV_STS_ENDPOINT,
                source,
            )
            .await
        })
    }
}
