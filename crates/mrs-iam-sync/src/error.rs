//! The error of this crate's operations: what happened, told in one line,
//! with the service's code, message and request id when it answered.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use crate::OperationError;
use crate::body::{BodyTooLarge, excerpt};
use mrs_iam_sync_rules::InvalidValue;

/// Everything that can go wrong with a call.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A value broke a rule of the spec; no request was sent.
    InvalidInput {
        /// The field, e.g. `cluster_id`.
        field: &'static str,
        /// The rule it broke, e.g. ``doesn't match pattern "^[A-Za-z0-9_-]{1,64}$"``.
        rule: String,
    },
    /// The client is not configured well enough to send the request
    /// (no credentials, no project id, unknown region, ...).
    Config(ConfigError),
    /// No credentials could be had for a request: no source of the chain
    /// has any (the error lists each one tried), a source failed, or expired
    /// credentials could not be refreshed.
    Credentials(std::sync::Arc<hwcloud_auth::CredentialsError>),
    /// The request did not complete: connection refused, timeout, reset.
    Transport {
        /// What kind of failure.
        kind: TransportKind,
        /// The HTTP stack's error.
        source: reqwest::Error,
    },
    /// The service (or the gateway in front of it) answered with an error.
    Service(ServiceError),
    /// A success status whose body is not what the spec says.
    Decode {
        /// The HTTP status of the answer.
        status: Option<StatusCode>,
        /// The start of the body, for a human to look at.
        excerpt: String,
        /// Why it could not be decoded.
        source: serde_json::Error,
    },
    /// A status the spec does not list for the operation.
    UnexpectedStatus {
        /// The HTTP status.
        status: StatusCode,
        /// From the `X-Request-Id` header, when present.
        request_id: Option<String>,
    },
    /// The response body was larger than the client accepts.
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A waiter gave up: the sync was still running at its timeout.
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

/// An error answer of the service or its gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// A configuration problem found before any request was sent.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// No credentials, or a partial set.
    Credentials(hwcloud_auth::CredentialsError),
    /// The region or endpoint cannot be used.
    Endpoint(hwcloud_auth::EndpointError),
    /// A setting is missing or invalid; the message says which and why.
    Invalid(String),
    /// The HTTP client could not be built.
    Http(reqwest::Error),
}

impl Error {
    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Service(err) => Some(err.status),
            Error::UnexpectedStatus { status, .. } => Some(*status),
            Error::Decode { status, .. } => *status,
            _ => None,
        }
    }

    /// The service's error code, when it answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Service(err) => Some(&err.code),
            _ => None,
        }
    }

    /// The service's message, when it answered with an error.
    pub fn message(&self) -> Option<&str> {
        self.as_service().map(|err| err.message.as_str())
    }

    /// The service's error answer, if that is what this is.
    pub fn as_service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(err) => Some(err),
            _ => None,
        }
    }

    /// The request id to quote to Huawei Cloud support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(err) => err.request_id.as_deref(),
            Error::UnexpectedStatus { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The service or its gateway asked the client to slow down.
    pub fn is_throttled(&self) -> bool {
        match self {
            Error::Service(err) => {
                crate::throttle::is_throttling(err.status.as_u16(), Some(&err.code))
            }
            _ => false,
        }
    }

    /// Whether trying again later may succeed: throttling, gateway and
    /// availability errors, timeouts and connection failures. (The client
    /// already retried these per its [`RetryPolicy`](crate::RetryPolicy).)
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } => true,
            Error::Service(err) => crate::retry::is_retryable_status(err.status),
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

    /// The error of sending a request: a credentials failure carried
    /// through the HTTP layer, or a transport error.
    pub(crate) fn from_send(source: reqwest::Error) -> Self {
        match find_source::<CredentialsFailure>(&source) {
            Some(failure) => Error::Credentials(failure.0.clone()),
            None => Error::transport(source),
        }
    }

    pub(crate) fn transport(source: reqwest::Error) -> Self {
        let kind = if source.is_timeout() || is_deadline(&source) {
            TransportKind::Timeout
        } else if source.is_connect() {
            TransportKind::Connect
        } else {
            TransportKind::Other
        };
        Error::Transport { kind, source }
    }
}

fn is_deadline(err: &reqwest::Error) -> bool {
    find_source::<crate::retry::DeadlineExceeded>(err).is_some()
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

/// No credentials could be had for an attempt; [`crate::Error::Credentials`]
/// finds it in the source chain.
#[derive(Debug)]
pub(crate) struct CredentialsFailure(pub(crate) std::sync::Arc<hwcloud_auth::CredentialsError>);

impl fmt::Display for CredentialsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for CredentialsFailure {}

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
            Error::Config(err) => write!(f, "configuration: {err}"),
            Error::Credentials(err) => write!(f, "credentials: {err}"),
            Error::Transport { kind, source } => {
                let what = match kind {
                    TransportKind::Connect => "could not connect",
                    TransportKind::Timeout => "timed out",
                    TransportKind::Other => "the connection failed",
                };
                write!(f, "{what}: {}", describe_reqwest(source))
            }
            Error::Service(err) => err.fmt(f),
            Error::Decode {
                status,
                excerpt,
                source,
            } => {
                write!(f, "undecodable response")?;
                if let Some(status) = status {
                    write!(f, " (HTTP {})", status.as_u16())?;
                }
                write!(f, ": {source}; body starts: {excerpt:?}")
            }
            Error::UnexpectedStatus { status, request_id } => {
                write!(f, "unexpected HTTP status {status}")?;
                if let Some(id) = request_id {
                    write!(f, " (request id {id})")?;
                }
                Ok(())
            }
            Error::ResponseTooLarge { limit } => {
                write!(f, "the response body is larger than the {limit}-byte limit")
            }
            Error::WaitTimedOut { waited, polls } => write!(
                f,
                "an IAM sync was still running after {:.1} s ({polls} polls)",
                waited.as_secs_f64()
            ),
        }
    }
}

/// reqwest's own message, without the URL's query (none here) and with the
/// innermost cause, which is what tells a human what happened.
fn describe_reqwest(err: &reqwest::Error) -> String {
    if let Some(deadline) = find_source::<crate::retry::DeadlineExceeded>(err) {
        return deadline.to_string();
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    let mut last = None;
    while let Some(inner) = source {
        last = Some(inner.to_string());
        source = inner.source();
    }
    if let Some(last) = last.filter(|last| !text.contains(last.as_str())) {
        text.push_str(": ");
        text.push_str(&last);
    }
    text
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
/// assert_eq!(OneLine("a\nb\r\n\tc \x1b[31md").to_string(), "a b c [31md");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct OneLine<'a>(pub &'a str);

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
            ConfigError::Credentials(err) => err.fmt(f),
            ConfigError::Endpoint(err) => err.fmt(f),
            ConfigError::Invalid(message) => f.write_str(message),
            ConfigError::Http(err) => write!(f, "cannot build the HTTP client: {err}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Config(err) => Some(err),
            Error::Credentials(err) => Some(err.as_ref()),
            Error::Transport { source, .. } => Some(source),
            Error::Decode { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl std::error::Error for ServiceError {}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Credentials(err) => Some(err),
            ConfigError::Endpoint(err) => Some(err),
            ConfigError::Http(err) => Some(err),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_display_on_one_line() {
        // Found by the `error_body` fuzz target: an HTML error page became
        // the message, and its line breaks broke the one-line Display.
        let err = Error::Service(ServiceError {
            status: StatusCode::BAD_GATEWAY,
            code: "E\r\n1".into(),
            message: "<html>\n<body>Bad Gateway</body>\u{2028}</html>\t".into(),
            request_id: Some("id\n2".into()),
        });
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
}
