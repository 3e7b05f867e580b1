//! The project id when none is configured: looked up at IAM
//! (`GET {iam}/v3/projects?name={region}`, see [`hwcloud_auth::discovery`]), once
//! per client and once per process for the same credentials and region. The
//! request goes through the client's runtime: signed with the credentials
//! current at each attempt, retried per the [retry rules](crate::retry).

use progenitor_client::ClientInfo as _;
use reqwest::header::USER_AGENT;

use crate::error::{ConfigError, Error};
use crate::{Client, hooks, ids, types};

impl Client {
    /// The project id requests go to: the configured one (builder,
    /// credentials, `HUAWEICLOUD_SDK_PROJECT_ID`, profile file), else the
    /// one IAM knows for the region. Looked up at most once per client.
    pub async fn resolve_project_id(&self) -> Result<types::ProjectId, Error> {
        if let Some(project) = self.project_id() {
            return Ok(project.clone());
        }
        let shared = self.inner().settings();
        shared
            .discovered
            // Boxed: a lookup happens once per client, and its state would
            // otherwise make every call's future larger.
            .get_or_try_init(|| Box::pin(self.discover_project_id()))
            .await
            .cloned()
    }

    async fn discover_project_id(&self) -> Result<types::ProjectId, Error> {
        let shared = self.inner().settings();
        let no_project = |why: &str| {
            Error::from(ConfigError::Invalid(format!(
                "no project id: set HUAWEICLOUD_SDK_PROJECT_ID, `project_id` in the profile \
                 file, or call .project_id(..) on the client builder ({why})"
            )))
        };
        let Some(cache) = self.inner().credentials() else {
            return Err(no_project("an anonymous client cannot look it up at IAM"));
        };
        let provided = cache.get().await.map_err(Error::Credentials)?;
        if let Some(project) = provided.credentials.project_id() {
            return Ok(ids::project_id(project)?);
        }
        if !provided.credentials.signs_requests() {
            return Err(no_project(
                "IAM is asked with AK/SK credentials, not a token",
            ));
        }
        let Some(target) = &shared.discovery else {
            return Err(no_project(
                "without a region it cannot be looked up at IAM: pass a region too",
            ));
        };
        if let Some(project) = hwcloud_auth::discovery::cached(&provided, &target.region) {
            return Ok(ids::project_id(&project)?);
        }
        let url = hwcloud_auth::discovery::projects_url(&target.iam_endpoint, &target.region)
            .map_err(|err| ConfigError::Invalid(err.to_string()))?;
        let request = self
            .client()
            .get(&url)
            .header(USER_AGENT, shared.user_agent.clone())
            .build()
            .map_err(ConfigError::Http)?;
        tracing::info!(region = %target.region, iam = %target.iam_endpoint, "looking up the project id at IAM");
        let response = hooks::send_with_retries(shared, request, None)
            .await
            .map_err(Error::from_send)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(Error::transport)?;
        let trace_id = headers
            .get(hwcloud_auth::discovery::TRACE_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let refused = |code, message, source| Error::ProjectLookup {
            region: target.region.clone(),
            status,
            code,
            message,
            trace_id: trace_id.clone(),
            source,
        };
        if !status.is_success() {
            // The runtime has rewritten the error body into the spec's error
            // schema, reading IAM's shapes as the official SDK does.
            let answer = serde_json::from_slice::<types::ErrorResponse>(&body).ok();
            let (code, message) = answer.map_or((None, None), |answer| {
                (Some(answer.error_code), answer.error_msg.or(answer.message))
            });
            return Err(refused(code, message.unwrap_or_default(), None));
        }
        let project = hwcloud_auth::discovery::project_from_answer(&target.region, &headers, &body)
            .map_err(|err| refused(None, String::new(), Some(Box::new(err))))?;
        let project_id = ids::project_id(&project)?;
        hwcloud_auth::discovery::remember(&provided, &target.region, &project);
        Ok(project_id)
    }
}
