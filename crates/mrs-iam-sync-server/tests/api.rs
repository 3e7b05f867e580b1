//! The five operations over loopback HTTP: the sync state machine, bad input,
//! X-Request-Id, and the request log.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use mrs_iam_sync_rules as rules;
use mrs_iam_sync_server::auth::{self, Principal};
use mrs_iam_sync_server::{Config, DEMO_AK, DEMO_SK, IamUser};
use serde_json::json;

#[tokio::test]
async fn sync_state_machine() {
    let server = start().await;
    let c = Client::new(&server);
    let b = base(CLUSTER);

    // Fresh cluster: nothing running, never synchronized, nothing synchronized.
    assert_eq!(
        c.get(&format!("{b}/iam-sync")).await.json(),
        json!({"is_synchronizing": false})
    );
    assert_eq!(
        c.get(&format!("{b}/iam-sync/is-synchronous")).await.json(),
        json!({"is_synchronous": false})
    );
    assert_eq!(
        c.get(&format!("{b}/iam-sync-user")).await.json(),
        json!({"user_names": [], "group_names": []})
    );

    // Start: user2 brings group1 and group2; group3 named directly.
    let r = c
        .post(
            &format!("{b}/iam-sync-user"),
            r#"{"is_all_sync":false,"user_names":["user2"],"group_names":["group3"]}"#,
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json(), json!({"state": "synchronizing"}));

    // Running: visible as running, principals not there yet.
    assert_eq!(
        c.get(&format!("{b}/iam-sync")).await.json(),
        json!({"is_synchronizing": true})
    );
    assert_eq!(
        c.get(&format!("{b}/iam-sync/is-synchronous")).await.json(),
        json!({"is_synchronous": false})
    );
    assert_eq!(
        c.get(&format!("{b}/iam-sync-user")).await.json(),
        json!({"user_names": [], "group_names": []})
    );

    // A second start while running: 409.
    let r = c
        .post(&format!("{b}/iam-sync-user"), r#"{"user_names":["user1"]}"#)
        .await;
    let msg = r.assert_error(409, "MRS.0409");
    assert!(msg.contains("already running"), "{msg}");

    // Done.
    tokio::time::sleep(SYNC + Duration::from_millis(100)).await;
    assert_eq!(
        c.get(&format!("{b}/iam-sync")).await.json(),
        json!({"is_synchronizing": false})
    );
    assert_eq!(
        c.get(&format!("{b}/iam-sync/is-synchronous")).await.json(),
        json!({"is_synchronous": true})
    );
    let shown = c.get(&format!("{b}/iam-sync-user")).await;
    assert_eq!(
        shown.json(),
        json!({"user_names": ["user2"], "group_names": ["group1", "group2", "group3"]})
    );
    // Stable: the same bytes twice.
    assert_eq!(c.get(&format!("{b}/iam-sync-user")).await.text, shown.text);

    // A second sync adds to the first; the lists stay sorted.
    assert_eq!(
        c.post(
            &format!("{b}/iam-sync-user"),
            r#"{"user_names":["user1","user3"]}"#
        )
        .await
        .status,
        202
    );
    server.finish_syncs_now();
    assert_eq!(
        c.get(&format!("{b}/iam-sync-user")).await.json(),
        json!({"user_names": ["user1", "user2", "user3"], "group_names": ["group1", "group2", "group3"]})
    );

    // Cancel: gone at once; unknown / already-gone names are fine.
    let r = c
        .delete(
            &format!("{b}/iam-sync-user"),
            r#"{"user_names":["user2","ghost"],"group_names":["group1"]}"#,
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json(), json!({"state": "synchronizing"}));
    assert_eq!(
        c.get(&format!("{b}/iam-sync-user")).await.json(),
        json!({"user_names": ["user1", "user3"], "group_names": ["group2", "group3"]})
    );
    // Cancelling everything leaves the cluster synchronized (it was, once).
    let r = c
        .delete(
            &format!("{b}/iam-sync-user"),
            r#"{"user_names":["user1","user3"],"group_names":["group2","group3"]}"#,
        )
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(
        c.get(&format!("{b}/iam-sync-user")).await.json(),
        json!({"user_names": [], "group_names": []})
    );
    assert_eq!(
        c.get(&format!("{b}/iam-sync/is-synchronous")).await.json(),
        json!({"is_synchronous": true})
    );

    // State is per (project, cluster): another cluster and another project are untouched.
    assert_eq!(
        c.get(&format!("{}/iam-sync/is-synchronous", base("demo-cluster")))
            .await
            .json(),
        json!({"is_synchronous": false})
    );
    assert_eq!(
        c.get(&format!(
            "/v2/otherproject/clusters/{CLUSTER}/iam-sync/is-synchronous"
        ))
        .await
        .json(),
        json!({"is_synchronous": false})
    );
    server.shutdown().await;
}

#[tokio::test]
async fn is_all_sync_and_cancel_during_sync() {
    let config = Config {
        sync_duration: SYNC,
        iam_users: vec![
            IamUser::new("alice", ["admins"]),
            IamUser::new("bob", ["ops", "devs"]),
        ],
        iam_groups: vec!["auditors".into(), "admins".into()],
        ..Config::default()
    };
    let server = start_with(config).await;
    let c = Client::new(&server);
    let b = base(CLUSTER);
    // is_all_sync ignores the lists (even unknown names in them).
    let r = c
        .post(
            &format!("{b}/iam-sync-user"),
            r#"{"is_all_sync":true,"user_names":["nobody"]}"#,
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    // Cancelling during the sync removes from its result too.
    assert_eq!(
        c.delete(&format!("{b}/iam-sync-user"), r#"{"group_names":["devs"]}"#)
            .await
            .status,
        202
    );
    assert_eq!(
        c.get(&format!("{b}/iam-sync")).await.json(),
        json!({"is_synchronizing": true})
    );
    tokio::time::sleep(SYNC + Duration::from_millis(100)).await;
    assert_eq!(
        c.get(&format!("{b}/iam-sync-user")).await.json(),
        json!({"user_names": ["alice", "bob"], "group_names": ["admins", "auditors", "ops"]})
    );
    server.shutdown().await;
}

#[tokio::test]
async fn zero_duration_and_omit_empty_lists() {
    let server = start_with(Config {
        sync_duration: Duration::ZERO,
        omit_empty_lists: true,
        ..Config::default()
    })
    .await;
    let c = Client::new(&server);
    let b = base(CLUSTER);
    assert_eq!(c.get(&format!("{b}/iam-sync-user")).await.json(), json!({}));
    assert_eq!(
        c.post(
            &format!("{b}/iam-sync-user"),
            r#"{"group_names":["group3"]}"#
        )
        .await
        .status,
        202
    );
    assert_eq!(
        c.get(&format!("{b}/iam-sync")).await.json(),
        json!({"is_synchronizing": false})
    );
    assert_eq!(
        c.get(&format!("{b}/iam-sync-user")).await.json(),
        json!({"group_names": ["group3"]})
    );
    // `{}` starts an empty sync that still completes the cluster's sync.
    assert_eq!(
        c.post(&format!("{}/iam-sync-user", base("demo-cluster")), "{}")
            .await
            .status,
        202
    );
    assert_eq!(
        c.get(&format!("{}/iam-sync/is-synchronous", base("demo-cluster")))
            .await
            .json(),
        json!({"is_synchronous": true})
    );
}

#[tokio::test]
async fn unknown_names_are_refused_and_named() {
    let server = start().await;
    let c = Client::new(&server);
    let b = base(CLUSTER);
    let r = c
        .post(
            &format!("{b}/iam-sync-user"),
            r#"{"user_names":["user1","mallory"],"group_names":["group1","nogroup"]}"#,
        )
        .await;
    let msg = r.assert_error(400, "12000002");
    assert!(
        msg.contains("'mallory'") && msg.contains("'nogroup'"),
        "{msg}"
    );
    assert!(
        !msg.contains("'user1'") && !msg.contains("'group1'"),
        "{msg}"
    );
    // Nothing started.
    assert_eq!(
        c.get(&format!("{b}/iam-sync")).await.json(),
        json!({"is_synchronizing": false})
    );
}

#[tokio::test]
async fn bad_path_parameters() {
    let server = start().await;
    let c = Client::new(&server);
    let longest = [rules::PROJECT_ID.max_length, rules::CLUSTER_ID.max_length]
        .into_iter()
        .flatten()
        .max()
        .unwrap();
    let long = "a".repeat(longest + 1);
    for (path, param) in [
        (
            format!("/v2/proj-1/clusters/{CLUSTER}/iam-sync"),
            "project_id",
        ),
        (
            format!("/v2/proj%21/clusters/{CLUSTER}/iam-sync-user"),
            "project_id",
        ),
        (
            format!("/v2/{long}/clusters/{CLUSTER}/iam-sync"),
            "project_id",
        ),
        (format!("/v2//clusters/{CLUSTER}/iam-sync"), "project_id"),
        (
            format!("/v2/{PROJECT}/clusters/bad.id/iam-sync"),
            "cluster_id",
        ),
        (
            format!("/v2/{PROJECT}/clusters/{long}/iam-sync/is-synchronous"),
            "cluster_id",
        ),
        (
            format!("/v2/{PROJECT}/clusters/a%20b/iam-sync-user"),
            "cluster_id",
        ),
        (
            format!("/v2/{PROJECT}/clusters/%FF/iam-sync-user"),
            "cluster_id",
        ),
        (format!("/v2/{PROJECT}/clusters//iam-sync"), "cluster_id"),
    ] {
        let r = c.get(&path).await;
        let msg = r.assert_error(400, "12000002");
        assert!(
            msg.starts_with(&format!("Invalid parameter: {param}")),
            "{path}: {msg}"
        );
    }
    // The longest project id is fine; `_` and `-` are fine in cluster ids.
    let longest = "A".repeat(rules::PROJECT_ID.max_length.unwrap());
    let r = c
        .get(&format!("/v2/{longest}/clusters/{CLUSTER}/iam-sync"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Valid but unknown cluster.
    let r = c
        .get(&format!("/v2/{PROJECT}/clusters/no_such-cluster/iam-sync"))
        .await;
    let msg = r.assert_error(400, "12000003");
    assert!(
        msg.starts_with("The cluster does not exist.") && msg.contains("no_such-cluster"),
        "{msg}"
    );
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let server = start().await;
    let c = Client::new(&server);
    for path in [
        "/".to_owned(),
        "/v1/x".to_owned(),
        format!("{}/iam-sync/", base(CLUSTER)),
        format!("{}/iam-sync-users", base(CLUSTER)),
        format!("/v2/{PROJECT}/cluster/{CLUSTER}/iam-sync"),
    ] {
        // 404 comes before authentication.
        let r = c.send("GET", &path, None, &Auth::None).await;
        r.assert_error(404, "APIGW.0101");
    }
    for (method, path, allow) in [
        ("POST", format!("{}/iam-sync", base(CLUSTER)), "GET, HEAD"),
        (
            "DELETE",
            format!("{}/iam-sync/is-synchronous", base(CLUSTER)),
            "GET, HEAD",
        ),
        (
            "PUT",
            format!("{}/iam-sync-user", base(CLUSTER)),
            "GET, HEAD, POST, DELETE",
        ),
        (
            "PATCH",
            format!("{}/iam-sync-user", base(CLUSTER)),
            "GET, HEAD, POST, DELETE",
        ),
    ] {
        let r = c.send(method, &path, Some("{}"), &Auth::demo()).await;
        r.assert_error(405, "APIGW.0101");
        assert_eq!(r.header("allow"), Some(allow));
    }
}

#[tokio::test]
async fn bad_bodies() {
    let server = start().await;
    let c = Client::new(&server);
    let path = format!("{}/iam-sync-user", base(CLUSTER));
    for (method, body, needle) in [
        ("POST", "{", "not valid JSON"),
        ("POST", "{\"user_names\": [\"a\",]}", "not valid JSON"),
        ("POST", "[\"user1\"]", "must be a JSON object, not an array"),
        ("DELETE", "\"x\"", "must be a JSON object, not a string"),
        ("DELETE", "null", "must be a JSON object, not null"),
        (
            "POST",
            r#"{"is_all_sync":"true"}"#,
            "is_all_sync invalid type: string \"true\", expected a boolean",
        ),
        (
            "POST",
            r#"{"is_all_sync":null}"#,
            "is_all_sync invalid type: null, expected a boolean",
        ),
        (
            "POST",
            r#"{"user_names":"user1"}"#,
            "user_names invalid type: string \"user1\", expected a sequence",
        ),
        (
            "POST",
            r#"{"user_names":null}"#,
            "user_names invalid type: null, expected a sequence",
        ),
        (
            "POST",
            r#"{"group_names":[1]}"#,
            "group_names[0] invalid type: integer `1`, expected a string",
        ),
        (
            "DELETE",
            r#"{"user_names":{"a":1}}"#,
            "user_names invalid type: map, expected a sequence",
        ),
        (
            "DELETE",
            r#"{"group_names":["g",null]}"#,
            "group_names[1] invalid type: null, expected a string",
        ),
        (
            "DELETE",
            r#"{"group_names":["g",""]}"#,
            "group_names item 1 \"\" is empty; each item must be a non-empty string",
        ),
    ] {
        let r = c.send(method, &path, Some(body), &Auth::demo()).await;
        let msg = r.assert_error(400, "12000002");
        assert!(msg.contains(needle), "{method} {body:?}: {msg}");
    }
    // An absent body means `{}`: the spec makes it optional.
    let r = c.send("DELETE", &path, Some("   "), &Auth::demo()).await;
    assert_eq!(r.status, 202, "{}", r.text);
    // The spec's maxItems per list in a cancel; exactly that many is fine.
    let most = rules::CANCEL_SYNC_IAM_USER_REQUEST_USER_NAMES
        .max_items
        .unwrap();
    let names = |n: usize| serde_json::to_string(&vec!["x"; n]).unwrap();
    let r = c
        .delete(&path, &format!(r#"{{"user_names":{}}}"#, names(most + 1)))
        .await;
    let msg = r.assert_error(400, "12000002");
    assert!(
        msg.contains(&format!(
            "user_names has {} items; at most {most} are allowed",
            most + 1
        )),
        "{msg}"
    );
    let r = c
        .delete(&path, &format!(r#"{{"group_names":{}}}"#, names(most + 1)))
        .await;
    assert!(r.assert_error(400, "12000002").contains("group_names"));
    let r = c
        .delete(
            &path,
            &format!(
                r#"{{"user_names":{},"group_names":{}}}"#,
                names(most),
                names(most)
            ),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    // Deeply nested JSON does not crash anything.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = c.post(&path, &deep).await;
    r.assert_error(400, "12000002");
    // The server still answers.
    assert_eq!(
        c.get(&format!("{}/iam-sync", base(CLUSTER))).await.status,
        200
    );
}

#[tokio::test]
async fn body_limit() {
    let server = start_with(Config {
        max_body_bytes: 1024,
        sync_duration: SYNC,
        ..Config::default()
    })
    .await;
    let c = Client::new(&server);
    let path = format!("{}/iam-sync-user", base(CLUSTER));
    // Just at the limit: read and parsed (then refused for its content, not its size).
    let at_limit = format!(r#"{{"user_names":["{}"]}}"#, "u".repeat(1024 - 19));
    assert_eq!(at_limit.len(), 1024);
    let r = c.post(&path, &at_limit).await;
    r.assert_error(400, "12000002");
    // One byte more: 413.
    let over = format!(r#"{{"user_names":["{}"]}}"#, "u".repeat(1024 - 18));
    let r = c.post(&path, &over).await;
    let msg = r.assert_error(413, "APIGW.0201");
    assert!(msg.contains("1024"), "{msg}");
    let rec = server.requests().pop().unwrap();
    assert!(!rec.body_complete && rec.body.is_empty() && rec.status == Some(413));

    // A huge declared Content-Length is refused without waiting for the body.
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{{\"user_",
        server.local_addr()
    );
    let started = std::time::Instant::now();
    let out = raw_exchange(&server, head.as_bytes(), Duration::from_secs(5)).await;
    assert!(out.starts_with("HTTP/1.1 413"), "{out}");
    assert!(
        out.contains("APIGW.0201") && out.to_ascii_lowercase().contains("x-request-id: "),
        "{out}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));

    // A chunked body without a length is cut off at the limit.
    let chunk = "a".repeat(600);
    let chunked = format!(
        "POST {path} HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n{chunk}\r\n258\r\n{chunk}\r\n258\r\n{chunk}\r\n"
    );
    let out = raw_exchange(&server, chunked.as_bytes(), Duration::from_secs(5)).await;
    assert!(out.starts_with("HTTP/1.1 413"), "{out}");
}

#[tokio::test]
async fn garbage_does_not_crash_the_server() {
    let server = start().await;
    for junk in [
        &b"\x00\x01\x02\xff\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /v2/p/clusters/cid-1/iam-sync-user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /v2/p/clusters/cid-1/iam-sync HTTP/1.1\r\nHost: x\r\nAuthorization: SDK-HMAC-SHA256 \xff\xfe\r\nConnection: close\r\n\r\n",
        b"GET /v2/p/clusters/cid-1/iam-sync HTTP/1.1\r\nHost: x\r\nX-Sdk-Date: 99999999T999999Z\r\nAuthorization: SDK-HMAC-SHA256 Access=MRSDEMOACCESSKEY0001, SignedHeaders=host;x-sdk-date, Signature=00\r\nConnection: close\r\n\r\n",
        b"GET /v2/%zz/clusters/%/iam-sync HTTP/1.1\r\nHost: x\r\nX-Auth-Token: mrs-demo-token\r\nConnection: close\r\n\r\n",
    ] {
        let _ = raw_exchange(&server, junk, Duration::from_millis(500)).await;
    }
    let c = Client::new(&server);
    assert_eq!(
        c.get(&format!("{}/iam-sync", base(CLUSTER))).await.status,
        200
    );
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let server = start().await;
    let c = Client::new(&server);
    let mut seen = std::collections::HashSet::new();
    let responses = [
        c.get(&format!("{}/iam-sync", base(CLUSTER))).await,
        c.post(&format!("{}/iam-sync-user", base(CLUSTER)), "{}")
            .await,
        c.send("GET", "/nope", None, &Auth::None).await,
        c.send(
            "GET",
            &format!("{}/iam-sync", base(CLUSTER)),
            None,
            &Auth::None,
        )
        .await,
    ];
    for r in &responses {
        let id = r.request_id();
        assert_eq!(id.len(), 32);
        assert!(
            id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "{id}"
        );
        assert!(seen.insert(id.to_owned()), "ids are unique");
    }
    // The log knows them too, in order.
    let ids: Vec<String> = server
        .requests()
        .into_iter()
        .map(|r| r.request_id)
        .collect();
    let sent: Vec<String> = responses
        .iter()
        .map(|r| r.request_id().to_owned())
        .collect();
    assert_eq!(ids, sent);
}

#[tokio::test]
async fn request_log_records_raw_requests() {
    let server = start().await;
    let c = Client::new(&server);
    let path = format!("{}/iam-sync-user", base(CLUSTER));
    let body = r#"{"user_names":["user1"]}"#;
    let r = c
        .try_send(
            "DELETE",
            &format!("{path}?b=2&a=x%20y"),
            Some(body),
            &Auth::demo(),
            &[("X-Extra", "  spaced  ")],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 202, "{}", r.text);
    c.send("GET", &path, None, &Auth::token()).await;
    c.send("GET", "/unknown", None, &Auth::None).await;

    assert_eq!(server.request_count(), 3);
    let log = server.requests();
    let first = &log[0];
    assert_eq!(first.method, "DELETE");
    assert_eq!(first.path, path);
    assert_eq!(first.query.as_deref(), Some("b=2&a=x%20y"));
    assert_eq!(first.body, body.as_bytes());
    assert!(first.body_complete);
    assert_eq!(first.status, Some(202));
    assert_eq!(first.request_id, r.request_id());
    // Headers: lower-case names, in the order sent, values as sent.
    let names: Vec<&str> = first.headers.iter().map(|(n, _)| n.as_str()).collect();
    let pos = |n: &str| {
        names
            .iter()
            .position(|x| *x == n)
            .unwrap_or_else(|| panic!("{n} in {names:?}"))
    };
    assert!(pos("content-type") < pos("x-project-id"));
    assert!(pos("x-project-id") < pos("x-extra"));
    assert!(pos("x-extra") < pos("x-sdk-date"));
    assert!(pos("x-sdk-date") < pos("authorization"));
    // HTTP/1 parsing drops the spaces around a field value.
    assert_eq!(first.header("X-Extra"), Some("spaced"));
    assert!(
        first
            .header("authorization")
            .unwrap()
            .starts_with("SDK-HMAC-SHA256 Access=")
    );

    // The captured request re-verifies: with the server's own verifier...
    let keys = [mrs_iam_sync_server::AccessKey::new(DEMO_AK, DEMO_SK)];
    let ak = auth::verify_signature(
        &first.as_raw(),
        &keys,
        SystemTime::now(),
        Duration::from_secs(900),
    );
    assert_eq!(ak.as_deref(), Ok(DEMO_AK));
    // ...and with the test's independent signer over the captured headers.
    // (Only the headers the client signed: the HTTP stack added others.)
    let to_sign = [
        "content-type",
        "host",
        "x-extra",
        "x-project-id",
        "x-sdk-date",
    ];
    let signed: Vec<(String, String)> = first
        .headers
        .iter()
        .filter(|(n, _)| to_sign.contains(&n.as_str()))
        .cloned()
        .collect();
    let again = sign(
        DEMO_AK,
        DEMO_SK,
        "DELETE",
        &format!("{path}?b=2&a=x%20y"),
        &signed,
        &first.body,
    );
    assert_eq!(Some(again.as_str()), first.header("authorization"));

    // Token requests: the token is recorded (tests may need it) but Debug redacts it.
    let second = &log[1];
    assert_eq!(
        second.header("x-auth-token"),
        Some(mrs_iam_sync_server::DEMO_TOKEN)
    );
    let debug = format!("{second:?}");
    assert!(
        !debug.contains(mrs_iam_sync_server::DEMO_TOKEN) && debug.contains("<redacted>"),
        "{debug}"
    );
    assert_eq!(
        auth::authenticate(
            &second.as_raw(),
            &[],
            &[mrs_iam_sync_server::DEMO_TOKEN.into()],
            SystemTime::now(),
            Duration::from_secs(1)
        ),
        Ok(Principal::Token)
    );
    assert_eq!(log[2].status, Some(404));
    assert_eq!(log[2].query, None);

    server.clear_requests();
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn secrets_stay_out_of_debug_output() {
    let config = Config::default();
    let debug = format!("{config:?}");
    assert!(!debug.contains(DEMO_SK), "{debug}");
    assert!(!debug.contains(mrs_iam_sync_server::DEMO_TOKEN), "{debug}");
    assert!(debug.contains(DEMO_AK));
    let server = start().await;
    let c = Client::new(&server);
    // A 401 never echoes the token or the signature back.
    let r = c
        .send(
            "GET",
            &format!("{}/iam-sync", base(CLUSTER)),
            None,
            &Auth::Token("secret-token-123".into()),
        )
        .await;
    assert!(!r.text.contains("secret-token-123"), "{}", r.text);
    let r = c
        .send(
            "GET",
            &format!("{}/iam-sync", base(CLUSTER)),
            None,
            &Auth::Sign {
                ak: DEMO_AK.into(),
                sk: "not-the-sk".into(),
                at: SystemTime::now(),
            },
        )
        .await;
    assert!(
        !r.text.contains("not-the-sk") && !r.text.contains(DEMO_SK),
        "{}",
        r.text
    );
}
