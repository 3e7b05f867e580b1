//! A forward HTTP proxy on loopback, written on hyper: it forwards plain
//! requests (absolute-form targets), tunnels `CONNECT`, can demand Basic
//! credentials (answering 407 without them), and records what it was asked
//! to reach, so that a test can tell which requests went through it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

type Body = BoxBody<Bytes, hyper::Error>;

/// What the proxy saw: one line per request, `CONNECT host:port` or
/// `METHOD absolute-uri`, and whether it let the request through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// `CONNECT 127.0.0.1:443` or `GET http://127.0.0.1:80/path`.
    pub request: String,
    /// The decoded `user:password` of its `Proxy-Authorization`, if any.
    pub credentials: Option<String>,
    /// Whether it was let through (false: answered 407).
    pub allowed: bool,
}

/// A running proxy; it stops when dropped.
pub struct TestProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl TestProxy {
    /// A proxy that lets everything through.
    pub async fn open() -> Self {
        Self::start(None).await
    }

    /// A proxy that demands these Basic credentials (407 otherwise).
    pub async fn authenticating(user: &str, password: &str) -> Self {
        Self::start(Some(format!("{user}:{password}"))).await
    }

    async fn start(credentials: Option<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let task = {
            let seen = Arc::clone(&seen);
            let credentials = Arc::new(credentials);
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let seen = Arc::clone(&seen);
                    let credentials = Arc::clone(&credentials);
                    tokio::spawn(async move {
                        let service = service_fn(move |request| {
                            handle(request, Arc::clone(&credentials), Arc::clone(&seen))
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .with_upgrades()
                            .await;
                    });
                }
            })
        };
        TestProxy { addr, seen, task }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://USER:PASSWORD@127.0.0.1:PORT`, the user and password
    /// percent-encoded as a URL needs them.
    pub fn url_with(&self, user: &str, password: &str) -> String {
        let encode = |text: &str| {
            percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
        };
        format!("http://{}:{}@{}", encode(user), encode(password), self.addr)
    }

    /// Everything asked of the proxy so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    request: Request<Incoming>,
    credentials: Arc<Option<String>>,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> Result<Response<Body>, hyper::Error> {
    let given = request
        .headers()
        .get(hyper::header::PROXY_AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
        })
        .and_then(|decoded| String::from_utf8(decoded).ok());
    let allowed = credentials
        .as_deref()
        .is_none_or(|want| given.as_deref() == Some(want));
    let line = if request.method() == Method::CONNECT {
        format!("CONNECT {}", request.uri())
    } else {
        format!("{} {}", request.method(), request.uri())
    };
    seen.lock().unwrap().push(Seen {
        request: line,
        credentials: given,
        allowed,
    });
    if !allowed {
        let mut response = Response::new(empty());
        *response.status_mut() = StatusCode::PROXY_AUTHENTICATION_REQUIRED;
        response.headers_mut().insert(
            hyper::header::PROXY_AUTHENTICATE,
            hyper::header::HeaderValue::from_static("Basic realm=\"test proxy\""),
        );
        return Ok(response);
    }
    if request.method() == Method::CONNECT {
        return Ok(tunnel(request));
    }
    Ok(forward(request).await)
}

/// `CONNECT host:port`: 200, then bytes both ways.
fn tunnel(request: Request<Incoming>) -> Response<Body> {
    let Some(target) = request.uri().authority().map(|a| a.to_string()) else {
        return status(StatusCode::BAD_REQUEST);
    };
    tokio::spawn(async move {
        let Ok(upgraded) = hyper::upgrade::on(request).await else {
            return;
        };
        let Ok(mut upstream) = TcpStream::connect(&target).await else {
            return;
        };
        let mut client = TokioIo::new(upgraded);
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    });
    Response::new(empty())
}

/// A plain request: sent on to its absolute URI's host, in origin form,
/// without the proxy's own header; its answer comes back as it is.
async fn forward(mut request: Request<Incoming>) -> Response<Body> {
    let Some(authority) = request.uri().authority().cloned() else {
        return status(StatusCode::BAD_REQUEST);
    };
    let origin_form = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .parse()
        .expect("a path is a URI");
    *request.uri_mut() = origin_form;
    request
        .headers_mut()
        .remove(hyper::header::PROXY_AUTHORIZATION);
    let Ok(stream) = TcpStream::connect(authority.as_str()).await else {
        return status(StatusCode::BAD_GATEWAY);
    };
    let Ok((mut sender, connection)) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        return status(StatusCode::BAD_GATEWAY);
    };
    tokio::spawn(connection);
    match sender.send_request(request).await {
        Ok(response) => response.map(|body| body.boxed()),
        Err(_) => status(StatusCode::BAD_GATEWAY),
    }
}

fn empty() -> Body {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed()
}

fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(empty());
    *response.status_mut() = code;
    response
}
