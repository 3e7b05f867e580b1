//! A loopback Huawei Cloud MRS IAM-synchronization server for tests and demos.
//!
//! It serves the five operations of `spec/mrs-iam-sync.yaml` from memory,
//! authenticates like the API gateway (SDK-HMAC-SHA256 signatures verified by
//! an implementation of its own, or configured `X-Auth-Token`s), answers errors
//! in the gateway's and MRS's shapes, records every request it receives, and
//! misbehaves on demand ([`Fault`]).
//!
//! ```
//! use std::time::Duration;
//! use mrs_iam_sync_server::{Config, DEMO_PROJECT_ID, DEMO_TOKEN, Fault, FaultKind, RetryAfter, Server};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config {
//!     sync_duration: Duration::from_millis(200),
//!     ..Config::default()
//! };
//! let server = Server::start(config, "127.0.0.1:0".parse()?).await?;
//! let url = format!("{}/v2/{DEMO_PROJECT_ID}/clusters/cid-1/iam-sync", server.base_url());
//!
//! // The next request for cluster "cid-1" is throttled.
//! server.inject(
//!     Fault::new(FaultKind::TooManyRequests { retry_after: RetryAfter::Seconds(1) })
//!         .for_cluster("cid-1"),
//! );
//!
//! // (Real clients sign with DEMO_AK / DEMO_SK; a token is shorter here.)
//! # let _ = rustls::crypto::ring::default_provider().install_default();
//! let http = reqwest::Client::builder().no_proxy().build()?;
//! let first = http.get(&url).header("X-Auth-Token", DEMO_TOKEN).send().await?;
//! assert_eq!(first.status(), 429);
//! assert_eq!(first.headers()["retry-after"], "1");
//! let second = http.get(&url).header("X-Auth-Token", DEMO_TOKEN).send().await?;
//! assert_eq!(second.text().await?, r#"{"is_synchronizing":false}"#);
//!
//! assert_eq!(server.request_count(), 2);
//! assert_eq!(server.requests()[0].status, Some(429));
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Request processing order
//!
//! 1. A request id is drawn; every response carries it in `X-Request-Id`, and
//!    every error body in `request_id`.
//!    With [`Config::latency`], every request is answered that much later.
//! 2. The body is read up to [`Config::max_body_bytes`] (a larger
//!    `Content-Length` is refused without reading) → 413 `APIGW.0201`.
//! 3. The request is recorded ([`Server::requests`]), whatever happens next.
//! 4. Routing, by the operation table generated from the spec
//!    (`mrs_iam_sync_rules::OPERATIONS`): an unknown path → 404
//!    `APIGW.0101`; a known path with another method → 405 `APIGW.0101`
//!    with `Allow`.
//! 5. Authentication → 401 `APIGW.0301`.
//! 6. Throttling, with [`Config::rate_limit`] (and [`Config::rate_burst`]):
//!    over the caller's rate → 429 `APIGW.0308` with `Retry-After` (whole
//!    seconds until the caller's next token, at least 1). Refused requests
//!    never consume a fault.
//! 7. Faults: the first injected [`Fault`] that matches the cluster id in the
//!    path takes one of its count and answers instead (a
//!    [`FaultKind::Delay`] waits, then goes on;
//!    [`FaultKind::DropConnectionAfterProcessing`] goes on, then closes the
//!    connection instead of answering). Unauthenticated requests and unknown
//!    paths never consume a fault; an invalid id or unknown cluster does.
//! 8. Path parameters, by the spec's generated types and rules → 400
//!    `12000002`; unknown cluster → 400 `12000003`.
//! 9. The body (POST, DELETE): a non-empty body not sent as
//!    `application/json` → 415 `12000002`; not a JSON object, `null` or a
//!    wrong type for a field (the body is decoded into the spec's generated
//!    type), or a broken rule of the spec (`maxItems`, empty names) → 400
//!    `12000002` naming the field. An absent or empty body means `{}` (the
//!    spec makes the body optional).
//! 10. The operation. UpdateSyncIamUser naming an IAM user or group that the
//!     configured directory ([`Config::iam_users`], [`Config::iam_groups`])
//!     does not know → 400 `12000002` naming them.
//!
//! # Sync semantics
//!
//! State is kept per (project_id, cluster_id); any project id matching the
//! spec's rule is accepted, and the cluster must be in [`Config::clusters`].
//! UpdateSyncIamUser starts a task lasting [`Config::sync_duration`] and
//! answers 202 `{"state":"synchronizing"}`. While it runs, a second
//! UpdateSyncIamUser on the same cluster is refused with 409
//! `{"error_code":"MRS.0409","error_msg":"A synchronization task is already
//! running on cluster ...; ..."}` (the POST is not idempotent, so the server
//! refuses rather than merging). When the task ends the principals appear.
//! CancelSyncIamUser removes names at once (from the result of a running task
//! too) and answers 202 `{"state":"synchronizing"}` as in the API docs;
//! removing a name that is not there is not an error.

#![warn(missing_docs)]

pub mod auth;
mod faults;
pub mod identity;
mod server;
mod state;
mod throttling;

use std::fmt;
use std::time::Duration;

pub use faults::{Fault, FaultKind, FaultParseError, RetryAfter, parse_duration};
pub use identity::KeyRing;
pub use server::{RecordedRequest, Server};

/// The demo access key of [`Config::default`].
pub const DEMO_AK: &str = "MRSDEMOACCESSKEY0001";
/// The demo secret key of [`Config::default`] (public on purpose: a test server).
pub const DEMO_SK: &str = "MrsDemoSecretKeyForTheLoopbackServer0001";
/// The demo `X-Auth-Token` of [`Config::default`].
pub const DEMO_TOKEN: &str = "mrs-demo-token";
/// A project id to use with the demo setup (any valid project id works).
pub const DEMO_PROJECT_ID: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
/// The first cluster of [`Config::default`] (the spec's example cluster id).
pub const DEMO_CLUSTER_ID: &str = "6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a";

/// An accepted AK/SK pair. `Debug` shows the AK only.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The access key id.
    pub ak: String,
    /// The secret key; never printed, logged or echoed.
    pub sk: String,
}

impl AccessKey {
    /// An AK/SK pair.
    pub fn new(ak: impl Into<String>, sk: impl Into<String>) -> Self {
        AccessKey {
            ak: ak.into(),
            sk: sk.into(),
        }
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("ak", &self.ak)
            .field("sk", &"<redacted>")
            .finish()
    }
}

/// An IAM user known to the server, with the IAM groups it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamUser {
    /// The user name.
    pub name: String,
    /// The groups it belongs to; synchronizing the user synchronizes them too.
    pub groups: Vec<String>,
}

impl IamUser {
    /// A user and its groups.
    pub fn new<G: Into<String>>(
        name: impl Into<String>,
        groups: impl IntoIterator<Item = G>,
    ) -> Self {
        IamUser {
            name: name.into(),
            groups: groups.into_iter().map(Into::into).collect(),
        }
    }
}

/// The server's configuration. `Debug` redacts secret keys and tokens.
#[derive(Clone)]
pub struct Config {
    /// Accepted AK/SK pairs.
    pub access_keys: Vec<AccessKey>,
    /// Accepted `X-Auth-Token` values.
    pub tokens: Vec<String>,
    /// Known cluster ids (in every project); others answer 400 `12000003`.
    pub clusters: Vec<String>,
    /// The IAM users that can be synchronized.
    pub iam_users: Vec<IamUser>,
    /// The IAM groups that can be synchronized (users' groups count too).
    pub iam_groups: Vec<String>,
    /// How long a synchronization task runs.
    pub sync_duration: Duration,
    /// The largest request body accepted; larger → 413.
    pub max_body_bytes: usize,
    /// How far `X-Sdk-Date` may be from the server's clock.
    pub max_clock_skew: Duration,
    /// Seconds added to the system clock to get the server's clock for the
    /// `X-Sdk-Date` check (negative: the server lags). Default 0; set it to
    /// simulate a gateway whose clock is off.
    pub clock_offset_secs: i64,
    /// ShowSyncIamUser leaves out an empty list (as the spec says the service
    /// does) instead of sending `[]`. Default `false`.
    pub omit_empty_lists: bool,
    /// Requests per second each caller may make: each access key, and the
    /// `X-Auth-Token` callers together, have a token bucket that refills at
    /// this rate and holds [`Config::rate_burst`] requests. Over it, the
    /// gateway answers 429 `APIGW.0308` with `Retry-After`. Positive and
    /// finite; default `None` (no limit).
    pub rate_limit: Option<f64>,
    /// The most requests a caller's bucket holds: the burst it may send at
    /// once before [`Config::rate_limit`] paces it. At least 1; default
    /// `None`, one second's worth of the rate (at least 1). A strict gateway
    /// holds less, e.g. a tenth of a second's worth. Only with `rate_limit`.
    pub rate_burst: Option<f64>,
    /// How long the gateway and service take over every request before it is
    /// answered. Default zero.
    pub latency: Duration,
    /// Write one line per request to stderr (method, path, status, request id;
    /// never headers or bodies). Default `false`; the binary turns it on.
    pub log_requests: bool,
    /// Temporary keys accepted besides `access_keys` (each with the security token that
    /// must come with it): share it with an
    /// [`IdentityServer`](identity::IdentityServer) that hands them out. Default empty.
    pub key_ring: KeyRing,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("access_keys", &self.access_keys)
            .field("tokens", &format_args!("[{} redacted]", self.tokens.len()))
            .field("clusters", &self.clusters)
            .field("iam_users", &self.iam_users)
            .field("iam_groups", &self.iam_groups)
            .field("sync_duration", &self.sync_duration)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_clock_skew", &self.max_clock_skew)
            .field("clock_offset_secs", &self.clock_offset_secs)
            .field("omit_empty_lists", &self.omit_empty_lists)
            .field("rate_limit", &self.rate_limit)
            .field("rate_burst", &self.rate_burst)
            .field("latency", &self.latency)
            .field("log_requests", &self.log_requests)
            .field("key_ring", &self.key_ring)
            .finish()
    }
}

impl Default for Config {
    /// The demo setup: [`DEMO_AK`]/[`DEMO_SK`], token [`DEMO_TOKEN`], clusters
    /// [`DEMO_CLUSTER_ID`], `cid-1` and `demo-cluster`; users `user1`
    /// (group1), `user2` (group1, group2), `user3` (no group); groups
    /// `group1`, `group2`, `group3`, `groups1`; a 2 s sync, 64 KiB bodies,
    /// 15 minutes of clock skew; no rate limit, no latency.
    fn default() -> Self {
        Config {
            access_keys: vec![AccessKey::new(DEMO_AK, DEMO_SK)],
            tokens: vec![DEMO_TOKEN.to_owned()],
            clusters: vec![
                DEMO_CLUSTER_ID.to_owned(),
                "cid-1".to_owned(),
                "demo-cluster".to_owned(),
            ],
            iam_users: vec![
                IamUser::new("user1", ["group1"]),
                IamUser::new("user2", ["group1", "group2"]),
                IamUser::new("user3", Vec::<String>::new()),
            ],
            iam_groups: ["group1", "group2", "group3", "groups1"]
                .map(String::from)
                .into(),
            sync_duration: Duration::from_secs(2),
            max_body_bytes: 64 * 1024,
            max_clock_skew: Duration::from_secs(15 * 60),
            clock_offset_secs: 0,
            omit_empty_lists: false,
            rate_limit: None,
            rate_burst: None,
            latency: Duration::ZERO,
            log_requests: false,
            key_ring: KeyRing::default(),
        }
    }
}
