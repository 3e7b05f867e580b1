//! The one HTTP seam the credential providers do their I/O through.
//!
//! Providers build an [`http::Request`] and hand it to an [`HttpClient`]; the signer never
//! does I/O. IAM and STS are called with [`HttpClient::send`], through the configured proxy
//! if any; the ECS/BMS metadata service and the CCE pod identity agent with
//! [`HttpClient::send_direct`], never through a proxy (one running elsewhere would answer
//! with its own host's identity). [`ReqwestHttpClient`] (feature `reqwest`) is the
//! implementation the MRS client uses; tests implement the trait with a closure or point
//! the reqwest one at a loopback server.

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
    /// Sends `request`, through the configured proxy when there is one.
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, HttpError>>;

    /// Sends `request` straight to its host, never through a proxy (with the same TLS
    /// settings as [`send`](Self::send)). The default calls `send`, which is right only for
    /// an implementation that never uses a proxy: one that does must override this.
    fn send_direct(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, HttpError>> {
        self.send(request)
    }
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
    /// The proxy answered 407 Proxy Authentication Required: it wants credentials, or
    /// refused those of the proxy URL.
    ProxyRefused,
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
pub use self::reqwest_client::{ReqwestHttpClient, is_proxy_refusal};

#[cfg(feature = "reqwest")]
mod reqwest_client {
    use std::time::Duration;

    use super::{BoxFuture, HttpClient, HttpError, HttpErrorKind, MAX_RESPONSE_BYTES};

    /// [`HttpClient`] over two `reqwest::Client`s with the same TLS settings: one for
    /// [`send`](HttpClient::send) (with the proxy settings) and one for
    /// [`send_direct`](HttpClient::send_direct) (without any proxy).
    ///
    /// Its `Debug` never shows a proxy password (reqwest's does not).
    #[derive(Clone, Debug)]
    pub struct ReqwestHttpClient {
        client: reqwest::Client,
        direct: reqwest::Client,
        timeout: Duration,
    }

    impl ReqwestHttpClient {
        /// The connect timeout of [`ReqwestHttpClient::new`]: the official SDK gives the
        /// metadata service 3 s; an unreachable one should cost little.
        pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
        /// The timeout of one request of [`ReqwestHttpClient::new`].
        pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

        /// A client with [`Self::CONNECT_TIMEOUT`] and [`Self::REQUEST_TIMEOUT`], and the
        /// proxies of the process environment (`HTTPS_PROXY`, `NO_PROXY`, ..., as reqwest
        /// reads them) for [`send`](HttpClient::send). With reqwest's `rustls-no-provider`
        /// TLS, install a rustls crypto provider first.
        pub fn new() -> Result<Self, reqwest::Error> {
            let builder = || reqwest::Client::builder().connect_timeout(Self::CONNECT_TIMEOUT);
            Ok(Self::from_clients(
                builder().build()?,
                builder().no_proxy().build()?,
                Self::REQUEST_TIMEOUT,
            ))
        }

        /// Wraps clients of the application's own (their connect timeouts apply): `client`
        /// for [`send`](HttpClient::send), and `direct`, which must use no proxy, for
        /// [`send_direct`](HttpClient::send_direct); `timeout` bounds each request.
        pub fn from_clients(
            client: reqwest::Client,
            direct: reqwest::Client,
            timeout: Duration,
        ) -> Self {
            ReqwestHttpClient {
                client,
                direct,
                timeout,
            }
        }

        async fn exchange(
            &self,
            client: &reqwest::Client,
            request: http::Request<Vec<u8>>,
        ) -> Result<http::Response<Vec<u8>>, HttpError> {
            let mut request =
                reqwest::Request::try_from(request.map(reqwest::Body::from)).map_err(error)?;
            *request.timeout_mut() = Some(self.timeout);
            let mut response = client.execute(request).await.map_err(error)?;
            if response.status() == http::StatusCode::PROXY_AUTHENTICATION_REQUIRED {
                return Err(proxy_refused());
            }
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
        }
    }

    /// Whether a proxy refused to tunnel a request for want of credentials (its 407 to
    /// `CONNECT`, which reqwest reports as a connect error). A 407 to a request the proxy
    /// forwards (plain `http://`) is a response with that status instead.
    pub fn is_proxy_refusal(err: &reqwest::Error) -> bool {
        // hyper-util's tunnel error is private; its message is the one sign of it.
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(current) = cause {
            if current.to_string().contains("proxy authorization required") {
                return true;
            }
            cause = current.source();
        }
        false
    }

    fn proxy_refused() -> HttpError {
        HttpError::new(
            HttpErrorKind::ProxyRefused,
            "the proxy answered 407 Proxy Authentication Required: it refused the credentials \
             of the proxy URL, or wants some",
        )
    }

    fn classify(err: &reqwest::Error) -> HttpErrorKind {
        if is_proxy_refusal(err) {
            HttpErrorKind::ProxyRefused
        } else if err.is_connect() {
            HttpErrorKind::Connect
        } else if err.is_timeout() {
            HttpErrorKind::Timeout
        } else {
            HttpErrorKind::Other
        }
    }

    fn error(err: reqwest::Error) -> HttpError {
        let kind = classify(&err);
        if kind == HttpErrorKind::ProxyRefused {
            return proxy_refused();
        }
        // The innermost cause says what happened ("Connection refused (os error 111)");
        // the caller names the service and its address.
        let mut innermost: &dyn std::error::Error = &err;
        while let Some(inner) = innermost.source() {
            innermost = inner;
        }
        let what = match kind {
            HttpErrorKind::Connect => "cannot connect",
            HttpErrorKind::Timeout => "no answer in time",
            _ => "the request failed",
        };
        HttpError::new(kind, format!("{what}: {innermost}"))
    }

    impl HttpClient for ReqwestHttpClient {
        fn send(
            &self,
            request: http::Request<Vec<u8>>,
        ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, HttpError>> {
            Box::pin(self.exchange(&self.client, request))
        }

        fn send_direct(
            &self,
            request: http::Request<Vec<u8>>,
        ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, HttpError>> {
            Box::pin(self.exchange(&self.direct, request))
        }
    }
}
