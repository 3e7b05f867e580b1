//! The HTTP side: connection handling, routing, the request pipeline.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use mrs_iam_sync::types;
use mrs_iam_sync::types::error::ConversionError;
use mrs_iam_sync_rules::{self as rules, BodyUse, InvalidValue, Operation, OperationId, PathParam};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::Config;
use crate::auth::{self, RawRequest};
use crate::faults::{Fault, FaultKind};
use crate::state::{States, SyncRefused};
use crate::throttling::{Throttling, retry_after_seconds};

const JSON: &str = "application/json;charset=UTF-8";

/// Every answer of the loopback servers: a whole body.
pub(crate) type Response = http::Response<Full<Bytes>>;

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
    /// A [`Config::rate_limit`] that is not positive and finite, or a
    /// [`Config::rate_burst`] below one request or without a rate, is
    /// refused (`InvalidInput`).
    pub async fn start(config: Config, listen: SocketAddr) -> std::io::Result<Server> {
        let throttling = throttling(&config)
            .map_err(|problem| std::io::Error::new(std::io::ErrorKind::InvalidInput, problem))?;
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
        let handler = {
            let shared = shared.clone();
            move |req, kill| intake(shared.clone(), kill, req)
        };
        let task = tokio::spawn(accept_loop(listener, handler, stopped));
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

/// Serves every connection accepted on `listener` with `handler` until
/// `stopped` changes. The loopback identity services use it too.
pub(crate) async fn accept_loop<H, F>(
    listener: TcpListener,
    handler: H,
    mut stopped: watch::Receiver<bool>,
) where
    H: Fn(http::Request<Incoming>, ConnectionKill) -> F + Clone + Send + 'static,
    F: Future<Output = Response> + Send + 'static,
{
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(serve_connection(stream, handler.clone(), stopped.clone()));
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
pub(crate) struct ConnectionKill(Arc<Notify>);

async fn serve_connection<H, F>(stream: TcpStream, handler: H, mut stopped: watch::Receiver<bool>)
where
    H: Fn(http::Request<Incoming>, ConnectionKill) -> F + Send + 'static,
    F: Future<Output = Response> + Send + 'static,
{
    let _ = stream.set_nodelay(true);
    let kill = ConnectionKill(Arc::new(Notify::new()));
    let notified = kill.0.clone();
    let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
        let answer = handler(req, kill.clone());
        async move { Ok::<_, std::convert::Infallible>(answer.await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(stream), service);
    // Dropping the connection future closes the socket.
    tokio::select! {
        _ = connection => {}
        _ = notified.notified() => {}
        _ = stopped.changed() => {}
    }
}

/// A request routed to an operation of the spec.
struct Routed<'a> {
    op: &'static Operation,
    parts: &'a Parts,
    /// The raw (percent-encoded) path parameters, by name.
    params: Vec<(&'static str, &'a str)>,
    body: Bytes,
    rid: &'a str,
}

impl Routed<'_> {
    fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .unwrap_or_default()
    }
}

enum BodyProblem {
    TooLarge,
    Unreadable,
}

/// Draws the request id, reads the body within the limit, records the
/// request, routes it, and stamps `X-Request-Id` on the response.
async fn intake(
    shared: Arc<Shared>,
    kill: ConnectionKill,
    req: http::Request<Incoming>,
) -> Response {
    let rid = new_request_id();
    let (parts, body) = req.into_parts();
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
        Ok(body) => {
            if !shared.config.latency.is_zero() {
                tokio::time::sleep(shared.config.latency).await;
            }
            route(&shared, &kill, &parts, body, &rid).await
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

/// Finds the operation of the spec for the method and path: an unknown path
/// → 404, a known path with another method → 405 with `Allow`. A GET
/// operation answers HEAD too. A parameter matches any one segment, an empty
/// one included, so that an empty id is a bad parameter (400), not an
/// unknown API.
async fn route(
    shared: &Shared,
    kill: &ConnectionKill,
    parts: &Parts,
    body: Bytes,
    rid: &str,
) -> Response {
    let path = parts.uri.path();
    let on_path: Vec<(&'static Operation, Vec<(&'static str, &str)>)> = rules::OPERATIONS
        .iter()
        .filter_map(|op| op.match_path(path).map(|params| (op, params)))
        .collect();
    if on_path.is_empty() {
        return not_found(rid);
    }
    let serves = |op: &Operation| {
        op.method == parts.method.as_str() || (parts.method == Method::HEAD && op.method == "GET")
    };
    let Some((op, params)) = on_path.iter().find(|(op, _)| serves(op)) else {
        let mut allowed: Vec<&str> = Vec::new();
        for (op, _) in &on_path {
            allowed.push(op.method);
            if op.method == "GET" {
                allowed.push("HEAD");
            }
        }
        return not_allowed(&parts.method, &allowed.join(", "), rid);
    };
    let routed = Routed {
        op,
        parts,
        params: params.clone(),
        body,
        rid,
    };
    handle(shared, kill, &routed).await
}

fn not_found(rid: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "APIGW.0101",
        "The API does not exist or has not been published in the environment".into(),
        rid,
    )
}

fn not_allowed(method: &Method, allowed: &str, rid: &str) -> Response {
    let mut resp = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "APIGW.0101",
        format!(
            "The API does not exist or has not been published in the environment: \
             method {method} is not allowed here (allowed: {allowed})"
        ),
        rid,
    );
    if let Ok(value) = HeaderValue::from_str(allowed) {
        resp.headers_mut().insert(header::ALLOW, value);
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

fn json_response(status: StatusCode, value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
    raw_response(status, JSON, body)
}

/// An answer of the spec's generated response type, made with its builder
/// (the response types are `#[non_exhaustive]`, as every dependant sees
/// them).
fn built_response<T>(
    status: StatusCode,
    builder: impl TryInto<T, Error = ConversionError>,
    rid: &str,
) -> Response
where
    T: serde::Serialize,
{
    match builder.try_into() {
        Ok(answer) => json_response(status, &answer),
        Err(e) => unbuildable(&e, rid),
    }
}

/// A response type the server could not build (a required field it does
/// not set, after a spec change): 500, saying so.
fn unbuildable(e: &ConversionError, rid: &str) -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "MRS.0011",
        format!("the loopback server cannot build its answer: {e}"),
        rid,
    )
}

fn raw_response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response {
    let mut resp = Response::new(Full::new(body.into()));
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

/// 400 `12000002` for a broken rule of the spec.
fn invalid(msg: impl fmt::Display, rid: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "12000002",
        format!("Invalid parameter: {msg}"),
        rid,
    )
}

/// "cluster_id \"a b\" doesn't match …; it must be …": the field and the
/// generated rule it broke.
fn rule_broken(broken: &InvalidValue) -> String {
    format!("{} {}", broken.field, broken.rule)
}

/// A value for an error message, shortened so that a huge input does not
/// come back whole.
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

/// A path parameter, decoded and checked against its generated rule.
fn path_param<T>(routed: &Routed<'_>, rule: &PathParam) -> Result<T, InvalidValue>
where
    T: std::str::FromStr<Err = InvalidValue>,
{
    let raw = routed.param(rule.name);
    let Some(value) = decode_segment(raw) else {
        return Err(InvalidValue::new(
            rule.name,
            format!(
                "'{}' is not percent-encoded UTF-8; it {}",
                shown(raw),
                rule.text
            ),
        ));
    };
    value.parse()
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
async fn handle(shared: &Shared, kill: &ConnectionKill, routed: &Routed<'_>) -> Response {
    let rid = routed.rid;
    let parts = routed.parts;
    let headers = header_pairs(&parts.headers);
    let raw = RawRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &headers,
        body: &routed.body,
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
                rid,
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
            rid,
        );
    }
    if let Some(throttling) = &shared.throttling {
        let caller = match &principal {
            auth::Principal::AccessKey(ak) => ak.as_str(),
            auth::Principal::Token => "",
        };
        if let Err(wait) = throttling.admit(caller, tokio::time::Instant::now()) {
            return throttled(config.rate_limit.unwrap_or_default(), wait, rid);
        }
    }

    let cluster_for_faults =
        decode_segment(routed.param(rules::CLUSTER_ID.name)).unwrap_or_default();
    match shared.take_fault(&cluster_for_faults) {
        None => operate(shared, routed),
        Some(FaultKind::Delay(d)) => {
            tokio::time::sleep(d).await;
            operate(shared, routed)
        }
        Some(FaultKind::DropConnection) => drop_connection(shared, kill, routed).await,
        Some(FaultKind::DropConnectionAfterProcessing) => {
            let _ = operate(shared, routed);
            drop_connection(shared, kill, routed).await
        }
        Some(other) => fault_response(&other, routed.op, rid),
    }
}

/// The gateway's token buckets of `config`, if it limits the rate.
fn throttling(config: &Config) -> Result<Option<Throttling>, &'static str> {
    match (config.rate_limit, config.rate_burst) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err("rate_burst needs a rate_limit"),
        (Some(rate), _) if !(rate.is_finite() && rate > 0.0) => {
            Err("rate_limit must be a number of requests per second above zero")
        }
        (Some(_), Some(burst)) if !(burst.is_finite() && burst >= 1.0) => {
            Err("rate_burst must be a number of requests of at least 1")
        }
        (Some(rate), burst) => Ok(Some(Throttling::new(rate, burst.unwrap_or(rate.max(1.0))))),
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
async fn drop_connection(shared: &Shared, kill: &ConnectionKill, routed: &Routed<'_>) -> Response {
    if shared.config.log_requests {
        eprintln!(
            "{} {} -> connection dropped (fault, request id {})",
            routed.parts.method,
            routed.parts.uri.path(),
            routed.rid
        );
    }
    kill.0.notify_one();
    std::future::pending().await
}

/// Validation and the operation itself.
fn operate(shared: &Shared, routed: &Routed<'_>) -> Response {
    let rid = routed.rid;
    let config = &shared.config;
    let project_id: types::ProjectId = match path_param(routed, &rules::PROJECT_ID) {
        Ok(v) => v,
        Err(broken) => return invalid(rule_broken(&broken), rid),
    };
    let cluster_id: types::ClusterId = match path_param(routed, &rules::CLUSTER_ID) {
        Ok(v) => v,
        Err(broken) => return invalid(rule_broken(&broken), rid),
    };
    if !config
        .clusters
        .iter()
        .any(|c| c.as_str() == cluster_id.as_str())
    {
        return error(
            StatusCode::BAD_REQUEST,
            "12000003",
            format!(
                "The cluster does not exist. cluster_id: {}",
                cluster_id.as_str()
            ),
            rid,
        );
    }

    let now = Instant::now();
    let states = || lock(&shared.states);
    let (project_id, cluster_id) = (project_id.as_str(), cluster_id.as_str());
    match routed.op.id {
        OperationId::ListClusterSyncTaskStatus => {
            let is_synchronizing = states().get(project_id, cluster_id).is_synchronizing(now);
            let answer = types::SyncTaskStatus::builder().is_synchronizing(is_synchronizing);
            built_response::<types::SyncTaskStatus>(StatusCode::OK, answer, rid)
        }
        OperationId::ListClusterSyncStatus => {
            let is_synchronous = states().get(project_id, cluster_id).is_synchronous(now);
            let answer = types::ClusterSyncStatus::builder().is_synchronous(is_synchronous);
            built_response::<types::ClusterSyncStatus>(StatusCode::OK, answer, rid)
        }
        OperationId::ShowSyncIamUser => {
            let (user_names, group_names) = states().get(project_id, cluster_id).principals(now);
            let principals = types::SyncedIamPrincipals::builder()
                .user_names(user_names)
                .group_names(group_names);
            let principals = match types::SyncedIamPrincipals::try_from(principals) {
                Ok(principals) => principals,
                Err(e) => return unbuildable(&e, rid),
            };
            let mut answer = serde_json::to_value(&principals).unwrap_or_default();
            if !config.omit_empty_lists
                && let Value::Object(fields) = &mut answer
            {
                // The generated type leaves out empty lists, as the service
                // may; by default this server sends them.
                for name in ["user_names", "group_names"] {
                    fields.entry(name).or_insert_with(|| json!([]));
                }
            }
            json_response(StatusCode::OK, &answer)
        }
        OperationId::UpdateSyncIamUser => {
            let request: types::UpdateSyncIamUserRequest = match request_body(routed) {
                Ok(r) => r,
                Err(refusal) => return refusal.response(rid),
            };
            let started = states().get(project_id, cluster_id).start_sync(
                &request,
                config,
                now,
                config.sync_duration,
            );
            match started {
                Ok(()) => accepted(rid),
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
        OperationId::CancelSyncIamUser => {
            let request: types::CancelSyncIamUserRequest = match request_body(routed) {
                Ok(r) => r,
                Err(refusal) => return refusal.response(rid),
            };
            states().get(project_id, cluster_id).cancel(
                &request.user_names,
                &request.group_names,
                now,
            );
            accepted(rid)
        }
    }
}

/// 202 `{"state":"synchronizing"}`, as the API reference shows.
fn accepted(rid: &str) -> Response {
    let state = types::SyncTaskAccepted::builder().state("synchronizing");
    built_response::<types::SyncTaskAccepted>(StatusCode::ACCEPTED, state, rid)
}

/// Why a request body was refused.
enum BodyRefusal {
    /// Not sent as `application/json`: 415.
    NotJson(String),
    /// Not what the spec allows: 400.
    Invalid(String),
}

impl BodyRefusal {
    fn response(self, rid: &str) -> Response {
        match self {
            BodyRefusal::NotJson(sent) => error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "12000002",
                format!(
                    "Invalid parameter: the request body must be sent as application/json, not {sent}"
                ),
                rid,
            ),
            BodyRefusal::Invalid(problem) => invalid(problem, rid),
        }
    }
}

/// The request body as the generated type, checked against every rule of
/// the spec; or why it is refused: not sent as JSON, not a JSON object,
/// `null` or a wrong type for a field, a broken rule. An absent or empty
/// body means `{}` where the spec makes the body optional.
fn request_body<T: DeserializeOwned>(routed: &Routed<'_>) -> Result<T, BodyRefusal> {
    let body: &[u8] = &routed.body;
    let object = if body.iter().all(u8::is_ascii_whitespace) {
        if routed.op.body == BodyUse::Required {
            return Err(BodyRefusal::Invalid(
                "the request body is required: a JSON object".into(),
            ));
        }
        Value::Object(Default::default())
    } else {
        if !is_json(&routed.parts.headers) {
            let sent = routed
                .parts
                .headers
                .get(header::CONTENT_TYPE)
                .map(|v| shown(&String::from_utf8_lossy(v.as_bytes())));
            return Err(BodyRefusal::NotJson(
                sent.unwrap_or_else(|| "without a Content-Type".to_owned()),
            ));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(value @ Value::Object(_)) => value,
            Ok(other) => {
                return Err(BodyRefusal::Invalid(format!(
                    "the request body must be a JSON object, not {}",
                    type_name(&other)
                )));
            }
            Err(e) => {
                return Err(BodyRefusal::Invalid(format!(
                    "the request body is not valid JSON: {e}"
                )));
            }
        }
    };
    let request: T = serde_path_to_error::deserialize(&object)
        .map_err(|e| BodyRefusal::Invalid(format!("{} {}", e.path(), e.inner())))?;
    if let Some(body_rules) = routed.op.body_rules {
        body_rules
            .check_value(&object)
            .map_err(|broken| BodyRefusal::Invalid(rule_broken(&broken)))?;
    }
    Ok(request)
}

/// Whether the request says its body is JSON (`application/json`, any
/// parameters, any case).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
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

fn fault_response(kind: &FaultKind, op: &Operation, rid: &str) -> Response {
    let success = StatusCode::from_u16(op.success_status).unwrap_or(StatusCode::OK);
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
            let body = match op.id {
                OperationId::ListClusterSyncTaskStatus => "{\"is_synchronizing\": tru",
                OperationId::ListClusterSyncStatus => "{\"is_synchronous\": fal",
                OperationId::ShowSyncIamUser => "{\"user_names\": [\"user1\", ",
                OperationId::UpdateSyncIamUser | OperationId::CancelSyncIamUser => {
                    "{\"state\": \"synchron"
                }
            };
            raw_response(success, JSON, body)
        }
        FaultKind::HtmlErrorPage => raw_response(
            StatusCode::BAD_GATEWAY,
            "text/html",
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
             <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
             </body>\r\n</html>\r\n",
        ),
        FaultKind::EmptyBody => raw_response(success, JSON, ""),
        FaultKind::MissingField => raw_response(success, JSON, "{}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("application/json;charset=utf-8"));
        assert!(with("Application/JSON; charset=UTF-8"));
        assert!(!with("text/plain"));
        assert!(!with("multipart/form-data; boundary=x"));
        assert!(!with("application/jsonx"));
        assert!(!is_json(&HeaderMap::new()));
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
