//! Credentials, where they come from ([`Environment`], profile file) and how they
//! authorize a request.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use zeroize::Zeroizing;

use crate::secret::Secret;
use crate::signer::{SignError, SigningAlgorithm, sign_with};

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
    /// * permanent AK/SK: `X-Project-Id` (when a project id is known), then [`sign`];
    /// * temporary AK/SK: `X-Security-Token` (signed) and `X-Project-Id`, then [`sign`];
    /// * IAM token: `X-Auth-Token`, no signature.
    ///
    /// Headers added here replace earlier values of the same name, so this can run on every
    /// attempt of a request. `body` must be the exact bytes sent; `now` gives the
    /// `X-Sdk-Date` unless the request has one. Tokens and `Authorization` are marked
    /// sensitive. On error the request must not be sent (`headers` may hold the
    /// `X-Project-Id` / `X-Security-Token` added before signing failed).
    pub fn authorize(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &mut HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), SignError> {
        self.authorize_with(SigningAlgorithm::default(), method, uri, headers, body, now)
    }

    /// [`authorize`](Self::authorize), signing AK/SK requests with `algorithm` (an IAM
    /// token ignores it).
    pub fn authorize_with(
        &self,
        algorithm: SigningAlgorithm,
        method: &Method,
        uri: &Uri,
        headers: &mut HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), SignError> {
        match self {
            Credentials::Permanent { ak, sk, .. } => {
                precheck(ak, sk)?;
                self.insert_project_id(headers)?;
                sign_with(algorithm, method, uri, headers, body, ak, sk, now)
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
                sign_with(algorithm, method, uri, headers, body, ak, sk, now)
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

    /// Credentials from the profile file: `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, or else
    /// `$HOME/.huaweicloud/credentials`; INI section `[basic]` with `ak`, `sk`, and
    /// optionally `security_token` and `project_id` (keys are case-insensitive, values
    /// trimmed, lines starting with `#` or `;` are comments).
    ///
    /// `Ok(None)` when the default file does not exist (or there is no home directory).
    /// Errors: a file named by `HUAWEICLOUD_SDK_CREDENTIALS_FILE` that does not exist, an
    /// unreadable file, a syntax error (with its line), no `[basic]` section, or a section
    /// with only some of the keys. Errors name the file and never show a value.
    pub fn from_profile_file(
        env: &Environment,
    ) -> Result<Option<(Credentials, CredentialSource)>, CredentialsError> {
        let Some(location) = ProfileLocation::of(env) else {
            return Ok(None);
        };
        let bytes = match std::fs::read(&location.path) {
            Ok(bytes) => Zeroizing::new(bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound && !location.from_env => {
                return Ok(None);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(CredentialsError::ProfileNotFound {
                    path: location.path,
                });
            }
            Err(source) => {
                return Err(CredentialsError::ProfileUnreadable {
                    path: location.path,
                    source,
                });
            }
        };
        let profile = parse_profile(&bytes, &location.path)?;
        let path = location.path;
        let Some(mut section) = profile.basic else {
            return Err(CredentialsError::MissingSection {
                other_case: profile
                    .sections
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(PROFILE_SECTION)),
                other_sections: profile.sections.len(),
                path,
            });
        };
        let take = |s: &mut BTreeMap<String, Secret>, key: &str| {
            s.remove(key)
                .map(|v| v.expose().to_owned())
                .and_then(non_empty)
        };
        let ak = take(&mut section, "ak");
        let sk = Zeroizing::new(take(&mut section, "sk"));
        let token = Zeroizing::new(take(&mut section, "security_token"));
        let project_id = take(&mut section, "project_id");
        let creds = assemble(
            ak,
            sk.as_deref(),
            token.as_deref(),
            project_id,
            ["ak", "sk", "security_token"],
            || format!("[{PROFILE_SECTION}] section of {}", path.display()),
        )?;
        match creds {
            Some(c) => Ok(Some((c, CredentialSource::ProfileFile(path)))),
            None => Err(CredentialsError::Missing {
                what: "ak and sk",
                location: format!("[{PROFILE_SECTION}] section of {}", path.display()),
            }),
        }
    }

    /// The default chain: the environment, then the profile file. Errors from a source that
    /// is partly configured stop the chain; when no source has credentials the error says
    /// where it looked.
    pub fn from_chain(
        env: &Environment,
    ) -> Result<(Credentials, CredentialSource), CredentialsError> {
        if let Some(found) = Self::from_environment(env)? {
            return Ok(found);
        }
        if let Some(found) = Self::from_profile_file(env)? {
            return Ok(found);
        }
        let profile = match ProfileLocation::of(env) {
            Some(l) => format!("{} (not found)", l.path.display()),
            None => format!(
                "no profile file ({ENV_CREDENTIALS_FILE} is not set and there is no home directory: HOME is not set)"
            ),
        };
        Err(CredentialsError::NotFound { profile })
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
// Profile file

struct ProfileLocation {
    path: PathBuf,
    /// Named by HUAWEICLOUD_SDK_CREDENTIALS_FILE (then it must exist).
    from_env: bool,
}

impl ProfileLocation {
    fn of(env: &Environment) -> Option<Self> {
        if let Some(path) = env.var(ENV_CREDENTIALS_FILE).and_then(non_empty) {
            return Some(ProfileLocation {
                path: PathBuf::from(path),
                from_env: true,
            });
        }
        env.home_dir().map(|home| ProfileLocation {
            path: home.join(".huaweicloud").join("credentials"),
            from_env: false,
        })
    }
}

struct Profile {
    basic: Option<BTreeMap<String, Secret>>,
    sections: Vec<String>,
}

/// Keys of the official SDK's profile sections: the only file content errors may show.
const KNOWN_KEYS: &[&str] = &[
    "ak",
    "sk",
    "project_id",
    "security_token",
    "domain_id",
    "iam_endpoint",
    "idp_id",
    "id_token_file",
];

/// A small INI reader (the subset of Python's `configparser` a credentials file uses).
fn parse_profile(bytes: &[u8], path: &Path) -> Result<Profile, CredentialsError> {
    let invalid = |line: usize, reason: String| CredentialsError::ProfileInvalid {
        path: path.to_owned(),
        line,
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        invalid(line, "the file is not valid UTF-8".to_owned())
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    let mut sections: Vec<String> = Vec::new();
    let mut basic: Option<BTreeMap<String, Secret>> = None;
    let mut in_basic = false;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(invalid(
                    line_no,
                    "a section header must look like `[name]`".to_owned(),
                ));
            };
            let name = name.trim();
            if sections.iter().any(|s| s == name) {
                let shown = if name == PROFILE_SECTION {
                    format!("section [{name}]")
                } else {
                    "a section".to_owned()
                };
                return Err(invalid(line_no, format!("{shown} appears twice")));
            }
            sections.push(name.to_owned());
            in_basic = name == PROFILE_SECTION;
            if in_basic {
                basic = Some(BTreeMap::new());
            }
            continue;
        }
        let Some(split) = line.find(['=', ':']) else {
            return Err(invalid(
                line_no,
                "expected `key = value`, a `[section]` header or a comment".to_owned(),
            ));
        };
        let key = line[..split].trim().to_lowercase();
        // Only well-known key names are ever shown: a stray line may be a secret.
        let shown = if KNOWN_KEYS.contains(&key.as_str()) {
            format!("key `{key}`")
        } else {
            "a key".to_owned()
        };
        if key.is_empty() {
            return Err(invalid(line_no, "a key is missing before `=`".to_owned()));
        }
        if sections.is_empty() {
            return Err(invalid(
                line_no,
                format!("{shown} comes before any `[section]` header"),
            ));
        }
        if in_basic && let Some(map) = basic.as_mut() {
            if map.contains_key(&key) {
                return Err(invalid(
                    line_no,
                    format!("{shown} appears twice in section [{PROFILE_SECTION}]"),
                ));
            }
            map.insert(key, Secret::new(line[split + 1..].trim()));
        }
    }
    Ok(Profile { basic, sections })
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
        }
    }
}

/// Why credentials could not be loaded. Messages name what is missing and where; they
/// never contain a secret value.
#[derive(Debug)]
#[non_exhaustive]
pub enum CredentialsError {
    /// One part of a credential is set and a part it needs is not.
    Incomplete {
        /// What is set (variable or key name).
        present: &'static str,
        /// What is missing.
        missing: &'static str,
        /// Where: `environment` or the profile section and file.
        location: String,
    },
    /// Nothing usable in a place that had to have credentials (a `[basic]` section).
    Missing {
        /// What is missing.
        what: &'static str,
        /// Where.
        location: String,
    },
    /// `HUAWEICLOUD_SDK_CREDENTIALS_FILE` names a file that does not exist.
    ProfileNotFound {
        /// The file.
        path: PathBuf,
    },
    /// The profile file exists but cannot be read.
    ProfileUnreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The profile file is not a valid INI file.
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
    MissingSection {
        /// The file.
        path: PathBuf,
        /// How many other sections it has.
        other_sections: usize,
        /// Whether one of them is `basic` in another case (`[Basic]`): names are case-sensitive.
        other_case: bool,
    },
    /// No source had credentials.
    NotFound {
        /// Where the profile file was looked for, and what happened.
        profile: String,
    },
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
            CredentialsError::ProfileUnreadable { path, source } => {
                write!(
                    f,
                    "cannot read the profile file {}: {source}",
                    path.display()
                )
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
            CredentialsError::NotFound { profile } => write!(
                f,
                "no credentials found: looked in the environment ({ENV_AK}, {ENV_SK}, \
                 {ENV_SECURITY_TOKEN}) and in {profile}"
            ),
        }
    }
}

impl std::error::Error for CredentialsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CredentialsError::ProfileUnreadable { source, .. } => Some(source),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Environment

/// The process environment, or a fixed set of variables for tests.
///
/// Edition 2024 makes `std::env::set_var` unsafe; tests build an `Environment` with
/// [`Environment::from_vars`] instead of changing the real one. The home directory comes
/// from `HOME` (or `USERPROFILE`) of the same variables. `Debug` lists variable names only.
#[derive(Clone)]
pub struct Environment {
    vars: Option<BTreeMap<String, Secret>>,
}

impl Environment {
    /// The real process environment (read at each lookup).
    pub fn process() -> Self {
        Environment { vars: None }
    }

    /// A fixed set of variables; nothing else is visible (not even the real `HOME`).
    pub fn from_vars(
        vars: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) -> Self {
        Environment {
            vars: Some(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), Secret::new(v)))
                    .collect(),
            ),
        }
    }

    /// The variable's value (`None` when unset, not Unicode, or `name` is not a valid
    /// variable name).
    pub fn var(&self, name: &str) -> Option<String> {
        if name.is_empty() || name.contains(['=', '\0']) {
            return None;
        }
        match &self.vars {
            None => std::env::var(name).ok(),
            Some(vars) => vars.get(name).map(|v| v.expose().to_owned()),
        }
    }

    /// The home directory: `HOME`, or else `USERPROFILE` (Windows); `None` when neither is set.
    pub fn home_dir(&self) -> Option<PathBuf> {
        self.var("HOME")
            .and_then(non_empty)
            .or_else(|| self.var("USERPROFILE").and_then(non_empty))
            .map(PathBuf::from)
    }
}

impl Default for Environment {
    fn default() -> Self {
        Environment::process()
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.vars {
            None => f.write_str("Environment(process)"),
            Some(vars) => f
                .debug_struct("Environment")
                .field("vars", &vars.keys().collect::<Vec<_>>())
                .finish(),
        }
    }
}
