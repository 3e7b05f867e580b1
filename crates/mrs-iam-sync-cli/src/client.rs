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
/// so every call shares its rate limiter. The network flags (`--proxy`,
/// `--no-proxy`, `--ca-bundle`, `--client-cert`/`--client-key`, `--insecure`)
/// apply to every request of the run; `--insecure` warns on stderr.
pub fn build(global: &GlobalArgs) -> Result<Client, Failure> {
    let environment = Environment::process();
    let non_empty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    let mut builder = Client::builder()
        .environment(environment.clone())
        .signing_algorithm(global.signing_algorithm);
    let region =
        non_empty(global.region.clone()).or_else(|| non_empty(environment.var(REGION_ENV)));
    match (global.endpoints.is_empty(), region) {
        (false, region) => {
            builder = builder.endpoints(&global.endpoints);
            if let Some(region) = region {
                builder = builder.region(region);
            }
        }
        (true, Some(region)) => builder = builder.region(region),
        (true, None) => {
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
    if let Some(proxy) = &global.proxy {
        builder = builder.proxy(proxy);
    }
    if global.no_proxy {
        builder = builder.no_proxy();
    }
    for bundle in &global.ca_bundles {
        builder = builder.ca_bundle(bundle.as_path());
    }
    if let (Some(cert), Some(key)) = (&global.client_cert, &global.client_key) {
        builder = builder.client_certificate(cert.as_path(), key.as_path());
    }
    if global.insecure {
        eprintln!(
            "warning: --insecure: TLS certificates are not verified; anyone on the network \
             path can read and change this run's requests and credentials"
        );
        builder = builder.danger_accept_invalid_certs(true);
    }
    Ok(builder.build()?)
}
