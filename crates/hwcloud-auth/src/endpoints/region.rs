//! MRS regions and their endpoints, in the official SDK's lookup order.

use std::fmt;

use super::regions_file::{self, RegionsFileError};
use crate::env::Environment;

/// An MRS region and its endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    /// Region id, e.g. `cn-north-4`.
    pub id: &'static str,
    /// Endpoint without trailing `/`, e.g. `https://mrs.cn-north-4.myhuaweicloud.com`.
    pub endpoint: &'static str,
}

macro_rules! regions {
    ($($id:literal => $domain:literal),* $(,)?) => {
        &[$(Region { id: $id, endpoint: concat!("https://mrs.", $id, ".", $domain) }),*]
    };
}

/// Every MRS region of the official SDK's table (huaweicloudsdkmrs 3.1.219), sorted by id.
/// Most use `myhuaweicloud.com`; `ap-southeast-1`, `ap-southeast-4` and `ru-northwest-2`
/// use `myhuaweicloud.cn`, `eu-west-101` uses `myhuaweicloud.eu`.
pub const REGIONS: &[Region] = regions![
    "ae-ad-1" => "myhuaweicloud.com",
    "af-north-1" => "myhuaweicloud.com",
    "af-south-1" => "myhuaweicloud.com",
    "ap-southeast-1" => "myhuaweicloud.cn",
    "ap-southeast-2" => "myhuaweicloud.com",
    "ap-southeast-3" => "myhuaweicloud.com",
    "ap-southeast-4" => "myhuaweicloud.cn",
    "ap-southeast-5" => "myhuaweicloud.com",
    "cn-east-2" => "myhuaweicloud.com",
    "cn-east-3" => "myhuaweicloud.com",
    "cn-east-4" => "myhuaweicloud.com",
    "cn-east-5" => "myhuaweicloud.com",
    "cn-north-1" => "myhuaweicloud.com",
    "cn-north-11" => "myhuaweicloud.com",
    "cn-north-12" => "myhuaweicloud.com",
    "cn-north-2" => "myhuaweicloud.com",
    "cn-north-4" => "myhuaweicloud.com",
    "cn-north-9" => "myhuaweicloud.com",
    "cn-south-1" => "myhuaweicloud.com",
    "cn-south-4" => "myhuaweicloud.com",
    "cn-southwest-2" => "myhuaweicloud.com",
    "cn-southwest-3" => "myhuaweicloud.com",
    "eu-west-0" => "myhuaweicloud.com",
    "eu-west-101" => "myhuaweicloud.eu",
    "la-north-2" => "myhuaweicloud.com",
    "la-south-2" => "myhuaweicloud.com",
    "me-east-1" => "myhuaweicloud.com",
    "my-kualalumpur-1" => "myhuaweicloud.com",
    "na-mexico-1" => "myhuaweicloud.com",
    "ru-moscow-1" => "myhuaweicloud.com",
    "ru-northwest-2" => "myhuaweicloud.cn",
    "sa-brazil-1" => "myhuaweicloud.com",
    "tr-west-1" => "myhuaweicloud.com",
];

impl Region {
    /// The region with this id (ASCII case-insensitive, surrounding white space ignored).
    pub fn find(id: &str) -> Option<&'static Region> {
        let id = id.trim();
        REGIONS.iter().find(|r| r.id.eq_ignore_ascii_case(id))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.id, self.endpoint)
    }
}

/// The environment variable that overrides a region's endpoint:
/// `HUAWEICLOUD_SDK_REGION_MRS_<ID upper-cased, '-' → '_'>`.
///
/// ```
/// assert_eq!(hwcloud_auth::region_override_var("cn-north-4"), "HUAWEICLOUD_SDK_REGION_MRS_CN_NORTH_4");
/// ```
pub fn region_override_var(region: &str) -> String {
    let mut name = String::with_capacity(27 + region.len());
    name.push_str("HUAWEICLOUD_SDK_REGION_MRS_");
    name.extend(region.trim().chars().map(|c| match c {
        '-' => '_',
        c => c.to_ascii_uppercase(),
    }));
    name
}

/// The service name of MRS in the regions file and in the override variable.
const SERVICE: &str = "MRS";

/// The endpoints of a region, in the order to try them, looked up as the official SDK
/// does:
///
/// 1. `HUAWEICLOUD_SDK_REGION_MRS_<ID>` in `env` (see [`region_override_var`]): a
///    comma-separated list;
/// 2. the regions file (see [`regions_file`](super::regions_file)): the region's `endpoints`,
///    then its `endpoint`;
/// 3. the built-in table, [`REGIONS`];
/// 4. an error, which says how to pass an endpoint instead.
///
/// Every endpoint is normalized with [`normalize_endpoint`]; one that is not usable is an
/// error naming the variable, or the file and line. Region ids are compared ASCII
/// case-insensitively.
///
/// ```
/// use hwcloud_auth::{Environment, resolve_endpoints};
/// let env = Environment::from_vars([
///     ("HOME", "/nonexistent"),
///     ("HUAWEICLOUD_SDK_REGION_MRS_XX_TEST_1", "mrs.example.net:8443/, https://10.0.0.2"),
/// ]);
/// assert_eq!(resolve_endpoints("cn-north-4", &env)?, ["https://mrs.cn-north-4.myhuaweicloud.com"]);
/// assert_eq!(resolve_endpoints("ap-southeast-1", &env)?, ["https://mrs.ap-southeast-1.myhuaweicloud.cn"]);
/// assert_eq!(
///     resolve_endpoints("xx-test-1", &env)?,
///     ["https://mrs.example.net:8443", "https://10.0.0.2"]
/// );
/// assert!(resolve_endpoints("xx-nowhere-1", &env).is_err());
/// # Ok::<(), hwcloud_auth::EndpointError>(())
/// ```
pub fn resolve_endpoints(region: &str, env: &Environment) -> Result<Vec<String>, EndpointError> {
    let id = region.trim();
    if id.is_empty() {
        return Err(EndpointError::EmptyRegion);
    }
    let var = region_override_var(id);
    if let Some(value) = env.var(&var).filter(|v| !v.trim().is_empty()) {
        return value
            .split(',')
            .map(|endpoint| {
                normalize_endpoint(endpoint).map_err(|reason| EndpointError::InvalidOverride {
                    var: var.clone(),
                    reason: Box::new(reason),
                })
            })
            .collect();
    }
    if let Some(file) = regions_file::load(env).map_err(EndpointError::RegionsFile)?
        && let Some(endpoints) = file.endpoints(SERVICE, id)
    {
        return endpoints
            .iter()
            .map(|entry| {
                normalize_endpoint(&entry.endpoint).map_err(|reason| {
                    EndpointError::RegionsFile(RegionsFileError {
                        path: file.path().to_owned(),
                        line: Some(entry.line),
                        reason: reason.to_string(),
                    })
                })
            })
            .collect();
    }
    match Region::find(id) {
        Some(r) => Ok(vec![r.endpoint.to_owned()]),
        None => Err(EndpointError::UnknownRegion {
            region: id.chars().take(64).collect(),
            var,
        }),
    }
}

/// Normalizes an endpoint given by a user: surrounding white space removed, `https://`
/// added when there is no scheme (only `http` and `https` are accepted, case-insensitively),
/// trailing `/` removed. Rejects empty input, user info (`user:password@`), queries,
/// fragments, a missing host, a bad port and anything else that is not a URL.
///
/// ```
/// use hwcloud_auth::normalize_endpoint;
/// assert_eq!(normalize_endpoint("mrs.example.com")?, "https://mrs.example.com");
/// assert_eq!(normalize_endpoint(" HTTP://10.0.0.1:8080/ ")?, "http://10.0.0.1:8080");
/// assert!(normalize_endpoint("").is_err());
/// assert!(normalize_endpoint("ftp://example.com").is_err());
/// # Ok::<(), hwcloud_auth::EndpointError>(())
/// ```
pub fn normalize_endpoint(endpoint: &str) -> Result<String, EndpointError> {
    let input = endpoint.trim();
    if input.is_empty() {
        return Err(EndpointError::Empty);
    }
    let invalid = |reason: &'static str| {
        // Never echo user info: it may hold a password.
        let shown = if input.contains('@') {
            "<redacted>".to_owned()
        } else {
            input.chars().take(200).collect()
        };
        EndpointError::Invalid {
            endpoint: shown,
            reason,
        }
    };
    let (scheme, rest) = match input.split_once("://") {
        Some((scheme, rest)) => {
            if scheme.eq_ignore_ascii_case("https") {
                ("https", rest)
            } else if scheme.eq_ignore_ascii_case("http") {
                ("http", rest)
            } else if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            {
                return Err(EndpointError::UnsupportedScheme {
                    scheme: scheme.chars().take(32).collect(),
                });
            } else {
                return Err(invalid("it is not a URL"));
            }
        }
        None => ("https", input),
    };
    let rest = rest.trim_end_matches('/');
    if rest.contains('@') {
        return Err(invalid("it must not contain user information (`user@`)"));
    }
    if rest.contains('?') || rest.contains('#') {
        return Err(invalid("it must not have a query or a fragment"));
    }
    if rest.is_empty() || rest.starts_with('/') {
        return Err(invalid("it has no host"));
    }
    let normalized = format!("{scheme}://{rest}");
    let uri: http::Uri = normalized
        .parse()
        .map_err(|_| invalid("it is not a valid URL"))?;
    let Some(authority) = uri.authority() else {
        return Err(invalid("it has no host"));
    };
    if authority.host().is_empty() {
        return Err(invalid("it has no host"));
    }
    // `http` does not keep a port it cannot read as a number, so look at the text.
    let text = authority.as_str();
    let after_host = match text.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or("", |(_, rest)| rest),
        None => text.find(':').map_or("", |i| &text[i..]),
    };
    if let Some(port) = after_host.strip_prefix(':') {
        if port.is_empty() {
            return Err(invalid("its port is empty"));
        }
        if !port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u16>().is_err() {
            return Err(invalid("its port is not a number from 0 to 65535"));
        }
    } else if !after_host.is_empty() {
        return Err(invalid("it is not a valid URL"));
    }
    Ok(normalized)
}

/// Why no endpoint could be determined.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointError {
    /// The endpoint is empty.
    Empty,
    /// The endpoint is not a usable URL.
    #[non_exhaustive]
    Invalid {
        /// The endpoint as given (`<redacted>` when it contains user info).
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The endpoint's scheme is neither `https` nor `http`.
    #[non_exhaustive]
    UnsupportedScheme {
        /// The scheme.
        scheme: String,
    },
    /// The region id is empty.
    EmptyRegion,
    /// The region is in neither the override variable, the regions file nor [`REGIONS`].
    #[non_exhaustive]
    UnknownRegion {
        /// The region as given.
        region: String,
        /// The override variable that was looked at.
        var: String,
    },
    /// The override variable's value is not a usable endpoint.
    #[non_exhaustive]
    InvalidOverride {
        /// The variable.
        var: String,
        /// Why one of its endpoints is rejected.
        reason: Box<EndpointError>,
    },
    /// The regions file cannot be used: it cannot be read, is not YAML of the official
    /// schema, or holds an endpoint that is not usable.
    RegionsFile(RegionsFileError),
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointError::Empty => f.write_str("the endpoint is empty"),
            EndpointError::Invalid { endpoint, reason } => {
                write!(f, "invalid endpoint {endpoint:?}: {reason}")
            }
            EndpointError::UnsupportedScheme { scheme } => write!(
                f,
                "unsupported endpoint scheme {scheme:?}: use https:// (or http://), or give the host alone"
            ),
            EndpointError::EmptyRegion => f.write_str("the region id is empty"),
            EndpointError::UnknownRegion { region, var } => {
                write!(
                    f,
                    "unknown MRS region {region:?}; pass the endpoint explicitly instead \
                     (for example `https://mrs.{region}.myhuaweicloud.com`), set {var}=<endpoint>, \
                     or list it under `mrs` in the regions file; known regions: "
                )?;
                for (i, r) in REGIONS.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(r.id)?;
                }
                Ok(())
            }
            EndpointError::InvalidOverride { var, .. } => {
                write!(f, "{var} does not hold a usable endpoint")
            }
            EndpointError::RegionsFile(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for EndpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EndpointError::InvalidOverride { reason, .. } => Some(reason.as_ref()),
            _ => None,
        }
    }
}
