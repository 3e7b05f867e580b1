//! Every response example of the spec decodes into the generated type of its
//! operation and status, and encodes back to the same JSON.

use mrs_iam_sync::types;
use mrs_iam_sync_tests::spec;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn round_trip<T: DeserializeOwned + Serialize>(example: &Value) -> Result<(), String> {
    let decoded: T = serde_json::from_value(example.clone()).map_err(|err| err.to_string())?;
    let encoded = serde_json::to_value(&decoded).map_err(|err| err.to_string())?;
    if &encoded == example {
        Ok(())
    } else {
        Err(format!("re-encoded as {encoded}"))
    }
}

/// Decodes `example` as the response of `operation` with `status`.
fn decode(operation: &str, status: &str, example: &Value) -> Result<(), String> {
    if status.starts_with('4') || status.starts_with('5') {
        // The `error_code` shape decodes as it is; the `code`/`message` and
        // nested shapes of `ErrorBody` reach `ErrorResponse` through the
        // client's normaliser (tested in `body.rs`): they must carry a code
        // it can find.
        if example.get("error_code").is_some() {
            return round_trip::<types::ErrorResponse>(example);
        }
        let has_code = |value: &Value| value.get("code").is_some_and(Value::is_string);
        let found = has_code(example)
            || example
                .as_object()
                .is_some_and(|members| members.values().any(has_code));
        return if found {
            Ok(())
        } else {
            Err("no error code where the official SDK looks".into())
        };
    }
    match operation {
        "ListClusterSyncTaskStatus" => round_trip::<types::SyncTaskStatus>(example),
        "ListClusterSyncStatus" => round_trip::<types::ClusterSyncStatus>(example),
        "ShowSyncIamUser" => round_trip::<types::SyncedIamPrincipals>(example),
        "UpdateSyncIamUser" | "CancelSyncIamUser" => round_trip::<types::SyncTaskAccepted>(example),
        other => Err(format!("no decoder for operation {other}: add one")),
    }
}

#[test]
fn every_response_example_decodes_into_its_type() {
    let spec = spec::load();
    let mut checked = 0;
    let mut failures = Vec::new();
    for operation in spec::operations(&spec) {
        for (status, response) in operation.value["responses"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let response = spec::resolve(&spec, response);
            for (_, media) in response["content"].as_object().into_iter().flatten() {
                for (name, example) in spec::media_examples(&spec, media) {
                    checked += 1;
                    if let Err(err) = decode(&operation.id, status, &example) {
                        failures.push(format!("{} {status} example {name}: {err}", operation.id));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(checked >= 15, "only {checked} response examples found");
}

#[test]
fn documented_error_bodies_decode() {
    let bodies = [
        r#"{"error_code":"12000003","error_msg":"The cluster does not exist."}"#,
        r#"{"error_code":"MRS.0011","message":"Internal service error."}"#,
        r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail","request_id":"8bb7ecb9d1f0a3c1e2d4f5a6b7c8d9e0"}"#,
        r#"{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached.","request_id":"1"}"#,
    ];
    for body in bodies {
        let error: types::ErrorResponse = serde_json::from_str(body).expect(body);
        assert!(!error.error_code.is_empty());
    }
}

#[test]
fn a_missing_required_field_does_not_decode() {
    // Silence must not read as "no sync running".
    assert!(serde_json::from_str::<types::SyncTaskStatus>("{}").is_err());
    assert!(serde_json::from_str::<types::ClusterSyncStatus>("{}").is_err());
    assert!(serde_json::from_str::<types::SyncTaskAccepted>("{}").is_err());
    // Absent lists are empty lists.
    let principals: types::SyncedIamPrincipals = serde_json::from_str("{}").expect("decodes");
    assert!(principals.user_names.is_empty() && principals.group_names.is_empty());
}
