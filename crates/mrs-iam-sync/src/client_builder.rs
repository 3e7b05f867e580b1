//! Building a [`Client`]: where to send requests (region or endpoint), how
//! to authenticate, how hard to try.

use std::sync::Arc;
use std::time::Duration;

use hwcloud_auth::credentials::{ENV_PROJECT_ID, StaticProvider};
use hwcloud_auth::transport::ReqwestHttpClient;
use hwcloud_auth::{
    Clock, CredentialSource, Credentials, CredentialsCache, CredentialsChain, Environment,
    ProvideCredentials, Provided, SigningAlgorithm,
};

use crate::error::{ConfigError, Error};
use crate::failover::Endpoints;
use crate::network::{Network, NetworkOptions, Pem, ProxyOption};
use crate::retry::{RetryPolicy, Timeouts};
use crate::runtime::{DEFAULT_MAX_RESPONSE_BYTES, HostHeaders, Runtime, Settings};
use crate::throttle::{RateLimit, RetryQuota, Throttle};
use crate::{Client, ids};

/// The environment variable [`Client::from_env`] reads the region from.
pub const REGION_ENV: &str = "HUAWEICLOUD_SDK_REGION";

/// Where the credentials come from.
#[derive(Debug)]
enum CredentialChoice {
    /// The default chain (see [`CredentialsChain`]).
    Chain,
    // Boxed: credentials hold precomputed keys and dwarf the other variants.
    Explicit(Box<Credentials>),
    /// A provider of the application's own.
    Provider(Arc<dyn ProvideCredentials>),
    /// Unsigned requests: only for servers that want none (tests, demos).
    Anonymous,
}

/// Builds a [`Client`]. Start from [`Client::builder`].
///
/// ```no_run
/// # fn run() -> Result<(), mrs_iam_sync::Error> {
/// use std::time::Duration;
/// use mrs_iam_sync::{Client, Credentials, RetryPolicy};
///
/// let client = Client::builder()
///     .region("ap-southeast-3")
///     .credentials(Credentials::permanent("MY_AK", "MY_SK").with_project_id("0a1b2c3d4e5f60718293a4b5c6d7e8f9"))
///     .retry(RetryPolicy::default().with_max_attempts(5))
///     .total_timeout(Duration::from_secs(30))
///     .build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    region: Option<String>,
    endpoints: Vec<String>,
    credentials: CredentialChoice,
    project_id: Option<String>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    rate_limit: RateLimit,
    retry_quota: RetryQuota,
    max_response_bytes: usize,
    clock: Option<Arc<dyn Clock>>,
    signing_algorithm: SigningAlgorithm,
    environment: Option<Environment>,
    network: NetworkOptions,
    user_agent_suffix: Option<String>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            region: None,
            endpoints: Vec::new(),
            credentials: CredentialChoice::Chain,
            project_id: None,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            rate_limit: RateLimit::default(),
            retry_quota: RetryQuota::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            clock: None,
            signing_algorithm: SigningAlgorithm::default(),
            environment: None,
            network: NetworkOptions::default(),
            user_agent_suffix: None,
        }
    }
}

impl Client {
    /// Starts building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: the region from
    /// `HUAWEICLOUD_SDK_REGION`, credentials from the default chain (see
    /// [`CredentialsChain`]).
    pub fn from_env() -> Result<Client, Error> {
        let environment = Environment::process();
        let region = environment.var(REGION_ENV).ok_or_else(|| {
            ConfigError::Invalid(format!(
                "{REGION_ENV} is not set: set it to a region id such as cn-north-4, \
                 or use Client::builder().endpoint(..)"
            ))
        })?;
        Client::builder()
            .environment(environment)
            .region(region)
            .build()
    }
}

impl ClientBuilder {
    /// The region, e.g. `cn-north-4`. Its endpoints come from
    /// `HUAWEICLOUD_SDK_REGION_MRS_<REGION>` (a comma-separated list), else
    /// the regions file (`HUAWEICLOUD_SDK_REGIONS_FILE`, else
    /// `~/.huaweicloud/regions.yaml`), else the built-in table; see
    /// [`hwcloud_auth::resolve_endpoints`]. With several, the client fails
    /// over between them (see [`endpoints`](Self::endpoints)).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// An explicit endpoint, e.g. `https://mrs.example.com` or a loopback
    /// test server; without a scheme, `https://` is assumed. Takes
    /// precedence over [`region`](Self::region).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoints = vec![endpoint.into()];
        self
    }

    /// Several endpoints of the same service, tried in this order: a request
    /// that could not be delivered (DNS failure, refused connection, connect
    /// timeout, failed TLS handshake) goes to the next one at once, signed
    /// for its host; one that may have reached a service never does (an
    /// UpdateSyncIamUser is never sent twice), and an HTTP answer of any
    /// status is the answer. The client keeps using the endpoint that
    /// worked; when none does, the error lists each one and why
    /// ([`Error::EndpointsUnreachable`]). Takes precedence over
    /// [`region`](Self::region).
    ///
    /// ```no_run
    /// # fn run() -> Result<(), mrs_iam_sync::Error> {
    /// let client = mrs_iam_sync::Client::builder()
    ///     .endpoints(["https://mrs.vpcep-1.example.com", "https://mrs.cn-north-4.myhuaweicloud.com"])
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn endpoints(mut self, endpoints: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.endpoints = endpoints.into_iter().map(Into::into).collect();
        self
    }

    /// Sends every HTTPS and HTTP request through this proxy (MRS, IAM, STS;
    /// never the metadata service or pod identity), instead of the
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` variables; `NO_PROXY` still
    /// names hosts reached directly. `http://` is assumed without a scheme.
    /// The URL may carry `user:password@`, percent-encoded
    /// (`p%40ss` for `p@ss`); the password is never shown (`Debug`, errors
    /// and logs show `user:***@`). A proxy that refuses them is
    /// [`Error::ProxyRefused`].
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.network.proxy = ProxyOption::Url(hwcloud_auth::Secret::new(url));
        self
    }

    /// No proxy at all, whatever the `*_PROXY` variables say.
    pub fn no_proxy(mut self) -> Self {
        self.network.proxy = ProxyOption::Off;
        self
    }

    /// Trusts the CA certificates of a PEM file or PEM bytes (see [`Pem`]),
    /// in addition to the platform's: for TLS inspected under a private CA.
    /// May be given more than once. A file that is missing or holds no
    /// certificate fails [`build`](Self::build) with an error naming it.
    pub fn ca_bundle(mut self, bundle: impl Into<Pem>) -> Self {
        self.network.ca_bundles.push(bundle.into());
        self
    }

    /// Mutual TLS: presents this certificate (PEM, the chain from the
    /// client's own certificate up) and proves it with this private key (PEM:
    /// PKCS #8, PKCS #1 RSA or SEC1 EC). A file that is missing, holds no
    /// certificate or key, or a key that does not match the certificate fails
    /// [`build`](Self::build) with an error naming the file.
    pub fn client_certificate(mut self, cert: impl Into<Pem>, key: impl Into<Pem>) -> Self {
        self.network.client_identity = Some((cert.into(), key.into()));
        self
    }

    /// Accepts any server certificate, expired, self-signed or for another
    /// host: anyone on the way can then read and change the traffic,
    /// credentials included. For a test bench only; prefer
    /// [`ca_bundle`](Self::ca_bundle). Each client built with it logs a
    /// `tracing` warning.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.network.accept_invalid_certs = accept;
        self
    }

    /// Appended to the client's `User-Agent` (`mrs-iam-sync-rust/VERSION
    /// SUFFIX`), e.g. `my-app/1.2`: it names the application in the
    /// service's and proxies' logs. Visible ASCII only.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Explicit credentials, instead of the provider chain.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = CredentialChoice::Explicit(Box::new(credentials));
        self
    }

    /// Credentials from a provider of the application's own, cached and
    /// refreshed before they expire like the default chain's.
    pub fn credentials_provider(mut self, provider: Arc<dyn ProvideCredentials>) -> Self {
        self.credentials = CredentialChoice::Provider(provider);
        self
    }

    /// Sends requests without credentials: for test servers that want none.
    pub fn anonymous(mut self) -> Self {
        self.credentials = CredentialChoice::Anonymous;
        self
    }

    /// The project id. Without it, the credentials' project id is used, else
    /// `HUAWEICLOUD_SDK_PROJECT_ID`, else the region's project is looked up
    /// at IAM on the first call (with a region; see
    /// [`Client::resolve_project_id`]).
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into());
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How the client paces its requests (default: adaptive, no ceiling;
    /// see [`crate::throttle`]).
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// At most `requests_per_second` requests per second, attempts and
    /// retries together, for a gateway limit known up front (the adaptive
    /// limiter may still go lower).
    pub fn max_rate(mut self, requests_per_second: f64) -> Self {
        self.rate_limit.max_rate = Some(requests_per_second);
        self
    }

    /// The retry quota shared by every call (default:
    /// [`RetryQuota::default`]).
    pub fn retry_quota(mut self, quota: RetryQuota) -> Self {
        self.retry_quota = quota;
        self
    }

    /// All timeouts at once (default: [`Timeouts::default`]).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.connect = timeout;
        self
    }

    /// The timeout of one attempt.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.attempt = timeout;
        self
    }

    /// The deadline of a whole call, retries included.
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.total = timeout;
        self
    }

    /// The largest response body accepted (default 1 MiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// The clock that dates signatures and judges when credentials expire
    /// (default: the system clock). Tests pin it with
    /// [`FixedClock`](crate::FixedClock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// How AK/SK requests are signed (default: [`SigningAlgorithm::HmacSha256`]); IAM
    /// tokens ignore it. `HmacSm3`, `EcdsaP256Sha256` and `Sm2Sm3` need this crate's
    /// features `hmac-sm3`, `ecdsa-p256-sha256` and `sm2-sm3`: without them
    /// [`build`](Self::build) fails and names the feature.
    ///
    /// ```
    /// use mrs_iam_sync::{Client, Credentials, SigningAlgorithm};
    /// let built = Client::builder()
    ///     .endpoint("http://127.0.0.1:9")
    ///     .project_id("0a1b2c3d4e5f60718293a4b5c6d7e8f9")
    ///     .credentials(Credentials::permanent("AKEXAMPLE", "SKEXAMPLE"))
    ///     .signing_algorithm(SigningAlgorithm::HmacSm3)
    ///     .build();
    /// if SigningAlgorithm::HmacSm3.is_enabled() {
    ///     assert!(built.is_ok());
    /// } else {
    ///     assert_eq!(
    ///         built.err().unwrap().to_string(),
    ///         "configuration: signing algorithm hmac-sm3 needs the `hmac-sm3` feature of mrs-iam-sync"
    ///     );
    /// }
    /// ```
    pub fn signing_algorithm(mut self, algorithm: SigningAlgorithm) -> Self {
        self.signing_algorithm = algorithm;
        self
    }

    /// The environment to read credentials and endpoint overrides from
    /// (default: the process's).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// Resolves `host` to `addr` instead of asking DNS, for MRS, IAM and
    /// STS (not the metadata service or pod identity, which are addresses);
    /// the port of `addr` is ignored, the URL's is used. For a host that DNS
    /// does not know yet, or a test server under a real name.
    pub fn resolve(mut self, host: impl Into<String>, addr: std::net::SocketAddr) -> Self {
        self.network.resolve.push((host.into(), addr));
        self
    }

    /// Builds the client. Never panics: every problem is an [`Error`] that
    /// says what is missing or wrong. Credentials configured by variables or
    /// files are read (and configuration errors reported) here; the metadata
    /// service and pod identity are asked on the first call.
    pub fn build(self) -> Result<Client, Error> {
        let environment = self.environment.unwrap_or_else(Environment::process);
        let endpoints = match (self.endpoints.is_empty(), &self.region) {
            (false, _) => self
                .endpoints
                .iter()
                .map(|endpoint| hwcloud_auth::normalize_endpoint(endpoint))
                .collect::<Result<Vec<_>, _>>()
                .map_err(ConfigError::Endpoint)?,
            (true, Some(region)) => hwcloud_auth::resolve_endpoints(region, &environment)
                .map_err(ConfigError::Endpoint)?,
            (true, None) => {
                return Err(ConfigError::Invalid(
                    "no region or endpoint: call .region(\"cn-north-4\") or .endpoint(\"https://...\")"
                        .into(),
                )
                .into());
            }
        };
        let endpoints = endpoint_urls(&endpoints)?;
        let user_agent = user_agent(self.user_agent_suffix.as_deref())?;
        let network = self
            .network
            .load(&environment)
            .map_err(ConfigError::Network)?;
        let region = self
            .region
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let (provider, static_credentials) = match self.credentials {
            CredentialChoice::Anonymous => (None, None),
            CredentialChoice::Explicit(credentials) => (
                None,
                Some(Provided::permanent(
                    *credentials,
                    CredentialSource::Explicit,
                )),
            ),
            CredentialChoice::Provider(provider) => (Some(provider), None),
            CredentialChoice::Chain => {
                let chain = CredentialsChain::new(environment.clone(), region);
                let (found, _) = chain.configured().map_err(Error::Credentials)?;
                match found {
                    Some(found) => match found.static_credentials() {
                        Some(provided) => (None, Some(provided.clone())),
                        None => (Some(found), None),
                    },
                    None => (Some(Arc::new(chain) as Arc<dyn ProvideCredentials>), None),
                }
            }
        };
        // The project id: the builder's, else static credentials', else the
        // environment's (so that explicit credentials such as an IAM token
        // still find it), else looked up at IAM on the first call.
        let project = self
            .project_id
            .or_else(|| {
                static_credentials
                    .as_ref()
                    .and_then(|p| p.credentials.project_id().map(str::to_owned))
            })
            .or_else(|| environment.var(ENV_PROJECT_ID).filter(|id| !id.is_empty()));
        let project_id = project.as_deref().map(ids::project_id).transpose()?;
        // Static credentials carry the project id into X-Project-Id.
        let fetches_credentials = static_credentials.is_none();
        let provider = match static_credentials {
            Some(mut provided) => {
                if let Some(project) = &project_id {
                    provided.credentials =
                        provided.credentials.with_project_id(project.to_string());
                }
                Some(Arc::new(StaticProvider(provided)) as Arc<dyn ProvideCredentials>)
            }
            None => provider,
        };
        let discovery = match (&project_id, region) {
            (None, Some(region)) => Some(crate::runtime::DiscoveryTarget {
                region: region.to_owned(),
                iam_endpoint: hwcloud_auth::endpoints::iam_endpoint(Some(region), &environment)
                    .map_err(ConfigError::Endpoint)?,
            }),
            _ => None,
        };
        check_policy(&self.retry, &self.timeouts, self.max_response_bytes)?;
        if let Some(problem) = self.rate_limit.problem() {
            return Err(ConfigError::Invalid(problem.into()).into());
        }
        if let Some(feature) = self.signing_algorithm.feature()
            && !self.signing_algorithm.is_enabled()
        {
            return Err(ConfigError::Invalid(format!(
                "signing algorithm {} needs the `{feature}` feature of mrs-iam-sync",
                self.signing_algorithm
            ))
            .into());
        }

        let clock = self
            .clock
            .unwrap_or_else(|| Arc::new(hwcloud_auth::SystemClock));
        if self.network.accept_invalid_certs {
            tracing::warn!(
                endpoint = %endpoints[0],
                "TLS certificates are not verified (danger_accept_invalid_certs): anyone on \
                 the network path can read and change this client's requests and credentials"
            );
        }
        let http = http_client(&network, &self.timeouts)?;
        let credentials = match provider {
            Some(provider) => {
                // Static credentials never fetch: they share the client's
                // pool rather than load the TLS roots a second time.
                let fetcher = if fetches_credentials {
                    // IAM and STS through the client's own (proxied) pool;
                    // the metadata service and pod identity directly.
                    ReqwestHttpClient::from_clients(
                        http.clone(),
                        direct_http_client(&network)?,
                        ReqwestHttpClient::REQUEST_TIMEOUT,
                    )
                } else {
                    // Never used to send: any client will do.
                    ReqwestHttpClient::from_clients(
                        http.clone(),
                        http.clone(),
                        ReqwestHttpClient::REQUEST_TIMEOUT,
                    )
                };
                Some(CredentialsCache::new(
                    provider,
                    Arc::new(fetcher),
                    clock.clone(),
                ))
            }
            None => None,
        };
        let runtime = Runtime::new(Settings {
            // The generated client keeps a handle on the same pool to build
            // requests with.
            http: http.clone(),
            credentials,
            project_id,
            discovery,
            discovered: tokio::sync::OnceCell::new(),
            project_header: std::sync::OnceLock::new(),
            clock,
            signing_algorithm: self.signing_algorithm,
            retry: self.retry,
            timeouts: self.timeouts.clone(),
            max_response_bytes: self.max_response_bytes,
            throttle: Throttle::new(self.rate_limit, self.retry_quota),
            proxies: network.names(),
            user_agent,
            hosts: HostHeaders::new(&endpoints),
            base_url: endpoints[0].clone(),
            endpoints: (endpoints.len() > 1).then(|| Endpoints::new(endpoints.clone())),
        });
        // Requests are built on the first endpoint (see `crate::failover`).
        let base_url = endpoints[0].as_str().trim_end_matches('/');
        Ok(Client::new_with_client(base_url, http, runtime))
    }
}

/// The client of the metadata service and pod identity: no proxy, the TLS
/// settings, and a short connect timeout, so that a missing metadata service
/// costs little.
fn direct_http_client(network: &Network) -> Result<reqwest::Client, Error> {
    network
        .client_builder(true)
        .connect_timeout(ReqwestHttpClient::CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|err| ConfigError::Http(err).into())
}

/// The endpoints as URLs (normalized already: a failure here is a URL that
/// `http` accepts and the WHATWG parser does not).
fn endpoint_urls(endpoints: &[String]) -> Result<Vec<reqwest::Url>, Error> {
    endpoints
        .iter()
        .map(|endpoint| {
            reqwest::Url::parse(endpoint).map_err(|err| {
                ConfigError::Invalid(format!(
                    "the endpoint {endpoint:?} is not a valid URL: {err}"
                ))
                .into()
            })
        })
        .collect()
}

/// `mrs-iam-sync-rust/VERSION`, with the application's suffix.
fn user_agent(suffix: Option<&str>) -> Result<reqwest::header::HeaderValue, Error> {
    let Some(suffix) = suffix.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(crate::runtime::USER_AGENT.clone());
    };
    let visible = suffix.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    let value = format!(
        "{} {suffix}",
        crate::runtime::USER_AGENT.to_str().unwrap_or_default()
    );
    match reqwest::header::HeaderValue::from_str(&value) {
        Ok(value) if visible => Ok(value),
        _ => Err(ConfigError::Invalid(
            "user_agent_suffix must be visible ASCII characters and spaces, e.g. \"my-app/1.2\""
                .into(),
        )
        .into()),
    }
}

fn check_policy(
    retry: &RetryPolicy,
    timeouts: &Timeouts,
    max_response_bytes: usize,
) -> Result<(), Error> {
    let problem = if retry.max_attempts == 0 {
        Some("retry.max_attempts must be at least 1 (1 means no retries)")
    } else if retry.initial_backoff > retry.max_backoff {
        Some("retry.initial_backoff must not exceed retry.max_backoff")
    } else if timeouts.connect.is_zero() || timeouts.attempt.is_zero() || timeouts.total.is_zero() {
        Some("timeouts must be greater than zero")
    } else if max_response_bytes == 0 {
        Some("max_response_bytes must be greater than zero")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(ConfigError::Invalid(problem.into()).into()),
        None => Ok(()),
    }
}

/// The HTTP client: connect timeout here; attempt and total limits are
/// applied per request by the runtime.
///
/// Redirects are not followed, as the official SDK does not
/// (`allow_redirects=False`): a signature covers the path and host, so a
/// redirected request could only fail, and a 3xx is returned as
/// [`Error::UnexpectedStatus`]. reqwest's own retries are off: they resend
/// only HTTP/2 and HTTP/3 refusals, which this HTTP/1.1 client never gets,
/// yet they copy every request in case; the runtime retries (see [`crate::retry`]).
fn http_client(network: &Network, timeouts: &Timeouts) -> Result<reqwest::Client, Error> {
    #[cfg(feature = "rustls")]
    crate::tls::install_crypto_provider();
    network
        .client_builder(false)
        .connect_timeout(timeouts.connect)
        .pool_idle_timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never().max_retries_per_request(0))
        .build()
        .map_err(|err| ConfigError::Http(err).into())
}
