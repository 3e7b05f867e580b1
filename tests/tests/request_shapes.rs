//! For every operation of the spec, the exact request the generated client
//! sends for the spec's example inputs, captured at a loopback server: with
//! pinned credentials and clock, every header is locked down, the
//! `Authorization` signature included (and verified independently).

use std::time::Duration;

use mrs_iam_sync::{Client, types};
use mrs_iam_sync_server::AccessKey;
use mrs_iam_sync_server::auth::{self, AuthError, RawRequest};
use mrs_iam_sync_tests::capture::{CannedResponse, CaptureServer, CapturedRequest};
use mrs_iam_sync_tests::{pinned, spec};
use serde_json::{Value, json};

/// The loopback server's verifier (independent of the client's signer), run on the
/// request as it arrived, with the server's clock at the pinned instant.
fn verify(request: &CapturedRequest) -> Result<String, AuthError> {
    let raw = RawRequest {
        method: &request.method,
        path: request.path(),
        query: request.query(),
        headers: &request.headers,
        body: &request.body,
    };
    let keys = [AccessKey::new(pinned::AK, pinned::SK)];
    auth::verify_signature(&raw, &keys, pinned::instant(), Duration::from_secs(60))
}

/// Sends `operation` with the example inputs; returns what the server saw.
async fn send(
    client: &Client,
    server: &CaptureServer,
    operation: &spec::Operation<'_>,
    spec: &Value,
    body: Option<Value>,
) -> CapturedRequest {
    let project_id = spec::parameter_example(spec, "ProjectIdPath");
    let cluster_id = spec::parameter_example(spec, "ClusterIdPath");
    let (status, answer) = match operation.id.as_str() {
        "ListClusterSyncTaskStatus" => (200, json!({"is_synchronizing": false})),
        "ListClusterSyncStatus" => (200, json!({"is_synchronous": false})),
        "ShowSyncIamUser" => (200, json!({"user_names": [], "group_names": []})),
        _ => (202, json!({"state": "synchronizing"})),
    };
    server.respond_with(CannedResponse::json(status, answer.to_string()));
    let sent = match operation.id.as_str() {
        "ListClusterSyncTaskStatus" => client
            .list_cluster_sync_task_status()
            .project_id(project_id.as_str())
            .cluster_id(cluster_id.as_str())
            .send()
            .await
            .map(drop),
        "ListClusterSyncStatus" => client
            .list_cluster_sync_status()
            .project_id(project_id.as_str())
            .cluster_id(cluster_id.as_str())
            .send()
            .await
            .map(drop),
        "ShowSyncIamUser" => client
            .show_sync_iam_user()
            .project_id(project_id.as_str())
            .cluster_id(cluster_id.as_str())
            .send()
            .await
            .map(drop),
        "UpdateSyncIamUser" => {
            let body: types::UpdateSyncIamUserRequest =
                serde_json::from_value(body.expect("example body")).expect("example decodes");
            client
                .update_sync_iam_user()
                .project_id(project_id.as_str())
                .cluster_id(cluster_id.as_str())
                .body(body)
                .send()
                .await
                .map(drop)
        }
        "CancelSyncIamUser" => {
            let body: types::CancelSyncIamUserRequest =
                serde_json::from_value(body.expect("example body")).expect("example decodes");
            client
                .cancel_sync_iam_user()
                .project_id(project_id.as_str())
                .cluster_id(cluster_id.as_str())
                .body(body)
                .send()
                .await
                .map(drop)
        }
        other => panic!("no request for operation {other}: add one"),
    };
    sent.unwrap_or_else(|err| panic!("{}: {err}", operation.id));
    let mut captured = server.take();
    assert_eq!(captured.len(), 1, "{}: one request expected", operation.id);
    let request = captured.remove(0);
    // Independent of the snapshot: method and path are the spec's.
    let expected_path = operation
        .path
        .replace("{project_id}", &project_id)
        .replace("{cluster_id}", &cluster_id);
    assert_eq!(request.method, operation.method, "{}", operation.id);
    assert_eq!(request.path(), expected_path, "{}", operation.id);
    request
}

/// The snapshot form: sorted headers, the port redacted, the body as JSON.
fn shape(request: &CapturedRequest, port: u16) -> Value {
    let mut headers: Vec<String> = request
        .headers
        .iter()
        .map(|(name, value)| {
            let value = value.replace(&port.to_string(), "[port]");
            format!("{}: {value}", name.to_ascii_lowercase())
        })
        .collect();
    headers.sort();
    let body = if request.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&request.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&request.body).into_owned()))
    };
    json!({
        "method": request.method,
        "path": request.path(),
        "query": request.query(),
        "headers": headers,
        "body": body,
    })
}

#[tokio::test]
async fn every_operation_sends_the_expected_request() {
    let spec = spec::load();
    let server = CaptureServer::start(CannedResponse::json(200, "{}")).await;
    let client = pinned::client(
        server.addr(),
        &spec::parameter_example(&spec, "ProjectIdPath"),
    );
    let operations = spec::operations(&spec);
    assert_eq!(operations.len(), 5);
    for operation in &operations {
        let bodies = match operation.value.get("requestBody") {
            Some(body) => {
                let media = &spec::resolve(&spec, body)["content"]["application/json"];
                let examples = spec::media_examples(&spec, media);
                assert!(
                    !examples.is_empty(),
                    "{}: the request body has no example",
                    operation.id
                );
                examples
                    .into_iter()
                    .map(|(name, value)| (format!("_{name}"), Some(value)))
                    .collect()
            }
            None => vec![(String::new(), None)],
        };
        for (suffix, body) in bodies {
            let request = send(&client, &server, operation, &spec, body).await;
            verify(&request).unwrap_or_else(|err| panic!("{}{suffix}: {err}", operation.id));
            insta::assert_json_snapshot!(
                format!("request_{}{suffix}", operation.id),
                shape(&request, server.port())
            );
        }
    }
}
