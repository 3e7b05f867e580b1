//! The remote credential sources against a scripted HTTP seam: request shapes, the metadata
//! token dance, every error case, the chain's order and its error, and the cache's refresh
//! rule under concurrency with an injectable clock.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Method, Request, Response, StatusCode};
use hwcloud_auth::credentials::{Metadata, OidcSts, PodIdentity, StaticProvider};
use hwcloud_auth::transport::{BoxFuture, HttpClient, HttpError, HttpErrorKind};
use hwcloud_auth::{
    Clock, CredentialSource, Credentials, CredentialsCache, CredentialsChain, CredentialsError,
    Environment, ProvideCredentials, Provided,
};

type Answer = Box<dyn Fn(&Request<Vec<u8>>) -> Result<Response<Vec<u8>>, HttpError> + Send + Sync>;

/// An HTTP seam that records every request (and whether it was sent directly, never
/// through a proxy) and answers from a script.
struct Scripted {
    log: Mutex<Vec<Request<Vec<u8>>>>,
    direct: Mutex<Vec<bool>>,
    answer: Answer,
}

impl fmt::Debug for Scripted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Scripted")
    }
}

impl Scripted {
    fn new(
        answer: impl Fn(&Request<Vec<u8>>) -> Result<Response<Vec<u8>>, HttpError>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        Scripted {
            log: Mutex::new(Vec::new()),
            direct: Mutex::new(Vec::new()),
            answer: Box::new(answer),
        }
    }

    /// For each request so far, whether it was sent with `send_direct`.
    fn sent_directly(&self) -> Vec<bool> {
        self.direct.lock().unwrap().clone()
    }

    fn record(
        &self,
        request: Request<Vec<u8>>,
        direct: bool,
    ) -> BoxFuture<'_, Result<Response<Vec<u8>>, HttpError>> {
        let answer = (self.answer)(&request);
        self.log.lock().unwrap().push(request);
        self.direct.lock().unwrap().push(direct);
        Box::pin(std::future::ready(answer))
    }

    /// `METHOD path` of every request so far.
    fn lines(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|r| format!("{} {}", r.method(), r.uri().path()))
            .collect()
    }

    fn request(&self, i: usize) -> Request<Vec<u8>> {
        let log = self.log.lock().unwrap();
        let r = &log[i];
        let mut copy = Request::new(r.body().clone());
        *copy.method_mut() = r.method().clone();
        *copy.uri_mut() = r.uri().clone();
        *copy.headers_mut() = r.headers().clone();
        copy
    }
}

impl HttpClient for Scripted {
    fn send(
        &self,
        request: Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<Response<Vec<u8>>, HttpError>> {
        self.record(request, false)
    }

    fn send_direct(
        &self,
        request: Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<Response<Vec<u8>>, HttpError>> {
        self.record(request, true)
    }
}

fn reply(status: u16, body: &str) -> Result<Response<Vec<u8>>, HttpError> {
    let mut response = Response::new(body.as_bytes().to_vec());
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    Ok(response)
}

const KEYS: &str = r#"{"credential":{"access":"TMPAK","secret":"TMPSK","securitytoken":"TMPST","expires_at":"2030-01-02T03:04:05.000000Z"}}"#;
const AGENCY: &str = "Please configure Cloud Service Agency first";

fn env(vars: &[(&str, &str)]) -> Environment {
    Environment::from_vars(vars.iter().map(|&(k, v)| (k, v)))
}

fn block<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

// ----------------------------------------------------------------------------------------
// Metadata

#[test]
fn metadata_token_then_security_key_then_token_reused() {
    let http = Scripted::new(|r| match r.uri().path() {
        "/meta-data/latest/api/token" => reply(200, "session-1"),
        _ if r
            .headers()
            .get("x-metadata-token")
            .is_some_and(|v| v == "session-1") =>
        {
            reply(200, KEYS)
        }
        _ => reply(401, "bad token"),
    });
    let metadata = Metadata::new("http://meta.test");
    let provided = block(metadata.provide(&http)).unwrap();
    assert_eq!(provided.credentials.access_key(), Some("TMPAK"));
    assert!(matches!(
        provided.credentials,
        Credentials::Temporary { .. }
    ));
    assert_eq!(provided.source, CredentialSource::Metadata);
    assert_eq!(
        provided.expires_at,
        Some(UNIX_EPOCH + Duration::from_secs(1_893_553_445))
    );
    block(metadata.provide(&http)).unwrap();
    assert_eq!(
        http.lines(),
        [
            "PUT /meta-data/latest/api/token",
            "GET /openstack/latest/securitykey",
            "GET /openstack/latest/securitykey"
        ]
    );
    // The service answers for the instance it runs on: never asked through a proxy.
    assert_eq!(http.sent_directly(), [true, true, true]);
    let put = http.request(0);
    assert_eq!(put.headers()["x-metadata-token-ttl-seconds"], "21600");
    assert!(put.body().is_empty());
}

#[test]
fn metadata_without_token_support_goes_on_without_one() {
    for status in [404, 405, 503] {
        let http = Scripted::new(move |r| match r.uri().path() {
            "/meta-data/latest/api/token" => reply(status, "no"),
            _ if r.headers().get("x-metadata-token").is_none() => reply(200, KEYS),
            _ => reply(400, "unexpected token"),
        });
        let provided = block(Metadata::new("http://meta.test").provide(&http)).unwrap();
        assert_eq!(provided.credentials.access_key(), Some("TMPAK"), "{status}");
    }
}

#[test]
fn metadata_token_errors_and_stale_tokens() {
    // Another status of the token call is an error.
    let http = Scripted::new(|_| reply(500, "boom"));
    let err = block(Metadata::new("http://meta.test").provide(&http)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the metadata service answered 500 to PUT http://meta.test/meta-data/latest/api/token: boom"
    );

    // A 401 without the agency message: a fresh token, and once more.
    let tokens = Arc::new(AtomicUsize::new(0));
    let counter = tokens.clone();
    let http = Scripted::new(move |r| match r.uri().path() {
        "/meta-data/latest/api/token" => {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            reply(200, &format!("session-{n}"))
        }
        _ if r
            .headers()
            .get("x-metadata-token")
            .is_some_and(|v| v == "session-2") =>
        {
            reply(200, KEYS)
        }
        _ => reply(401, "token expired"),
    });
    block(Metadata::new("http://meta.test").provide(&http)).unwrap();
    assert_eq!(tokens.load(Ordering::SeqCst), 2);
    assert_eq!(http.lines().len(), 4);
}

#[test]
fn metadata_agency_not_configured_says_what_to_do() {
    let http = Scripted::new(|r| match r.uri().path() {
        "/meta-data/latest/api/token" => reply(200, "t"),
        _ => reply(401, &format!("{{\"error\":\"{AGENCY}\"}}")),
    });
    let err = block(Metadata::new("http://meta.test").provide(&http)).unwrap_err();
    assert!(matches!(err, CredentialsError::AgencyNotBound { .. }));
    let text = err.to_string();
    assert!(
        text.contains("bind an agency to the ECS/BMS instance"),
        "{text}"
    );
    // No second token for an agency problem.
    assert_eq!(http.lines().len(), 2);
}

#[test]
fn metadata_unreachable_and_malformed() {
    let http = Scripted::new(|_| Err(HttpError::new(HttpErrorKind::Connect, "connection refused")));
    let err = block(Metadata::new("http://127.0.0.1:9").provide(&http)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the metadata service at http://127.0.0.1:9 is unreachable"
    );
    let cause = std::error::Error::source(&err).expect("the transport error");
    assert_eq!(cause.to_string(), "connection refused");
    let http = Scripted::new(|r| match r.uri().path() {
        "/meta-data/latest/api/token" => reply(200, "t"),
        _ => reply(200, r#"{"credential":{"access":"AK"}}"#),
    });
    let err = block(Metadata::new("http://meta.test").provide(&http)).unwrap_err();
    assert!(err.to_string().contains("no secret key"), "{err}");
}

// ----------------------------------------------------------------------------------------
// Pod identity, OIDC, IdP federation

fn token_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, text).unwrap();
    let path = path.to_string_lossy().into_owned();
    (dir, path)
}

/// A token file is read off the async thread: while the read waits (here on a FIFO that
/// a writer fills 300 ms later), the same single-threaded runtime keeps running its other
/// tasks. A `std::fs` read inside `provide` froze them for the whole wait.
#[cfg(unix)]
#[test]
fn a_slow_token_file_does_not_stall_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("token");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let e = env(&[
        ("HC_CONTAINER_CREDENTIALS_FULL_URI", "http://pod.test/creds"),
        (
            "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            fifo.to_str().unwrap(),
        ),
    ]);
    let http = Scripted::new(|_| {
        reply(
            200,
            r#"{"accessKeyId":"PODAK","secretAccessKey":"PODSK","securityToken":"PODST","expiration":"2030-01-02T03:04:05Z"}"#,
        )
    });
    let pod = PodIdentity::from_env(&e).unwrap().unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            std::fs::write(fifo, "pod-token\n").unwrap();
        })
    };
    let ticks = Arc::new(AtomicUsize::new(0));
    let provided = block(async {
        let ticker = {
            let ticks = ticks.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    ticks.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        let provided = pod.provide(&http).await;
        ticker.abort();
        provided
    })
    .unwrap();
    writer.join().unwrap();
    assert_eq!(provided.credentials.access_key(), Some("PODAK"));
    assert_eq!(http.request(0).headers()["authorization"], "pod-token");
    let ticked = ticks.load(Ordering::SeqCst);
    assert!(
        ticked >= 10,
        "the runtime ran {ticked} ticks of 10 ms during a 300 ms read"
    );
}

#[test]
fn pod_identity_request_shape_and_errors() {
    let (_dir, file) = token_file("pod-token\n");
    let e = env(&[
        (
            "HC_CONTAINER_CREDENTIALS_FULL_URI",
            "http://pod.test:8080/v1/credentials",
        ),
        ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", &file),
    ]);
    let http = Scripted::new(|_| {
        reply(
            200,
            r#"{"accessKeyId":"PODAK","secretAccessKey":"PODSK","securityToken":"PODST","expiration":"2030-01-02T03:04:05Z"}"#,
        )
    });
    let pod = PodIdentity::from_env(&e).unwrap().unwrap();
    let provided = block(pod.provide(&http)).unwrap();
    assert_eq!(provided.credentials.access_key(), Some("PODAK"));
    assert_eq!(provided.source, CredentialSource::PodIdentity);
    let request = http.request(0);
    assert_eq!(request.method(), Method::POST);
    assert_eq!(request.uri(), "http://pod.test:8080/v1/credentials");
    assert_eq!(request.headers()["authorization"], "pod-token");
    assert!(request.headers()["authorization"].is_sensitive());
    assert_eq!(request.headers()["content-type"], "application/json");
    assert_eq!(request.body(), b"{}");
    // The agent answers for the node it runs on: never asked through a proxy.
    assert_eq!(http.sent_directly(), [true]);

    // Configuration errors name the variable or the file.
    let only_uri = env(&[("HC_CONTAINER_CREDENTIALS_FULL_URI", "http://pod.test")]);
    assert_eq!(
        PodIdentity::from_env(&only_uri).unwrap_err().to_string(),
        "HC_CONTAINER_CREDENTIALS_FULL_URI is set but HC_CONTAINER_AUTHORIZATION_TOKEN_FILE is not (environment, CCE pod identity)"
    );
    let bad_uri = env(&[
        ("HC_CONTAINER_CREDENTIALS_FULL_URI", "pod.test/creds"),
        ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", &file),
    ]);
    assert!(
        PodIdentity::from_env(&bad_uri)
            .unwrap_err()
            .to_string()
            .starts_with("HC_CONTAINER_CREDENTIALS_FULL_URI is not usable")
    );
    let (_empty_dir, empty) = token_file("  \n");
    for (path, problem) in [
        (empty.as_str(), "is empty"),
        ("/nonexistent/token", "does not exist"),
    ] {
        let e = env(&[
            ("HC_CONTAINER_CREDENTIALS_FULL_URI", "http://pod.test"),
            ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", path),
        ]);
        let err = block(PodIdentity::from_env(&e).unwrap().unwrap().provide(&http)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE names the token file {path}, which {problem}"
            )
        );
    }
    // The agent's refusal.
    let refusing = Scripted::new(|_| reply(403, "forbidden"));
    let err = block(pod.provide(&refusing)).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "the pod identity agent answered 403 to POST http://pod.test:8080/v1/credentials"
        ),
        "{err}"
    );
}

#[test]
fn oidc_request_shape_and_configuration_errors() {
    let (_dir, file) = token_file("id-token-from-file");
    let e = env(&[
        ("HUAWEICLOUD_OIDC_PROVIDER_URN", "urn:provider"),
        ("HUAWEICLOUD_OIDC_AGENCY_URN", "urn:agency"),
        ("HUAWEICLOUD_OIDC_TOKEN_FILE", &file),
        ("HUAWEICLOUD_OIDC_DURATION_SECONDS", "900"),
        ("HUAWEICLOUD_OIDC_POLICY_IDS", "p1, p2,"),
    ]);
    let http = Scripted::new(|_| {
        reply(
            200,
            r#"{"credentials":{"access_key_id":"OAK","secret_access_key":"OSK","security_token":"OST","expiration":"2030-01-02T03:04:05.000Z"}}"#,
        )
    });
    let oidc = OidcSts::from_env(&e, Some("ap-southeast-3"))
        .unwrap()
        .unwrap();
    let provided = block(oidc.provide(&http)).unwrap();
    assert_eq!(provided.credentials.access_key(), Some("OAK"));
    assert_eq!(provided.source, CredentialSource::OidcSts);
    // STS is reached through the proxy settings.
    assert_eq!(http.sent_directly(), [false]);
    let request = http.request(0);
    assert_eq!(request.method(), Method::POST);
    assert_eq!(
        request.uri(),
        "https://sts.ap-southeast-3.myhuaweicloud.com/v5/agencies/assume-with-oidc"
    );
    assert_eq!(
        request.headers()["content-type"],
        "application/json;charset=UTF-8"
    );
    assert_eq!(
        String::from_utf8(request.body().clone()).unwrap(),
        r#"{"provider_urn":"urn:provider","agency_urn":"urn:agency","agency_session_name":"oidc-sts-session","id_token":"id-token-from-file","duration_seconds":900,"policy_ids":["p1","p2"]}"#
    );

    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("HUAWEICLOUD_OIDC_PROVIDER_URN", "p")],
            "HUAWEICLOUD_OIDC_PROVIDER_URN is set but HUAWEICLOUD_OIDC_AGENCY_URN is not (environment, OIDC federation)",
        ),
        (
            &[
                ("HUAWEICLOUD_OIDC_PROVIDER_URN", "p"),
                ("HUAWEICLOUD_OIDC_AGENCY_URN", "a"),
            ],
            "HUAWEICLOUD_OIDC_PROVIDER_URN and HUAWEICLOUD_OIDC_AGENCY_URN is set but HUAWEICLOUD_OIDC_ID_TOKEN or HUAWEICLOUD_OIDC_TOKEN_FILE is not (environment, OIDC federation)",
        ),
        (
            &[
                ("HUAWEICLOUD_OIDC_PROVIDER_URN", "p"),
                ("HUAWEICLOUD_OIDC_AGENCY_URN", "a"),
                ("HUAWEICLOUD_OIDC_ID_TOKEN", "t"),
                ("HUAWEICLOUD_OIDC_DURATION_SECONDS", "an hour"),
            ],
            "HUAWEICLOUD_OIDC_DURATION_SECONDS is not usable: it must be a whole number of seconds greater than 0",
        ),
    ];
    for (vars, want) in cases {
        assert_eq!(
            OidcSts::from_env(&env(vars), None).unwrap_err().to_string(),
            *want
        );
    }
    assert!(OidcSts::from_env(&env(&[]), None).unwrap().is_none());
}

#[test]
fn idp_federation_two_steps() {
    let (_dir, file) = token_file("idp-id-token");
    let e = env(&[
        ("HUAWEICLOUD_SDK_IDP_ID", "my-idp"),
        ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", &file),
        ("HUAWEICLOUD_SDK_IAM_ENDPOINT", "http://iam.test"),
        ("HUAWEICLOUD_SDK_AK", "IGNORED_AK"),
        ("HUAWEICLOUD_SDK_SK", "IGNORED_SK"),
    ]);
    let http = Scripted::new(|r| match r.uri().path() {
        "/v3.0/OS-AUTH/id-token/tokens" => {
            let mut response = reply(201, "{}")?;
            response
                .headers_mut()
                .insert("x-subject-token", "unscoped-1".parse().unwrap());
            Ok(response)
        }
        "/v3.0/OS-CREDENTIAL/securitytokens" => reply(201, KEYS),
        _ => reply(404, ""),
    });
    let chain = CredentialsChain::new(e, Some("cn-north-4"));
    let provided = block(chain.provide(&http)).unwrap();
    assert_eq!(provided.credentials.access_key(), Some("TMPAK"));
    assert!(
        matches!(
            &provided.source,
            CredentialSource::IdpFederation { idp_id, profile: None, .. } if idp_id == "my-idp"
        ),
        "{:?}",
        provided.source
    );
    let token = http.request(0);
    assert_eq!(token.headers()["x-idp-id"], "my-idp");
    assert_eq!(
        token.body().as_slice(),
        br#"{"auth":{"id_token":{"id":"idp-id-token"}}}"#
    );
    let keys = http.request(1);
    // Byte for byte the official body but for its ", " and ": " separators (keys in its order).
    assert_eq!(
        String::from_utf8(keys.body().clone()).unwrap(),
        r#"{"auth":{"identity":{"methods":["token"],"token":{"id":"unscoped-1","duration_seconds":21600}}}}"#
    );

    // No X-Subject-Token: a malformed answer.
    let http = Scripted::new(|_| reply(201, "{}"));
    let e = env(&[
        ("HUAWEICLOUD_SDK_IDP_ID", "my-idp"),
        ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", &file),
    ]);
    let err = block(CredentialsChain::new(e, None).provide(&http)).unwrap_err();
    assert!(
        err.to_string().contains("no X-Subject-Token header"),
        "{err}"
    );
    // Half a federation is a configuration error.
    let half = env(&[("HUAWEICLOUD_SDK_IDP_ID", "my-idp")]);
    assert_eq!(
        CredentialsChain::new(half, None)
            .configured()
            .unwrap_err()
            .to_string(),
        "HUAWEICLOUD_SDK_IDP_ID is set but HUAWEICLOUD_SDK_ID_TOKEN_FILE is not (environment, IdP federation)"
    );
}

// ----------------------------------------------------------------------------------------
// The chain

#[test]
fn chain_moves_past_an_unreachable_metadata_service_and_lists_every_source() {
    let http = Scripted::new(|_| Err(HttpError::new(HttpErrorKind::Connect, "connection refused")));
    let e = env(&[("HUAWEICLOUD_SDK_METADATA_ENDPOINT", "http://127.0.0.1:9")]);
    let err = block(CredentialsChain::new(e, None).provide(&http)).unwrap_err();
    let CredentialsError::NotFound { tried, .. } = &err else {
        panic!("{err}");
    };
    let sources: Vec<_> = tried.iter().map(|t| t.source).collect();
    assert_eq!(
        sources,
        [
            "OIDC STS",
            "environment",
            "profile file",
            "ECS/BMS metadata",
            "CCE pod identity"
        ]
    );
    let text = err.to_string();
    assert!(
        text.starts_with("no credentials found; tried, in order: 1. OIDC STS: "),
        "{text}"
    );
    assert!(
        text.contains("4. ECS/BMS metadata: the metadata service at http://127.0.0.1:9 is unreachable: connection refused;"),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
}

#[test]
fn chain_uses_pod_identity_when_the_instance_has_no_agency() {
    let (_dir, file) = token_file("pod-token");
    let e = env(&[
        ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", "http://meta.test"),
        ("HC_CONTAINER_CREDENTIALS_FULL_URI", "http://pod.test/creds"),
        ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", &file),
    ]);
    let http = Scripted::new(|r| match r.uri().host() {
        Some("meta.test") if r.method() == Method::PUT => reply(200, "t"),
        Some("meta.test") => reply(401, AGENCY),
        _ => reply(200, KEYS),
    });
    let chain = CredentialsChain::new(e, None);
    let provided = block(chain.provide(&http)).unwrap();
    assert_eq!(provided.source, CredentialSource::PodIdentity);
    // The chosen source alone is asked again.
    block(chain.provide(&http)).unwrap();
    assert_eq!(
        http.lines(),
        [
            "PUT /meta-data/latest/api/token",
            "GET /openstack/latest/securitykey",
            "POST /creds",
            "POST /creds"
        ]
    );
}

#[test]
fn chain_precedence_and_no_request_to_a_source_not_tried() {
    let (_dir, file) = token_file("pod-token");
    let http = Scripted::new(|_| reply(200, KEYS));
    // OIDC comes first, then environment keys; metadata and pod identity are not asked.
    let all = [
        ("HUAWEICLOUD_OIDC_PROVIDER_URN", "p"),
        ("HUAWEICLOUD_OIDC_AGENCY_URN", "a"),
        ("HUAWEICLOUD_OIDC_ID_TOKEN", "t"),
        ("HUAWEICLOUD_SDK_STS_ENDPOINT", "http://sts.test"),
        ("HUAWEICLOUD_SDK_AK", "ENVAK"),
        ("HUAWEICLOUD_SDK_SK", "ENVSK"),
        ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", "http://meta.test"),
        ("HC_CONTAINER_CREDENTIALS_FULL_URI", "http://pod.test/creds"),
        ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", file.as_str()),
    ];
    let provided = block(CredentialsChain::new(env(&all), None).provide(&http)).unwrap();
    assert_eq!(provided.source, CredentialSource::OidcSts);
    assert_eq!(http.lines(), ["POST /v5/agencies/assume-with-oidc"]);
    assert_eq!(http.request(0).uri().host(), Some("sts.test"));

    let provided = block(CredentialsChain::new(env(&all[4..]), None).provide(&http)).unwrap();
    assert_eq!(provided.source, CredentialSource::Environment);
    assert_eq!(provided.credentials.access_key(), Some("ENVAK"));
    assert_eq!(http.lines().len(), 1, "environment keys need no request");

    let provided = block(CredentialsChain::new(env(&all[6..]), None).provide(&http)).unwrap();
    assert_eq!(provided.source, CredentialSource::Metadata);
    assert!(http.lines().iter().all(|l| !l.contains("/creds")));
}

// ----------------------------------------------------------------------------------------
// The cache: refresh rule, single flight, injectable clock

/// A clock the test moves.
#[derive(Debug)]
struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

/// Hands out `AK1`, `AK2`, ... valid for `lifetime` from the clock's now, after `delay`.
#[derive(Debug)]
struct Counting {
    clock: Arc<ManualClock>,
    lifetime: Duration,
    delay: Duration,
    fetches: AtomicUsize,
    failing: AtomicBool,
}

impl ProvideCredentials for Counting {
    fn provide<'a>(
        &'a self,
        _http: &'a dyn HttpClient,
    ) -> BoxFuture<'a, Result<Provided, CredentialsError>> {
        Box::pin(async move {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(self.delay).await;
            if self.failing.load(Ordering::SeqCst) {
                return Err(CredentialsError::provider("failing on purpose"));
            }
            Ok(Provided::permanent(
                Credentials::temporary(format!("AK{n}"), "SK", "ST"),
                CredentialSource::Metadata,
            )
            .with_expires_at(self.clock.now() + self.lifetime))
        })
    }
}

fn cache_over(
    lifetime: Duration,
    delay: Duration,
) -> (CredentialsCache, Arc<Counting>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock(Mutex::new(
        UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    )));
    let provider = Arc::new(Counting {
        clock: clock.clone(),
        lifetime,
        delay,
        fetches: AtomicUsize::new(0),
        failing: AtomicBool::new(false),
    });
    let http = Arc::new(Scripted::new(|_| reply(500, "unused")));
    let cache = CredentialsCache::new(provider.clone(), http, clock.clone());
    (cache, provider, clock)
}

async fn concurrent_access_keys(cache: &CredentialsCache, calls: usize) -> Vec<String> {
    let tasks: Vec<_> = (0..calls)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get()
                    .await
                    .unwrap()
                    .credentials
                    .access_key()
                    .unwrap()
                    .to_owned()
            })
        })
        .collect();
    let mut keys = Vec::new();
    for task in tasks {
        keys.push(task.await.unwrap());
    }
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn first_fetch_is_shared_by_concurrent_calls() {
    let (cache, provider, _clock) =
        cache_over(Duration::from_secs(3600), Duration::from_millis(50));
    let keys = concurrent_access_keys(&cache, 100).await;
    assert!(keys.iter().all(|k| k == "AK1"), "{keys:?}");
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 1);
    assert_eq!(cache.fetch_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn due_credentials_are_refreshed_once_in_the_background_while_calls_go_on() {
    let (cache, provider, clock) =
        cache_over(Duration::from_secs(3600), Duration::from_millis(200));
    cache.get().await.unwrap();
    // 21 minutes left... no: 60 - 21 = 39 minutes left, under the 40-minute threshold.
    clock.advance(Duration::from_secs(21 * 60));
    let started = std::time::Instant::now();
    let keys = concurrent_access_keys(&cache, 100).await;
    // Nobody waited for the 200 ms fetch: everyone got the still-valid AK1.
    assert!(
        started.elapsed() < Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    assert!(keys.iter().all(|k| k == "AK1"), "{keys:?}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        provider.fetches.load(Ordering::SeqCst),
        2,
        "one refresh for 100 calls"
    );
    assert_eq!(
        cache.get().await.unwrap().credentials.access_key(),
        Some("AK2")
    );
    // 19 minutes in: still fresh, nothing fetched.
    clock.advance(Duration::from_secs(19 * 60));
    cache.get().await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_credentials_make_calls_wait_for_one_fetch() {
    let (cache, provider, clock) = cache_over(Duration::from_secs(3600), Duration::from_millis(50));
    cache.get().await.unwrap();
    clock.advance(Duration::from_secs(3601));
    let keys = concurrent_access_keys(&cache, 32).await;
    assert!(keys.iter().all(|k| k == "AK2"), "{keys:?}");
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refresh_keeps_valid_credentials_and_expired_ones_are_an_error() {
    let (cache, provider, clock) = cache_over(Duration::from_secs(3600), Duration::ZERO);
    cache.get().await.unwrap();
    provider.failing.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(30 * 60));
    assert_eq!(
        cache.get().await.unwrap().credentials.access_key(),
        Some("AK1")
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        provider.fetches.load(Ordering::SeqCst),
        2,
        "the refresh was tried"
    );
    // The next call tries again, and still keeps AK1.
    assert_eq!(
        cache.get().await.unwrap().credentials.access_key(),
        Some("AK1")
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 3);

    clock.advance(Duration::from_secs(31 * 60));
    let err = cache.get().await.unwrap_err();
    assert!(matches!(err, CredentialsError::Expired { .. }));
    assert_eq!(
        err.to_string(),
        "the credentials from the ECS/BMS metadata service (the instance's agency) expired and \
         could not be refreshed"
    );
    // The cause comes through `source()`, once.
    let refresh = std::error::Error::source(&err).expect("the refresh's error");
    assert_eq!(refresh.to_string(), "the credentials provider failed");
    let cause = refresh.source().expect("the provider's cause");
    assert_eq!(cause.to_string(), "failing on purpose");
    provider.failing.store(false, Ordering::SeqCst);
    assert!(
        cache
            .get()
            .await
            .unwrap()
            .credentials
            .access_key()
            .unwrap()
            .starts_with("AK")
    );
}

#[tokio::test]
async fn short_lived_credentials_refresh_at_half_their_lifetime() {
    let (cache, provider, clock) = cache_over(Duration::from_secs(15 * 60), Duration::ZERO);
    cache.get().await.unwrap();
    clock.advance(Duration::from_secs(7 * 60));
    cache.get().await.unwrap();
    assert_eq!(
        provider.fetches.load(Ordering::SeqCst),
        1,
        "fresh for half of 15 minutes"
    );
    clock.advance(Duration::from_secs(60));
    cache.get().await.unwrap();
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
}

/// A clock that counts how often it is read.
#[derive(Debug, Default)]
struct CountingClock(AtomicUsize);

impl Clock for CountingClock {
    fn now(&self) -> SystemTime {
        self.0.fetch_add(1, Ordering::SeqCst);
        UNIX_EPOCH
    }
}

#[tokio::test]
async fn permanent_credentials_cost_no_clock_read_per_request() {
    let clock = Arc::new(CountingClock::default());
    let provided = Provided::permanent(
        Credentials::permanent("AK", "SK"),
        CredentialSource::Explicit,
    );
    let http = Arc::new(Scripted::new(|_| reply(500, "unused")));
    let cache = CredentialsCache::new(Arc::new(StaticProvider(provided)), http, clock.clone());
    cache.get().await.unwrap();
    let after_fetch = clock.0.load(Ordering::SeqCst);
    for _ in 0..100 {
        cache.get().await.unwrap();
    }
    assert_eq!(clock.0.load(Ordering::SeqCst), after_fetch);
}

#[tokio::test]
async fn static_credentials_are_fetched_once() {
    let clock = Arc::new(ManualClock(Mutex::new(UNIX_EPOCH)));
    let provided = Provided::permanent(
        Credentials::permanent("AK", "SK"),
        CredentialSource::Explicit,
    );
    let http = Arc::new(Scripted::new(|_| reply(500, "unused")));
    let cache = CredentialsCache::new(Arc::new(StaticProvider(provided)), http, clock.clone());
    for _ in 0..3 {
        cache.get().await.unwrap();
        clock.advance(Duration::from_secs(365 * 24 * 3600));
    }
    assert_eq!(cache.fetch_count(), 1);
}
