//! Loopback stand-ins for the services credentials come from: the ECS/BMS metadata service,
//! IAM (projects, id-token, securitytokens), STS (assume-with-oidc) and the CCE pod
//! identity agent, in the wire shapes of the official SDK's `auth/internal.py`.
//!
//! Temporary keys it hands out are put on a [`KeyRing`]; give the same ring to the MRS
//! server ([`Config::key_ring`](crate::Config::key_ring)) and it accepts them (with their
//! security token), as the real gateway does.
//!
//! ```
//! use mrs_iam_sync_server::identity::{IdentityConfig, IdentityServer, Service};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let identity = IdentityServer::start(IdentityConfig::default(), "127.0.0.1:0".parse()?).await?;
//! # let _ = rustls::crypto::ring::default_provider().install_default();
//! let http = reqwest::Client::builder().no_proxy().build()?;
//! let token = http
//!     .put(format!("{}/meta-data/latest/api/token", identity.base_url()))
//!     .header("X-Metadata-Token-Ttl-Seconds", "21600")
//!     .send().await?.text().await?;
//! let keys = http
//!     .get(format!("{}/openstack/latest/securitykey", identity.base_url()))
//!     .header("X-Metadata-Token", token)
//!     .send().await?.text().await?;
//! assert!(keys.contains("\"securitytoken\""));
//! assert_eq!(identity.issued(Service::Metadata), 1);
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::{self, RawRequest};
use crate::server::Response;
use crate::{AccessKey, DEMO_AK, DEMO_PROJECT_ID, DEMO_SK, RecordedRequest};

/// The OIDC provider URN the default configuration accepts.
pub const DEMO_OIDC_PROVIDER_URN: &str =
    "iam::0a1b2c3d4e5f60718293a4b5c6d7e8f9:identity-provider:demo-ci";
/// The agency URN the default configuration accepts.
pub const DEMO_OIDC_AGENCY_URN: &str = "iam::0a1b2c3d4e5f60718293a4b5c6d7e8f9:agency:demo-agency";
/// The OIDC / IdP ID token the default configuration accepts.
pub const DEMO_ID_TOKEN: &str = "demo-oidc-id-token";
/// The IdP id the default configuration accepts.
pub const DEMO_IDP_ID: &str = "demo-idp";
/// The pod identity authorization token the default configuration accepts.
pub const DEMO_POD_TOKEN: &str = "demo-pod-identity-token";
/// Where the pod identity agent answers.
pub const POD_IDENTITY_PATH: &str = "/v1/pod-identity/credentials";

const METADATA_TOKEN_PATH: &str = "/meta-data/latest/api/token";
const SECURITY_KEY_PATH: &str = "/openstack/latest/securitykey";
const ID_TOKEN_PATH: &str = "/v3.0/OS-AUTH/id-token/tokens";
const SECURITY_TOKENS_PATH: &str = "/v3.0/OS-CREDENTIAL/securitytokens";
const ASSUME_WITH_OIDC_PATH: &str = "/v5/agencies/assume-with-oidc";
const PROJECTS_PATH: &str = "/v3/projects";
const AGENCY_MESSAGE: &str = "Please configure Cloud Service Agency first";

/// One of the stand-in services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// `PUT /meta-data/latest/api/token`.
    MetadataToken,
    /// `GET /openstack/latest/securitykey`.
    Metadata,
    /// `POST /v3.0/OS-AUTH/id-token/tokens`.
    IdToken,
    /// `POST /v3.0/OS-CREDENTIAL/securitytokens`.
    SecurityTokens,
    /// `POST /v5/agencies/assume-with-oidc`.
    AssumeWithOidc,
    /// `POST` [`POD_IDENTITY_PATH`].
    PodIdentity,
    /// `GET /v3/projects`.
    Projects,
}

/// How the metadata service treats session tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionTokens {
    /// `PUT .../api/token` hands them out and `securitykey` requires one (401 without).
    Required,
    /// `PUT .../api/token` answers this status (404, 405 or 503: an older service) and
    /// `securitykey` needs none.
    Unsupported(u16),
}

/// A temporary key handed out, with its security token.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedKey {
    /// The key pair.
    pub key: AccessKey,
    /// The security token that must come with it.
    pub security_token: String,
}

impl fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedKey")
            .field("ak", &self.key.ak)
            .finish_non_exhaustive()
    }
}

/// Temporary keys shared between the identity stand-ins (which add them) and the servers
/// that accept them. Cheap to clone: clones share the ring.
#[derive(Clone, Default)]
pub struct KeyRing(Arc<Mutex<Vec<IssuedKey>>>);

impl KeyRing {
    /// Adds a key.
    pub fn add(&self, key: IssuedKey) {
        lock(&self.0).push(key);
    }

    /// Every key on the ring.
    pub fn keys(&self) -> Vec<IssuedKey> {
        lock(&self.0).clone()
    }

    /// The security token that must come with `ak`, when `ak` is on the ring.
    pub fn security_token_of(&self, ak: &str) -> Option<String> {
        lock(&self.0)
            .iter()
            .find(|k| k.key.ak == ak)
            .map(|k| k.security_token.clone())
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyRing({} keys)", lock(&self.0).len())
    }
}

/// A project IAM lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    /// Its name: the region id.
    pub name: String,
    /// Its id.
    pub id: String,
}

/// What the stand-ins accept and answer. `Debug` hides tokens.
#[derive(Clone)]
pub struct IdentityConfig {
    /// Where handed-out keys go.
    pub key_ring: KeyRing,
    /// How long handed-out keys last.
    pub lifetime: Duration,
    /// The metadata service answers at all (otherwise 404, like a host without one).
    pub metadata: bool,
    /// An agency is bound to the "instance" (otherwise `securitykey` answers the 401
    /// "Please configure Cloud Service Agency first").
    pub agency: bool,
    /// How the metadata service treats session tokens.
    pub session_tokens: SessionTokens,
    /// The projects `GET /v3/projects` knows.
    pub projects: Vec<Project>,
    /// Permanent keys that may call `GET /v3/projects` (keys on the ring may too).
    pub access_keys: Vec<AccessKey>,
    /// The provider URN, agency URN and ID token `assume-with-oidc` accepts.
    pub oidc: (String, String, String),
    /// The IdP id and ID token `id-token/tokens` accepts.
    pub idp: (String, String),
    /// The `Authorization` the pod identity agent accepts.
    pub pod_token: String,
    /// How long each credential answer takes (to make concurrent callers overlap).
    pub delay: Duration,
}

impl Default for IdentityConfig {
    /// Everything enabled with the `DEMO_*` values; a 1-hour key lifetime; session tokens
    /// required; one project, `cn-north-4` → [`DEMO_PROJECT_ID`]; [`DEMO_AK`] may list
    /// projects.
    fn default() -> Self {
        IdentityConfig {
            key_ring: KeyRing::default(),
            lifetime: Duration::from_secs(3600),
            metadata: true,
            agency: true,
            session_tokens: SessionTokens::Required,
            projects: vec![Project {
                name: "cn-north-4".into(),
                id: DEMO_PROJECT_ID.into(),
            }],
            access_keys: vec![AccessKey::new(DEMO_AK, DEMO_SK)],
            oidc: (
                DEMO_OIDC_PROVIDER_URN.into(),
                DEMO_OIDC_AGENCY_URN.into(),
                DEMO_ID_TOKEN.into(),
            ),
            idp: (DEMO_IDP_ID.into(), DEMO_ID_TOKEN.into()),
            pod_token: DEMO_POD_TOKEN.into(),
            delay: Duration::ZERO,
        }
    }
}

impl fmt::Debug for IdentityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityConfig")
            .field("key_ring", &self.key_ring)
            .field("lifetime", &self.lifetime)
            .field("metadata", &self.metadata)
            .field("agency", &self.agency)
            .field("session_tokens", &self.session_tokens)
            .field("projects", &self.projects)
            .field("access_keys", &self.access_keys)
            .field("delay", &self.delay)
            .finish_non_exhaustive()
    }
}

struct Shared {
    config: Mutex<IdentityConfig>,
    log: Mutex<Vec<RecordedRequest>>,
    issued: Mutex<HashMap<Service, usize>>,
    failures: Mutex<Vec<(Service, u16, u32)>>,
    session_tokens: Mutex<Vec<String>>,
    subject_tokens: Mutex<Vec<String>>,
    counter: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The running stand-ins. Dropping it stops them.
pub struct IdentityServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for IdentityServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl IdentityServer {
    /// Binds `listen` and serves in the background on the current tokio runtime.
    pub async fn start(config: IdentityConfig, listen: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            log: Mutex::new(Vec::new()),
            issued: Mutex::new(HashMap::new()),
            failures: Mutex::new(Vec::new()),
            session_tokens: Mutex::new(Vec::new()),
            subject_tokens: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
        });
        let (stop, stopped) = watch::channel(false);
        let handler = {
            let shared = shared.clone();
            move |req, _| answer(shared.clone(), req)
        };
        let task = tokio::spawn(crate::server::accept_loop(listener, handler, stopped));
        Ok(IdentityServer {
            shared,
            addr,
            stop,
            task: Some(task),
        })
    }

    /// `http://HOST:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The pod identity agent's full URI.
    pub fn pod_identity_uri(&self) -> String {
        format!("{}{POD_IDENTITY_PATH}", self.base_url())
    }

    /// The key ring keys are put on.
    pub fn key_ring(&self) -> KeyRing {
        lock(&self.shared.config).key_ring.clone()
    }

    /// Changes the configuration (e.g. unbind the agency) from now on.
    pub fn configure(&self, change: impl FnOnce(&mut IdentityConfig)) {
        change(&mut lock(&self.shared.config));
    }

    /// The next `count` requests to `service` answer `status` (with an error body).
    pub fn fail_next(&self, service: Service, status: u16, count: u32) {
        lock(&self.shared.failures).push((service, status, count));
    }

    /// How many credentials (or project lists, or tokens) `service` has handed out.
    pub fn issued(&self, service: Service) -> usize {
        lock(&self.shared.issued)
            .get(&service)
            .copied()
            .unwrap_or(0)
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for IdentityServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn service_of(method: &Method, path: &str) -> Option<Service> {
    Some(match (method.as_str(), path) {
        ("PUT", METADATA_TOKEN_PATH) => Service::MetadataToken,
        ("GET", SECURITY_KEY_PATH) => Service::Metadata,
        ("POST", ID_TOKEN_PATH) => Service::IdToken,
        ("POST", SECURITY_TOKENS_PATH) => Service::SecurityTokens,
        ("POST", ASSUME_WITH_OIDC_PATH) => Service::AssumeWithOidc,
        ("POST", POD_IDENTITY_PATH) => Service::PodIdentity,
        ("GET", PROJECTS_PATH) => Service::Projects,
        _ => return None,
    })
}

fn text(status: u16, body: impl Into<String>) -> Response {
    let mut response = Response::new(Full::new(Bytes::from(body.into())));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
}

fn json_answer(status: u16, value: &Value) -> Response {
    let mut response = text(status, value.to_string());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
}

fn iam_error(status: u16, code: &str, message: &str) -> Response {
    json_answer(
        status,
        &json!({"error": {"code": status, "error_code": code, "message": message}}),
    )
}

/// `2024-01-02T03:04:05.000000Z`, the official SDK's format.
fn rfc3339(at: SystemTime) -> String {
    let d = auth::format_sdk_date(at); // 20240102T030405Z
    format!(
        "{}-{}-{}T{}:{}:{}.000000Z",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[9..11],
        &d[11..13],
        &d[13..15]
    )
}

fn header_of<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl Shared {
    fn take_failure(&self, service: Service) -> Option<u16> {
        let mut failures = lock(&self.failures);
        let i = failures.iter().position(|(s, _, _)| *s == service)?;
        let status = failures[i].1;
        failures[i].2 -= 1;
        if failures[i].2 == 0 {
            failures.remove(i);
        }
        Some(status)
    }

    fn count(&self, service: Service) {
        *lock(&self.issued).entry(service).or_default() += 1;
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A fresh temporary key, put on the ring.
    fn issue(&self, service: Service) -> (IssuedKey, String) {
        // Unique in the process: servers of parallel tests hand out distinct keys.
        static ISSUED: AtomicU64 = AtomicU64::new(0);
        let n = ISSUED.fetch_add(1, Ordering::Relaxed) + 1;
        let config = lock(&self.config);
        let key = IssuedKey {
            key: AccessKey::new(
                format!("TMPAK{n:06}LOOPBACK"),
                format!("TmpSk{n:06}ForTheLoopbackIdentityStandIn"),
            ),
            security_token: format!("TmpSecurityToken{n:06}-loopback"),
        };
        config.key_ring.add(key.clone());
        let expires_at = rfc3339(SystemTime::now() + config.lifetime);
        drop(config);
        self.count(service);
        (key, expires_at)
    }
}

async fn answer(shared: Arc<Shared>, req: http::Request<Incoming>) -> Response {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, 64 * 1024).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let path = parts.uri.path().to_owned();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let index = {
        let mut log = lock(&shared.log);
        log.push(RecordedRequest {
            request_id: format!("identity-{}", shared.next()),
            method: parts.method.to_string(),
            path: path.clone(),
            query: parts.uri.query().map(str::to_owned),
            headers: headers.clone(),
            body: body.to_vec(),
            body_complete: true,
            status: None,
        });
        log.len() - 1
    };
    let delay = lock(&shared.config).delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let service = service_of(&parts.method, &path);
    let mut response = match service {
        None => text(404, "not found"),
        Some(service) => match shared.take_failure(service) {
            Some(status) => iam_error(status, "LOOPBACK.FAULT", "injected failure"),
            None => {
                let raw = RawRequest {
                    method: parts.method.as_str(),
                    path: &path,
                    query: parts.uri.query(),
                    headers: &headers,
                    body: &body,
                };
                serve(&shared, service, &parts.headers, &raw)
            }
        },
    };
    // IAM traces every answer, its errors included.
    if service == Some(Service::Projects)
        && let Ok(value) =
            header::HeaderValue::from_str(&format!("loopback-trace-{}", shared.next()))
    {
        response.headers_mut().insert("x-iam-trace-id", value);
    }
    if let Some(r) = lock(&shared.log).get_mut(index) {
        r.status = Some(response.status().as_u16());
    }
    response
}

fn serve(shared: &Shared, service: Service, headers: &HeaderMap, raw: &RawRequest<'_>) -> Response {
    let config = lock(&shared.config).clone();
    let body: Value = serde_json::from_slice(raw.body).unwrap_or(Value::Null);
    match service {
        Service::MetadataToken | Service::Metadata if !config.metadata => text(404, "not found"),
        Service::MetadataToken => match config.session_tokens {
            SessionTokens::Unsupported(status) => text(status, "token API not supported"),
            SessionTokens::Required => {
                if header_of(headers, "x-metadata-token-ttl-seconds").is_none() {
                    return text(400, "X-Metadata-Token-Ttl-Seconds is required");
                }
                let token = format!("metadata-session-{}", shared.next());
                lock(&shared.session_tokens).push(token.clone());
                shared.count(Service::MetadataToken);
                text(200, token)
            }
        },
        Service::Metadata => {
            if config.session_tokens == SessionTokens::Required {
                let given = header_of(headers, "x-metadata-token").unwrap_or_default();
                if !lock(&shared.session_tokens).iter().any(|t| t == given) {
                    return text(401, "the metadata token is missing or invalid");
                }
            }
            if !config.agency {
                return text(401, format!("{{\"error\": \"{AGENCY_MESSAGE}\"}}"));
            }
            let (key, expires_at) = shared.issue(Service::Metadata);
            json_answer(
                200,
                &json!({"credential": {
                    "access": key.key.ak, "secret": key.key.sk,
                    "securitytoken": key.security_token, "expires_at": expires_at}}),
            )
        }
        Service::AssumeWithOidc => {
            let (provider, agency, token) = &config.oidc;
            let field = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default();
            if field("provider_urn") != provider || field("agency_urn") != agency {
                return iam_error(400, "STS.0001", "unknown identity provider or agency");
            }
            if field("id_token") != token {
                return iam_error(401, "STS.0002", "the ID token is not valid");
            }
            if field("agency_session_name").is_empty() || !body["duration_seconds"].is_u64() {
                return iam_error(
                    400,
                    "STS.0003",
                    "agency_session_name and duration_seconds are required",
                );
            }
            let (key, expires_at) = shared.issue(Service::AssumeWithOidc);
            json_answer(
                200,
                &json!({"credentials": {
                    "access_key_id": key.key.ak, "secret_access_key": key.key.sk,
                    "security_token": key.security_token, "expiration": expires_at}}),
            )
        }
        Service::IdToken => {
            let (idp, token) = &config.idp;
            if header_of(headers, "x-idp-id") != Some(idp.as_str()) {
                return iam_error(400, "IAM.0001", "unknown identity provider");
            }
            if body["auth"]["id_token"]["id"].as_str() != Some(token.as_str()) {
                return iam_error(401, "IAM.0002", "the ID token is not valid");
            }
            let subject = format!("loopback-unscoped-token-{}", shared.next());
            lock(&shared.subject_tokens).push(subject.clone());
            shared.count(Service::IdToken);
            let mut response = json_answer(201, &json!({"token": {"methods": ["mapped"]}}));
            if let Ok(value) = header::HeaderValue::from_str(&subject) {
                response.headers_mut().insert("x-subject-token", value);
            }
            response
        }
        Service::SecurityTokens => {
            let identity = &body["auth"]["identity"];
            let token = identity["token"]["id"].as_str().unwrap_or_default();
            if identity["methods"] != json!(["token"])
                || !lock(&shared.subject_tokens).iter().any(|t| t == token)
            {
                return iam_error(401, "IAM.0003", "the token is not valid");
            }
            let (key, expires_at) = shared.issue(Service::SecurityTokens);
            json_answer(
                201,
                &json!({"credential": {
                    "access": key.key.ak, "secret": key.key.sk,
                    "securitytoken": key.security_token, "expires_at": expires_at}}),
            )
        }
        Service::PodIdentity => {
            if header_of(headers, "authorization") != Some(config.pod_token.as_str()) {
                return iam_error(401, "CCE.0001", "the pod's token is not valid");
            }
            let (key, expires_at) = shared.issue(Service::PodIdentity);
            json_answer(
                200,
                &json!({
                    "accessKeyId": key.key.ak, "secretAccessKey": key.key.sk,
                    "securityToken": key.security_token, "expiration": expires_at}),
            )
        }
        Service::Projects => {
            let mut keys = config.access_keys.clone();
            let ring = config.key_ring.keys();
            keys.extend(ring.iter().map(|k| k.key.clone()));
            let max_skew = Duration::from_secs(15 * 60);
            let ak = match auth::verify_signature(raw, &keys, SystemTime::now(), max_skew) {
                Ok(ak) => ak,
                Err(e) => {
                    return iam_error(
                        401,
                        "APIGW.0301",
                        &format!("Incorrect IAM authentication information: {e}"),
                    );
                }
            };
            if let Some(expected) = config.key_ring.security_token_of(&ak)
                && header_of(headers, "x-security-token") != Some(expected.as_str())
            {
                return iam_error(
                    401,
                    "APIGW.0301",
                    "the security token does not match the access key",
                );
            }
            let name = raw
                .query
                .unwrap_or_default()
                .split('&')
                .find_map(|pair| pair.strip_prefix("name="))
                .unwrap_or_default();
            let projects: Vec<Value> = config
                .projects
                .iter()
                .filter(|p| p.name == name)
                .map(|p| json!({"id": p.id, "name": p.name, "enabled": true}))
                .collect();
            shared.count(Service::Projects);
            json_answer(200, &json!({"projects": projects, "links": {}}))
        }
    }
}
