//! The project id from IAM, when none is configured (the official SDK's
//! `BasicCredentials.process_auth_params`): `GET {iam}/v3/projects?name={region}`, signed
//! with the resolved credentials.
//!
//! * exactly one project → its id;
//! * none → [`DiscoveryError::NoProject`], naming the region and the `X-IAM-Trace-Id`;
//! * several → [`DiscoveryError::SeveralProjects`], listing them and saying how to choose.
//!
//! This module builds the request and reads the answer; the caller sends it (the MRS
//! client sends it through its own runtime, so its retry rules apply). Results are cached
//! for the life of the process per (AK or IdP id, region): [`cached`], [`remember`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::credentials::{CredentialSource, Provided};

/// The header IAM puts its trace id in.
pub const TRACE_ID_HEADER: &str = "X-IAM-Trace-Id";

/// `{iam}/v3/projects?name={region}`. The region must be a region id (letters, digits, `-`).
pub fn projects_url(iam_endpoint: &str, region: &str) -> Result<String, DiscoveryError> {
    let region = region.trim();
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(DiscoveryError::InvalidRegion);
    }
    Ok(format!("{iam_endpoint}/v3/projects?name={region}"))
}

/// The project id in IAM's answer to [`projects_url`] (a success status).
pub fn project_from_answer(
    region: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<String, DiscoveryError> {
    let trace_id = headers
        .get(TRACE_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let value: Value = serde_json::from_slice(body).map_err(|_| DiscoveryError::Malformed {
        reason: "the body is not JSON".into(),
    })?;
    let projects = match value.get("projects") {
        Some(Value::Array(projects)) => projects.as_slice(),
        None | Some(Value::Null) => &[],
        Some(_) => {
            return Err(DiscoveryError::Malformed {
                reason: "`projects` is not a list".into(),
            });
        }
    };
    let ids = projects
        .iter()
        .map(|p| {
            p.get("id")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| DiscoveryError::Malformed {
                    reason: "a project has no `id`".into(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    match ids.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(DiscoveryError::NoProject {
            region: region.to_owned(),
            trace_id,
        }),
        _ => Err(DiscoveryError::SeveralProjects {
            region: region.to_owned(),
            ids,
            trace_id,
        }),
    }
}

/// Why no project id was found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The region is not a region id.
    InvalidRegion,
    /// IAM knows no project of that name.
    #[non_exhaustive]
    NoProject {
        /// The region.
        region: String,
        /// IAM's trace id.
        trace_id: Option<String>,
    },
    /// IAM lists several projects of that name.
    #[non_exhaustive]
    SeveralProjects {
        /// The region.
        region: String,
        /// Their ids.
        ids: Vec<String>,
        /// IAM's trace id.
        trace_id: Option<String>,
    },
    /// The answer is not a project list.
    #[non_exhaustive]
    Malformed {
        /// What is wrong.
        reason: String,
    },
}

fn trace(trace_id: &Option<String>) -> &str {
    trace_id.as_deref().unwrap_or("none")
}

impl fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscoveryError::InvalidRegion => f.write_str(
                "cannot look up the project id: the region must be a region id such as cn-north-4",
            ),
            DiscoveryError::NoProject { region, trace_id } => write!(
                f,
                "IAM has no project named {region} for these credentials (X-IAM-Trace-Id={}): \
                 check that the project exists in your account, or set the project id \
                 (HUAWEICLOUD_SDK_PROJECT_ID, --project-id or the builder's project_id)",
                trace(trace_id)
            ),
            DiscoveryError::SeveralProjects {
                region,
                ids,
                trace_id,
            } => write!(
                f,
                "IAM has several projects named {region}: [{}] (X-IAM-Trace-Id={}): choose one \
                 with HUAWEICLOUD_SDK_PROJECT_ID, --project-id or the builder's project_id",
                ids.join(", "),
                trace(trace_id)
            ),
            DiscoveryError::Malformed { reason } => {
                write!(f, "IAM's project list is malformed: {reason}")
            }
        }
    }
}

impl std::error::Error for DiscoveryError {}

type Key = (String, String);

fn cache() -> &'static Mutex<HashMap<Key, String>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, String>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// What the cache is keyed by: the IdP id for IdP federation, else the access key.
fn key(provided: &Provided, region: &str) -> Option<Key> {
    let who = match &provided.source {
        CredentialSource::IdpFederation { idp_id, .. } => idp_id.as_str(),
        _ => provided.credentials.access_key()?,
    };
    Some((who.to_owned(), region.trim().to_owned()))
}

/// The project id discovered earlier in this process for these credentials and region.
pub fn cached(provided: &Provided, region: &str) -> Option<String> {
    let key = key(provided, region)?;
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .cloned()
}

/// Remembers a discovered project id for the rest of the process.
pub fn remember(provided: &Provided, region: &str, project_id: &str) {
    if let Some(key) = key(provided, region) {
        cache()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, project_id.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credentials;

    fn answer(body: &str, trace: Option<&str>) -> Result<String, DiscoveryError> {
        let mut headers = http::HeaderMap::new();
        if let Some(t) = trace {
            headers.insert(TRACE_ID_HEADER, t.parse().unwrap());
        }
        project_from_answer("cn-north-4", &headers, body.as_bytes())
    }

    #[test]
    fn one_none_or_several() {
        assert_eq!(
            answer(r#"{"projects":[{"id":"p1","name":"cn-north-4"}]}"#, None).unwrap(),
            "p1"
        );
        let none = answer(r#"{"projects":[]}"#, Some("trace-1")).unwrap_err();
        assert!(none.to_string().contains("cn-north-4"), "{none}");
        assert!(
            none.to_string().contains("X-IAM-Trace-Id=trace-1"),
            "{none}"
        );
        let several = answer(r#"{"projects":[{"id":"p1"},{"id":"p2"}]}"#, Some("t")).unwrap_err();
        assert!(several.to_string().contains("[p1, p2]"), "{several}");
        assert!(several.to_string().contains("choose one"), "{several}");
        assert!(matches!(
            answer("nope", None),
            Err(DiscoveryError::Malformed { .. })
        ));
        assert!(matches!(
            answer(r#"{"projects":[{}]}"#, None),
            Err(DiscoveryError::Malformed { .. })
        ));
    }

    #[test]
    fn url_and_cache() {
        assert_eq!(
            projects_url("https://iam.cn-north-4.myhuaweicloud.com", "cn-north-4").unwrap(),
            "https://iam.cn-north-4.myhuaweicloud.com/v3/projects?name=cn-north-4"
        );
        assert_eq!(
            projects_url("x", "a&b=c"),
            Err(DiscoveryError::InvalidRegion)
        );
        let provided = Provided::permanent(
            Credentials::permanent("AK-DISCOVERY-TEST", "SK"),
            CredentialSource::Explicit,
        );
        assert_eq!(cached(&provided, "xx-test-1"), None);
        remember(&provided, "xx-test-1", "p9");
        assert_eq!(cached(&provided, "xx-test-1").as_deref(), Some("p9"));
        assert_eq!(cached(&provided, "xx-test-2"), None);
        let idp = Provided::permanent(
            Credentials::permanent("OTHER-AK", "SK"),
            CredentialSource::IdpFederation {
                idp_id: "idp-x".into(),
                profile: None,
            },
        );
        remember(&idp, "xx-test-1", "p10");
        let same_idp_new_keys = Provided::permanent(
            Credentials::permanent("ROTATED-AK", "SK"),
            CredentialSource::IdpFederation {
                idp_id: "idp-x".into(),
                profile: None,
            },
        );
        assert_eq!(
            cached(&same_idp_new_keys, "xx-test-1").as_deref(),
            Some("p10")
        );
    }
}
