//! A credential provider of the application's own: keys that a secrets
//! agent (Vault agent, a sidecar, a CI step) writes to a JSON file and
//! rotates, read afresh whenever the client's cache wants new ones.
//!
//! Everything it needs comes from `mrs_iam_sync::credentials`: the
//! `ProvideCredentials` trait, what it returns and the HTTP seam it is
//! handed (unused here: a provider that asks a service over HTTP sends
//! through it, so that the client's network settings apply). The file is read
//! with `tokio::fs`, never with `std::fs` inside `provide`: that would block
//! the runtime's thread.
//!
//! Runs offline against the loopback MRS server:
//! `cargo run -p mrs-iam-sync --example custom_provider`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mrs_iam_sync::Client;
use mrs_iam_sync::credentials::{
    BoxFuture, CredentialSource, Credentials, CredentialsError, HttpClient, ProvideCredentials,
    Provided,
};
use mrs_iam_sync_server::{Config, DEMO_AK, DEMO_CLUSTER_ID, DEMO_PROJECT_ID, DEMO_SK, Server};
use serde_json::Value;

/// Keys from a file the secrets agent keeps current:
/// `{"access_key": .., "secret_key": .., "expires_in_secs": ..}`.
#[derive(Debug)]
struct AgentFile {
    path: PathBuf,
}

impl ProvideCredentials for AgentFile {
    fn provide<'a>(
        &'a self,
        _http: &'a dyn HttpClient,
    ) -> BoxFuture<'a, Result<Provided, CredentialsError>> {
        Box::pin(async move {
            // Failures become `CredentialsError::Provider`, with the cause;
            // never put a secret in them (they are shown in error messages).
            let text = tokio::fs::read(&self.path)
                .await
                .map_err(CredentialsError::provider)?;
            let keys: Value = serde_json::from_slice(&text).map_err(CredentialsError::provider)?;
            let field = |name: &str| {
                keys[name].as_str().map(str::to_owned).ok_or_else(|| {
                    CredentialsError::provider(format!("the agent file has no {name}"))
                })
            };
            let credentials = Credentials::permanent(field("access_key")?, field("secret_key")?);
            let lifetime = keys["expires_in_secs"].as_u64().unwrap_or(3600);
            // The client's cache asks again shortly before this instant.
            Ok(Provided::permanent(credentials, CredentialSource::Explicit)
                .with_expires_at(SystemTime::now() + Duration::from_secs(lifetime)))
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = Server::start(Config::default(), "127.0.0.1:0".parse()?).await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("mrs-keys.json");
    let keys = serde_json::json!({
        "access_key": DEMO_AK,
        "secret_key": DEMO_SK,
        "expires_in_secs": 900,
    });
    std::fs::write(&path, keys.to_string())?;

    let client = Client::builder()
        .endpoint(server.base_url())
        .project_id(DEMO_PROJECT_ID)
        .credentials_provider(Arc::new(AgentFile { path: path.clone() }))
        .build()?;
    let running = client.is_synchronizing(DEMO_CLUSTER_ID).await?;
    println!("signed with the agent's keys; a sync is running: {running}");

    // A broken file is an error that says why, and whose cause is the
    // parser's (printed once: `report()` walks the chain).
    std::fs::write(&path, "not json")?;
    let broken = Client::builder()
        .endpoint(server.base_url())
        .project_id(DEMO_PROJECT_ID)
        .credentials_provider(Arc::new(AgentFile { path }))
        .build()?;
    let err = broken
        .is_synchronizing(DEMO_CLUSTER_ID)
        .await
        .expect_err("no keys in the file");
    println!("as expected: {}", err.report());
    Ok(())
}
