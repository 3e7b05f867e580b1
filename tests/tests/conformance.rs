//! The loopback server against the spec: every operation through its
//! success and error paths, each response checked by the spec itself (its
//! status declared, its declared headers present, its body valid against
//! the spec's schema for that status, with the `jsonschema` crate).
//!
//! Bounds come from the generated rules, so that a spec change moves the
//! inputs with it.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use mrs_iam_sync_rules as rules;
use mrs_iam_sync_server::{
    Config, DEMO_CLUSTER_ID, DEMO_PROJECT_ID, DEMO_TOKEN, Fault, FaultKind, RetryAfter, Server,
};
use mrs_iam_sync_tests::conformance::{Spec, WireResponse};
use serde_json::{Value, json};

struct Harness {
    server: Server,
    http: reqwest::Client,
    spec: Spec,
    /// (operationId, status) of every response checked.
    seen: Mutex<BTreeSet<(String, u16)>>,
}

/// What to send.
struct Call<'a> {
    method: &'a str,
    path: String,
    content_type: Option<&'a str>,
    body: Option<String>,
    token: bool,
}

impl Harness {
    async fn start(config: Config) -> Harness {
        mrs_iam_sync::install_crypto_provider();
        Harness {
            server: Server::start(config, "127.0.0.1:0".parse().unwrap())
                .await
                .unwrap(),
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            spec: Spec::load(),
            seen: Mutex::default(),
        }
    }

    /// Sends, checks the answer against the spec, and returns the status
    /// and body.
    async fn send(&self, call: Call<'_>) -> (u16, Value) {
        let url = format!("{}{}", self.server.base_url(), call.path);
        let method = reqwest::Method::from_bytes(call.method.as_bytes()).unwrap();
        let mut request = self.http.request(method, url);
        if call.token {
            request = request.header("X-Auth-Token", DEMO_TOKEN);
        }
        if let Some(content_type) = call.content_type {
            request = request.header("Content-Type", content_type);
        }
        if let Some(body) = call.body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = response.bytes().await.unwrap();
        let wire = WireResponse {
            status,
            headers: &headers,
            body: &body,
        };
        let path = call.path.as_str();
        if let Err(problem) = self.spec.check_response(call.method, path, &wire) {
            panic!("the server's answer does not conform to the spec: {problem}");
        }
        let id = self
            .spec
            .operation_id(call.method, path)
            .unwrap_or_default();
        self.seen.lock().unwrap().insert((id, status));
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// Sends a JSON body with a token; expects `status` and, for errors,
    /// `code`.
    async fn expect(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        status: u16,
        code: Option<&str>,
    ) -> Value {
        let (got, answer) = self
            .send(Call {
                method,
                path: path.to_owned(),
                content_type: body.map(|_| "application/json;charset=utf-8"),
                body: body.map(str::to_owned),
                token: true,
            })
            .await;
        assert_eq!(got, status, "{method} {path} {body:?}: {answer}");
        if let Some(code) = code {
            assert_eq!(
                answer["error_code"], code,
                "{method} {path} {body:?}: {answer}"
            );
        }
        answer
    }
}

fn path_of(template: &str, project: &str, cluster: &str) -> String {
    template
        .replace("{project_id}", project)
        .replace("{cluster_id}", cluster)
}

fn names(count: usize) -> String {
    let list: Vec<String> = (0..count).map(|i| format!("\"name{i}\"")).collect();
    format!("[{}]", list.join(","))
}

#[tokio::test]
async fn every_operation_answers_as_the_spec_declares() {
    let harness = Harness::start(Config {
        sync_duration: Duration::from_secs(600),
        max_body_bytes: 256 * 1024,
        ..Config::default()
    })
    .await;
    let too_long_cluster = "c".repeat(rules::CLUSTER_ID.max_length.unwrap() + 1);
    let too_long_project = "p".repeat(rules::PROJECT_ID.max_length.unwrap() + 1);
    for op in rules::OPERATIONS {
        let ok = path_of(op.path, DEMO_PROJECT_ID, DEMO_CLUSTER_ID);
        let body = (op.body != rules::BodyUse::None).then_some("{}");

        // Success, then each refusal that does not depend on the body.
        let success = op.success_status;
        harness.expect(op.method, &ok, body, success, None).await;
        for (project, cluster, code) in [
            ("bad-project", DEMO_CLUSTER_ID, "12000002"),
            (too_long_project.as_str(), DEMO_CLUSTER_ID, "12000002"),
            (DEMO_PROJECT_ID, "a%20b", "12000002"),
            (DEMO_PROJECT_ID, "", "12000002"),
            (DEMO_PROJECT_ID, too_long_cluster.as_str(), "12000002"),
            (DEMO_PROJECT_ID, "no-such-cluster", "12000003"),
        ] {
            let path = path_of(op.path, project, cluster);
            harness
                .expect(op.method, &path, body, 400, Some(code))
                .await;
        }
        let (status, answer) = harness
            .send(Call {
                method: op.method,
                path: ok.clone(),
                content_type: None,
                body: None,
                token: false,
            })
            .await;
        assert_eq!(
            (status, answer["error_code"].as_str()),
            (401, Some("APIGW.0301"))
        );
        harness
            .expect("PATCH", &ok, None, 405, Some("APIGW.0101"))
            .await;

        // Gateway and service failures.
        for (kind, status, code) in [
            (
                FaultKind::TooManyRequests {
                    retry_after: RetryAfter::Seconds(1),
                },
                429,
                "APIGW.0308",
            ),
            (FaultKind::Status500, 500, "MRS.0011"),
            (FaultKind::Status503, 503, "MRS.0503"),
        ] {
            harness.server.inject(Fault::new(kind));
            harness
                .expect(op.method, &ok, body, status, Some(code))
                .await;
        }
    }
    // Every operation went through its success, a 4XX and a 5XX, all checked.
    let seen = harness.seen.lock().unwrap().clone();
    for op in rules::OPERATIONS {
        for status in [op.success_status, 400, 401, 429, 500, 503] {
            assert!(
                seen.contains(&(op.name.to_owned(), status)),
                "{} was not checked with {status}",
                op.name
            );
        }
    }
}

#[tokio::test]
async fn request_bodies_are_held_to_the_spec() {
    let harness = Harness::start(Config {
        sync_duration: Duration::ZERO,
        max_body_bytes: 64 * 1024,
        ..Config::default()
    })
    .await;
    for op in rules::OPERATIONS
        .iter()
        .filter(|op| op.body != rules::BodyUse::None)
    {
        let path = path_of(op.path, DEMO_PROJECT_ID, DEMO_CLUSTER_ID);
        let list_rule = match op.id {
            rules::OperationId::UpdateSyncIamUser => rules::UPDATE_SYNC_IAM_USER_REQUEST_USER_NAMES,
            _ => rules::CANCEL_SYNC_IAM_USER_REQUEST_USER_NAMES,
        };
        // An absent body means `{}`: the spec makes it optional.
        harness
            .expect(op.method, &path, None, op.success_status, None)
            .await;
        harness
            .expect(op.method, &path, Some("{}"), op.success_status, None)
            .await;
        let mut refused = vec![
            "null".to_owned(),
            "[]".to_owned(),
            "\"text\"".to_owned(),
            "{\"user_names\":".to_owned(),
            r#"{"user_names":null}"#.to_owned(),
            r#"{"group_names":null}"#.to_owned(),
            r#"{"user_names":"user1"}"#.to_owned(),
            r#"{"user_names":[1]}"#.to_owned(),
            r#"{"user_names":[""]}"#.to_owned(),
            r#"{"group_names":["group1",""]}"#.to_owned(),
        ];
        if op.id == rules::OperationId::UpdateSyncIamUser {
            refused.push(r#"{"is_all_sync":null}"#.to_owned());
            refused.push(r#"{"is_all_sync":"yes"}"#.to_owned());
            // Unknown IAM names: documented as 400 in the spec.
            refused.push(r#"{"user_names":["nobody"]}"#.to_owned());
            refused.push(r#"{"group_names":["no-group"]}"#.to_owned());
        }
        if let Some(max) = list_rule.max_items {
            refused.push(format!(r#"{{"user_names":{}}}"#, names(max + 1)));
            refused.push(format!(r#"{{"group_names":{}}}"#, names(max + 1)));
        }
        for body in &refused {
            let answer = harness
                .expect(op.method, &path, Some(body), 400, Some("12000002"))
                .await;
            assert!(answer["error_msg"].as_str().is_some(), "{answer}");
        }
        // A body not sent as JSON: 415, whatever it holds.
        for content_type in [
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/xml",
        ] {
            let (status, answer) = harness
                .send(Call {
                    method: op.method,
                    path: path.clone(),
                    content_type: Some(content_type),
                    body: Some("{}".into()),
                    token: true,
                })
                .await;
            assert_eq!(
                (status, answer["error_code"].as_str()),
                (415, Some("12000002")),
                "{content_type}"
            );
        }
        // Over the size limit: 413 from the gateway.
        let huge = format!(r#"{{"user_names":["{}"]}}"#, "x".repeat(70 * 1024));
        harness
            .expect(op.method, &path, Some(&huge), 413, Some("APIGW.0201"))
            .await;
    }
    // Exactly at the bound is fine.
    if let Some(max) = rules::CANCEL_SYNC_IAM_USER_REQUEST_USER_NAMES.max_items {
        let path = path_of(
            "/v2/{project_id}/clusters/{cluster_id}/iam-sync-user",
            DEMO_PROJECT_ID,
            DEMO_CLUSTER_ID,
        );
        let body = format!(r#"{{"user_names":{}}}"#, names(max.min(1000)));
        harness
            .expect("DELETE", &path, Some(&body), 202, None)
            .await;
    }
}

#[tokio::test]
async fn a_second_sync_while_one_runs_is_a_declared_conflict() {
    let harness = Harness::start(Config {
        sync_duration: Duration::from_secs(600),
        ..Config::default()
    })
    .await;
    let path = path_of(
        "/v2/{project_id}/clusters/{cluster_id}/iam-sync-user",
        DEMO_PROJECT_ID,
        DEMO_CLUSTER_ID,
    );
    let body = json!({"user_names": ["user1"]}).to_string();
    harness.expect("POST", &path, Some(&body), 202, None).await;
    harness
        .expect("POST", &path, Some(&body), 409, Some("MRS.0409"))
        .await;
    let status_path = path_of(
        "/v2/{project_id}/clusters/{cluster_id}/iam-sync",
        DEMO_PROJECT_ID,
        DEMO_CLUSTER_ID,
    );
    let running = harness.expect("GET", &status_path, None, 200, None).await;
    assert_eq!(running["is_synchronizing"], true);
    harness.server.finish_syncs_now();
    let shown = harness.expect("GET", &path, None, 200, None).await;
    assert_eq!(shown["user_names"], json!(["user1"]));
}
