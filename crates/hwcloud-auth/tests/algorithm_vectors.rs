//! The other algorithms against `tests/data/algorithm-vectors.json`, made with the official
//! Python signers by `tests/data/make_algorithm_vectors.py` (run by hand, never here):
//! SDK-HMAC-SM3 over the whole request set of `signing-vectors.json`, byte for byte; for
//! SDK-ECDSA-P256-SHA256 and SDK-SM2-SM3 (random signatures) everything but the signature,
//! which the loopback server's verifier checks in its own tests.

use std::time::UNIX_EPOCH;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use hwcloud_auth::{Credentials, SigningAlgorithm};
use serde_json::Value;

const VECTORS: &str = include_str!("data/algorithm-vectors.json");

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("vector field {key:?} missing or not a string"))
}

/// Signs the vector's request with `algorithm`; returns the headers after signing.
fn sign(v: &Value, algorithm: SigningAlgorithm) -> HeaderMap {
    let method = Method::from_bytes(s(v, "method").as_bytes()).unwrap();
    let uri: Uri = s(v, "url").parse().unwrap();
    let mut headers = HeaderMap::new();
    for pair in v["headers"].as_array().unwrap() {
        headers.append(
            HeaderName::from_bytes(pair[0].as_str().unwrap().as_bytes()).unwrap(),
            HeaderValue::from_str(pair[1].as_str().unwrap()).unwrap(),
        );
    }
    let mut creds = match v.get("security_token").and_then(Value::as_str) {
        Some(token) => Credentials::temporary(s(v, "ak"), s(v, "sk"), token),
        None => Credentials::permanent(s(v, "ak"), s(v, "sk")),
    };
    if let Some(project_id) = v.get("project_id").and_then(Value::as_str) {
        creds = creds.with_project_id(project_id);
    }
    creds
        .authorize_with(
            algorithm,
            &method,
            &uri,
            &mut headers,
            s(v, "body").as_bytes(),
            UNIX_EPOCH,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", s(v, "name")));
    headers
}

fn authorization(headers: &HeaderMap) -> &str {
    headers["authorization"].to_str().unwrap()
}

#[test]
fn hmac_sm3_matches_the_official_signer() {
    let vectors: Value = serde_json::from_str(VECTORS).unwrap();
    let vectors = vectors["hmac_sm3"].as_array().unwrap();
    assert_eq!(vectors.len(), 68);
    for v in vectors {
        let headers = sign(v, SigningAlgorithm::HmacSm3);
        let expected = &v["expected"];
        assert_eq!(
            authorization(&headers),
            s(expected, "authorization"),
            "{}",
            s(v, "name")
        );
        for added in expected["added_headers"].as_array().unwrap() {
            let added = added.as_str().unwrap();
            assert!(
                headers.contains_key(added),
                "{}: {added} not added",
                s(v, "name")
            );
        }
    }
}

#[cfg(all(feature = "ecdsa-p256-sha256", feature = "sm2-sm3"))]
#[test]
fn asymmetric_requests_match_the_official_signer_but_for_the_signature() {
    let vectors: Value = serde_json::from_str(VECTORS).unwrap();
    let vectors = vectors["asymmetric"].as_array().unwrap();
    assert_eq!(vectors.len(), 32);
    for v in vectors {
        let expected = s(&v["expected"], "authorization");
        let algorithm = match expected.split(' ').next() {
            Some("SDK-ECDSA-P256-SHA256") => SigningAlgorithm::EcdsaP256Sha256,
            Some("SDK-SM2-SM3") => SigningAlgorithm::Sm2Sm3,
            other => panic!("{other:?}"),
        };
        let headers = sign(v, algorithm);
        let ours = authorization(&headers);
        let strip = |a: &str| a.rsplit_once("Signature=").unwrap().0.to_owned();
        assert_eq!(strip(ours), strip(expected), "{}", s(v, "name"));
        // Hex DER: SEQUENCE { INTEGER r, INTEGER s }.
        let signature = ours.rsplit_once("Signature=").unwrap().1;
        assert!(signature.starts_with("30"), "{signature}");
        assert!(
            signature
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }
}

#[test]
fn disabled_algorithms_say_which_feature_they_need() {
    for algorithm in SigningAlgorithm::ALL {
        let v: Value = serde_json::from_str(VECTORS).unwrap();
        let result = std::panic::catch_unwind(|| sign(&v["hmac_sm3"][2], algorithm));
        assert_eq!(result.is_ok(), algorithm.is_enabled(), "{algorithm}");
    }
}
