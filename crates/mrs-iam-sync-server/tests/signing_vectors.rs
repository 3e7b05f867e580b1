//! The server's verifier against published signing vectors: the two from the
//! signing guide (inline), and every vector of
//! `crates/hwcloud-auth/tests/data/signing-vectors.json` (produced with the
//! official SDK by the hwcloud-auth crate; a missing file fails the test).

use std::path::PathBuf;
use std::time::Duration;

use mrs_iam_sync_server::AccessKey;
use mrs_iam_sync_server::auth::{self, RawRequest};
use serde_json::Value;

const SKEW: Duration = Duration::from_secs(900);

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn published_examples() {
    let headers = pairs(&[
        ("Content-Type", "application/json"),
        ("Host", "service.region.example.com"),
        ("X-Sdk-Date", "20191115T033655Z"),
        (
            "Authorization",
            "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe",
        ),
    ]);
    let req = RawRequest {
        method: "GET",
        path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
        query: Some("limit=2&marker=13551d6b-755d-4757-b956-536f674975c0"),
        headers: &headers,
        body: b"",
    };
    let keys = [AccessKey::new(
        "QTWAOYTTINDUT2QVKYUC",
        "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
    )];
    let now = auth::parse_sdk_date("20191115T033655Z").unwrap();
    assert_eq!(
        auth::verify_signature(&req, &keys, now, SKEW).as_deref(),
        Ok("QTWAOYTTINDUT2QVKYUC")
    );

    let headers = pairs(&[
        ("Content-Type", "application/json"),
        ("Host", "mrs.cn-north-4.myhuaweicloud.com"),
        ("X-Sdk-Date", "20240102T030405Z"),
        (
            "Authorization",
            "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=content-type;host;x-sdk-date, Signature=ed01d7acc0e910891881326c1782859509ac364498d69efaaa729b834aedaa02",
        ),
    ]);
    let req = RawRequest {
        method: "GET",
        path: "/v2/proj123/clusters/cid-1/iam-sync",
        query: None,
        headers: &headers,
        body: b"",
    };
    let now = auth::parse_sdk_date("20240102T030405Z").unwrap();
    let keys = [AccessKey::new("AKEXAMPLE", "SKEXAMPLE")];
    assert_eq!(
        auth::verify_signature(&req, &keys, now, SKEW).as_deref(),
        Ok("AKEXAMPLE")
    );
}

/// Split `scheme://authority/path?query` into (authority, path, query).
fn split_url(url: &str) -> (String, String, Option<String>) {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let (authority, path_query) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => match rest.find('?') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        },
    };
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (path_query.to_owned(), None),
    };
    (authority.to_owned(), path, query)
}

fn str_of<'a>(v: &'a Value, key: &str, name: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("vector {name}: '{key}' is not a string"))
}

#[test]
fn workspace_signing_vectors() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../hwcloud-auth/tests/data/signing-vectors.json");
    // The file is committed (by hwcloud-auth): its absence is a failure, not
    // a silent "0 vectors checked".
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let vectors: Vec<Value> =
        serde_json::from_str(&text).expect("signing-vectors.json is a JSON list");
    assert!(!vectors.is_empty(), "signing-vectors.json has no vectors");
    let mut checked = 0;
    for v in &vectors {
        let name = str_of(v, "name", "?");
        let method = str_of(v, "method", name);
        let (authority, path, query) = split_url(str_of(v, "url", name));
        let expected = &v["expected"];
        let canonical_expected = str_of(expected, "canonical_request", name);
        let authorization = str_of(expected, "authorization", name);

        // The request as sent: the vector's headers, plus those the signer
        // added (host from the URL unless given; other added headers with the
        // value the canonical request shows), plus the expected Authorization.
        let mut headers: Vec<(String, String)> = v["headers"]
            .as_array()
            .unwrap_or_else(|| panic!("vector {name}: headers"))
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_owned(),
                    h[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let has =
            |hs: &[(String, String)], n: &str| hs.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
        let added: Vec<String> = expected["added_headers"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        for name_added in &added {
            if name_added == "authorization" || has(&headers, name_added) {
                continue;
            }
            let value = if name_added == "host" {
                authority.clone()
            } else {
                canonical_expected
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{name_added}:")))
                    .unwrap_or_else(|| {
                        panic!(
                            "vector {name}: added header {name_added} not in the canonical request"
                        )
                    })
                    .to_owned()
            };
            headers.push((name_added.clone(), value));
        }
        if !has(&headers, "host") {
            headers.push(("host".into(), authority.clone()));
        }
        headers.push(("Authorization".into(), authorization.to_owned()));
        let body = v["body"].as_str().unwrap_or("").as_bytes().to_vec();
        let req = RawRequest {
            method,
            path: &path,
            query: query.as_deref(),
            headers: &headers,
            body: &body,
        };

        // Step by step first, for a readable failure...
        let parsed = auth::parse_authorization(authorization).unwrap();
        assert_eq!(
            parsed.signed_headers.join(";"),
            str_of(expected, "signed_headers", name),
            "vector {name}"
        );
        let date = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-sdk-date"))
            .unwrap()
            .1
            .clone();
        let payload = canonical_expected.rsplit('\n').next().unwrap();
        let canonical = auth::canonical_request(
            method,
            &path,
            query.as_deref(),
            &headers,
            &parsed.signed_headers,
            payload,
        )
        .unwrap();
        assert_eq!(
            canonical, canonical_expected,
            "vector {name}: canonical request"
        );
        assert_eq!(
            auth::string_to_sign(&date, &canonical),
            str_of(expected, "string_to_sign", name),
            "vector {name}"
        );

        // ...then the whole verifier, as the server runs it, at the vector's time.
        let keys = [AccessKey::new(str_of(v, "ak", name), str_of(v, "sk", name))];
        let now =
            auth::parse_sdk_date(&date).unwrap_or_else(|| panic!("vector {name}: date {date}"));
        assert_eq!(
            auth::verify_signature(&req, &keys, now, SKEW).as_deref(),
            Ok(str_of(v, "ak", name)),
            "vector {name}: verification"
        );
        // And a wrong key fails.
        let wrong = [AccessKey::new(
            str_of(v, "ak", name),
            format!("{}x", str_of(v, "sk", name)),
        )];
        assert_eq!(
            auth::verify_signature(&req, &wrong, now, SKEW),
            Err(auth::AuthError::SignatureMismatch),
            "vector {name}"
        );
        checked += 1;
    }
    assert_eq!(checked, vectors.len());
    println!("checked {checked} signing vectors from {}", file.display());
}
