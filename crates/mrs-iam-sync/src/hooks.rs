//! How each generated call is sent. progenitor calls the runtime through
//! [`ClientHooks`]: `pre` shapes each request like the official SDK's,
//! `exec` signs, sends and retries each attempt ([`send_with_retries`]).
//!
//! The request log is emitted here as `tracing` events, never more than
//! names and public values: `mrs_iam_sync::request` (DEBUG, one per
//! attempt, with its retry decision), `mrs_iam_sync::credentials` and
//! `mrs_iam_sync::throttle` (TRACE: the credential source and signed header
//! names, the limiter's state). Installing a subscriber is the application's.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use hwcloud_auth::transport::is_proxy_refusal;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderName, HeaderValue, USER_AGENT};
use tokio::time::Instant;
use tracing::Instrument;

use crate::Client;
use crate::body::{BodyTooLarge, Limited, normalize_error_body};
use crate::error::{Carried, Error, request_id_header};
use crate::failover::{Endpoints, Failures, Round, undeliverable};
use crate::retry::{is_idempotent, is_retryable_status, may_retry_error, retry_after};
use crate::runtime::{Runtime, Settings};
use crate::throttle::{Answer, Throttle, is_throttling};

/// The service's request id header.
static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the official SDK sends as the content type of a JSON body, and of a
/// request without one.
const JSON_BODY_CONTENT_TYPE: &str = "application/json;charset=utf-8";
const NO_BODY_CONTENT_TYPE: &str = "application/json";

impl ClientHooks<Runtime> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        // The generated types hold what typify enforces; the spec's other
        // rules of a body (`maxItems`, non-empty names) are checked here, so
        // that a builder call never sends a body the spec refuses.
        if let Some(body) = request.body().and_then(reqwest::Body::as_bytes) {
            mrs_iam_sync_rules::check_request_body(info.operation_id, body)
                .map_err(|broken| progenitor_client::Error::InvalidRequest(broken.to_string()))?;
        }
        let has_body = request.body().is_some();
        let headers = request.headers_mut();
        // The official SDK states the content type on every request.
        let content_type = if has_body {
            JSON_BODY_CONTENT_TYPE
        } else {
            NO_BODY_CONTENT_TYPE
        };
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(USER_AGENT, self.inner().settings().user_agent.clone());
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        // The attempts' events carry the method and URL themselves.
        let span = tracing::info_span!("mrs_iam_sync.call", operation = info.operation_id);
        // Boxed: the attempt loop's state (request, retry copy, timers,
        // credentials) is most of a call's future; unboxed, every future
        // that awaits a call (the generated `send`, `is_synchronizing`, a
        // fan-out's tasks) carried its 4 KB and was copied whole on each move.
        let settings = self.inner().settings();
        Box::pin(send_with_retries(settings, request, settings.endpoints.as_ref()).instrument(span))
            .await
    }
}

/// Sends `request` through the runtime's HTTP client, signing each attempt
/// afresh, retrying per the policy (see [`crate::retry`]) within the call's
/// deadline; with several `endpoints` (MRS calls), moving to the next one
/// when an attempt could not be delivered (see [`crate::failover`]).
pub(crate) async fn send_with_retries(
    settings: &Settings,
    request: reqwest::Request,
    endpoints: Option<&Endpoints>,
) -> reqwest::Result<reqwest::Response> {
    let http = &settings.http;
    let started = Instant::now();
    let deadline = started + settings.timeouts.total;
    let idempotent = is_idempotent(request.method());
    let mut pending = request;
    let mut attempt: u32 = 1;
    let throttle = &settings.throttle;
    let mut retry_permit = None;
    let mut round = endpoints
        .filter(|endpoints| endpoints.failover())
        .map(Round::new);
    let mut failures = Failures::default();
    loop {
        // The client-wide pace (see `crate::throttle`); free until throttled.
        // (Clock reads cost more than the rest of this loop's bookkeeping:
        // the first attempt is queued when the call started.)
        let queued = if attempt == 1 {
            started
        } else {
            Instant::now()
        };
        let paced = throttle.ready_to_send(deadline).await;
        log_limiter(throttle, attempt, queued);
        let remaining = deadline.saturating_duration_since(Instant::now());
        if !paced || remaining.is_zero() {
            return Err(error_carrying(Error::deadline(settings.timeouts.total)).await);
        }
        // A copy is kept only when another attempt may follow (bodies here
        // are buffered JSON, so one exists; without it this is the last):
        // a retry, or another endpoint.
        let next = if attempt < settings.retry.max_attempts || round.is_some() {
            pending.try_clone()
        } else {
            None
        };
        let can_retry = next.is_some() && attempt < settings.retry.max_attempts;
        let mut outgoing = pending;
        if let Some(round) = &round {
            round.retarget(&mut outgoing);
        }
        authorize(settings, &mut outgoing).await?;
        let attempt_limit = settings.timeouts.attempt.min(remaining);
        *outgoing.timeout_mut() = Some(attempt_limit);

        let method = outgoing.method().clone();
        let sent_at = Instant::now();
        let result = http.execute(outgoing).await;
        let answered_at = Instant::now();
        if let Ok(response) = &result {
            let answer = if is_throttling(response.status().as_u16(), None) {
                Answer::Throttled {
                    retry_after: asked_wait(settings, response),
                }
            } else {
                Answer::Admitted
            };
            throttle.record(sent_at, answered_at, answer);
        }
        let latency = answered_at - sent_at;
        let proxy_refused = match &result {
            Ok(response) => response.status() == StatusCode::PROXY_AUTHENTICATION_REQUIRED,
            Err(err) => is_proxy_refusal(err),
        };
        let undelivered = matches!(&result, Err(err) if undeliverable(err));
        // The endpoint of this attempt (before a failover moves the round on).
        let attempted = round.as_ref().map(|round| round.index);
        if let Some(round) = &round
            && !undelivered
        {
            round.keep();
        }

        let retryable = match &result {
            _ if proxy_refused => false,
            Ok(response) => is_retryable_status(response.status()),
            Err(err) => may_retry_error(err, idempotent),
        };
        let failover = match &mut round {
            Some(round) if undelivered => round.next(),
            _ => None,
        };
        let decision = if let Some(index) = failover {
            Decision::Failover { index }
        } else if !retryable {
            Decision::Final
        } else if result.is_ok() && !idempotent {
            Decision::NotIdempotent
        } else if !can_retry {
            Decision::NoAttemptsLeft
        } else {
            let (delay, asked) = match &result {
                Ok(response) => delay_for(settings, attempt, response),
                Err(_) => (settings.retry.backoff(attempt + 1, fastrand::f64()), false),
            };
            // A retry within the deadline also needs the retry quota's tokens.
            if Instant::now() + delay >= deadline {
                Decision::PastDeadline
            } else if !throttle
                .retries
                .withdraw(&mut retry_permit, result.as_ref().err())
            {
                Decision::QuotaSpent
            } else {
                Decision::Retry { delay, asked }
            }
        };
        log_attempt(attempt, &method, &result, latency, decision);
        // With several endpoints, an undelivered attempt's error joins the
        // list the call fails with if every endpoint fails.
        let result = match (result, &round, attempted) {
            (Err(err), Some(round), Some(index)) if undelivered => {
                failures.record(index, err);
                Err(round.endpoints)
            }
            (result, ..) => Ok(result),
        };
        match (decision, next) {
            (Decision::Failover { .. }, Some(next)) => {
                pending = next;
            }
            (Decision::Retry { delay, .. }, Some(next)) => {
                tokio::time::sleep(delay).await;
                pending = next;
                attempt += 1;
                if let Some(round) = &mut round {
                    round.restart();
                }
            }
            _ => {
                let result = match result {
                    Ok(result) => result,
                    // The round is over without a connection: every
                    // endpoint failed, each is in `failures`.
                    Err(endpoints) => {
                        let unreachable = failures.into_error(endpoints);
                        return Err(error_carrying(Error::EndpointsUnreachable(unreachable)).await);
                    }
                };
                if matches!(&result, Ok(response) if response.status().is_success()) {
                    throttle.retries.succeeded(retry_permit);
                }
                if proxy_refused {
                    let url = match &result {
                        Ok(response) => Some(response.url()),
                        Err(err) => err.url(),
                    };
                    let proxy = url.and_then(|url| settings.proxies.for_url(url));
                    return Err(error_carrying(Error::ProxyRefused { proxy }).await);
                }
                return match result {
                    Ok(response) => Ok(finish(response, settings.max_response_bytes).await),
                    // The attempt ran into the call's deadline rather than
                    // its own limit: say so.
                    Err(err) if err.is_timeout() && attempt_limit < settings.timeouts.attempt => {
                        Err(error_carrying(Error::deadline(settings.timeouts.total)).await)
                    }
                    Err(err) => Err(err),
                };
            }
        }
    }
}

/// The request log's detail (target `mrs_iam_sync::throttle`, TRACE): the
/// client-wide limiter as an attempt leaves it.
fn log_limiter(throttle: &Throttle, attempt: u32, queued: Instant) {
    if !tracing::enabled!(target: "mrs_iam_sync::throttle", tracing::Level::TRACE) {
        return;
    }
    let report = throttle.report();
    tracing::trace!(
        target: "mrs_iam_sync::throttle",
        attempt,
        waited_ms = queued.elapsed().as_millis() as u64,
        pacing_rate = report.rate,
        throttled = report.throttled,
        retry_tokens = report.retry_tokens,
        retries_refused = report.retries_refused,
        "rate limiter"
    );
}

/// The wait before the next attempt: `Retry-After` on 429 and 503 (then
/// `true`), else jittered exponential backoff.
fn delay_for(settings: &Settings, attempt: u32, response: &reqwest::Response) -> (Duration, bool) {
    match asked_wait(settings, response) {
        Some(delay) => (delay, true),
        None => (settings.retry.backoff(attempt + 1, fastrand::f64()), false),
    }
}

/// The `Retry-After` of a 429 or 503.
fn asked_wait(settings: &Settings, response: &reqwest::Response) -> Option<Duration> {
    let status = response.status().as_u16();
    (status == 429 || status == 503)
        .then(|| response.headers().get(reqwest::header::RETRY_AFTER))
        .flatten()
        .and_then(|value| value.to_str().ok())
        .and_then(|value| retry_after(value, settings.clock.now()))
}

/// What the attempt loop does after an attempt: the request log's last
/// word on each attempt.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Decision {
    /// The answer is the call's: a success, or an error that another
    /// attempt would not change.
    Final,
    /// Sent again after `delay` (`asked`: the server's `Retry-After`).
    Retry { delay: Duration, asked: bool },
    /// Retryable, but the request is not idempotent and was delivered.
    NotIdempotent,
    /// Retryable, but that was the last attempt of the policy.
    NoAttemptsLeft,
    /// Retryable, but the pause would end past the call's deadline.
    PastDeadline,
    /// Retryable, but the client's retry quota is spent.
    QuotaSpent,
    /// Not delivered: sent at once to the next endpoint, this `index`.
    Failover { index: usize },
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Decision::Final => f.write_str("final"),
            Decision::Retry { delay, asked } => {
                write!(f, "retry in {} ms", delay.as_millis())?;
                if *asked {
                    f.write_str(" (Retry-After)")?;
                }
                Ok(())
            }
            Decision::NotIdempotent => f.write_str("final: not idempotent, not retried"),
            Decision::NoAttemptsLeft => f.write_str("give up: no attempts left"),
            Decision::PastDeadline => f.write_str("give up: the call's deadline would pass"),
            Decision::QuotaSpent => f.write_str("give up: retry quota spent"),
            Decision::Failover { index } => write!(f, "not delivered: next endpoint (#{index})"),
        }
    }
}

/// The request log: one event per attempt (target `mrs_iam_sync::request`,
/// DEBUG) with the method, URL, status or error, response size, latency,
/// request id, attempt number and what comes next. Never a header value but
/// the request id's: no credential reaches it.
fn log_attempt(
    attempt: u32,
    method: &http::Method,
    result: &reqwest::Result<reqwest::Response>,
    latency: Duration,
    decision: Decision,
) {
    let latency_ms = latency.as_millis() as u64;
    match result {
        Ok(response) => tracing::debug!(
            target: "mrs_iam_sync::request",
            %method,
            url = %response.url(),
            status = response.status().as_u16(),
            bytes = response.content_length(),
            latency_ms,
            request_id = response
                .headers()
                .get(&REQUEST_ID)
                .and_then(|id| id.to_str().ok())
                .unwrap_or(""),
            attempt,
            %decision,
            "attempt answered"
        ),
        Err(err) => tracing::debug!(
            target: "mrs_iam_sync::request",
            %method,
            url = err.url().map(|url| url.as_str()).unwrap_or(""),
            latency_ms,
            attempt,
            error = %err,
            %decision,
            "attempt failed"
        ),
    }
}

/// Adds the credentials' headers (and signature) with the clock's time,
/// asking the cache for the credentials current at this attempt.
async fn authorize(settings: &Settings, request: &mut reqwest::Request) -> reqwest::Result<()> {
    let Some(cache) = &settings.credentials else {
        return Ok(());
    };
    let provided = match cache.get().await {
        Ok(provided) => provided,
        Err(err) => return Err(error_carrying(Error::Credentials(err)).await),
    };
    let credentials = &provided.credentials;
    if credentials.signs_requests() {
        // Fetched credentials carry no project id: the client's goes along.
        if credentials.project_id().is_none()
            && let Some(value) = settings.project_header()
        {
            request
                .headers_mut()
                .insert(hwcloud_auth::credentials::HEADER_PROJECT_ID, value.clone());
        }
        // The endpoint's `Host`, made once per client; the signer signs it
        // as it would have made it.
        if let Some(host) = settings.hosts.for_url(request.url()) {
            request.headers_mut().insert(HOST, host.clone());
        }
    }
    match sign_with(settings, credentials, request) {
        Ok(()) => {
            log_authorized(settings, &provided, request);
            Ok(())
        }
        Err(err) => Err(error_carrying(Error::Signing(err)).await),
    }
}

/// The request log's detail (target `mrs_iam_sync::credentials`, TRACE):
/// where the credentials came from and which headers the signature covers.
/// Names only: never a key, a token or the signature.
fn log_authorized(
    settings: &Settings,
    provided: &hwcloud_auth::Provided,
    request: &reqwest::Request,
) {
    if !tracing::enabled!(target: "mrs_iam_sync::credentials", tracing::Level::TRACE) {
        return;
    }
    let credentials = &provided.credentials;
    let (kind, algorithm) = match credentials {
        hwcloud_auth::Credentials::Token { .. } => ("IAM token (X-Auth-Token)", None),
        hwcloud_auth::Credentials::Temporary { .. } => {
            ("temporary AK/SK", Some(settings.signing_algorithm))
        }
        _ => ("permanent AK/SK", Some(settings.signing_algorithm)),
    };
    tracing::trace!(
        target: "mrs_iam_sync::credentials",
        url = %request.url(),
        source = provided.source.name(),
        credentials = kind,
        algorithm = algorithm.map(tracing::field::display),
        signed_headers = signed_header_names(request.headers()),
        "request authorized"
    );
}

/// The `SignedHeaders` part of the Authorization header (header names
/// only), or empty when the request is not signed.
fn signed_header_names(headers: &reqwest::header::HeaderMap) -> &str {
    headers
        .get(reqwest::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once("SignedHeaders="))
        .and_then(|(_, rest)| rest.split(',').next())
        .unwrap_or("")
}

fn sign_with(
    settings: &Settings,
    credentials: &hwcloud_auth::Credentials,
    request: &mut reqwest::Request,
) -> Result<(), hwcloud_auth::SignError> {
    // Take the headers out so that the URL and body can be borrowed meanwhile.
    let mut headers = std::mem::take(request.headers_mut());
    let body = request
        .body()
        .and_then(reqwest::Body::as_bytes)
        .unwrap_or_default();
    let signed = credentials.authorize_with(
        settings.signing_algorithm,
        request.method(),
        request.url(),
        &mut headers,
        body,
        settings.clock.now(),
    );
    *request.headers_mut() = headers;
    signed
}

/// Applies the response size limit, and rewrites error bodies into the
/// spec's error schema (see [`normalize_error_body`]) so that the generated
/// code decodes every error answer and keeps its status and headers.
async fn finish(response: reqwest::Response, limit: usize) -> reqwest::Response {
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    // The common case: a success whose declared length is within the limit.
    // hyper reads exactly that many bytes, so it passes through untouched.
    if !is_error
        && response
            .content_length()
            .is_some_and(|length| length <= limit as u64)
    {
        return response;
    }
    // Boxed, like every path that is not the common one: its state would
    // otherwise be carried by the future of every call.
    Box::pin(rebuild(response, limit, is_error)).await
}

/// [`finish`] for an error or a body that may exceed the limit.
async fn rebuild(
    mut response: reqwest::Response,
    limit: usize,
    is_error: bool,
) -> reqwest::Response {
    let status = response.status();
    let version = response.version();
    let mut headers = std::mem::take(response.headers_mut());
    let declared = response.content_length();
    let body = if declared.is_some_and(|length| length > limit as u64) {
        // Refuse without reading it.
        reqwest::Body::wrap_stream(Failing(Some(Box::new(BodyTooLarge { limit }))))
    } else if is_error {
        let raw = read_bounded(&mut response, limit).await;
        let normalized = normalize_error_body(
            status.as_u16(),
            &raw,
            request_id_header(&headers).as_deref(),
        );
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(normalized.len()));
        reqwest::Body::from(normalized)
    } else {
        reqwest::Body::wrap_stream(Limited::new(Box::pin(response.bytes_stream()), limit))
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    reqwest::Response::from(rebuilt)
}

/// Reads at most `limit` bytes of an error body; a broken or oversized
/// body leaves what arrived, which the normaliser quotes.
async fn read_bounded(response: &mut reqwest::Response, limit: usize) -> Vec<u8> {
    let mut raw = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = limit.saturating_sub(raw.len());
        raw.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if raw.len() >= limit {
            break;
        }
    }
    raw
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A body stream that fails at once with the error it holds.
struct Failing(Option<BoxError>);

impl futures_core::Stream for Failing {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.take().map(Err))
    }
}

/// `exec` may only fail with a `reqwest::Error`, which has no public
/// constructor: reading a body that fails with `err` makes one that
/// carries it, and [`Error::from_send`] takes it out again.
///
/// Boxed: the body read's state would otherwise be carried by the future of
/// every call, which awaits this on its error paths only.
fn error_carrying(err: Error) -> Pin<Box<impl Future<Output = reqwest::Error> + Send>> {
    Box::pin(async move {
        let body = reqwest::Body::wrap_stream(Failing(Some(Box::new(Carried::new(err)))));
        match reqwest::Response::from(http::Response::new(body))
            .bytes()
            .await
        {
            Err(err) => err,
            Ok(_) => unreachable!("a body stream that fails yields no bytes"),
        }
    })
}
