//! `credentials`: which source the credentials come from, and what they are
//! (never a secret key or a token).

use std::time::SystemTime;

use mrs_iam_sync::ClientInfo as _;
use mrs_iam_sync::Error;
use serde::Serialize;

use super::Ctx;
use crate::exit::Failure;
use crate::output;

/// The answer, as a JSON line.
#[derive(Debug, Serialize)]
struct CredentialsJson<'a> {
    /// `environment`, `profile`, `oidc-sts`, `idp-federation`, `metadata`,
    /// `pod-identity` or `explicit`.
    source: &'static str,
    source_description: String,
    access_key_id: Option<&'a str>,
    temporary: bool,
    project_id: String,
    /// `configured` or `discovered`.
    project_id_from: &'static str,
    expires_at: Option<String>,
}

/// Fetches the credentials (as a call would), resolves the project id, and
/// prints both.
pub async fn run(ctx: &Ctx) -> Result<(), Failure> {
    let configured = ctx.client.project_id().is_some();
    let Some(cache) = ctx.client.inner().credentials() else {
        return Err(Failure::Usage("the client has no credentials".into()));
    };
    let provided = cache.get().await.map_err(Error::Credentials)?;
    let project = ctx.client.resolve_project_id().await?;
    let credentials = &provided.credentials;
    let answer = CredentialsJson {
        source: provided.source.name(),
        source_description: provided.source.to_string(),
        access_key_id: credentials.access_key(),
        temporary: matches!(credentials, mrs_iam_sync::Credentials::Temporary { .. }),
        project_id: project.to_string(),
        project_id_from: if configured {
            "configured"
        } else {
            "discovered"
        },
        expires_at: provided
            .expires_at
            .and_then(|at| jiff::Timestamp::try_from(at).ok())
            .map(|at| format!("{at:.0}")),
    };
    if ctx.json {
        output::json(&answer);
        return Ok(());
    }
    let expires = match provided.expires_at {
        None => "never (permanent or static keys)".to_owned(),
        Some(at) => {
            let left = at
                .duration_since(SystemTime::now())
                .map(|d| format!("in {} min", d.as_secs() / 60))
                .unwrap_or_else(|_| "expired".into());
            format!(
                "{} ({left})",
                answer.expires_at.as_deref().unwrap_or_default()
            )
        }
    };
    let project_from = if configured {
        "configured"
    } else {
        "looked up at IAM"
    };
    let access_key = answer.access_key_id.unwrap_or("(none: an IAM token)");
    output::line(format!(
        "source:         {}\naccess key id:  {access_key}\nproject id:     {} ({project_from})\nexpires:        {expires}",
        mrs_iam_sync::OneLine::new(&answer.source_description),
        answer.project_id,
    ));
    Ok(())
}
