//! Credentials, where they come from and how they authorize a request.
//!
//! * [`Credentials`]: the value that signs (AK/SK, temporary AK/SK + security token, or an
//!   IAM token);
//! * [`ProvideCredentials`]: a source that fetches credentials (with their expiry), and
//!   [`CredentialsCache`] that keeps them fresh (refreshed when less than 40 minutes remain,
//!   one fetch at a time, callers never wait while the current ones are valid);
//! * one module per source, and [`CredentialsChain`], the official SDK's default chain:
//!
//! | # | Source | Configured by |
//! |---|--------|---------------|
//! | 1 | [`OidcSts`] | `HUAWEICLOUD_OIDC_PROVIDER_URN`, `HUAWEICLOUD_OIDC_AGENCY_URN`, `HUAWEICLOUD_OIDC_ID_TOKEN` or `HUAWEICLOUD_OIDC_TOKEN_FILE` |
//! | 2 | environment: [`IdpFederation`], else AK/SK | `HUAWEICLOUD_SDK_IDP_ID` + `HUAWEICLOUD_SDK_ID_TOKEN_FILE`, else `HUAWEICLOUD_SDK_AK` + `HUAWEICLOUD_SDK_SK` (+ `HUAWEICLOUD_SDK_SECURITY_TOKEN`) |
//! | 3 | the profile file | `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials` |
//! | 4 | [`Metadata`] (ECS/BMS agency) | nothing (`HUAWEICLOUD_SDK_METADATA_ENDPOINT` moves it) |
//! | 5 | [`PodIdentity`] (CCE) | `HC_CONTAINER_CREDENTIALS_FULL_URI` + `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE` |

mod cache;
mod chain;
mod document;
mod environment;
mod idp_federation;
mod metadata;
mod oidc_sts;
mod pod_identity;
mod profile;
mod provider;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::SystemTime;

pub use cache::{CredentialsCache, REFRESH_THRESHOLD};
pub use chain::{Configured, CredentialsChain, SourceAttempt};
pub use idp_federation::IdpFederation;
pub use metadata::Metadata;
pub use oidc_sts::OidcSts;
pub use pod_identity::PodIdentity;
pub use provider::{ProvideCredentials, Provided, StaticProvider};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use zeroize::Zeroizing;

use crate::env::Environment;
use crate::secret::Secret;
use crate::signer::{RequestTarget, SignError, SigningAlgorithm, sign_target};

/// Environment variable holding the access key (AK).
pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// Environment variable holding the secret key (SK).
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// Environment variable holding the project id.
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// Environment variable holding the security token of temporary AK/SK.
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// Environment variable naming the profile file (default `$HOME/.huaweicloud/credentials`).
pub const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";

/// Header carrying the project id with AK/SK authentication.
pub const HEADER_PROJECT_ID: &str = "x-project-id";
/// Header carrying the security token of temporary AK/SK (it is signed).
pub const HEADER_SECURITY_TOKEN: &str = "x-security-token";
/// Header carrying an IAM token (token authentication; no signature).
pub const HEADER_AUTH_TOKEN: &str = "x-auth-token";

/// The profile file's section this crate reads.
const PROFILE_SECTION: &str = "basic";

/// How requests are authenticated.
///
/// `Debug` shows the access key and project id (identifiers, not secrets) and `***` for
/// the secret key and tokens.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Credentials {
    /// A permanent access key / secret key pair.
    Permanent {
        /// Access key id (AK).
        ak: String,
        /// Secret access key (SK).
        sk: Secret,
        /// Project id, sent as `X-Project-Id` when known.
        project_id: Option<String>,
    },
    /// A temporary access key / secret key pair with its security token (from STS or an agency).
    Temporary {
        /// Temporary access key id.
        ak: String,
        /// Temporary secret key.
        sk: Secret,
        /// Security token, sent (and signed) as `X-Security-Token`.
        security_token: Secret,
        /// Project id, sent as `X-Project-Id` when known.
        project_id: Option<String>,
    },
    /// An IAM token, sent as `X-Auth-Token`; requests are not signed.
    Token {
        /// The IAM token (valid 24 hours).
        token: Secret,
        /// Project id (for the caller's paths; token mode sends no `X-Project-Id`).
        project_id: Option<String>,
    },
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

impl Credentials {
    /// Permanent AK/SK.
    pub fn permanent(ak: impl Into<String>, sk: impl Into<String>) -> Self {
        Credentials::Permanent {
            ak: ak.into(),
            sk: Secret::new(sk),
            project_id: None,
        }
    }

    /// Temporary AK/SK with the security token that goes with them.
    pub fn temporary(
        ak: impl Into<String>,
        sk: impl Into<String>,
        security_token: impl Into<String>,
    ) -> Self {
        Credentials::Temporary {
            ak: ak.into(),
            sk: Secret::new(sk),
            security_token: Secret::new(security_token),
            project_id: None,
        }
    }

    /// An IAM token (`X-Auth-Token`).
    pub fn token(token: impl Into<String>) -> Self {
        Credentials::Token {
            token: Secret::new(token),
            project_id: None,
        }
    }

    /// Sets the project id (an empty string means none).
    pub fn with_project_id(mut self, project_id: impl Into<String>) -> Self {
        let new = non_empty(project_id.into());
        match &mut self {
            Credentials::Permanent { project_id, .. }
            | Credentials::Temporary { project_id, .. }
            | Credentials::Token { project_id, .. } => *project_id = new,
        }
        self
    }

    /// The project id, when known.
    pub fn project_id(&self) -> Option<&str> {
        match self {
            Credentials::Permanent { project_id, .. }
            | Credentials::Temporary { project_id, .. }
            | Credentials::Token { project_id, .. } => {
                project_id.as_deref().filter(|p| !p.is_empty())
            }
        }
    }

    /// The access key id (AK); `None` in token mode.
    pub fn access_key(&self) -> Option<&str> {
        match self {
            Credentials::Permanent { ak, .. } | Credentials::Temporary { ak, .. } => Some(ak),
            Credentials::Token { .. } => None,
        }
    }

    /// Whether requests are signed (AK/SK) rather than carrying an IAM token.
    pub fn signs_requests(&self) -> bool {
        !matches!(self, Credentials::Token { .. })
    }

    /// Everything a request needs to be authenticated, added to `headers`:
    ///
    /// * permanent AK/SK: `X-Project-Id` (when a project id is known), then [`sign`](crate::sign);
    /// * temporary AK/SK: `X-Security-Token` (signed) and `X-Project-Id`, then [`sign`](crate::sign);
    /// * IAM token: `X-Auth-Token`, no signature.
    ///
    /// Headers added here replace earlier values of the same name, so this can run on every
    /// attempt of a request. `body` must be the exact bytes sent; `now` gives the
    /// `X-Sdk-Date` unless the request has one. Tokens and `Authorization` are marked
    /// sensitive. On error the request must not be sent (`headers` may hold the
    /// `X-Project-Id` / `X-Security-Token` added before signing failed).
    pub fn authorize<'a>(
        &self,
        method: &Method,
        uri: impl Into<RequestTarget<'a>>,
        headers: &mut HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), SignError> {
        self.authorize_with(SigningAlgorithm::default(), method, uri, headers, body, now)
    }

    /// [`authorize`](Self::authorize), signing AK/SK requests with `algorithm` (an IAM
    /// token ignores it).
    pub fn authorize_with<'a>(
        &self,
        algorithm: SigningAlgorithm,
        method: &Method,
        uri: impl Into<RequestTarget<'a>>,
        headers: &mut HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), SignError> {
        self.authorize_target(algorithm, method, uri.into(), headers, body, now)
    }

    /// [`authorize_with`](Self::authorize_with), not generic: compiled here once, not in
    /// each crate that authorizes.
    fn authorize_target(
        &self,
        algorithm: SigningAlgorithm,
        method: &Method,
        target: RequestTarget<'_>,
        headers: &mut HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), SignError> {
        match self {
            Credentials::Permanent { ak, sk, .. } => {
                precheck(ak, sk)?;
                self.insert_project_id(headers)?;
                sign_target(algorithm, method, target, headers, body, ak, sk, now)
            }
            Credentials::Temporary {
                ak,
                sk,
                security_token,
                ..
            } => {
                precheck(ak, sk)?;
                let token = sensitive_value(security_token.expose(), HEADER_SECURITY_TOKEN)?;
                headers.insert(HeaderName::from_static(HEADER_SECURITY_TOKEN), token);
                self.insert_project_id(headers)?;
                sign_target(algorithm, method, target, headers, body, ak, sk, now)
            }
            Credentials::Token { token, .. } => {
                let token = sensitive_value(token.expose(), HEADER_AUTH_TOKEN)?;
                headers.insert(HeaderName::from_static(HEADER_AUTH_TOKEN), token);
                Ok(())
            }
        }
    }

    fn insert_project_id(&self, headers: &mut HeaderMap) -> Result<(), SignError> {
        if let Some(project_id) = self.project_id() {
            let value =
                HeaderValue::from_str(project_id).map_err(|_| SignError::InvalidHeaderValue {
                    name: HEADER_PROJECT_ID,
                })?;
            headers.insert(HeaderName::from_static(HEADER_PROJECT_ID), value);
        }
        Ok(())
    }

    /// Credentials from the environment: `HUAWEICLOUD_SDK_AK` and `HUAWEICLOUD_SDK_SK`,
    /// optionally `HUAWEICLOUD_SDK_SECURITY_TOKEN` (temporary keys) and
    /// `HUAWEICLOUD_SDK_PROJECT_ID`. Empty variables count as unset.
    ///
    /// `Ok(None)` when none of AK, SK and security token is set; an error naming what is
    /// missing when only some are.
    pub fn from_environment(
        env: &Environment,
    ) -> Result<Option<(Credentials, CredentialSource)>, CredentialsError> {
        let get = |name: &str| env.var(name).and_then(non_empty);
        let ak = get(ENV_AK);
        let sk = Zeroizing::new(get(ENV_SK));
        let token = Zeroizing::new(get(ENV_SECURITY_TOKEN));
        let creds = assemble(
            ak,
            sk.as_deref(),
            token.as_deref(),
            get(ENV_PROJECT_ID),
            [ENV_AK, ENV_SK, ENV_SECURITY_TOKEN],
            || "environment".to_owned(),
        )?;
        Ok(creds.map(|c| (c, CredentialSource::Environment)))
    }
}

fn precheck(ak: &str, sk: &Secret) -> Result<(), SignError> {
    if ak.is_empty() {
        return Err(SignError::MissingAccessKey);
    }
    if sk.is_empty() {
        return Err(SignError::MissingSecretKey);
    }
    Ok(())
}

fn sensitive_value(value: &str, name: &'static str) -> Result<HeaderValue, SignError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| SignError::InvalidHeaderValue { name })?;
    v.set_sensitive(true);
    Ok(v)
}

/// AK + SK (+ token) → credentials, or an error naming the missing part.
/// `names` = [ak, sk, token] as the source calls them.
fn assemble(
    ak: Option<String>,
    sk: Option<&str>,
    token: Option<&str>,
    project_id: Option<String>,
    names: [&'static str; 3],
    location: impl Fn() -> String,
) -> Result<Option<Credentials>, CredentialsError> {
    let [ak_name, sk_name, token_name] = names;
    let incomplete = |present: &'static str, missing: &'static str| {
        Err(CredentialsError::Incomplete {
            present,
            missing,
            location: location(),
        })
    };
    let creds = match (ak, sk, token) {
        (None, None, None) => return Ok(None),
        (Some(_), None, _) => return incomplete(ak_name, sk_name),
        (None, Some(_), _) => return incomplete(sk_name, ak_name),
        (None, None, Some(_)) => {
            return Err(CredentialsError::Incomplete {
                present: token_name,
                missing: if ak_name == ENV_AK {
                    "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"
                } else {
                    "ak and sk"
                },
                location: location(),
            });
        }
        (Some(ak), Some(sk), None) => Credentials::permanent(ak, sk),
        (Some(ak), Some(sk), Some(token)) => Credentials::temporary(ak, sk, token),
    };
    Ok(Some(match project_id {
        Some(p) => creds.with_project_id(p),
        None => creds,
    }))
}

// ---------------------------------------------------------------------------------------
// Where credentials came from, and errors

/// Where credentials were found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// Given by the program itself.
    Explicit,
    /// The `HUAWEICLOUD_SDK_*` environment variables.
    Environment,
    /// The `[basic]` section of this profile file.
    ProfileFile(PathBuf),
    /// OIDC federation: STS `assume-with-oidc` (`HUAWEICLOUD_OIDC_*`).
    OidcSts,
    /// IdP federation at IAM.
    #[non_exhaustive]
    IdpFederation {
        /// The identity provider's id.
        idp_id: String,
        /// The profile file that configured it; `None`: the environment.
        profile: Option<PathBuf>,
    },
    /// The ECS/BMS metadata service (the agency bound to the instance).
    Metadata,
    /// CCE pod identity (`HC_CONTAINER_CREDENTIALS_FULL_URI`).
    PodIdentity,
}

impl CredentialSource {
    /// A short stable name: `explicit`, `environment`, `profile`, `oidc-sts`,
    /// `idp-federation`, `metadata` or `pod-identity`.
    pub fn name(&self) -> &'static str {
        match self {
            CredentialSource::Explicit => "explicit",
            CredentialSource::Environment => "environment",
            CredentialSource::ProfileFile(_) => "profile",
            CredentialSource::OidcSts => "oidc-sts",
            CredentialSource::IdpFederation { .. } => "idp-federation",
            CredentialSource::Metadata => "metadata",
            CredentialSource::PodIdentity => "pod-identity",
        }
    }
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Explicit => f.write_str("explicitly configured credentials"),
            CredentialSource::Environment => {
                write!(f, "environment variables {ENV_AK} and {ENV_SK}")
            }
            CredentialSource::ProfileFile(path) => {
                write!(f, "profile file {} [{PROFILE_SECTION}]", path.display())
            }
            CredentialSource::OidcSts => f.write_str(
                "OIDC federation through STS (HUAWEICLOUD_OIDC_PROVIDER_URN, HUAWEICLOUD_OIDC_AGENCY_URN)",
            ),
            CredentialSource::IdpFederation { profile: None, .. } => f.write_str(
                "IdP federation through IAM (HUAWEICLOUD_SDK_IDP_ID, HUAWEICLOUD_SDK_ID_TOKEN_FILE)",
            ),
            CredentialSource::IdpFederation {
                profile: Some(path),
                ..
            } => write!(
                f,
                "IdP federation through IAM (profile file {} [{PROFILE_SECTION}])",
                path.display()
            ),
            CredentialSource::Metadata => {
                f.write_str("the ECS/BMS metadata service (the instance's agency)")
            }
            CredentialSource::PodIdentity => {
                f.write_str("CCE pod identity (HC_CONTAINER_CREDENTIALS_FULL_URI)")
            }
        }
    }
}

/// Why credentials could not be loaded. Messages name what is missing and where; they
/// never contain a secret value.
#[derive(Debug)]
#[non_exhaustive]
pub enum CredentialsError {
    /// One part of a credential is set and a part it needs is not.
    #[non_exhaustive]
    Incomplete {
        /// What is set (variable or key name).
        present: &'static str,
        /// What is missing.
        missing: &'static str,
        /// Where: `environment` or the profile section and file.
        location: String,
    },
    /// Nothing usable in a place that had to have credentials (a `[basic]` section).
    #[non_exhaustive]
    Missing {
        /// What is missing.
        what: &'static str,
        /// Where.
        location: String,
    },
    /// `HUAWEICLOUD_SDK_CREDENTIALS_FILE` names a file that does not exist.
    #[non_exhaustive]
    ProfileNotFound {
        /// The file.
        path: PathBuf,
    },
    /// The profile file exists but cannot be read.
    #[non_exhaustive]
    ProfileUnreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The profile file is not a valid INI file.
    #[non_exhaustive]
    ProfileInvalid {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong (never the line's content).
        reason: String,
    },
    /// The profile file has no `[basic]` section. (Other section names are not shown:
    /// a stray line may be a secret.)
    #[non_exhaustive]
    MissingSection {
        /// The file.
        path: PathBuf,
        /// How many other sections it has.
        other_sections: usize,
        /// Whether one of them is `basic` in another case (`[Basic]`): names are case-sensitive.
        other_case: bool,
    },
    /// A token file (named by `variable`) cannot be used.
    #[non_exhaustive]
    TokenFile {
        /// The variable or profile key that names it.
        variable: String,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: TokenFileProblem,
    },
    /// A variable holds a value that cannot be used.
    #[non_exhaustive]
    InvalidVariable {
        /// The variable.
        variable: &'static str,
        /// Why (never the value).
        reason: String,
    },
    /// An endpoint override is not a usable URL.
    Endpoint(crate::endpoints::EndpointError),
    /// A credential service could not be reached (refused, no route, no answer in time).
    #[non_exhaustive]
    Unreachable {
        /// What was called, e.g. `the metadata service`.
        service: &'static str,
        /// Where.
        endpoint: String,
        /// The transport error.
        source: crate::transport::HttpError,
    },
    /// A credential service answered with an error status.
    #[non_exhaustive]
    Rejected {
        /// What was called.
        service: &'static str,
        /// The request, e.g. `POST https://sts.../v5/agencies/assume-with-oidc`.
        request: String,
        /// The HTTP status.
        status: u16,
        /// The start of the answer's body (error bodies carry no secret).
        detail: String,
    },
    /// The metadata service says no agency is bound to this instance.
    #[non_exhaustive]
    AgencyNotBound {
        /// The metadata service.
        endpoint: String,
    },
    /// A credential service answered something that is not a credential.
    #[non_exhaustive]
    Malformed {
        /// What was called.
        service: &'static str,
        /// What is wrong (never a value).
        reason: String,
    },
    /// The credentials expired and could not be refreshed.
    #[non_exhaustive]
    Expired {
        /// Where they came from.
        source: CredentialSource,
        /// Why the refresh failed.
        refresh: Box<CredentialsError>,
    },
    /// No source of the chain had credentials; each one tried says why.
    #[non_exhaustive]
    NotFound {
        /// Every source tried, in order, and why it gave nothing.
        tried: Vec<SourceAttempt>,
    },
    /// A provider of the application's own failed: see [`CredentialsError::provider`].
    #[non_exhaustive]
    Provider {
        /// Why (it must not hold a secret).
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

impl CredentialsError {
    /// The failure of a [`ProvideCredentials`] implementation of the application's own, with
    /// its cause (which must not hold a secret: it is shown in error messages).
    ///
    /// ```
    /// use hwcloud_auth::CredentialsError;
    ///
    /// let err = CredentialsError::provider("the vault is sealed");
    /// assert_eq!(err.to_string(), "the credentials provider failed");
    /// assert_eq!(std::error::Error::source(&err).unwrap().to_string(), "the vault is sealed");
    /// ```
    pub fn provider(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        CredentialsError::Provider {
            source: source.into(),
        }
    }
}

/// What is wrong with a token file.
#[derive(Debug)]
#[non_exhaustive]
pub enum TokenFileProblem {
    /// It does not exist.
    NotFound,
    /// It is empty (or only white space).
    Empty,
    /// It cannot be read.
    Unreadable(io::Error),
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::Incomplete {
                present,
                missing,
                location,
            } => {
                let verb = if missing.contains(" and ") {
                    "are"
                } else {
                    "is"
                };
                write!(f, "{present} is set but {missing} {verb} not ({location})")
            }
            CredentialsError::Missing { what, location } => {
                write!(f, "no credentials: {what} are not set ({location})")
            }
            CredentialsError::ProfileNotFound { path } => write!(
                f,
                "{ENV_CREDENTIALS_FILE} names the profile file {}, which does not exist",
                path.display()
            ),
            CredentialsError::ProfileUnreadable { path, .. } => {
                write!(f, "cannot read the profile file {}", path.display())
            }
            CredentialsError::ProfileInvalid { path, line, reason } => {
                write!(
                    f,
                    "invalid profile file {}, line {line}: {reason}",
                    path.display()
                )
            }
            CredentialsError::MissingSection {
                path,
                other_sections,
                other_case,
            } => {
                write!(
                    f,
                    "the profile file {} has no [{PROFILE_SECTION}] section",
                    path.display()
                )?;
                match (other_sections, other_case) {
                    (_, true) => f.write_str(
                        " (it has one spelled in another case; section names are case-sensitive)",
                    ),
                    (0, _) => f.write_str(" (it has no sections)"),
                    (1, _) => f.write_str(" (it has 1 other section)"),
                    (n, _) => write!(f, " (it has {n} other sections)"),
                }
            }
            CredentialsError::TokenFile {
                variable,
                path,
                problem,
            } => {
                write!(
                    f,
                    "{variable} names the token file {}, which ",
                    path.display()
                )?;
                match problem {
                    TokenFileProblem::NotFound => f.write_str("does not exist"),
                    TokenFileProblem::Empty => f.write_str("is empty"),
                    TokenFileProblem::Unreadable(_) => f.write_str("cannot be read"),
                }
            }
            CredentialsError::InvalidVariable { variable, reason } => {
                write!(f, "{variable} is not usable: {reason}")
            }
            CredentialsError::Endpoint(e) => e.fmt(f),
            CredentialsError::Unreachable {
                service, endpoint, ..
            } => write!(f, "{service} at {endpoint} is unreachable"),
            CredentialsError::Rejected {
                service,
                request,
                status,
                detail,
            } => {
                write!(f, "{service} answered {status} to {request}")?;
                if !detail.is_empty() {
                    write!(f, ": {detail}")?;
                }
                Ok(())
            }
            CredentialsError::AgencyNotBound { endpoint } => write!(
                f,
                "the metadata service at {endpoint} says no agency is bound to this instance \
                 (\"Please configure Cloud Service Agency first\"): bind an agency to the ECS/BMS \
                 instance in the console (instance details > Management Information > Agency), \
                 or configure another credential source"
            ),
            CredentialsError::Malformed { service, reason } => {
                write!(f, "{service} answered a malformed credential: {reason}")
            }
            CredentialsError::Expired { source, .. } => write!(
                f,
                "the credentials from {source} expired and could not be refreshed"
            ),
            CredentialsError::Provider { .. } => f.write_str("the credentials provider failed"),
            CredentialsError::NotFound { tried } => {
                f.write_str("no credentials found; tried, in order:")?;
                for (i, attempt) in tried.iter().enumerate() {
                    write!(f, " {}. {attempt};", i + 1)?;
                }
                f.write_str(
                    " configure one of them (see the README's Credentials section), \
                     or pass credentials explicitly",
                )
            }
        }
    }
}

impl std::error::Error for CredentialsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CredentialsError::ProfileUnreadable { source, .. } => Some(source),
            CredentialsError::TokenFile {
                problem: TokenFileProblem::Unreadable(e),
                ..
            } => Some(e),
            // Transparent: its Display is the endpoint error's.
            CredentialsError::Endpoint(e) => e.source(),
            CredentialsError::Unreachable { source, .. } => Some(source),
            CredentialsError::Expired { refresh, .. } => Some(refresh.as_ref()),
            CredentialsError::Provider { source } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// Reads a token file named by `variable` (the official SDK's `_get_content`: the text,
/// trimmed). Read afresh on every fetch: projected tokens are rotated in place. Read on
/// tokio's blocking pool (`tokio::fs`), never on the async thread that awaits it: a file on
/// a slow or hung volume (a projected token on network storage, a FIFO) must not stall
/// the runtime's other tasks.
pub(crate) async fn read_token_file(
    variable: &str,
    path: &std::path::Path,
) -> Result<Secret, CredentialsError> {
    let problem = match tokio::fs::read(path).await {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            match std::str::from_utf8(&bytes) {
                Ok(text) if !text.trim().is_empty() => return Ok(Secret::new(text.trim())),
                Ok(_) => TokenFileProblem::Empty,
                Err(_) => TokenFileProblem::Unreadable(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the file is not valid UTF-8",
                )),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => TokenFileProblem::NotFound,
        Err(e) => TokenFileProblem::Unreadable(e),
    };
    Err(CredentialsError::TokenFile {
        variable: variable.to_owned(),
        path: path.to_owned(),
        problem,
    })
}

/// An error and its causes on one line, `: `-separated: a source's failure as the chain's
/// [`CredentialsError::NotFound`] lists it (several failures, so none is *the* cause).
pub(crate) fn describe_with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(err) = cause {
        text.push_str(": ");
        text.push_str(&err.to_string());
        cause = err.source();
    }
    text
}

/// A non-empty variable of `env`.
pub(crate) fn env_var(env: &Environment, name: &str) -> Option<String> {
    env.var(name).filter(|v| !v.trim().is_empty())
}
