//! The default chain, in the official SDK's order: OIDC STS, the environment (IdP
//! federation or AK/SK), the profile file, the ECS/BMS metadata service, CCE pod identity.
//!
//! Where it does better than the official chain:
//! * a metadata service that cannot be reached (or that answers an error, such as the 401
//!   of an instance without an agency) is noted and the chain moves on; the official one
//!   aborts there;
//! * when nothing works, [`CredentialsError::NotFound`] lists every source tried, in order,
//!   and why each gave nothing;
//! * a source that is configured wrongly (a variable without its partner, a named token or
//!   profile file that cannot be read, an unusable value) stops the chain with an error that
//!   names the variable or file, instead of silently falling through to another identity.
//!
//! The first source that answers is kept: later fetches (refreshes) ask it alone.

use std::fmt;
use std::sync::{Arc, Mutex};

use super::profile::{self, ProfileContent};
use super::{
    CredentialSource, CredentialsError, IdpFederation, Metadata, OidcSts, PodIdentity,
    ProvideCredentials, Provided, StaticProvider, environment,
};
use crate::endpoints::iam_endpoint;
use crate::endpoints::normalize_endpoint;
use crate::env::Environment;
use crate::transport::{BoxFuture, HttpClient};

/// A source the chain tried, and why it gave no credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceAttempt {
    /// The source, e.g. `ECS/BMS metadata`.
    pub source: &'static str,
    /// Why it gave nothing (never a secret): the error and its causes, `: `-separated.
    pub outcome: String,
}

impl fmt::Display for SourceAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.outcome)
    }
}

/// What [`CredentialsChain::configured`] found: the first source configured by variables
/// or files, if any, and the sources before it that were not configured.
pub type Configured = (Option<Arc<dyn ProvideCredentials>>, Vec<SourceAttempt>);

/// The default credential chain (see the module docs). A [`ProvideCredentials`]; wrap it
/// in a [`CredentialsCache`](super::CredentialsCache) to keep its credentials fresh.
#[derive(Debug)]
pub struct CredentialsChain {
    env: Environment,
    region: Option<String>,
    chosen: Mutex<Option<Arc<dyn ProvideCredentials>>>,
}

impl CredentialsChain {
    /// The chain over `env`; `region` picks the IAM and STS endpoints.
    pub fn new(env: Environment, region: Option<&str>) -> Self {
        CredentialsChain {
            env,
            region: region
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty()),
            chosen: Mutex::new(None),
        }
    }

    /// The first source configured by variables or files (OIDC STS, environment, profile
    /// file), without any I/O but reading files; or the sources found unconfigured. A
    /// configuration error is returned at once.
    pub fn configured(&self) -> Result<Configured, CredentialsError> {
        let env = &self.env;
        let region = self.region.as_deref();
        let mut tried = Vec::new();
        if let Some(oidc) = OidcSts::from_env(env, region)? {
            return Ok((Some(Arc::new(oidc)), tried));
        }
        tried.push(SourceAttempt {
            source: "OIDC STS",
            outcome: "HUAWEICLOUD_OIDC_PROVIDER_URN and HUAWEICLOUD_OIDC_AGENCY_URN are not set"
                .into(),
        });
        if let Some(found) = environment::detect(env, region)? {
            return Ok((Some(found), tried));
        }
        tried.push(SourceAttempt {
            source: "environment",
            outcome: "neither HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK nor \
                      HUAWEICLOUD_SDK_IDP_ID and HUAWEICLOUD_SDK_ID_TOKEN_FILE are set"
                .into(),
        });
        match profile::load(env)? {
            Some((ProfileContent::Keys(credentials), path)) => {
                let provided =
                    Provided::permanent(*credentials, CredentialSource::ProfileFile(path));
                return Ok((Some(Arc::new(StaticProvider(provided))), tried));
            }
            Some((
                ProfileContent::Federation {
                    idp_id,
                    id_token_file,
                    iam_endpoint: configured_iam,
                    project_id,
                },
                path,
            )) => {
                let iam = match configured_iam {
                    Some(endpoint) => normalize_endpoint(&endpoint).map_err(|reason| {
                        CredentialsError::Endpoint(
                            crate::endpoints::EndpointError::InvalidOverride {
                                var: format!("iam_endpoint in {}", path.display()),
                                reason: Box::new(reason),
                            },
                        )
                    })?,
                    None => iam_endpoint(region, env).map_err(CredentialsError::Endpoint)?,
                };
                let setting = format!("id_token_file in {}", path.display());
                let source = IdpFederation::new(
                    idp_id.clone(),
                    id_token_file,
                    setting,
                    iam,
                    CredentialSource::IdpFederation {
                        idp_id: idp_id.clone(),
                        profile: Some(path),
                    },
                )
                .with_project_id(project_id);
                return Ok((Some(Arc::new(source)), tried));
            }
            None => tried.push(SourceAttempt {
                source: "profile file",
                outcome: profile::absent(env),
            }),
        }
        Ok((None, tried))
    }

    fn choose(&self, source: Arc<dyn ProvideCredentials>) {
        *self.chosen.lock().unwrap_or_else(|e| e.into_inner()) = Some(source);
    }

    /// [`configured`](Self::configured) on tokio's blocking pool: it reads the profile
    /// file, which must not stall the async thread that awaits the chain.
    async fn configured_off_thread(&self) -> Result<Configured, CredentialsError> {
        let env = self.env.clone();
        let region = self.region.clone();
        let reading = tokio::task::spawn_blocking(move || {
            CredentialsChain::new(env, region.as_deref()).configured()
        });
        match reading.await {
            Ok(configured) => configured,
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            Err(_) => Err(CredentialsError::provider(
                "the runtime shut down while the profile file was read",
            )),
        }
    }

    async fn walk(&self, http: &dyn HttpClient) -> Result<Provided, CredentialsError> {
        let (found, mut tried) = self.configured_off_thread().await?;
        if let Some(source) = found {
            let provided = source.provide(http).await?;
            self.choose(source);
            return Ok(provided);
        }
        let metadata = Arc::new(Metadata::from_env(&self.env)?);
        match metadata.provide(http).await {
            Ok(provided) => {
                self.choose(metadata);
                return Ok(provided);
            }
            Err(err) => tried.push(SourceAttempt {
                source: "ECS/BMS metadata",
                outcome: super::describe_with_causes(&err),
            }),
        }
        match PodIdentity::from_env(&self.env)? {
            Some(pod) => {
                let pod = Arc::new(pod);
                match pod.provide(http).await {
                    Ok(provided) => {
                        self.choose(pod);
                        return Ok(provided);
                    }
                    Err(err) => tried.push(SourceAttempt {
                        source: "CCE pod identity",
                        outcome: super::describe_with_causes(&err),
                    }),
                }
            }
            None => tried.push(SourceAttempt {
                source: "CCE pod identity",
                outcome: "HC_CONTAINER_CREDENTIALS_FULL_URI and \
                          HC_CONTAINER_AUTHORIZATION_TOKEN_FILE are not set"
                    .into(),
            }),
        }
        Err(CredentialsError::NotFound { tried })
    }
}

impl ProvideCredentials for CredentialsChain {
    fn provide<'a>(
        &'a self,
        http: &'a dyn HttpClient,
    ) -> BoxFuture<'a, Result<Provided, CredentialsError>> {
        Box::pin(async move {
            let chosen = self
                .chosen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            match chosen {
                Some(source) => source.provide(http).await,
                None => self.walk(http).await,
            }
        })
    }
}
