//! For every operation of the spec, the exact request the generated client
//! sends for the spec's example inputs, captured at a loopback server: with
//! pinned credentials and clock, every header is locked down, the
//! `Authorization` signature included (and verified independently). And one
//! operation signed with each of the four algorithms: the ECDSA and SM2
//! signatures are redacted (the snapshot would pin the signer's nonce choice, which
//! is RFC 6979's but need not stay so) and verified by the server instead.

use std::time::Duration;

use mrs_iam_sync::{Client, SigningAlgorithm, types};
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
    shape_with(request, port, |value| value.to_owned())
}

/// [`shape`], with `authorization` rewriting the `Authorization` value.
fn shape_with(
    request: &CapturedRequest,
    port: u16,
    authorization: impl Fn(&str) -> String,
) -> Value {
    let mut headers: Vec<String> = request
        .headers
        .iter()
        .map(|(name, value)| {
            let value = value.replace(&port.to_string(), "[port]");
            let name = name.to_ascii_lowercase();
            let value = if name == "authorization" {
                authorization(&value)
            } else {
                value
            };
            format!("{name}: {value}")
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

/// `UpdateSyncIamUser` (a body, so the payload hash is in the signature) signed with
/// each algorithm. HMAC signatures are deterministic and snapshotted whole; ECDSA and
/// SM2 signatures are redacted in the snapshot, and the server's verifier (its own key
/// derivation and curve code, checked against the official SDK's) accepts each. The
/// default algorithm's snapshot is `request_UpdateSyncIamUser_everything` above.
#[tokio::test]
async fn every_signing_algorithm_signs_the_same_request() {
    let spec = spec::load();
    let operations = spec::operations(&spec);
    let operation = operations
        .iter()
        .find(|operation| operation.id == "UpdateSyncIamUser")
        .expect("UpdateSyncIamUser in the spec");
    let media =
        &spec::resolve(&spec, &operation.value["requestBody"])["content"]["application/json"];
    let (example, body) = spec::media_examples(&spec, media)
        .into_iter()
        .next()
        .expect("an example body");
    let server = CaptureServer::start(CannedResponse::json(200, "{}")).await;
    for &algorithm in SigningAlgorithm::ALL {
        let client = pinned::client_signing_with(
            server.addr(),
            &spec::parameter_example(&spec, "ProjectIdPath"),
            algorithm,
        );
        let request = send(&client, &server, operation, &spec, Some(body.clone())).await;
        verify(&request).unwrap_or_else(|err| panic!("{algorithm}: {err}"));
        let authorization = request.header("authorization").expect("signed");
        assert!(
            authorization.starts_with(&format!("{} Access={}, ", algorithm.name(), pinned::AK)),
            "{authorization}"
        );
        let redact = |value: &str| match algorithm {
            SigningAlgorithm::HmacSha256 | SigningAlgorithm::HmacSm3 => value.to_owned(),
            _ => {
                let (head, signature) = value.rsplit_once("Signature=").expect("a signature");
                // Hex of DER SEQUENCE { INTEGER r, INTEGER s }.
                assert!(signature.starts_with("30"), "{signature}");
                format!("{head}Signature=[{algorithm} signature, verified]")
            }
        };
        let shape = shape_with(&request, server.port(), redact);
        if algorithm == SigningAlgorithm::default() {
            insta::assert_json_snapshot!(format!("request_{}_{example}", operation.id), shape);
        } else {
            insta::assert_json_snapshot!(
                format!("algorithm_{}_{example}_{algorithm}", operation.id),
                shape
            );
        }
    }
}
