//! The state behind every generated operation: the [`Runtime`] that
//! progenitor's client carries (its inner type), holding the client's
//! [`Settings`]. How a call is sent with it is in [`crate::hooks`].

use std::sync::Arc;

use hwcloud_auth::{Clock, CredentialsCache, RequestTarget, SigningAlgorithm};
use reqwest::header::HeaderValue;

use crate::failover::Endpoints;
use crate::network::ProxyNames;
use crate::retry::{RetryPolicy, Timeouts};
use crate::throttle::Throttle;
use crate::types;

/// Who the client says it is, as the official SDKs do.
pub(crate) static USER_AGENT: HeaderValue =
    HeaderValue::from_static(concat!("mrs-iam-sync-rust/", env!("CARGO_PKG_VERSION")));

/// The default limit on a response body: MRS answers are a few hundred bytes.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Per-client runtime state handed to the generated
/// [`Client`](crate::Client): its settings (credentials, project, policies)
/// and the HTTP client every request goes through. Cheap to clone.
///
/// There is no public constructor: a `Runtime` comes only from
/// [`Client::builder`](crate::Client::builder) (read it with
/// [`ClientInfo::inner`](crate::ClientInfo::inner)). progenitor still
/// generates `Client::new` and `Client::new_with_client`, which take one; a
/// client made by them with a built client's runtime signs, retries and sends
/// exactly as that client does (through the runtime's HTTP client, which
/// follows no redirects), only at another base URL.
///
/// ```compile_fail
/// // No unsigned, redirect-following client from a default runtime:
/// let client = mrs_iam_sync::Client::new("http://127.0.0.1:8080", mrs_iam_sync::Runtime::default());
/// ```
#[derive(Clone, Debug)]
pub struct Runtime {
    settings: Arc<Settings>,
}

/// What a client works with; the client builder fills it in. (The
/// credentials' `Debug` never shows a secret.)
#[derive(Debug)]
pub(crate) struct Settings {
    /// What every request goes through, built by the client builder with
    /// its policies (connect timeout, no redirects, no reqwest retries); the
    /// generated client's own `reqwest::Client` only builds requests.
    pub(crate) http: reqwest::Client,
    pub(crate) credentials: Option<CredentialsCache>,
    pub(crate) project_id: Option<types::ProjectId>,
    /// Where to look the project id up when none is configured.
    pub(crate) discovery: Option<DiscoveryTarget>,
    /// The project id looked up at IAM (once per client).
    pub(crate) discovered: tokio::sync::OnceCell<types::ProjectId>,
    /// The project id as a header value, made once it is known.
    pub(crate) project_header: std::sync::OnceLock<HeaderValue>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) signing_algorithm: SigningAlgorithm,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
    pub(crate) max_response_bytes: usize,
    /// The rate limiter and retry quota shared by every call.
    pub(crate) throttle: Throttle,
    /// The first MRS endpoint, which requests are built on, parsed once
    /// (see [`crate::url_path::request_url`]).
    pub(crate) base_url: reqwest::Url,
    /// The MRS endpoints when there are several (see [`crate::failover`]).
    pub(crate) endpoints: Option<Endpoints>,
    /// The proxies, as a 407's error names them.
    pub(crate) proxies: ProxyNames,
    /// `mrs-iam-sync-rust/VERSION`, and the application's suffix.
    pub(crate) user_agent: HeaderValue,
    /// The `Host` header of each endpoint.
    pub(crate) hosts: HostHeaders,
}

/// The `Host` header of each of a client's endpoints, made once per client:
/// otherwise the signer makes it from the URL (a check and a copy) on every
/// request.
#[derive(Debug, Default)]
pub(crate) struct HostHeaders(Vec<(String, HeaderValue)>);

impl HostHeaders {
    pub(crate) fn new(endpoints: &[reqwest::Url]) -> Self {
        HostHeaders(
            endpoints
                .iter()
                .filter_map(|url| {
                    let authority = RequestTarget::from(url).authority()?;
                    Some((authority.to_owned(), HeaderValue::from_str(authority).ok()?))
                })
                .collect(),
        )
    }

    /// The `Host` header the signer would make for `url`, when `url` is on
    /// one of the endpoints (not, say, IAM's, where the project id is
    /// looked up).
    pub(crate) fn for_url(&self, url: &reqwest::Url) -> Option<&HeaderValue> {
        let authority = RequestTarget::from(url).authority()?;
        self.0
            .iter()
            .find(|(known, _)| known == authority)
            .map(|(_, value)| value)
    }
}

impl Settings {
    /// The `X-Project-Id` value, once a project id is configured or looked up.
    pub(crate) fn project_header(&self) -> Option<&HeaderValue> {
        if let Some(value) = self.project_header.get() {
            return Some(value);
        }
        let project = self.project_id.as_ref().or_else(|| self.discovered.get())?;
        // A project id holds only the characters of its rule, all valid in a header.
        let value = HeaderValue::from_str(project).ok()?;
        Some(self.project_header.get_or_init(|| value))
    }
}

impl Runtime {
    pub(crate) fn new(settings: Settings) -> Self {
        // The generated `Client::new` builds its HTTP client right after its
        // runtime: with the provider in place first, it cannot panic.
        #[cfg(feature = "rustls")]
        crate::tls::install_crypto_provider();
        Runtime {
            settings: Arc::new(settings),
        }
    }

    /// The project the client works in, when one is configured or has been
    /// looked up at IAM.
    pub fn project_id(&self) -> Option<&types::ProjectId> {
        self.settings
            .project_id
            .as_ref()
            .or_else(|| self.settings.discovered.get())
    }

    /// The credentials cache (`None` for an anonymous client).
    pub fn credentials(&self) -> Option<&CredentialsCache> {
        self.settings.credentials.as_ref()
    }

    /// The base URL the client builder gave the generated client, parsed.
    pub(crate) fn base_url(&self) -> &reqwest::Url {
        &self.settings.base_url
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The rate limiter and retry quota shared by every call.
    pub(crate) fn throttle(&self) -> &Throttle {
        &self.settings.throttle
    }
}

/// Where the project id is looked up.
#[derive(Clone, Debug)]
pub(crate) struct DiscoveryTarget {
    /// The region: the name of the project.
    pub(crate) region: String,
    /// The IAM endpoint for it.
    pub(crate) iam_endpoint: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_endpoint_has_its_host_header_as_the_signer_would_make_it() {
        let url = |text: &str| reqwest::Url::parse(text).unwrap();
        let hosts = HostHeaders::new(&[
            url("https://mrs.cn-north-4.myhuaweicloud.com"),
            url("http://user:pw@127.0.0.1:8080/prefix/"),
        ]);
        let host = |text: &str| {
            hosts
                .for_url(&url(text))
                .map(|value| value.to_str().unwrap())
        };
        assert_eq!(
            host("https://mrs.cn-north-4.myhuaweicloud.com/v2/p/clusters/c/iam-sync"),
            Some("mrs.cn-north-4.myhuaweicloud.com")
        );
        // With its port, never its user info.
        assert_eq!(
            host("http://127.0.0.1:8080/prefix/v2/p/clusters/c/iam-sync?x=1"),
            Some("127.0.0.1:8080")
        );
        // Another host or port: the signer makes the header itself.
        assert_eq!(
            host("https://iam.cn-north-4.myhuaweicloud.com/v3/projects"),
            None
        );
        assert_eq!(host("http://127.0.0.1:8081/v2"), None);
    }
}
