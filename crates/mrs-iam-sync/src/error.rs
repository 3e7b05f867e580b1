//! The error of this crate's operations: what happened, with the service's
//! code, message and request id when it answered.
//!
//! Every error follows the Rust API guidelines' rule for causes: its
//! `Display` says what went wrong at its own level, and the cause (the HTTP
//! stack's error, the JSON error, the file's I/O error) is reached through
//! [`source()`](std::error::Error::source), never printed twice. A variant
//! that only classifies an error of hwcloud-auth ([`Error::Config`],
//! [`Error::Credentials`], [`Error::Signing`]) shows that error's text and
//! passes its cause on, as a transparent wrapper does. [`Error::report`]
//! prints the whole chain on one line.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;

use crate::OperationError;
use crate::body::{BodyTooLarge, excerpt};
use crate::network::NetworkSettingError;
use mrs_iam_sync_rules::InvalidValue;

/// An error from below that a variant keeps as its cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong with a call.
///
/// Variants may be added in a minor release, and so may fields of the
/// variants that have named fields: match them with `..`. The accessors
/// ([`status`](Self::status), [`code`](Self::code),
/// [`request_id`](Self::request_id), [`is_retryable`](Self::is_retryable),
/// ...) answer the usual questions without a match.
///
/// `Display` describes this error alone; print [`Error::report`] (or walk
/// [`source()`](std::error::Error::source), as anyhow's `{:#}` does) to see
/// its causes too.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A value broke a rule of the spec; no request was sent.
    #[non_exhaustive]
    InvalidInput {
        /// The field, e.g. `cluster_id`.
        field: &'static str,
        /// The rule it broke, e.g. ``doesn't match pattern "^[A-Za-z0-9_-]{1,64}$"``.
        rule: String,
    },
    /// The client is not configured well enough to send the request
    /// (no project id, unknown region, a bad setting, ...).
    Config(ConfigError),
    /// No credentials could be had, when the client was built or for a
    /// request: a source is configured only in part, no source of the chain
    /// has any (the error lists each one tried), a source failed, or expired
    /// credentials could not be refreshed.
    Credentials(hwcloud_auth::CredentialsError),
    /// The request could not be signed with the credentials (an empty
    /// access key, a project id that cannot go into a header, ...). Not
    /// retryable: the same credentials fail the same way.
    Signing(hwcloud_auth::SignError),
    /// The request did not complete: connection refused, timeout (of an
    /// attempt or of the whole call), reset.
    #[non_exhaustive]
    Transport {
        /// What kind of failure.
        kind: TransportKind,
        /// The cause: the HTTP stack's error (a `reqwest::Error`), or the
        /// call's deadline.
        source: BoxError,
    },
    /// The service (or the gateway in front of it) answered with an error.
    Service(ServiceError),
    /// The project id was looked up at IAM (none was configured) and IAM did
    /// not give one: it answered with an error (kept here: status, code,
    /// message, trace id), or its answer names no project or several.
    #[non_exhaustive]
    ProjectLookup {
        /// The region, which is the name of the project looked up.
        region: String,
        /// IAM's HTTP status.
        status: StatusCode,
        /// IAM's error code, when it answered with an error that has one.
        code: Option<String>,
        /// IAM's error message (empty when it gave none).
        message: String,
        /// IAM's `X-IAM-Trace-Id`, to quote to Huawei Cloud support.
        trace_id: Option<String>,
        /// Why a successful answer gives no project id (none or several
        /// projects of that name, a malformed list).
        source: Option<Box<hwcloud_auth::discovery::DiscoveryError>>,
    },
    /// A success status whose body is not what the spec says.
    #[non_exhaustive]
    Decode {
        /// The HTTP status of the answer: always known to this crate's
        /// operations (`is_synchronizing`, `start_sync`, ...); `None` when
        /// converted from a generated builder's [`OperationError`], which
        /// does not keep it.
        status: Option<StatusCode>,
        /// The start of the body, for a human to look at.
        excerpt: String,
        /// Why it could not be decoded.
        source: serde_json::Error,
    },
    /// A status the spec does not list for the operation (a redirect, for
    /// one: redirects are not followed).
    #[non_exhaustive]
    UnexpectedStatus {
        /// The HTTP status.
        status: StatusCode,
        /// From the `X-Request-Id` header, when present.
        request_id: Option<String>,
    },
    /// The response body was larger than the client accepts.
    #[non_exhaustive]
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A proxy answered 407 Proxy Authentication Required: it refused the
    /// credentials of its URL, or wants some. Not retried.
    #[non_exhaustive]
    ProxyRefused {
        /// The proxy configured for the request's scheme, as errors show it
        /// (`http://user:***@host:port`, never the password); `None` when
        /// none is configured (a proxy on the way intercepted the request).
        proxy: Option<String>,
    },
    /// None of the client's endpoints could take the request: each refused
    /// the connection, could not be resolved, timed out connecting or failed
    /// the TLS handshake. Each one's failure is listed.
    EndpointsUnreachable(EndpointsUnreachable),
    /// A waiter gave up: the sync was still running at its timeout.
    #[non_exhaustive]
    WaitTimedOut {
        /// How long it waited.
        waited: Duration,
        /// How many status polls it made.
        polls: u32,
    },
}

/// How a request failed to complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// Could not connect (refused, unreachable, DNS, TLS handshake).
    Connect,
    /// An attempt or the whole call ran out of time.
    Timeout,
    /// The connection broke while sending or receiving.
    Other,
}

impl TransportKind {
    /// The kind of an HTTP stack's error.
    pub(crate) fn of(source: &reqwest::Error) -> Self {
        if source.is_timeout() {
            TransportKind::Timeout
        } else if source.is_connect() {
            TransportKind::Connect
        } else {
            TransportKind::Other
        }
    }
}

/// None of the client's endpoints could take the request; each one's
/// failure, in the order of the endpoints.
#[derive(Clone, Debug)]
pub struct EndpointsUnreachable {
    failures: Arc<Vec<EndpointFailure>>,
}

impl EndpointsUnreachable {
    pub(crate) fn new(failures: Vec<EndpointFailure>) -> Self {
        EndpointsUnreachable {
            failures: Arc::new(failures),
        }
    }

    /// Each endpoint and why it could not take the request.
    pub fn failures(&self) -> &[EndpointFailure] {
        &self.failures
    }
}

/// Why one endpoint could not take a request.
#[derive(Debug)]
pub struct EndpointFailure {
    /// The endpoint, e.g. `https://mrs.vpcep-1.example.com`.
    pub endpoint: String,
    /// What kind of failure (a connect failure, or one after it when the
    /// retry rules sent the request again).
    pub kind: TransportKind,
    source: reqwest::Error,
}

impl EndpointFailure {
    pub(crate) fn new(endpoint: String, source: reqwest::Error) -> Self {
        EndpointFailure {
            endpoint,
            kind: TransportKind::of(&source),
            source,
        }
    }

    /// The HTTP stack's error.
    pub fn source(&self) -> &reqwest::Error {
        &self.source
    }
}

impl fmt::Display for EndpointsUnreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "none of the {} endpoints could be reached:",
            self.failures.len()
        )?;
        for (i, failure) in self.failures.iter().enumerate() {
            let separator = if i == 0 { " " } else { "; " };
            write!(f, "{separator}{failure}")?;
        }
        Ok(())
    }
}

impl fmt::Display for EndpointFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The innermost cause tells what happened; reqwest's own message
        // would repeat the URL.
        let mut cause: &dyn std::error::Error = &self.source;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        write!(f, "{} ({cause})", self.endpoint)
    }
}

impl std::error::Error for EndpointsUnreachable {}

/// An error answer of the service or its gateway.
///
/// Fields may be added in a minor release. The setters build one for tests
/// of code that handles errors:
///
/// ```
/// use mrs_iam_sync::ServiceError;
/// use mrs_iam_sync::reqwest::StatusCode;
///
/// let throttled = ServiceError::default()
///     .with_status(StatusCode::TOO_MANY_REQUESTS)
///     .with_code("APIGW.0308")
///     .with_message("the request is throttled");
/// assert_eq!(throttled.to_string(), "HTTP 429: APIGW.0308: the request is throttled");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The service's error code (`12000003`, `APIGW.0301`, ...), or the HTTP
    /// status when the body had none (as the official SDK does).
    pub code: String,
    /// The service's message, or an excerpt of the raw body.
    pub message: String,
    /// The request id: the `X-Request-Id` header, else the body's.
    pub request_id: Option<String>,
}

impl ServiceError {
    /// Sets [`status`](Self::status).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Sets [`code`](Self::code).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = code.into();
        self
    }

    /// Sets [`message`](Self::message).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Sets [`request_id`](Self::request_id).
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }
}

/// A configuration problem found before any request was sent.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// The region or endpoint cannot be used.
    Endpoint(hwcloud_auth::EndpointError),
    /// A setting is missing or invalid; the message says which and why.
    Invalid(String),
    /// The HTTP client could not be built.
    Http(reqwest::Error),
    /// A network setting cannot be used: a proxy URL, a CA bundle, a client
    /// certificate or its key (the error names the setting or the file).
    Network(NetworkSettingError),
}

impl Error {
    /// The HTTP status, when the service (or IAM, for the project lookup)
    /// answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Service(err) => Some(err.status),
            Error::ProjectLookup { status, .. } => Some(*status),
            Error::UnexpectedStatus { status, .. } => Some(*status),
            Error::Decode { status, .. } => *status,
            _ => None,
        }
    }

    /// The service's error code, when it answered with one (IAM's, for the
    /// project lookup).
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Service(err) => Some(&err.code),
            Error::ProjectLookup { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The service's message, when it answered with an error (IAM's, for the
    /// project lookup).
    pub fn message(&self) -> Option<&str> {
        match self {
            Error::Service(err) => Some(&err.message),
            Error::ProjectLookup { message, .. } if !message.is_empty() => Some(message),
            _ => None,
        }
    }

    /// The service's error answer, if that is what this is.
    pub fn as_service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(err) => Some(err),
            _ => None,
        }
    }

    /// The request id to quote to Huawei Cloud support (IAM's trace id, for
    /// the project lookup).
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(err) => err.request_id.as_deref(),
            Error::ProjectLookup { trace_id, .. } => trace_id.as_deref(),
            Error::UnexpectedStatus { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The service, its gateway or IAM asked the client to slow down.
    pub fn is_throttled(&self) -> bool {
        match self {
            Error::Service(err) => {
                crate::throttle::is_throttling(err.status.as_u16(), Some(&err.code))
            }
            Error::ProjectLookup { status, code, .. } => {
                crate::throttle::is_throttling(status.as_u16(), code.as_deref())
            }
            _ => false,
        }
    }

    /// Whether trying again later may succeed: throttling, gateway and
    /// availability errors, timeouts and connection failures. (The client
    /// already retried these per its [`RetryPolicy`](crate::RetryPolicy).)
    /// Configuration, credentials and signing errors are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } => true,
            Error::EndpointsUnreachable(_) => true,
            Error::Service(err) => crate::retry::is_retryable_status(err.status),
            Error::ProjectLookup { status, .. } => crate::retry::is_retryable_status(*status),
            _ => false,
        }
    }

    /// Whether this is a timeout (of an attempt or of the whole call).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        )
    }

    /// This error and its causes on one line, separated by `: ` (what
    /// anyhow's `{:#}` prints), each part through the same one-line filter
    /// as the service's text: for logs and terminals.
    ///
    /// ```
    /// use mrs_iam_sync::Client;
    ///
    /// let err = Client::builder().endpoint("ftp://example.com").build().unwrap_err();
    /// assert!(err.report().to_string().starts_with("unsupported endpoint scheme"));
    /// ```
    pub fn report(&self) -> impl fmt::Display + '_ {
        Report(self)
    }

    /// The error of sending a request: an error of this crate carried
    /// through the HTTP layer (credentials, signing, the call's deadline),
    /// or a transport error.
    pub(crate) fn from_send(source: reqwest::Error) -> Self {
        match find_source::<Carried>(&source).and_then(Carried::take) {
            Some(carried) => carried,
            None => Error::transport(source),
        }
    }

    pub(crate) fn transport(source: reqwest::Error) -> Self {
        Error::Transport {
            kind: TransportKind::of(&source),
            source: Box::new(source),
        }
    }

    /// The call's deadline passed.
    pub(crate) fn deadline(total: Duration) -> Self {
        Error::Transport {
            kind: TransportKind::Timeout,
            source: Box::new(crate::retry::DeadlineExceeded { total }),
        }
    }

    /// A decode failure of an operation's success answer gets the one
    /// success status the spec gives that operation.
    pub(crate) fn with_success_status(
        mut self,
        operation: mrs_iam_sync_rules::OperationId,
    ) -> Self {
        if let Error::Decode { status, .. } = &mut self
            && status.is_none()
        {
            *status = mrs_iam_sync_rules::OPERATIONS
                .iter()
                .find(|known| known.id == operation)
                .and_then(|known| StatusCode::from_u16(known.success_status).ok());
        }
        self
    }
}

/// Finds an error of type `T` in the `source()` chain of `err`.
pub(crate) fn find_source<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(err);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        current = err.source();
    }
    None
}

/// An [`Error`] on its way through the HTTP layer: progenitor's `exec` hook
/// may only fail with a `reqwest::Error`, so the runtime wraps the error in
/// one (see `hooks::error_carrying`), and [`Error::from_send`] takes it out
/// again whole.
#[derive(Debug)]
pub(crate) struct Carried(Mutex<Option<Error>>);

impl Carried {
    pub(crate) fn new(err: Error) -> Self {
        Carried(Mutex::new(Some(err)))
    }

    fn take(&self) -> Option<Error> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl fmt::Display for Carried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Seen only by whoever looks at the raw reqwest error (a generated
        // builder's caller that does not convert it into `Error`).
        match &*self.0.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(err) => err.report().fmt(f),
            None => f.write_str("an error of the client"),
        }
    }
}

impl std::error::Error for Carried {}

impl From<OperationError> for Error {
    fn from(err: OperationError) -> Self {
        use progenitor_client::Error as E;
        match err {
            E::InvalidRequest(message) => invalid_request(&message),
            E::CommunicationError(source) => Error::from_send(source),
            E::ErrorResponse(response) => {
                let status = response.status();
                let header_id = request_id_header(response.headers());
                let body = response.into_inner();
                Error::Service(ServiceError {
                    status,
                    code: body.error_code,
                    message: body.error_msg.or(body.message).unwrap_or_default(),
                    request_id: header_id.or(body.request_id),
                })
            }
            E::ResponseBodyError(source) => match find_source::<BodyTooLarge>(&source) {
                Some(too_large) => Error::ResponseTooLarge {
                    limit: too_large.limit,
                },
                None => Error::transport(source),
            },
            E::InvalidResponsePayload(bytes, source) => Error::Decode {
                status: None,
                excerpt: excerpt(&bytes),
                source,
            },
            E::UnexpectedResponse(response) => Error::UnexpectedStatus {
                status: response.status(),
                request_id: request_id_header(response.headers()),
            },
            E::InvalidUpgrade(source) => Error::transport(source),
            E::Custom(message) => Error::Config(ConfigError::Invalid(message)),
        }
    }
}

/// progenitor's builders report a bad parameter as
/// "conversion to `ClusterId` for cluster_id failed" and drop the reason;
/// the field name is recovered here and its rule taken from the generated rules.
/// A body the `pre` hook refused says "invalid FIELD: RULE" (an
/// [`InvalidValue`]'s `Display`), FIELD one of the generated body fields
/// (or `body` itself).
fn invalid_request(message: &str) -> Error {
    let body_rule = message
        .strip_prefix("invalid ")
        .and_then(|rest| rest.split_once(": "))
        .and_then(|(field, rule)| {
            let field = mrs_iam_sync_rules::BODY_FIELDS
                .iter()
                .copied()
                .chain(["body"])
                .find(|known| *known == field)?;
            Some(InvalidValue::new(field, rule))
        });
    if let Some(broken) = body_rule {
        return broken.into();
    }
    let field = message
        .split_once(" for ")
        .and_then(|(_, rest)| rest.strip_suffix(" failed"))
        .or_else(|| message.strip_suffix(" was not initialized"));
    let param = mrs_iam_sync_rules::PATH_PARAMS
        .iter()
        .find(|param| Some(param.name) == field);
    match (param, field) {
        (Some(param), _) => InvalidValue::new(param.name, param.rule_with_pattern()).into(),
        (None, Some("body")) => InvalidValue::new("body", message).into(),
        _ => Error::Config(ConfigError::Invalid(message.to_owned())),
    }
}

pub(crate) fn request_id_header(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput { field, rule } => write!(f, "invalid {field}: {rule}"),
            Error::Config(err) => err.fmt(f),
            Error::Credentials(err) => err.fmt(f),
            Error::Signing(err) => err.fmt(f),
            Error::Transport { kind, .. } => f.write_str(match kind {
                TransportKind::Connect => "could not connect",
                TransportKind::Timeout => "timed out",
                TransportKind::Other => "the connection failed",
            }),
            Error::Service(err) => err.fmt(f),
            Error::ProjectLookup {
                region,
                status,
                code,
                message,
                trace_id,
                source,
            } => {
                write!(
                    f,
                    "cannot look up the project id of region {} at IAM",
                    OneLine(region)
                )?;
                // A refusal is told here; a success answer without a
                // project says why through `source()` (with the trace id).
                if source.is_none() {
                    write!(f, ": HTTP {}", status.as_u16())?;
                    if let Some(code) = code {
                        write!(f, " {}", OneLine(code))?;
                    }
                    if !message.is_empty() {
                        write!(f, ": {}", OneLine(message))?;
                    }
                    write!(
                        f,
                        " ({}={}); set the project id instead",
                        hwcloud_auth::discovery::TRACE_ID_HEADER,
                        OneLine(trace_id.as_deref().unwrap_or("none"))
                    )?;
                }
                Ok(())
            }
            Error::Decode {
                status, excerpt, ..
            } => {
                write!(f, "undecodable response")?;
                if let Some(status) = status {
                    write!(f, " (HTTP {})", status.as_u16())?;
                }
                write!(f, "; body starts: {excerpt:?}")
            }
            Error::UnexpectedStatus { status, request_id } => {
                write!(f, "unexpected HTTP status {status}")?;
                if let Some(id) = request_id {
                    write!(f, " (request id {})", OneLine(id))?;
                }
                Ok(())
            }
            Error::ResponseTooLarge { limit } => {
                write!(f, "the response body is larger than the {limit}-byte limit")
            }
            Error::ProxyRefused { proxy } => {
                match proxy {
                    Some(proxy) => write!(f, "the proxy {proxy} refused the credentials")?,
                    None => f.write_str("a proxy on the way refused the credentials")?,
                }
                f.write_str(
                    " (407 Proxy Authentication Required): check the user and password of \
                     the proxy URL (percent-encoded)",
                )
            }
            Error::EndpointsUnreachable(err) => err.fmt(f),
            Error::WaitTimedOut { waited, polls } => write!(
                f,
                "an IAM sync was still running after {:.1} s ({polls} polls)",
                waited.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Transparent: these show the wrapped error's text, so its
            // cause comes next.
            Error::Config(err) => err.source(),
            Error::Credentials(err) => err.source(),
            Error::Signing(err) => err.source(),
            Error::Transport { source, .. } => Some(source.as_ref()),
            Error::ProjectLookup { source, .. } => source
                .as_deref()
                .map(|err| err as &(dyn std::error::Error + 'static)),
            Error::Decode { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// [`Error::report`]'s value.
struct Report<'a>(&'a Error);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        OneLine(&self.0.to_string()).fmt(f)?;
        let mut cause = std::error::Error::source(self.0);
        while let Some(err) = cause {
            write!(f, ": {}", OneLine(&err.to_string()))?;
            cause = err.source();
        }
        Ok(())
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}: {}", self.status.as_u16(), OneLine(&self.code))?;
        if !self.message.is_empty() {
            write!(f, ": {}", OneLine(&self.message))?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {})", OneLine(id))?;
        }
        Ok(())
    }
}

/// Text shown on one line: line breaks (an HTML error page, a multi-line
/// message), other control characters such as terminal escapes, and runs
/// of whitespace become one space; leading and trailing ones go. What
/// [`Error`]'s `Display` does with the service's text, for applications that
/// print answers (or ids a user typed) on a terminal.
///
/// ```
/// use mrs_iam_sync::OneLine;
/// assert_eq!(OneLine::new("a\nb\r\n\tc \x1b[31md").to_string(), "a b c [31md");
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct OneLine<'a>(&'a str);

impl<'a> OneLine<'a> {
    /// `text`, to be shown on one line.
    pub fn new(text: &'a str) -> Self {
        OneLine(text)
    }
}

impl fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let breaks = |c: char| c.is_whitespace() || c.is_control();
        let mut words = self.0.split(breaks).filter(|word| !word.is_empty());
        if let Some(first) = words.next() {
            f.write_str(first)?;
            for word in words {
                f.write_str(" ")?;
                f.write_str(word)?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Endpoint(err) => err.fmt(f),
            ConfigError::Invalid(message) => f.write_str(message),
            ConfigError::Http(_) => f.write_str("cannot build the HTTP client"),
            ConfigError::Network(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for ServiceError {}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Transparent, as `Error::Config` is.
            ConfigError::Endpoint(err) => err.source(),
            ConfigError::Http(err) => Some(err),
            // Transparent too.
            ConfigError::Network(err) => err.source(),
            ConfigError::Invalid(_) => None,
        }
    }
}

impl From<InvalidValue> for Error {
    fn from(err: InvalidValue) -> Self {
        Error::InvalidInput {
            field: err.field,
            rule: err.rule,
        }
    }
}

impl From<ConfigError> for Error {
    fn from(err: ConfigError) -> Self {
        Error::Config(err)
    }
}

impl From<hwcloud_auth::CredentialsError> for Error {
    fn from(err: hwcloud_auth::CredentialsError) -> Self {
        Error::Credentials(err)
    }
}

impl From<hwcloud_auth::SignError> for Error {
    fn from(err: hwcloud_auth::SignError) -> Self {
        Error::Signing(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_display_on_one_line() {
        // Found by the `error_body` fuzz target: an HTML error page became
        // the message, and its line breaks broke the one-line Display.
        let err = Error::Service(
            ServiceError::default()
                .with_status(StatusCode::BAD_GATEWAY)
                .with_code("E\r\n1")
                .with_message("<html>\n<body>Bad Gateway</body>\u{2028}</html>\t")
                .with_request_id("id\n2"),
        );
        assert_eq!(
            err.to_string(),
            "HTTP 502: E 1: <html> <body>Bad Gateway</body> </html> (request id id 2)"
        );
        // The fields keep the service's text as it was.
        assert_eq!(
            err.message(),
            Some("<html>\n<body>Bad Gateway</body>\u{2028}</html>\t")
        );
    }

    #[test]
    fn errors_can_cross_threads_and_live_anywhere() {
        fn send_sync_static<T: Send + Sync + 'static>() {}
        send_sync_static::<Error>();
        // Every `Result` of the crate carries one: keep it small.
        let size = std::mem::size_of::<Error>();
        assert!(size <= 128, "{size} bytes");
    }

    #[test]
    fn signing_and_credentials_failures_are_not_retryable() {
        let signing = Error::from(hwcloud_auth::SignError::MissingAccessKey);
        assert!(!signing.is_retryable());
        assert_eq!(
            signing.to_string(),
            hwcloud_auth::SignError::MissingAccessKey.to_string()
        );
        let deadline = Error::deadline(Duration::from_secs(3));
        assert!(deadline.is_retryable() && deadline.is_timeout());
        assert_eq!(
            deadline.report().to_string(),
            "timed out: the call's deadline of 3.0 s passed"
        );
    }

    #[test]
    fn a_carried_error_comes_out_whole_once() {
        let carried = Carried::new(Error::from(hwcloud_auth::SignError::MissingHost));
        assert!(carried.to_string().contains("cannot sign the request"));
        assert!(matches!(carried.take(), Some(Error::Signing(_))));
        assert!(carried.take().is_none());
    }
}
