//! The profile file (`~/.huaweicloud/credentials`, or `HUAWEICLOUD_SDK_CREDENTIALS_FILE`):
//! static AK/SK in its `[basic]` section, or IdP federation settings (`idp_id`,
//! `id_token_file`, optionally `iam_endpoint`) as in the official SDK.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{
    CredentialSource, Credentials, CredentialsError, ENV_CREDENTIALS_FILE, PROFILE_SECTION,
    assemble, non_empty,
};
use crate::env::Environment;
use crate::secret::Secret;

/// What a profile file's `[basic]` section configures.
pub(crate) enum ProfileContent {
    /// AK/SK (and a security token). Boxed: precomputed keys dwarf the other variant.
    Keys(Box<Credentials>),
    /// IdP federation: exchanged at IAM for temporary keys.
    Federation {
        idp_id: String,
        id_token_file: PathBuf,
        iam_endpoint: Option<String>,
        project_id: Option<String>,
    },
}

impl Credentials {
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
        match load(env)? {
            None => Ok(None),
            Some((ProfileContent::Keys(c), path)) => {
                Ok(Some((*c, CredentialSource::ProfileFile(path))))
            }
            Some((ProfileContent::Federation { .. }, path)) => Err(CredentialsError::Missing {
                what: "ak and sk (the section configures IdP federation, which the credentials chain handles)",
                location: format!("[{PROFILE_SECTION}] section of {}", path.display()),
            }),
        }
    }
}

/// Reads the profile file: `Ok(None)` when the default file does not exist.
pub(crate) fn load(
    env: &Environment,
) -> Result<Option<(ProfileContent, PathBuf)>, CredentialsError> {
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
    let idp_id = take(&mut section, "idp_id");
    let id_token_file = take(&mut section, "id_token_file");
    // As in the official SDK, federation settings win over keys.
    if let (Some(idp_id), Some(id_token_file)) = (idp_id, id_token_file) {
        let iam_endpoint = take(&mut section, "iam_endpoint");
        let content = ProfileContent::Federation {
            idp_id,
            id_token_file: PathBuf::from(id_token_file),
            iam_endpoint,
            project_id,
        };
        return Ok(Some((content, path)));
    }
    let creds = assemble(
        ak,
        sk.as_deref(),
        token.as_deref(),
        project_id,
        ["ak", "sk", "security_token"],
        || format!("[{PROFILE_SECTION}] section of {}", path.display()),
    )?;
    match creds {
        Some(c) => Ok(Some((ProfileContent::Keys(Box::new(c)), path))),
        None => Err(CredentialsError::Missing {
            what: "ak and sk",
            location: format!("[{PROFILE_SECTION}] section of {}", path.display()),
        }),
    }
}

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

/// Why there is no profile file to read, for the chain's error.
pub(crate) fn absent(env: &Environment) -> String {
    match ProfileLocation::of(env) {
        Some(location) => format!("{} does not exist", location.path.display()),
        None => format!("{ENV_CREDENTIALS_FILE} is not set and there is no home directory (HOME)"),
    }
}
