//! The server's verifier against published signing vectors: the two from the
//! signing guide (inline), and every vector of
//! `crates/hwcloud-auth/tests/data/signing-vectors.json` (produced with the
//! official SDK by the hwcloud-auth crate; a missing file fails the test).

use std::path::PathBuf;
use std::time::Duration;

use mrs_iam_sync_server::AccessKey;
use mrs_iam_sync_server::auth::{self, Algorithm, AuthError, RawRequest};
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

/// The request's headers as sent, without `Authorization`: the vector's, plus
/// those the signer added (host from the URL unless given; other added headers
/// with the value the canonical request shows).
fn sent_headers(v: &Value, name: &str, authority: &str) -> Vec<(String, String)> {
    let expected = &v["expected"];
    let canonical_expected = str_of(expected, "canonical_request", name);
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
    let has = |hs: &[(String, String)], n: &str| hs.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
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
            authority.to_owned()
        } else {
            canonical_expected
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name_added}:")))
                .unwrap_or_else(|| {
                    panic!("vector {name}: added header {name_added} not in the canonical request")
                })
                .to_owned()
        };
        headers.push((name_added.clone(), value));
    }
    if !has(&headers, "host") {
        headers.push(("host".into(), authority.to_owned()));
    }
    headers
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

        let mut headers = sent_headers(v, name, &authority);
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

/// Verifies the vector's request with `authorization` at the vector's date.
fn verify_vector(v: &Value, authorization: &str, keys: &[AccessKey]) -> Result<String, AuthError> {
    let name = str_of(v, "name", "?");
    let (authority, path, query) = split_url(str_of(v, "url", name));
    let mut headers = sent_headers(v, name, &authority);
    headers.push(("Authorization".into(), authorization.to_owned()));
    let date = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-sdk-date"))
        .map(|(_, d)| d.clone())
        .unwrap();
    let body = v["body"].as_str().unwrap_or("").as_bytes().to_vec();
    let req = RawRequest {
        method: str_of(v, "method", name),
        path: &path,
        query: query.as_deref(),
        headers: &headers,
        body: &body,
    };
    auth::verify_signature(&req, keys, auth::parse_sdk_date(&date).unwrap(), SKEW)
}

fn algorithm_vectors() -> Value {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../hwcloud-auth/tests/data/algorithm-vectors.json");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    serde_json::from_str(&text).expect("algorithm-vectors.json parses")
}

/// The official HMAC-SM3 signatures of every request, and the official ECDSA-P256 and
/// SM2 signatures of the MRS requests, verify; tampered ones and wrong keys don't.
#[test]
fn official_signatures_of_every_algorithm() {
    let vectors = algorithm_vectors();
    let mut checked = 0;
    for (set, tampered_per_vector) in [("hmac_sm3", 0), ("asymmetric", 3)] {
        for v in vectors[set].as_array().unwrap() {
            let name = str_of(v, "name", "?");
            let expected = &v["expected"];
            let authorization = str_of(expected, "authorization", name);
            let (ak, sk) = (str_of(v, "ak", name), str_of(v, "sk", name));
            let keys = [AccessKey::new(ak, sk)];
            assert_eq!(
                verify_vector(v, authorization, &keys).as_deref(),
                Ok(ak),
                "{name}"
            );
            let wrong = [AccessKey::new(ak, format!("{sk}x"))];
            assert_eq!(
                verify_vector(v, authorization, &wrong),
                Err(AuthError::SignatureMismatch),
                "{name}"
            );
            let tampered = expected["tampered_signatures"]
                .as_array()
                .map_or(&[][..], Vec::as_slice);
            assert_eq!(tampered.len(), tampered_per_vector, "{name}");
            for bad in tampered {
                let (head, _) = authorization.rsplit_once("Signature=").unwrap();
                let forged = format!("{head}Signature={}", bad.as_str().unwrap());
                assert_eq!(
                    verify_vector(v, &forged, &keys),
                    Err(AuthError::SignatureMismatch),
                    "{name}: {forged}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 68 + 32);
}

/// The server derives the official private keys from AK/SK on its own.
#[test]
fn derived_private_keys() {
    let vectors = algorithm_vectors();
    for pair in vectors["derived_keys"].as_array().unwrap() {
        let (ak, sk) = (str_of(pair, "ak", "?"), str_of(pair, "sk", "?"));
        for (algorithm, field) in [
            (Algorithm::EcdsaP256Sha256, "ecdsa_p256_sha256"),
            (Algorithm::Sm2Sm3, "sm2_sm3"),
        ] {
            let key = algorithm.derive_private_key(ak, sk).map(hex::encode);
            assert_eq!(
                key.as_deref(),
                Some(str_of(pair, field, ak)),
                "{ak} {field}"
            );
        }
    }
}

/// Signatures of the workspace's signer, every algorithm, every MRS request:
/// accepted; with one bit flipped, refused.
#[test]
fn the_workspace_signer_is_accepted_for_every_algorithm() {
    use hwcloud_auth::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
    use hwcloud_auth::{Credentials, SigningAlgorithm};

    let vectors = algorithm_vectors();
    let mut checked = 0;
    for v in vectors["hmac_sm3"].as_array().unwrap() {
        let name = str_of(v, "name", "?");
        if !name.starts_with("mrs-") {
            continue;
        }
        for &algorithm in SigningAlgorithm::ALL {
            let mut headers = HeaderMap::new();
            for pair in v["headers"].as_array().unwrap() {
                headers.insert(
                    HeaderName::from_bytes(pair[0].as_str().unwrap().as_bytes()).unwrap(),
                    HeaderValue::from_str(pair[1].as_str().unwrap()).unwrap(),
                );
            }
            let (ak, sk) = (str_of(v, "ak", name), str_of(v, "sk", name));
            let mut creds = match v.get("security_token").and_then(Value::as_str) {
                Some(token) => Credentials::temporary(ak, sk, token),
                None => Credentials::permanent(ak, sk),
            };
            if let Some(project_id) = v.get("project_id").and_then(Value::as_str) {
                creds = creds.with_project_id(project_id);
            }
            let uri: Uri = str_of(v, "url", name).parse().unwrap();
            let method = Method::from_bytes(str_of(v, "method", name).as_bytes()).unwrap();
            creds
                .authorize_with(
                    algorithm,
                    &method,
                    &uri,
                    &mut headers,
                    str_of(v, "body", name).as_bytes(),
                    std::time::UNIX_EPOCH,
                )
                .unwrap();
            let authorization = headers["authorization"].to_str().unwrap();
            assert!(
                authorization.starts_with(algorithm.name()),
                "{authorization}"
            );
            let keys = [AccessKey::new(ak, sk)];
            assert_eq!(
                verify_vector(v, authorization, &keys).as_deref(),
                Ok(ak),
                "{name} {algorithm}"
            );
            let mut flipped = authorization.to_owned();
            let last = flipped.pop().unwrap();
            flipped.push(if last == '0' { '1' } else { '0' });
            assert_eq!(
                verify_vector(v, &flipped, &keys),
                Err(AuthError::SignatureMismatch),
                "{name} {algorithm}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 16 * 4);
}
