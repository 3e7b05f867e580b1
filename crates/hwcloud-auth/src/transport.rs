//! The one HTTP seam the credential providers do their I/O through.
//!
//! Providers build an [`http::Request`] and hand it to an [`HttpClient`]; the signer never
//! does I/O. [`ReqwestHttpClient`] (feature `reqwest`) is the implementation the MRS client
//! uses; tests implement the trait with a closure or point the reqwest one at a loopback
//! server.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future (what [`HttpClient`] and the providers return).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The largest response body a provider reads (credential documents are a few hundred bytes).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Sends one request and returns the whole response.
///
/// Implementations apply a short connect timeout (a few seconds at most: an unreachable
/// metadata service must not stall the chain) and an overall timeout per request, and read
/// at most [`MAX_RESPONSE_BYTES`] of a body.
pub trait HttpClient: Send + Sync + fmt::Debug {
    /// Sends `request`.
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, HttpError>>;
}

/// Why a request got no response.
#[derive(Debug)]
pub struct HttpError {
    kind: HttpErrorKind,
    message: String,
}

/// What kind of transport failure an [`HttpError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// No connection could be made (refused, unreachable, connect timeout, DNS).
    Connect,
    /// Connected, but no complete answer in time.
    Timeout,
    /// Anything else (broken connection, body too large, bad URL).
    Other,
}

impl HttpError {
    /// An error of this kind with a message (which must not hold a secret).
    pub fn new(kind: HttpErrorKind, message: impl Into<String>) -> Self {
        HttpError {
            kind,
            message: message.into(),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> HttpErrorKind {
        self.kind
    }

    /// Whether the server could not be reached at all.
    pub fn is_unreachable(&self) -> bool {
        matches!(self.kind, HttpErrorKind::Connect)
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HttpError {}

#[cfg(feature = "reqwest")]
pub use self::reqwest_client::ReqwestHttpClient;

#[cfg(feature = "reqwest")]
mod reqwest_client {
    use std::time::Duration;

    use super::{BoxFuture, HttpClient, HttpError, HttpErrorKind, MAX_RESPONSE_BYTES};

    /// [`HttpClient`] over a `reqwest::Client`.
    #[derive(Clone, Debug)]
    pub struct ReqwestHttpClient {
        client: reqwest::Client,
        timeout: Duration,
    }

    impl ReqwestHttpClient {
        /// The connect timeout of [`ReqwestHttpClient::new`]: the official SDK gives the
        /// metadata service 3 s; an unreachable one should cost little.
        pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
        /// The timeout of one request of [`ReqwestHttpClient::new`].
        pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

        /// A client with [`Self::CONNECT_TIMEOUT`] and [`Self::REQUEST_TIMEOUT`]. With
        /// reqwest's `rustls-no-provider` TLS, install a rustls crypto provider first.
        pub fn new() -> Result<Self, reqwest::Error> {
            let client = reqwest::Client::builder()
                .connect_timeout(Self::CONNECT_TIMEOUT)
                .build()?;
            Ok(Self::from_client(client, Self::REQUEST_TIMEOUT))
        }

        /// Wraps a client of the application's own (its connect timeout applies);
        /// `timeout` bounds each request.
        pub fn from_client(client: reqwest::Client, timeout: Duration) -> Self {
            ReqwestHttpClient { client, timeout }
        }
    }

    fn classify(err: &reqwest::Error) -> HttpErrorKind {
        if err.is_connect() {
            HttpErrorKind::Connect
        } else if err.is_timeout() {
            HttpErrorKind::Timeout
        } else {
            HttpErrorKind::Other
        }
    }

    fn error(err: reqwest::Error) -> HttpError {
        // The innermost cause says what happened ("Connection refused (os error 111)");
        // the caller names the service and its address.
        let mut innermost: &dyn std::error::Error = &err;
        while let Some(inner) = innermost.source() {
            innermost = inner;
        }
        let kind = classify(&err);
        let what = match kind {
            HttpErrorKind::Connect => "cannot connect",
            HttpErrorKind::Timeout => "no answer in time",
            HttpErrorKind::Other => "the request failed",
        };
        HttpError::new(kind, format!("{what}: {innermost}"))
    }

    impl HttpClient for ReqwestHttpClient {
        fn send(
            &self,
            request: http::Request<Vec<u8>>,
        ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, HttpError>> {
            Box::pin(async move {
                let mut request =
                    reqwest::Request::try_from(request.map(reqwest::Body::from)).map_err(error)?;
                *request.timeout_mut() = Some(self.timeout);
                let mut response = self.client.execute(request).await.map_err(error)?;
                let mut body = Vec::new();
                while let Some(chunk) = response.chunk().await.map_err(error)? {
                    if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        return Err(HttpError::new(
                            HttpErrorKind::Other,
                            format!("the response body is larger than {MAX_RESPONSE_BYTES} bytes"),
                        ));
                    }
                    body.extend_from_slice(&chunk);
                }
                let mut answer = http::Response::new(body);
                *answer.status_mut() = response.status();
                *answer.headers_mut() = std::mem::take(response.headers_mut());
                Ok(answer)
            })
        }
    }
}
