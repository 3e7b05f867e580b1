//! IdP federation at IAM: an ID token from a file is exchanged for an unscoped IAM token
//! (`POST /v3.0/OS-AUTH/id-token/tokens` with `X-Idp-Id`; the token comes back in
//! `X-Subject-Token`), and that token for temporary keys
//! (`POST /v3.0/OS-CREDENTIAL/securitytokens`).

use std::path::PathBuf;

use serde_json::json;

use super::document::{Route, fetch_credential, json_request, ordered_object, send};
use super::{CredentialSource, CredentialsError, ProvideCredentials, Provided, read_token_file};
use crate::endpoints::ENV_IAM_ENDPOINT;
use crate::secret::Secret;
use crate::transport::{BoxFuture, HttpClient};

/// The identity provider's id (with [`ENV_ID_TOKEN_FILE`]).
pub const ENV_IDP_ID: &str = "HUAWEICLOUD_SDK_IDP_ID";
/// The file holding the ID token, read on every fetch.
pub const ENV_ID_TOKEN_FILE: &str = "HUAWEICLOUD_SDK_ID_TOKEN_FILE";

const TOKEN_PATH: &str = "/v3.0/OS-AUTH/id-token/tokens";
const KEYS_PATH: &str = "/v3.0/OS-CREDENTIAL/securitytokens";
const TOKEN_SERVICE: &str = "IAM (id-token/tokens)";
const KEYS_SERVICE: &str = "IAM (securitytokens)";
/// How long the temporary keys last (the official SDK's 6 hours).
const DURATION_SECONDS: u32 = 6 * 60 * 60;

/// The IdP federation source.
#[derive(Clone, Debug)]
pub struct IdpFederation {
    idp_id: String,
    id_token_file: PathBuf,
    /// Names the token file in errors: the variable or the profile key.
    token_file_setting: String,
    iam_endpoint: String,
    source: CredentialSource,
    project_id: Option<String>,
}

impl IdpFederation {
    /// A federation through `idp_id` with the ID token in `id_token_file`, at the IAM
    /// endpoint `iam_endpoint` (already resolved). `token_file_setting` names where the file
    /// was configured, for errors; `source` is what [`Provided::source`] will say.
    pub fn new(
        idp_id: impl Into<String>,
        id_token_file: impl Into<PathBuf>,
        token_file_setting: impl Into<String>,
        iam_endpoint: impl Into<String>,
        source: CredentialSource,
    ) -> Self {
        IdpFederation {
            idp_id: idp_id.into(),
            id_token_file: id_token_file.into(),
            token_file_setting: token_file_setting.into(),
            iam_endpoint: iam_endpoint.into(),
            source,
            project_id: None,
        }
    }

    /// The project id the credentials carry (from the profile file's `project_id`).
    pub fn with_project_id(mut self, project_id: Option<String>) -> Self {
        self.project_id = project_id;
        self
    }

    /// The identity provider's id (what project-id discovery caches by).
    pub fn idp_id(&self) -> &str {
        &self.idp_id
    }

    async fn unscoped_token(
        &self,
        http: &dyn HttpClient,
        id_token: &Secret,
    ) -> Result<Secret, CredentialsError> {
        let url = format!("{}{TOKEN_PATH}", self.iam_endpoint);
        let id = ordered_object(&[("id", json!(id_token.expose()).to_string())]);
        let auth = ordered_object(&[("id_token", id)]);
        let body = ordered_object(&[("auth", auth)]).into_bytes();
        let request = json_request(http::Method::POST, &url, ENV_IAM_ENDPOINT)?
            .header("X-Idp-Id", self.idp_id.as_str())
            .body(body)
            .map_err(|_| CredentialsError::InvalidVariable {
                variable: ENV_IDP_ID,
                reason: "it cannot be sent in an HTTP header".into(),
            })?;
        let response = send(http, Route::Configured, TOKEN_SERVICE, request).await?;
        response
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(Secret::new)
            .ok_or_else(|| CredentialsError::Malformed {
                service: TOKEN_SERVICE,
                reason: "the answer has no X-Subject-Token header".into(),
            })
    }
}

impl ProvideCredentials for IdpFederation {
    fn provide<'a>(
        &'a self,
        http: &'a dyn HttpClient,
    ) -> BoxFuture<'a, Result<Provided, CredentialsError>> {
        Box::pin(async move {
            let id_token = read_token_file(&self.token_file_setting, &self.id_token_file).await?;
            let token = self.unscoped_token(http, &id_token).await?;
            let url = format!("{}{KEYS_PATH}", self.iam_endpoint);
            // {"auth":{"identity":{"methods":["token"],"token":{"id":…,"duration_seconds":…}}}}
            let token = ordered_object(&[
                ("id", json!(token.expose()).to_string()),
                ("duration_seconds", DURATION_SECONDS.to_string()),
            ]);
            let identity = ordered_object(&[("methods", r#"["token"]"#.into()), ("token", token)]);
            let auth = ordered_object(&[("identity", identity)]);
            let body = ordered_object(&[("auth", auth)]).into_bytes();
            let request = json_request(http::Method::POST, &url, ENV_IAM_ENDPOINT)?;
            let source = self.source.clone();
            let mut provided = fetch_credential(
                http,
                Route::Configured,
                KEYS_SERVICE,
                request,
                body,
                ENV_IAM_ENDPOINT,
                source,
            )
            .await?;
            if let Some(project_id) = &self.project_id {
                provided.credentials = provided.credentials.with_project_id(project_id.clone());
            }
            Ok(provided)
        })
    }
}
