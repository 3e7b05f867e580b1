//! Shared test helpers: a tiny independent SDK-HMAC-SHA256 signer, a client
//! over loopback HTTP, and a raw TCP client for requests reqwest won't send.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use mrs_iam_sync_server::{Config, DEMO_AK, DEMO_PROJECT_ID, DEMO_SK, DEMO_TOKEN, Server};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::Value;
use sha2::{Digest, Sha256};
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
// Test-only signer, written independently of the server's verifier (it uses
// the percent-encoding crate's encoder, the server hand-rolls its own).

const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

fn dec(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn is_leap(year: u64) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// `YYYYMMDDTHHMMSSZ` for a time, written with a civil-date algorithm of its own.
pub fn sdk_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let (mut days, rem) = (secs / 86_400, secs % 86_400);
    let mut year = 1970u64;
    loop {
        let len = if is_leap(year) { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let leap = is_leap(year);
    let months = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut month = 1;
    for m in months {
        if days < m {
            break;
        }
        days -= m;
        month += 1;
    }
    format!(
        "{year:04}{month:02}{:02}T{:02}{:02}{:02}Z",
        days + 1,
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Sign: returns the `Authorization` value. `headers` must hold every header
/// to sign (including `host` and `x-sdk-date`); all are signed.
pub fn sign(
    ak: &str,
    sk: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    sign_payload_hash(
        ak,
        sk,
        method,
        path_and_query,
        headers,
        &hex(&Sha256::digest(body)),
    )
}

/// [`sign`] with the payload hash given (e.g. `UNSIGNED-PAYLOAD`).
pub fn sign_payload_hash(
    ak: &str,
    sk: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    payload: &str,
) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut uri: String = dec(path).split('/').map(enc).collect::<Vec<_>>().join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (dec(k), dec(v))
        })
        .collect();
    pairs.sort();
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_lowercase(), v.trim().to_string()))
        .collect();
    hs.sort();
    let names: Vec<&str> = hs.iter().map(|(n, _)| n.as_str()).collect();
    let canonical_headers: String = hs.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let canonical = format!(
        "{}\n{uri}\n{}\n{canonical_headers}\n{}\n{payload}",
        method.to_uppercase(),
        query.join("&"),
        names.join(";")
    );
    let date = &hs
        .iter()
        .find(|(n, _)| n == "x-sdk-date")
        .expect("x-sdk-date header")
        .1;
    let sts = format!(
        "SDK-HMAC-SHA256\n{date}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(sk.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let sig = hex(&mac.finalize().into_bytes());
    format!(
        "SDK-HMAC-SHA256 Access={ak}, SignedHeaders={}, Signature={sig}",
        names.join(";")
    )
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
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
