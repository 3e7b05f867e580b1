//! The HTTP side: connection handling, routing, the request pipeline.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Map, Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower_service::Service as _;

use crate::Config;
use crate::auth::{self, RawRequest};
use crate::faults::{Fault, FaultKind};
use crate::state::{States, SyncRefused, SyncRequest};
use crate::throttling::{Throttling, retry_after_seconds};

/// The largest number of names CancelSyncIamUser accepts per list.
const MAX_CANCEL_NAMES: usize = 1000;

const JSON: &str = "application/json;charset=UTF-8";

/// One request as the server received it, for tests to inspect.
///
/// `Debug` redacts the values of `X-Auth-Token` and `X-Security-Token`.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The id sent back in `X-Request-Id` (and in an error body's `request_id`).
    pub request_id: String,
    /// The HTTP method.
    pub method: String,
    /// The path as sent on the wire (still percent-encoded).
    pub path: String,
    /// The raw query, without `?`; `None` when the target had no `?`.
    pub query: Option<String>,
    /// The headers in the order received (values of one repeated name are
    /// grouped at its first position), names lower-case, values decoded as
    /// UTF-8 (lossily).
    pub headers: Vec<(String, String)>,
    /// The body bytes (empty when the body was refused, see `body_complete`).
    pub body: Vec<u8>,
    /// `false` when the body was not read: too large (413) or unreadable.
    pub body_complete: bool,
    /// The response status, once answered; `None` while in flight or when the
    /// connection was dropped by a [`FaultKind::DropConnection`].
    pub status: Option<u16>,
}

impl RecordedRequest {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy UTF-8).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The request as the signature verifier sees it, to re-verify it, e.g.
    /// with [`auth::verify_signature`].
    pub fn as_raw(&self) -> RawRequest<'_> {
        RawRequest {
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &self.headers,
            body: &self.body,
        }
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| match n.as_str() {
                "x-auth-token" | "x-security-token" => (n.as_str(), "<redacted>"),
                _ => (n.as_str(), v.as_str()),
            })
            .collect();
        f.debug_struct("RecordedRequest")
            .field("request_id", &self.request_id)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("body_complete", &self.body_complete)
            .field("status", &self.status)
            .finish()
    }
}

/// State shared by the server handle and the connection tasks.
struct Shared {
    config: Config,
    states: Mutex<States>,
    faults: Mutex<Vec<Fault>>,
    log: Mutex<Vec<RecordedRequest>>,
    throttling: Option<Throttling>,
}

/// Lock, ignoring poisoning: every critical section leaves the data consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn take_fault(&self, cluster_id: &str) -> Option<FaultKind> {
        let mut faults = lock(&self.faults);
        let i = faults.iter().position(|f| f.matches(cluster_id))?;
        let kind = faults[i].kind.clone();
        faults[i].count -= 1;
        if faults[i].count == 0 {
            faults.remove(i);
        }
        Some(kind)
    }

    fn set_status(&self, request_id: &str, status: u16) {
        let mut log = lock(&self.log);
        if let Some(r) = log.iter_mut().rev().find(|r| r.request_id == request_id) {
            r.status = Some(status);
        }
    }
}

/// A running loopback server. Dropping it stops it too (without waiting).
pub struct Server {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Bind `listen` (`127.0.0.1:0` picks a free port) and serve in the
    /// background on the current tokio runtime.
    /// A [`Config::rate_limit`] that is not positive and finite is refused
    /// (`InvalidInput`).
    pub async fn start(config: Config, listen: SocketAddr) -> std::io::Result<Server> {
        let throttling = match config.rate_limit {
            Some(rate) if rate.is_finite() && rate > 0.0 => Some(Throttling::new(rate)),
            Some(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "rate_limit must be a number of requests per second above zero",
                ));
            }
            None => None,
        };
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            throttling,
            config,
            states: Mutex::new(States::default()),
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
        });
        let (stop, stopped) = watch::channel(false);
        let app = router(shared.clone());
        let task = tokio::spawn(accept_loop(listener, app, stopped));
        Ok(Server {
            shared,
            addr,
            stop,
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The configuration the server runs with.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Add a fault. Faults are consulted in the order added; the first one
    /// matching a request's cluster id answers it and counts down.
    pub fn inject(&self, fault: Fault) {
        if fault.count > 0 {
            lock(&self.shared.faults).push(fault);
        }
    }

    /// The faults not yet used up, with their remaining counts.
    pub fn pending_faults(&self) -> Vec<Fault> {
        lock(&self.shared.faults).clone()
    }

    /// Forget every pending fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).clone()
    }

    /// How many requests were received so far.
    pub fn request_count(&self) -> usize {
        lock(&self.shared.log).len()
    }

    /// Forget the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// End every running synchronization task now, as if its time had come.
    pub fn finish_syncs_now(&self) {
        lock(&self.shared.states).finish_all_now(Instant::now());
    }

    /// Stop accepting, close every connection and wait for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

pub(crate) async fn accept_loop(
    listener: TcpListener,
    app: Router,
    mut stopped: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(serve_connection(stream, app.clone(), stopped.clone()));
                }
                // Out of file descriptors and the like: back off, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            _ = stopped.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}

/// Lets a handler close its connection without answering.
#[derive(Clone)]
struct ConnectionKill(Arc<Notify>);

async fn serve_connection(stream: TcpStream, app: Router, mut stopped: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let handle = ConnectionKill(kill.clone());
    let service =
        hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(handle.clone());
            let mut app = app.clone();
            async move { app.call(req.map(Body::new)).await }
        });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(stream), service);
    // Dropping the connection future closes the socket.
    tokio::select! {
        _ = connection => {}
        _ = kill.notified() => {}
        _ = stopped.changed() => {}
    }
}

/// The operations of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ListClusterSyncTaskStatus,
    ListClusterSyncStatus,
    ShowSyncIamUser,
    UpdateSyncIamUser,
    CancelSyncIamUser,
}

impl Op {
    fn success(self) -> StatusCode {
        match self {
            Op::UpdateSyncIamUser | Op::CancelSyncIamUser => StatusCode::ACCEPTED,
            _ => StatusCode::OK,
        }
    }
}

/// The operation for a method on a path tail, or the allowed methods.
fn op_for(method: &Method, tail: &str) -> Option<Result<Op, &'static str>> {
    Some(match (tail, method.as_str()) {
        ("iam-sync", "GET" | "HEAD") => Ok(Op::ListClusterSyncTaskStatus),
        ("iam-sync", _) => Err("GET, HEAD"),
        ("iam-sync/is-synchronous", "GET" | "HEAD") => Ok(Op::ListClusterSyncStatus),
        ("iam-sync/is-synchronous", _) => Err("GET, HEAD"),
        ("iam-sync-user", "GET" | "HEAD") => Ok(Op::ShowSyncIamUser),
        ("iam-sync-user", "POST") => Ok(Op::UpdateSyncIamUser),
        ("iam-sync-user", "DELETE") => Ok(Op::CancelSyncIamUser),
        ("iam-sync-user", _) => Err("GET, HEAD, POST, DELETE"),
        _ => return None,
    })
}

/// Split `/v2/{project}/clusters/{cluster}/{tail}` into its raw parts.
fn split_path(path: &str) -> Option<(&str, &str, &str)> {
    let rest = path.strip_prefix("/v2/")?;
    let (project, rest) = rest.split_once('/')?;
    let rest = rest.strip_prefix("clusters/")?;
    let (cluster, tail) = rest.split_once('/')?;
    Some((project, cluster, tail))
}

#[derive(Clone)]
struct RequestId(String);

#[derive(Clone)]
struct RawBody(Bytes);

fn router(shared: Arc<Shared>) -> Router {
    const BASE: &str = "/v2/{project_id}/clusters/{cluster_id}";
    Router::new()
        .route(
            &format!("{BASE}/iam-sync"),
            get(dispatch).fallback(dispatch),
        )
        .route(
            &format!("{BASE}/iam-sync/is-synchronous"),
            get(dispatch).fallback(dispatch),
        )
        .route(
            &format!("{BASE}/iam-sync-user"),
            get(dispatch)
                .post(dispatch)
                .delete(dispatch)
                .fallback(dispatch),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), intake))
        .with_state(shared)
}

fn request_id_of(req: &Request) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// Every route (and its wrong-method fallback) lands here: pick the operation
/// from the method and path, or answer 405 / 404.
async fn dispatch(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let tail = split_path(req.uri().path())
        .map(|(_, _, t)| t)
        .unwrap_or_default();
    match op_for(req.method(), tail) {
        Some(Ok(op)) => handle(shared, op, req).await,
        Some(Err(allowed)) => not_allowed(&req, allowed),
        None => not_found_response(&request_id_of(&req)),
    }
}

/// Unknown paths: 404, except the operations' paths with an empty id, which
/// the router cannot match but which are bad parameters (400), not unknown APIs.
async fn not_found(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    if let Some((project, cluster, tail)) = split_path(req.uri().path())
        && (project.is_empty() || cluster.is_empty())
        && !project.contains('/')
        && op_for(req.method(), tail).is_some()
    {
        return dispatch(State(shared), req).await;
    }
    not_found_response(&request_id_of(&req))
}

fn not_found_response(rid: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "APIGW.0101",
        "The API does not exist or has not been published in the environment".into(),
        rid,
    )
}

fn not_allowed(req: &Request, allowed: &'static str) -> Response {
    let mut resp = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "APIGW.0101",
        format!(
            "The API does not exist or has not been published in the environment: \
             method {} is not allowed here (allowed: {allowed})",
            req.method()
        ),
        &request_id_of(req),
    );
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    resp
}

enum BodyProblem {
    TooLarge,
    Unreadable,
}

/// Draws the request id, reads the body within the limit, records the
/// request, and stamps `X-Request-Id` on the response.
async fn intake(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let rid = new_request_id();
    let (mut parts, body) = req.into_parts();
    let max = shared.config.max_body_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let read = if declared.is_some_and(|n| n > u64::try_from(max).unwrap_or(u64::MAX)) {
        Err(BodyProblem::TooLarge)
    } else {
        match Limited::new(body, max).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(e) if e.is::<LengthLimitError>() => Err(BodyProblem::TooLarge),
            Err(_) => Err(BodyProblem::Unreadable),
        }
    };
    let method = parts.method.to_string();
    let path = parts.uri.path().to_owned();
    lock(&shared.log).push(RecordedRequest {
        request_id: rid.clone(),
        method: method.clone(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_owned),
        headers: header_pairs(&parts.headers),
        body: read.as_ref().map(|b| b.to_vec()).unwrap_or_default(),
        body_complete: read.is_ok(),
        status: None,
    });
    let mut resp = match read {
        Err(BodyProblem::TooLarge) => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "APIGW.0201",
            format!("Request entity too large: the body exceeds the limit of {max} bytes"),
            &rid,
        ),
        Err(BodyProblem::Unreadable) => error(
            StatusCode::BAD_REQUEST,
            "APIGW.0201",
            "Bad request: the request body could not be read".into(),
            &rid,
        ),
        Ok(bytes) => {
            if !shared.config.latency.is_zero() {
                tokio::time::sleep(shared.config.latency).await;
            }
            parts.extensions.insert(RequestId(rid.clone()));
            parts.extensions.insert(RawBody(bytes.clone()));
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    };
    if let Ok(v) = HeaderValue::from_str(&rid) {
        resp.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), v);
    }
    let status = resp.status().as_u16();
    shared.set_status(&rid, status);
    if shared.config.log_requests {
        eprintln!("{method} {path} -> {status} (request id {rid})");
    }
    resp
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// 32 random lower-case hex digits.
fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: still unique within the process.
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes[..8].copy_from_slice(&(nanos as u64).to_le_bytes());
        bytes[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    raw_response(status, JSON, value.to_string())
}

fn raw_response(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn error(status: StatusCode, code: &str, msg: String, rid: &str) -> Response {
    json_response(
        status,
        &json!({"error_code": code, "error_msg": msg, "request_id": rid}),
    )
}

fn invalid(msg: String, rid: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "12000002",
        format!("Invalid parameter: {msg}"),
        rid,
    )
}

/// A value for an error message: JSON-escaped by the caller's serializer,
/// shortened here so that a huge input does not come back whole.
fn shown(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("{}...", s.chars().take(80).collect::<String>())
    } else {
        s.to_owned()
    }
}

fn decode_segment(raw: &str) -> Option<String> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// The decoded path parameter, or the message saying why it is invalid.
fn check_id(raw: &str, name: &str, extra: &[char], rule: &str) -> Result<String, String> {
    let bad = |value: &str| format!("{name} '{}' must be {rule}", shown(value));
    let Some(value) = decode_segment(raw) else {
        return Err(bad(raw));
    };
    let ok = (1..=64).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c));
    if ok { Ok(value) } else { Err(bad(&value)) }
}

/// The system clock moved by `offset` seconds.
fn server_clock(offset: i64) -> SystemTime {
    let now = SystemTime::now();
    let delta = Duration::from_secs(offset.unsigned_abs());
    let moved = if offset >= 0 {
        now.checked_add(delta)
    } else {
        now.checked_sub(delta)
    };
    moved.unwrap_or(now)
}

/// Authentication, faults, validation, the operation.
async fn handle(shared: Arc<Shared>, op: Op, req: Request) -> Response {
    let rid = request_id_of(&req);
    let body = req
        .extensions()
        .get::<RawBody>()
        .map(|b| b.0.clone())
        .unwrap_or_default();
    let path = req.uri().path().to_owned();
    let headers = header_pairs(req.headers());
    let raw = RawRequest {
        method: req.method().as_str(),
        path: &path,
        query: req.uri().query(),
        headers: &headers,
        body: &body,
    };
    let config = &shared.config;
    let issued = config.key_ring.keys();
    let mut keys = config.access_keys.clone();
    keys.extend(issued.iter().map(|k| k.key.clone()));
    let principal = match auth::authenticate(
        &raw,
        &keys,
        &config.tokens,
        server_clock(config.clock_offset_secs),
        config.max_clock_skew,
    ) {
        Ok(principal) => principal,
        Err(e) => {
            return error(
                StatusCode::UNAUTHORIZED,
                "APIGW.0301",
                format!("Incorrect IAM authentication information: {e}"),
                &rid,
            );
        }
    };
    // A temporary key counts only with its own security token.
    if let auth::Principal::AccessKey(ak) = &principal
        && issued.iter().any(|k| {
            &k.key.ak == ak
                && auth::header_value(&headers, "x-security-token").as_deref()
                    != Some(k.security_token.as_str())
        })
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "APIGW.0301",
            "Incorrect IAM authentication information: the security token does not match the access key".into(),
            &rid,
        );
    }
    if let Some(throttling) = &shared.throttling {
        let caller = match &principal {
            auth::Principal::AccessKey(ak) => ak.as_str(),
            auth::Principal::Token => "",
        };
        if let Err(wait) = throttling.admit(caller, tokio::time::Instant::now()) {
            return throttled(config.rate_limit.unwrap_or_default(), wait, &rid);
        }
    }

    let (raw_project, raw_cluster, _) = split_path(&path).unwrap_or_default();
    let cluster_for_faults = decode_segment(raw_cluster).unwrap_or_default();
    match shared.take_fault(&cluster_for_faults) {
        None => operate(&shared, op, raw_project, raw_cluster, &body, &rid),
        Some(FaultKind::Delay(d)) => {
            tokio::time::sleep(d).await;
            operate(&shared, op, raw_project, raw_cluster, &body, &rid)
        }
        Some(FaultKind::DropConnection) => drop_connection(&shared, &req, &rid).await,
        Some(FaultKind::DropConnectionAfterProcessing) => {
            let _ = operate(&shared, op, raw_project, raw_cluster, &body, &rid);
            drop_connection(&shared, &req, &rid).await
        }
        Some(other) => fault_response(&other, op, &rid),
    }
}

/// The gateway's answer over the rate limit, as Huawei Cloud's API gateway
/// words it.
fn throttled(rate: f64, wait: Duration, rid: &str) -> Response {
    let mut resp = error(
        StatusCode::TOO_MANY_REQUESTS,
        "APIGW.0308",
        format!(
            "The throttling threshold has been reached: policy user over ratelimit,limit:{rate},time:1 second"
        ),
        rid,
    );
    resp.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(retry_after_seconds(wait)),
    );
    resp
}

/// Close the request's connection without answering: never returns (the
/// connection task drops this future with the connection).
fn drop_connection(
    shared: &Shared,
    req: &Request,
    rid: &str,
) -> impl Future<Output = Response> + Send + 'static {
    let kill = req.extensions().get::<ConnectionKill>().cloned();
    if kill.is_some() && shared.config.log_requests {
        eprintln!(
            "{} {} -> connection dropped (fault, request id {rid})",
            req.method(),
            req.uri().path()
        );
    }
    async move {
        let Some(kill) = kill else {
            // Not served by our accept loop: nothing to close; answer like a proxy would.
            return raw_response(StatusCode::BAD_GATEWAY, "text/plain", "");
        };
        kill.0.notify_one();
        std::future::pending().await
    }
}

/// Validation and the operation itself.
fn operate(
    shared: &Shared,
    op: Op,
    raw_project: &str,
    raw_cluster: &str,
    body: &[u8],
    rid: &str,
) -> Response {
    let config = &shared.config;
    let project_id = match check_id(
        raw_project,
        "project_id",
        &[],
        "1 to 64 ASCII letters and digits",
    ) {
        Ok(v) => v,
        Err(msg) => return invalid(msg, rid),
    };
    let cluster_id = match check_id(
        raw_cluster,
        "cluster_id",
        &['_', '-'],
        "1 to 64 ASCII letters, digits, '_' and '-'",
    ) {
        Ok(v) => v,
        Err(msg) => return invalid(msg, rid),
    };
    if !config.clusters.contains(&cluster_id) {
        return error(
            StatusCode::BAD_REQUEST,
            "12000003",
            format!("The cluster does not exist. cluster_id: {cluster_id}"),
            rid,
        );
    }

    let now = Instant::now();
    match op {
        Op::ListClusterSyncTaskStatus => {
            let running = lock(&shared.states)
                .get(&project_id, &cluster_id)
                .is_synchronizing(now);
            json_response(StatusCode::OK, &json!({"is_synchronizing": running}))
        }
        Op::ListClusterSyncStatus => {
            let done = lock(&shared.states)
                .get(&project_id, &cluster_id)
                .is_synchronous(now);
            json_response(StatusCode::OK, &json!({"is_synchronous": done}))
        }
        Op::ShowSyncIamUser => {
            let (users, groups) = lock(&shared.states)
                .get(&project_id, &cluster_id)
                .principals(now);
            let mut out = Map::new();
            if !(config.omit_empty_lists && users.is_empty()) {
                out.insert("user_names".into(), json!(users));
            }
            if !(config.omit_empty_lists && groups.is_empty()) {
                out.insert("group_names".into(), json!(groups));
            }
            json_response(StatusCode::OK, &Value::Object(out))
        }
        Op::UpdateSyncIamUser => {
            let request = match parse_update(body) {
                Ok(r) => r,
                Err(msg) => return invalid(msg, rid),
            };
            let started = lock(&shared.states)
                .get(&project_id, &cluster_id)
                .start_sync(&request, config, now, config.sync_duration);
            match started {
                Ok(()) => json_response(StatusCode::ACCEPTED, &json!({"state": "synchronizing"})),
                Err(SyncRefused::AlreadyRunning) => error(
                    StatusCode::CONFLICT,
                    "MRS.0409",
                    format!(
                        "A synchronization task is already running on cluster {cluster_id}; \
                         wait until ListClusterSyncTaskStatus answers is_synchronizing=false"
                    ),
                    rid,
                ),
                Err(SyncRefused::Unknown { users, groups }) => {
                    let mut parts = Vec::new();
                    if !users.is_empty() {
                        parts.push(format!("unknown IAM users: {}", list(&users)));
                    }
                    if !groups.is_empty() {
                        parts.push(format!("unknown IAM groups: {}", list(&groups)));
                    }
                    invalid(parts.join("; "), rid)
                }
            }
        }
        Op::CancelSyncIamUser => {
            let (users, groups) = match parse_cancel(body) {
                Ok(r) => r,
                Err(msg) => return invalid(msg, rid),
            };
            lock(&shared.states)
                .get(&project_id, &cluster_id)
                .cancel(&users, &groups, now);
            json_response(StatusCode::ACCEPTED, &json!({"state": "synchronizing"}))
        }
    }
}

fn list(names: &[String]) -> String {
    let shown: Vec<String> = names
        .iter()
        .take(20)
        .map(|n| format!("'{}'", shown(n)))
        .collect();
    let more = names.len().saturating_sub(20);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

fn fault_response(kind: &FaultKind, op: Op, rid: &str) -> Response {
    match kind {
        FaultKind::Status500 => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"error_code": "MRS.0011", "message": "Internal service error.", "request_id": rid}),
        ),
        FaultKind::Status503 => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "MRS.0503",
            "Service temporarily unavailable, please retry later.".into(),
            rid,
        ),
        FaultKind::TooManyRequests { retry_after } => {
            let mut resp = error(
                StatusCode::TOO_MANY_REQUESTS,
                "APIGW.0308",
                "The throttling threshold has been reached: policy user over ratelimit".into(),
                rid,
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after.header_value()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        FaultKind::MalformedJson => {
            let body = match op {
                Op::ListClusterSyncTaskStatus => "{\"is_synchronizing\": tru",
                Op::ListClusterSyncStatus => "{\"is_synchronous\": fal",
                Op::ShowSyncIamUser => "{\"user_names\": [\"user1\", ",
                Op::UpdateSyncIamUser | Op::CancelSyncIamUser => "{\"state\": \"synchron",
            };
            raw_response(op.success(), JSON, body)
        }
        FaultKind::HtmlErrorPage => raw_response(
            StatusCode::BAD_GATEWAY,
            "text/html",
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
             <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
             </body>\r\n</html>\r\n",
        ),
        FaultKind::EmptyBody => raw_response(op.success(), JSON, ""),
        FaultKind::MissingField => raw_response(op.success(), JSON, "{}"),
        // Handled by the caller; answer something sane if reached anyway.
        FaultKind::Delay(_)
        | FaultKind::DropConnection
        | FaultKind::DropConnectionAfterProcessing => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "MRS.0011",
            "Internal service error.".into(),
            rid,
        ),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the request body is required: a JSON object".into());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(format!(
            "the request body must be a JSON object, not {}",
            type_name(&other)
        )),
        Err(e) => Err(format!("the request body is not valid JSON: {e}")),
    }
}

/// An optional list of strings; `null` counts as absent.
fn names(m: &Map<String, Value>, field: &str, max: Option<usize>) -> Result<Vec<String>, String> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            if let Some(max) = max
                && items.len() > max
            {
                return Err(format!(
                    "{field} has {} items, at most {max} are allowed",
                    items.len()
                ));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(format!(
                        "{field}[{i}] must be a string, not {}",
                        type_name(other)
                    )),
                })
                .collect()
        }
        Some(other) => Err(format!(
            "{field} must be an array of strings, not {}",
            type_name(other)
        )),
    }
}

fn parse_update(body: &[u8]) -> Result<SyncRequest, String> {
    let m = parse_object(body)?;
    let is_all_sync = match m.get("is_all_sync") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(format!(
                "is_all_sync must be a boolean, not {}",
                type_name(other)
            ));
        }
    };
    Ok(SyncRequest {
        is_all_sync,
        user_names: names(&m, "user_names", None)?,
        group_names: names(&m, "group_names", None)?,
    })
}

fn parse_cancel(body: &[u8]) -> Result<(Vec<String>, Vec<String>), String> {
    let m = parse_object(body)?;
    Ok((
        names(&m, "user_names", Some(MAX_CANCEL_NAMES))?,
        names(&m, "group_names", Some(MAX_CANCEL_NAMES))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split() {
        assert_eq!(
            split_path("/v2/p/clusters/c/iam-sync"),
            Some(("p", "c", "iam-sync"))
        );
        assert_eq!(
            split_path("/v2//clusters//iam-sync-user"),
            Some(("", "", "iam-sync-user"))
        );
        assert_eq!(split_path("/v1/p/clusters/c/iam-sync"), None);
    }

    #[test]
    fn bodies() {
        assert!(parse_update(b"").is_err());
        assert!(parse_update(b"[]").unwrap_err().contains("an array"));
        assert!(
            parse_update(br#"{"is_all_sync":"yes"}"#)
                .unwrap_err()
                .contains("is_all_sync")
        );
        assert!(
            parse_update(br#"{"user_names":["a",1]}"#)
                .unwrap_err()
                .contains("user_names[1]")
        );
        let r = parse_update(br#"{"is_all_sync":null,"user_names":["a"],"other":1}"#).unwrap();
        assert_eq!(r.user_names, ["a"]);
        let many = format!(r#"{{"group_names":[{}]}}"#, vec!["\"g\""; 1001].join(","));
        assert!(
            parse_cancel(many.as_bytes())
                .unwrap_err()
                .contains("1001 items")
        );
    }

    #[test]
    fn request_ids_are_32_hex() {
        let id = new_request_id();
        assert_eq!(id.len(), 32);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(id, new_request_id());
    }
}
