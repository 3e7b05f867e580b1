//! Shared test helpers: signing with the production signer, a client
//! over loopback HTTP, and a raw TCP client for requests reqwest won't send.
#![allow(dead_code)]

use std::time::{Duration, SystemTime};

use hwcloud_auth::Secret;
use hwcloud_auth::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use mrs_iam_sync_server::{Config, DEMO_AK, DEMO_PROJECT_ID, DEMO_SK, DEMO_TOKEN, Server};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const PROJECT: &str = DEMO_PROJECT_ID;
pub const CLUSTER: &str = "cid-1";

/// Sync duration used by the tests: short, but long enough that "still
/// running" checks made right after the start hold on a busy 2-core machine.
pub const SYNC: Duration = Duration::from_millis(600);

pub fn base(cluster: &str) -> String {
    format!("/v2/{PROJECT}/clusters/{cluster}")
}

pub async fn start() -> Server {
    start_with(Config {
        sync_duration: SYNC,
        ..Config::default()
    })
    .await
}

pub async fn start_with(config: Config) -> Server {
    Server::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("server starts")
}

// ---------------------------------------------------------------------------
// Signatures come from the production signer (hwcloud-auth); the server checks
// them with its own verifier.

/// `YYYYMMDDTHHMMSSZ` for a time.
pub fn sdk_date(t: SystemTime) -> String {
    hwcloud_auth::format_sdk_date(t)
}

/// Sign: returns the `Authorization` value. `headers` must hold every header
/// to sign (including `host` and `x-sdk-date`); all are signed. A non-empty
/// body with an `X-Sdk-Content-Sha256` header signs that header's value as the
/// payload hash (e.g. `UNSIGNED-PAYLOAD`).
pub fn sign(
    ak: &str,
    sk: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("header name");
        map.insert(name, HeaderValue::from_str(value).expect("header value"));
    }
    let host = map.get("host").expect("a Host header").to_str().unwrap();
    let uri: Uri = format!("http://{host}{path_and_query}")
        .parse()
        .expect("URI");
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    hwcloud_auth::sign(
        &method,
        &uri,
        &mut map,
        body,
        ak,
        &Secret::new(sk),
        SystemTime::now(),
    )
    .expect("signs");
    map["authorization"].to_str().unwrap().to_owned()
}

// ---------------------------------------------------------------------------
// Client.

#[derive(Clone, Debug)]
pub enum Auth {
    /// Sign with this AK/SK, at this time.
    Sign {
        ak: String,
        sk: String,
        at: SystemTime,
    },
    Token(String),
    None,
}

impl Auth {
    pub fn demo() -> Auth {
        Auth::Sign {
            ak: DEMO_AK.into(),
            sk: DEMO_SK.into(),
            at: SystemTime::now(),
        }
    }
    pub fn token() -> Auth {
        Auth::Token(DEMO_TOKEN.into())
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn request_id(&self) -> &str {
        self.header("x-request-id").expect("X-Request-Id header")
    }
    /// Assert an error body with this status and code, whose request_id is the header's.
    pub fn assert_error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.text);
        let j = self.json();
        assert_eq!(j["error_code"], code, "{}", self.text);
        assert_eq!(j["request_id"], self.request_id(), "{}", self.text);
        j["error_msg"]
            .as_str()
            .or(j["message"].as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

pub struct Client {
    pub http: reqwest::Client,
    pub base_url: String,
    pub host: String,
}

impl Client {
    pub fn new(server: &Server) -> Client {
        Client {
            http: http_client(),
            base_url: server.base_url(),
            host: server.local_addr().to_string(),
        }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<&str>, auth: &Auth) -> Resp {
        self.try_send(method, path, body, auth, &[])
            .await
            .expect("HTTP exchange")
    }

    pub async fn try_send(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        auth: &Auth,
        extra_headers: &[(&str, &str)],
    ) -> reqwest::Result<Resp> {
        let content_type = if body.is_some() {
            "application/json;charset=utf-8"
        } else {
            "application/json"
        };
        let mut headers: Vec<(String, String)> = vec![
            ("Content-Type".into(), content_type.into()),
            ("Host".into(), self.host.clone()),
            ("X-Project-Id".into(), PROJECT.into()),
        ];
        headers.extend(
            extra_headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string())),
        );
        let body_bytes = body.unwrap_or("").as_bytes().to_vec();
        match auth {
            Auth::Sign { ak, sk, at } => {
                headers.push(("X-Sdk-Date".into(), sdk_date(*at)));
                let authorization = sign(ak, sk, method, path, &headers, &body_bytes);
                headers.push(("Authorization".into(), authorization));
            }
            Auth::Token(t) => headers.push(("X-Auth-Token".into(), t.clone())),
            Auth::None => {}
        }
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base_url));
        for (n, v) in &headers {
            req = req.header(n.as_str(), v.as_str());
        }
        if body.is_some() {
            req = req.body(body_bytes);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await?;
        Ok(Resp {
            status,
            headers,
            text,
        })
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send("GET", path, None, &Auth::demo()).await
    }
    pub async fn post(&self, path: &str, body: &str) -> Resp {
        self.send("POST", path, Some(body), &Auth::demo()).await
    }
    pub async fn delete(&self, path: &str, body: &str) -> Resp {
        self.send("DELETE", path, Some(body), &Auth::demo()).await
    }
}

/// Send raw bytes over a fresh connection and read until the server closes
/// it or `timeout` passes; returns what was read.
pub async fn raw_exchange(server: &Server, request: &[u8], timeout: Duration) -> String {
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    // The server may answer (and close) before reading everything: ignore write errors.
    let _ = stream.write_all(request).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(timeout, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A plain reqwest client. In a workspace build reqwest's rustls has no
/// default crypto provider (see the dev-dependency note in Cargo.toml), so
/// one is installed first.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}
