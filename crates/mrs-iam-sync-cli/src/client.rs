//! Building the API client from the global options and the environment.

use mrs_iam_sync::{Client, Credentials, Environment, REGION_ENV};

use crate::args::GlobalArgs;
use crate::exit::Failure;

/// The environment variable an IAM token may come from (like `--token`).
pub const TOKEN_ENV: &str = "HUAWEICLOUD_SDK_AUTH_TOKEN";
/// A client for the region or endpoint of the options, with credentials from
/// `--token` / `HUAWEICLOUD_SDK_AUTH_TOKEN` or else the client's default chain
/// (OIDC, environment, profile file, metadata service, pod identity). Without a
/// project id, the client looks it up at IAM for the region (`--region` also
/// counts with `--endpoint`). `--max-rate` limits the one client of the run,
/// so every call shares its rate limiter.
pub fn build(global: &GlobalArgs) -> Result<Client, Failure> {
    let environment = Environment::process();
    let non_empty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    let mut builder = Client::builder()
        .environment(environment.clone())
        .signing_algorithm(global.signing_algorithm);
    let region =
        non_empty(global.region.clone()).or_else(|| non_empty(environment.var(REGION_ENV)));
    match (&global.endpoint, region) {
        (Some(endpoint), region) => {
            builder = builder.endpoint(endpoint);
            if let Some(region) = region {
                builder = builder.region(region);
            }
        }
        (None, Some(region)) => builder = builder.region(region),
        (None, None) => {
            return Err(Failure::Usage(format!(
                "no region: pass --region (e.g. cn-north-4) or --endpoint, or set {REGION_ENV}"
            )));
        }
    }
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
    Ok(builder.build()?)
}
