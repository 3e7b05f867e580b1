//! The program `xtask/tests/pattern_specs.rs` builds and runs in a scratch
//! workspace whose client, rules and loopback server were generated from a
//! test spec (not part of the xtask package: it is written there as
//! `patterns/check/src/main.rs`). The test spec gives `cluster_id` a UUID
//! pattern, the request's `user_names` IAM's user-name rule and its
//! `group_names` an alternation; for each, a value the server's directory
//! knows but the pattern refuses is
//!
//! - refused by the client before anything is sent (the server records no
//!   request), naming the field and the pattern, and
//! - refused by the server, sent raw, with 400 `12000002` naming the same
//!   pattern,
//!
//! and a value the pattern accepts goes through both. Both sides read the
//! one generated table (`mrs_iam_sync_rules`), whose pattern text the
//! messages must show. It panics on the first disagreement.

use mrs_iam_sync::types::UpdateSyncIamUserRequest;
use mrs_iam_sync::{Client, Credentials, Error};
use mrs_iam_sync_rules::{
    CLUSTER_ID, UPDATE_SYNC_IAM_USER_REQUEST_GROUP_NAMES, UPDATE_SYNC_IAM_USER_REQUEST_USER_NAMES,
};
use mrs_iam_sync_server::{
    Config, DEMO_AK, DEMO_CLUSTER_ID, DEMO_PROJECT_ID, DEMO_SK, DEMO_TOKEN, IamUser, Server,
};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // The directory knows the refused values too: only the pattern can
    // refuse them.
    let config = Config {
        clusters: vec![DEMO_CLUSTER_ID.to_owned(), "cid-1".to_owned()],
        iam_users: vec![
            IamUser::new("user.one", ["cn-north-4"]),
            IamUser::new("1user", Vec::<String>::new()),
        ],
        iam_groups: vec!["cn-north-4".to_owned(), "us-east-1".to_owned()],
        sync_duration: std::time::Duration::from_millis(50),
        ..Config::default()
    };
    let server = Server::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the loopback server starts");
    let client = Client::builder()
        .endpoint(server.base_url())
        .credentials(Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID))
        .build()
        .expect("the client builds");
    let base = format!("/v2/{DEMO_PROJECT_ID}/clusters");

    // cluster_id: a UUID.
    let uuid = CLUSTER_ID.pattern.source;
    let sent = server.request_count();
    let err = client.is_synchronizing("cid-1").await.unwrap_err();
    refused_by_client(&server, sent, &err, "cluster_id", uuid);
    refused_by_server(
        &server,
        "GET",
        &format!("{base}/cid-1/iam-sync"),
        None,
        uuid,
    )
    .await;
    client
        .is_synchronizing(DEMO_CLUSTER_ID)
        .await
        .expect("a UUID passes both");

    // user_names: IAM's user-name rule.
    let user_rule = UPDATE_SYNC_IAM_USER_REQUEST_USER_NAMES
        .item
        .pattern
        .expect("user_names has a pattern")
        .source;
    let users = |name: &str| UpdateSyncIamUserRequest {
        user_names: vec![name.to_owned()],
        ..Default::default()
    };
    let sync = format!("{base}/{DEMO_CLUSTER_ID}/iam-sync-user");
    let sent = server.request_count();
    let err = client
        .start_sync(DEMO_CLUSTER_ID, &users("1user"))
        .await
        .unwrap_err();
    refused_by_client(&server, sent, &err, "user_names", user_rule);
    let body = json!({"user_names": ["1user"]});
    refused_by_server(&server, "POST", &sync, Some(body), user_rule).await;

    // group_names: an alternation.
    let group_rule = UPDATE_SYNC_IAM_USER_REQUEST_GROUP_NAMES
        .item
        .pattern
        .expect("group_names has a pattern")
        .source;
    let groups = UpdateSyncIamUserRequest {
        group_names: vec!["us-east-1".to_owned()],
        ..Default::default()
    };
    let sent = server.request_count();
    let err = client
        .start_sync(DEMO_CLUSTER_ID, &groups)
        .await
        .unwrap_err();
    refused_by_client(&server, sent, &err, "group_names", group_rule);
    let body = json!({"group_names": ["us-east-1"]});
    refused_by_server(&server, "POST", &sync, Some(body), group_rule).await;

    // Values the patterns accept go through the client and the server.
    let good = UpdateSyncIamUserRequest {
        user_names: vec!["user.one".to_owned()],
        group_names: vec!["cn-north-4".to_owned()],
        ..Default::default()
    };
    client
        .start_sync(DEMO_CLUSTER_ID, &good)
        .await
        .expect("values the patterns accept pass both");
    println!("ok: {uuid} | {user_rule} | {group_rule}");
}

/// The client refused `field` naming `pattern`, and sent nothing.
fn refused_by_client(server: &Server, sent_before: usize, err: &Error, field: &str, pattern: &str) {
    let text = err.to_string();
    assert!(
        matches!(err, Error::InvalidInput { .. }) && text.contains(field) && text.contains(pattern),
        "the client's error for {field}: {text} ({err:?})"
    );
    assert_eq!(
        server.request_count(),
        sent_before,
        "the client sent a request with an invalid {field}"
    );
}

/// Sent raw (no client-side check), the server answers 400 `12000002`
/// naming `pattern`.
async fn refused_by_server(
    server: &Server,
    method: &str,
    path: &str,
    body: Option<Value>,
    pattern: &str,
) {
    let http = mrs_iam_sync::reqwest::Client::new();
    let url = format!("{}{path}", server.base_url());
    let request = match body {
        Some(body) => http
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string()),
        None => http.request(method.parse().unwrap(), url),
    };
    let response = request
        .header("X-Auth-Token", DEMO_TOKEN)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let answer: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(status, 400, "{method} {path}: {answer}");
    assert_eq!(
        answer["error_code"], "12000002",
        "{method} {path}: {answer}"
    );
    let message = answer["error_msg"].as_str().unwrap_or_default();
    assert!(message.contains(pattern), "{method} {path}: {message}");
}
