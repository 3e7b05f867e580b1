//! Building a [`Client`]: where to send requests (region or endpoint), how
//! to authenticate, how hard to try.

use std::sync::Arc;
use std::time::Duration;

use hwcloud_auth::{Clock, CredentialSource, Credentials, Environment, SigningAlgorithm};

use crate::error::{ConfigError, Error};
use crate::retry::{RetryPolicy, Timeouts};
use crate::runtime::{DEFAULT_MAX_RESPONSE_BYTES, Runtime, Settings};
use crate::throttle::{RateLimit, RetryQuota, Throttle};
use crate::{Client, ids};

/// The environment variable [`Client::from_env`] reads the region from.
pub const REGION_ENV: &str = "HUAWEICLOUD_SDK_REGION";

/// The environment variable of the project id, read when neither the builder
/// nor the credentials name one.
const PROJECT_ID_ENV: &str = "HUAWEICLOUD_SDK_PROJECT_ID";

/// Where the credentials come from.
#[derive(Debug)]
enum CredentialChoice {
    /// Environment, then profile file (the default).
    Chain,
    // Boxed: credentials hold precomputed keys and dwarf the other variants.
    Explicit(Box<Credentials>),
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
///     .retry(RetryPolicy { max_attempts: 5, ..RetryPolicy::default() })
///     .total_timeout(Duration::from_secs(30))
///     .build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    region: Option<String>,
    endpoint: Option<String>,
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
    http_client: Option<reqwest::Client>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            region: None,
            endpoint: None,
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
            http_client: None,
        }
    }
}

impl Client {
    /// Starts building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: the region from
    /// `HUAWEICLOUD_SDK_REGION`, credentials from the chain (environment
    /// variables, then the profile file).
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
    /// The region, e.g. `cn-north-4`; its endpoint comes from the region
    /// table, or from `HUAWEICLOUD_SDK_REGION_MRS_<REGION>` when set.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// An explicit endpoint, e.g. `https://mrs.example.com` or a loopback
    /// test server; without a scheme, `https://` is assumed. Takes
    /// precedence over [`region`](Self::region).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Explicit credentials, instead of the provider chain.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = CredentialChoice::Explicit(Box::new(credentials));
        self
    }

    /// Credentials from the provider chain (the default): environment
    /// variables, then the profile file.
    pub fn credentials_from_chain(mut self) -> Self {
        self.credentials = CredentialChoice::Chain;
        self
    }

    /// Sends requests without credentials: for test servers that want none.
    pub fn anonymous(mut self) -> Self {
        self.credentials = CredentialChoice::Anonymous;
        self
    }

    /// The project id. Without it, the credentials' project id is used, else
    /// `HUAWEICLOUD_SDK_PROJECT_ID`.
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

    /// The clock that dates signatures (default: the system clock). Tests
    /// pin it with [`FixedClock`](crate::FixedClock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// How AK/SK requests are signed (default: [`SigningAlgorithm::HmacSha256`]); IAM
    /// tokens ignore it. `EcdsaP256Sha256` and `Sm2Sm3` need this crate's features of
    /// the same names: without them [`build`](Self::build) fails.
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

    /// A `reqwest::Client` of the application's own (proxies, extra root
    /// certificates, DNS overrides). Its own connect timeout then applies;
    /// the attempt and total timeouts still do. With the default `rustls`
    /// feature, call [`install_crypto_provider`](crate::install_crypto_provider)
    /// (or install a provider of your own) before building it.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Builds the client. Never panics: every problem is an [`Error`] that
    /// says what is missing or wrong.
    pub fn build(self) -> Result<Client, Error> {
        Ok(self.build_with_source()?.0)
    }

    /// Builds the client and says where its credentials came from (`None`
    /// for an anonymous client).
    pub fn build_with_source(self) -> Result<(Client, Option<CredentialSource>), Error> {
        let environment = self.environment.unwrap_or_else(Environment::process);
        let base_url = match (&self.endpoint, &self.region) {
            (Some(endpoint), _) => {
                hwcloud_auth::normalize_endpoint(endpoint).map_err(ConfigError::Endpoint)?
            }
            (None, Some(region)) => hwcloud_auth::resolve_endpoint(region, &environment)
                .map_err(ConfigError::Endpoint)?,
            (None, None) => {
                return Err(ConfigError::Invalid(
                    "no region or endpoint: call .region(\"cn-north-4\") or .endpoint(\"https://...\")"
                        .into(),
                )
                .into());
            }
        };
        let (credentials, source) = match self.credentials {
            CredentialChoice::Anonymous => (None, None),
            CredentialChoice::Explicit(credentials) => {
                (Some(*credentials), Some(CredentialSource::Explicit))
            }
            CredentialChoice::Chain => {
                let (credentials, source) =
                    Credentials::from_chain(&environment).map_err(ConfigError::Credentials)?;
                (Some(credentials), Some(source))
            }
        };
        // The project id: the builder's, else the credentials', else the
        // environment's (so that explicit credentials such as an IAM token
        // still find it). The credentials carry it into X-Project-Id.
        let project = self
            .project_id
            .or_else(|| {
                credentials
                    .as_ref()
                    .and_then(|c| c.project_id().map(str::to_owned))
            })
            .or_else(|| environment.var(PROJECT_ID_ENV).filter(|id| !id.is_empty()));
        let project_id = project.as_deref().map(ids::project_id).transpose()?;
        let credentials = match (credentials, &project_id) {
            (Some(credentials), Some(project)) => {
                Some(credentials.with_project_id(project.to_string()))
            }
            (credentials, _) => credentials,
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

        let runtime = Runtime::new(Settings {
            credentials,
            project_id,
            clock: self
                .clock
                .unwrap_or_else(|| Arc::new(hwcloud_auth::SystemClock)),
            signing_algorithm: self.signing_algorithm,
            retry: self.retry,
            timeouts: self.timeouts.clone(),
            max_response_bytes: self.max_response_bytes,
            throttle: Throttle::new(self.rate_limit, self.retry_quota),
        });
        let http = match self.http_client {
            Some(client) => client,
            None => http_client(&self.timeouts)?,
        };
        Ok((Client::new_with_client(&base_url, http, runtime), source))
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
fn http_client(timeouts: &Timeouts) -> Result<reqwest::Client, Error> {
    // Building the runtime first installed the crypto provider.
    reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|err| ConfigError::Http(err).into())
}
