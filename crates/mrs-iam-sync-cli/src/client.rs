//! Building the API client from the global options and the environment.

use mrs_iam_sync::{Client, Credentials, Environment, REGION_ENV};

use crate::args::GlobalArgs;
use crate::exit::Failure;

/// The environment variable an IAM token may come from (like `--token`).
pub const TOKEN_ENV: &str = "HUAWEICLOUD_SDK_AUTH_TOKEN";
/// The environment variable of the project id.
const PROJECT_ID_ENV: &str = "HUAWEICLOUD_SDK_PROJECT_ID";

/// A client for the region or endpoint of the options, with credentials from
/// `--token` / `HUAWEICLOUD_SDK_AUTH_TOKEN` or else the client's chain
/// (environment, then profile file), a project id, and `--max-rate`. One
/// client serves the whole run, so every call shares its rate limiter.
pub fn build(global: &GlobalArgs) -> Result<Client, Failure> {
    let environment = Environment::process();
    let non_empty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    let mut builder = Client::builder()
        .environment(environment.clone())
        .signing_algorithm(global.signing_algorithm);
    builder = match (&global.endpoint, non_empty(global.region.clone())) {
        (Some(endpoint), _) => builder.endpoint(endpoint),
        (None, Some(region)) => builder.region(region),
        (None, None) => match non_empty(environment.var(REGION_ENV)) {
            Some(region) => builder.region(region),
            None => {
                return Err(Failure::Usage(format!(
                    "no region: pass --region (e.g. cn-north-4) or --endpoint, or set {REGION_ENV}"
                )));
            }
        },
    };
    let token = non_empty(global.token.clone()).or_else(|| non_empty(environment.var(TOKEN_ENV)));
    if let Some(token) = token {
        // The builder still takes the project id from the environment.
        builder = builder.credentials(Credentials::token(token));
    }
    if let Some(project) = &global.project_id {
        builder = builder.project_id(project);
    }
    if let Some(rate) = global.max_rate {
        builder = builder.max_rate(rate);
    }
    let client = builder.build()?;
    if client.project_id().is_none() {
        return Err(Failure::Usage(format!(
            "no project id: pass --project-id, set {PROJECT_ID_ENV}, \
             or add project_id to the profile file"
        )));
    }
    Ok(client)
}
