//! Runs every vector of `tests/data/signing-vectors.json`, produced with the official
//! Huawei Cloud Python signer by `tests/data/make_vectors.py` (run by hand, never here).

use std::time::UNIX_EPOCH;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use hwcloud_auth::{Credentials, canonical_request, string_to_sign};
use serde_json::Value;

const VECTORS: &str = include_str!("data/signing-vectors.json");

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("vector field {key:?} missing or not a string"))
}

struct Outcome {
    canonical_request: String,
    string_to_sign: String,
    authorization: String,
    headers: HeaderMap,
}

fn run(v: &Value) -> Result<Outcome, String> {
    let method = Method::from_bytes(s(v, "method").as_bytes()).map_err(|e| e.to_string())?;
    let uri: Uri = s(v, "url").parse().map_err(|e| format!("url: {e}"))?;
    let mut headers = HeaderMap::new();
    for pair in v["headers"].as_array().ok_or("headers")? {
        let name = pair[0].as_str().ok_or("header name")?;
        let value = pair[1].as_str().ok_or("header value")?;
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("{name}: {e}"))?,
            HeaderValue::from_bytes(value.as_bytes()).map_err(|e| format!("{name}: {e}"))?,
        );
    }
    let body = s(v, "body").as_bytes();
    let mut creds = match v.get("security_token").and_then(Value::as_str) {
        Some(token) => Credentials::temporary(s(v, "ak"), s(v, "sk"), token),
        None => Credentials::permanent(s(v, "ak"), s(v, "sk")),
    };
    if let Some(project_id) = v.get("project_id").and_then(Value::as_str) {
        creds = creds.with_project_id(project_id);
    }
    // X-Sdk-Date is pinned by every vector, so `now` must not matter.
    creds
        .authorize(&method, &uri, &mut headers, body, UNIX_EPOCH)
        .map_err(|e| format!("authorize: {e}"))?;
    let cr = canonical_request(&method, &uri, &headers, body).map_err(|e| e.to_string())?;
    let date = headers
        .get("x-sdk-date")
        .and_then(|d| d.to_str().ok())
        .ok_or("no x-sdk-date")?;
    let sts = string_to_sign(date, &cr);
    let authorization = headers
        .get("authorization")
        .and_then(|a| a.to_str().ok())
        .ok_or("no authorization")?
        .to_owned();
    Ok(Outcome {
        canonical_request: cr,
        string_to_sign: sts,
        authorization,
        headers,
    })
}

#[test]
fn official_sdk_vectors() {
    let vectors: Vec<Value> = serde_json::from_str(VECTORS).expect("signing-vectors.json parses");
    assert!(
        vectors.len() >= 32,
        "expected at least 32 vectors, got {}",
        vectors.len()
    );
    let mut failures = Vec::new();
    for v in &vectors {
        let name = s(v, "name");
        let expected = &v["expected"];
        let outcome = match run(v) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("vector {name}: {e}"));
                continue;
            }
        };
        if outcome.canonical_request != s(expected, "canonical_request") {
            failures.push(format!(
                "vector {name}: canonical request differs\n--- expected\n{}\n--- actual\n{}\n---",
                s(expected, "canonical_request"),
                outcome.canonical_request
            ));
            continue;
        }
        if outcome.string_to_sign != s(expected, "string_to_sign") {
            failures.push(format!(
                "vector {name}: string to sign differs\n--- expected\n{}\n--- actual\n{}\n---",
                s(expected, "string_to_sign"),
                outcome.string_to_sign
            ));
            continue;
        }
        if outcome.authorization != s(expected, "authorization") {
            failures.push(format!(
                "vector {name}: Authorization differs\n  expected {}\n  actual   {}",
                s(expected, "authorization"),
                outcome.authorization
            ));
            continue;
        }
        let signed = format!("SignedHeaders={},", s(expected, "signed_headers"));
        let signature = format!("Signature={}", s(expected, "signature"));
        if !outcome.authorization.contains(&signed) || !outcome.authorization.ends_with(&signature)
        {
            failures.push(format!(
                "vector {name}: signed headers / signature fields differ"
            ));
        }
        // The headers the official SDK added (Host, X-Sdk-Date, X-Security-Token, ...) are there.
        for added in expected["added_headers"].as_array().into_iter().flatten() {
            let added = added.as_str().unwrap_or_default();
            if !outcome.headers.contains_key(added) {
                failures.push(format!("vector {name}: header {added} was not added"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n\n")
    );
}

#[test]
fn published_examples_are_among_the_vectors() {
    let vectors: Vec<Value> = serde_json::from_str(VECTORS).expect("signing-vectors.json parses");
    let find = |name: &str| {
        vectors
            .iter()
            .find(|v| s(v, "name") == name)
            .unwrap_or_else(|| panic!("vector {name} missing"))
    };
    // Values quoted from signing.md, not from the generated file.
    let guide = find("published-signing-guide-vpcs");
    assert_eq!(
        s(&guide["expected"], "signature"),
        "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
    );
    assert!(
        s(&guide["expected"], "string_to_sign")
            .ends_with("b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a")
    );
    let mrs = find("published-mrs-list-sync-status");
    assert_eq!(
        s(&mrs["expected"], "signature"),
        "ed01d7acc0e910891881326c1782859509ac364498d69efaaa729b834aedaa02"
    );
    for op in [
        "mrs-ListClusterSyncTaskStatus",
        "mrs-ListClusterSyncStatus",
        "mrs-ShowSyncIamUser",
        "mrs-UpdateSyncIamUser",
        "mrs-CancelSyncIamUser",
    ] {
        find(op);
    }
}
