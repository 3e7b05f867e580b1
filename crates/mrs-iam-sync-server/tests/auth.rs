//! Gateway authentication over loopback HTTP: signatures, tokens, and every
//! way they fail (401 APIGW.0301).

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use mrs_iam_sync_server::{AccessKey, Config, DEMO_AK, DEMO_SK};

fn now_minus(secs: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(secs)
}

fn now_plus(secs: u64) -> SystemTime {
    SystemTime::now() + Duration::from_secs(secs)
}

fn signed_at(at: SystemTime) -> Auth {
    Auth::Sign {
        ak: DEMO_AK.into(),
        sk: DEMO_SK.into(),
        at,
    }
}

/// Assert a 401 APIGW.0301 whose reason contains `needle`.
fn assert_401(r: &Resp, needle: &str) {
    let msg = r.assert_error(401, "APIGW.0301");
    let reason = msg
        .strip_prefix("Incorrect IAM authentication information: ")
        .unwrap_or_else(|| panic!("prefix: {msg}"));
    assert!(
        reason.contains(needle),
        "{reason:?} should contain {needle:?}"
    );
}

#[tokio::test]
async fn signed_requests_and_tokens_are_accepted() {
    let server = start().await;
    let c = Client::new(&server);
    let b = base(CLUSTER);
    assert_eq!(c.get(&format!("{b}/iam-sync")).await.status, 200);
    assert_eq!(
        c.post(&format!("{b}/iam-sync-user"), r#"{"user_names":["user1"]}"#)
            .await
            .status,
        202
    );
    assert_eq!(
        c.delete(&format!("{b}/iam-sync-user"), r#"{"user_names":["user1"]}"#)
            .await
            .status,
        202
    );
    // A query string and percent-encoded path characters are signed canonically.
    let r = c
        .send(
            "GET",
            &format!("{b}/iam-sync?z=1&a=b%20c&a=%7E&flag"),
            None,
            &Auth::demo(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .send(
            "GET",
            &format!("/v2/{PROJECT}/clusters/cid%2D1/iam-sync"),
            None,
            &Auth::demo(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Dates up to 15 minutes off either way.
    assert_eq!(
        c.send(
            "GET",
            &format!("{b}/iam-sync"),
            None,
            &signed_at(now_minus(14 * 60))
        )
        .await
        .status,
        200
    );
    assert_eq!(
        c.send(
            "GET",
            &format!("{b}/iam-sync"),
            None,
            &signed_at(now_plus(14 * 60))
        )
        .await
        .status,
        200
    );
    // Tokens.
    assert_eq!(
        c.send("GET", &format!("{b}/iam-sync"), None, &Auth::token())
            .await
            .status,
        200
    );
    // A second configured key pair.
    let server2 = start_with(Config {
        access_keys: vec![AccessKey::new("AK1", "SK1"), AccessKey::new("AK2", "SK2")],
        ..Config::default()
    })
    .await;
    let c2 = Client::new(&server2);
    let auth2 = Auth::Sign {
        ak: "AK2".into(),
        sk: "SK2".into(),
        at: SystemTime::now(),
    };
    assert_eq!(
        c2.send("GET", &format!("{b}/iam-sync"), None, &auth2)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn unsigned_payload() {
    let server = start().await;
    let c = Client::new(&server);
    let path = format!("{}/iam-sync-user", base(CLUSTER));
    // What try_send sends by itself, plus the two headers added here.
    let date = sdk_date(SystemTime::now());
    let headers = vec![
        (
            "Content-Type".to_string(),
            "application/json;charset=utf-8".to_string(),
        ),
        ("Host".to_string(), c.host.clone()),
        ("X-Project-Id".to_string(), PROJECT.to_string()),
        (
            "X-Sdk-Content-Sha256".to_string(),
            "UNSIGNED-PAYLOAD".to_string(),
        ),
        ("X-Sdk-Date".to_string(), date.clone()),
    ];
    let body = r#"{"group_names":["group3"]}"#;
    let authz = sign(DEMO_AK, DEMO_SK, "POST", &path, &headers, body.as_bytes());
    let extra = [
        ("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD"),
        ("X-Sdk-Date", date.as_str()),
        ("Authorization", authz.as_str()),
    ];
    let r = c
        .try_send("POST", &path, Some(body), &Auth::None, &extra)
        .await
        .unwrap();
    assert_eq!(r.status, 202, "{}", r.text);
}

#[tokio::test]
async fn authentication_failures() {
    let server = start().await;
    let c = Client::new(&server);
    let b = base(CLUSTER);
    let get = |auth: Auth| {
        let c = &c;
        let path = format!("{b}/iam-sync");
        async move { c.send("GET", &path, None, &auth).await }
    };

    assert_401(&get(Auth::None).await, "no Authorization or X-Auth-Token");
    assert_401(
        &get(Auth::Sign {
            ak: DEMO_AK.into(),
            sk: "wrong".into(),
            at: SystemTime::now(),
        })
        .await,
        "verify aksk signature fail",
    );
    assert_401(
        &get(Auth::Sign {
            ak: "NOSUCHAK".into(),
            sk: DEMO_SK.into(),
            at: SystemTime::now(),
        })
        .await,
        "access key (AK) does not exist",
    );
    assert_401(
        &get(signed_at(now_minus(16 * 60))).await,
        "X-Sdk-Date header is expired",
    );
    assert_401(
        &get(signed_at(now_plus(16 * 60))).await,
        "X-Sdk-Date header is expired",
    );
    assert_401(
        &get(Auth::Token("not-a-token".into())).await,
        "X-Auth-Token is invalid",
    );
    assert_401(
        &get(Auth::Token(String::new())).await,
        "X-Auth-Token is invalid",
    );

    // A signed body that was changed on the way.
    let path = format!("{b}/iam-sync-user");
    let date = sdk_date(SystemTime::now());
    let headers = vec![
        (
            "Content-Type".to_string(),
            "application/json;charset=utf-8".to_string(),
        ),
        ("Host".to_string(), c.host.clone()),
        ("X-Project-Id".to_string(), PROJECT.to_string()),
        ("X-Sdk-Date".to_string(), date.clone()),
    ];
    let authz = sign(
        DEMO_AK,
        DEMO_SK,
        "POST",
        &path,
        &headers,
        br#"{"user_names":["user1"]}"#,
    );
    let extra = [
        ("X-Sdk-Date", date.as_str()),
        ("Authorization", authz.as_str()),
    ];
    let r = c
        .try_send(
            "POST",
            &path,
            Some(r#"{"user_names":["user2"]}"#),
            &Auth::None,
            &extra,
        )
        .await
        .unwrap();
    assert_401(&r, "verify aksk signature fail");
    // The same signature on the right body passes (so the setup is right).
    let r = c
        .try_send(
            "POST",
            &path,
            Some(r#"{"user_names":["user1"]}"#),
            &Auth::None,
            &extra,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 202, "{}", r.text);

    // Another method, or another path, with that signature: refused.
    let r = c
        .try_send(
            "DELETE",
            &path,
            Some(r#"{"user_names":["user1"]}"#),
            &Auth::None,
            &extra,
        )
        .await
        .unwrap();
    assert_401(&r, "verify aksk signature fail");

    // Header-level problems, sent by hand.
    let gpath = format!("{b}/iam-sync");
    let gheaders = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("Host".to_string(), c.host.clone()),
        ("X-Project-Id".to_string(), PROJECT.to_string()),
        ("X-Sdk-Date".to_string(), date.clone()),
    ];
    let good = sign(DEMO_AK, DEMO_SK, "GET", &gpath, &gheaders, b"");
    let sig = good.rsplit("Signature=").next().unwrap().to_owned();
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![
                ("Authorization", "Basic dXNlcjpwYXNz".into()),
                ("X-Sdk-Date", date.clone()),
            ],
            "unsupported signing algorithm",
        ),
        (
            vec![
                ("Authorization", "SDK-HMAC-SHA256 Access=x".into()),
                ("X-Sdk-Date", date.clone()),
            ],
            "malformed Authorization header",
        ),
        (
            vec![
                ("Authorization", "SDK-HMAC-SHA256".into()),
                ("X-Sdk-Date", date.clone()),
            ],
            "malformed Authorization header",
        ),
        (
            vec![("Authorization", good.clone())],
            "X-Sdk-Date header is missing",
        ),
        (
            vec![
                ("Authorization", good.clone()),
                ("X-Sdk-Date", "2024-01-02T03:04:05Z".into()),
            ],
            "not in the format YYYYMMDDTHHMMSSZ",
        ),
        (
            vec![
                (
                    "Authorization",
                    format!(
                        "SDK-HMAC-SHA256 Access={DEMO_AK}, SignedHeaders=content-type;host;x-missing;x-project-id;x-sdk-date, Signature={sig}"
                    ),
                ),
                ("X-Sdk-Date", date.clone()),
            ],
            "signed header 'x-missing' is missing",
        ),
        (
            vec![
                (
                    "Authorization",
                    format!(
                        "SDK-HMAC-SHA256 Access={DEMO_AK}, SignedHeaders=content-type;host;x-sdk-date, Signature={sig}"
                    ),
                ),
                ("X-Sdk-Date", date.clone()),
            ],
            "verify aksk signature fail",
        ),
        (
            vec![
                ("Authorization", good.replace(&sig, &"0".repeat(64))),
                ("X-Sdk-Date", date.clone()),
            ],
            "verify aksk signature fail",
        ),
        (
            vec![
                ("Authorization", good.replace(&sig, "abc")),
                ("X-Sdk-Date", date.clone()),
            ],
            "verify aksk signature fail",
        ),
    ];
    for (extra, needle) in cases {
        let extra: Vec<(&str, &str)> = extra.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let r = c
            .try_send("GET", &gpath, None, &Auth::None, &extra)
            .await
            .unwrap();
        assert_401(&r, needle);
    }
    // Upper-case hex in the signature is accepted (the comparison is on the value).
    let upper = good.replace(&sig, &sig.to_uppercase());
    let r = c
        .try_send(
            "GET",
            &gpath,
            None,
            &Auth::None,
            &[("X-Sdk-Date", &date), ("Authorization", &upper)],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text);

    // A bad token is refused even with a valid signature next to it.
    let r = c
        .try_send(
            "GET",
            &gpath,
            None,
            &Auth::None,
            &[
                ("X-Sdk-Date", &date),
                ("Authorization", &good),
                ("X-Auth-Token", "bogus"),
            ],
        )
        .await
        .unwrap();
    assert_401(&r, "X-Auth-Token is invalid");

    // Auth runs before parameter validation: an unauthenticated request for
    // an unknown cluster is a 401, not a 400.
    let r = c
        .send(
            "GET",
            &format!("{}/iam-sync", base("unknown")),
            None,
            &Auth::None,
        )
        .await;
    assert_401(&r, "no Authorization");
}

#[tokio::test]
async fn clock_skew_is_configurable() {
    let server = start_with(Config {
        max_clock_skew: Duration::from_secs(60),
        ..Config::default()
    })
    .await;
    let c = Client::new(&server);
    let path = format!("{}/iam-sync", base(CLUSTER));
    assert_eq!(
        c.send("GET", &path, None, &signed_at(now_minus(30)))
            .await
            .status,
        200
    );
    let r = c.send("GET", &path, None, &signed_at(now_minus(120))).await;
    assert_401(&r, "more than 60 s");
}

#[tokio::test]
async fn server_clock_offset() {
    // The server's clock runs 20 minutes ahead: a client with a right clock is stale.
    let server = start_with(Config {
        clock_offset_secs: 20 * 60,
        ..Config::default()
    })
    .await;
    let c = Client::new(&server);
    let path = format!("{}/iam-sync", base(CLUSTER));
    assert_401(&c.send("GET", &path, None, &Auth::demo()).await, "expired");
    assert_eq!(
        c.send("GET", &path, None, &signed_at(now_plus(20 * 60)))
            .await
            .status,
        200
    );
    // Tokens do not care.
    assert_eq!(c.send("GET", &path, None, &Auth::token()).await.status, 200);
    let server = start_with(Config {
        clock_offset_secs: -20 * 60,
        ..Config::default()
    })
    .await;
    let c = Client::new(&server);
    assert_401(&c.send("GET", &path, None, &Auth::demo()).await, "expired");
    assert_eq!(
        c.send("GET", &path, None, &signed_at(now_minus(20 * 60)))
            .await
            .status,
        200
    );
}
