//! The other algorithms against `tests/data/algorithm-vectors.json`, made with the official
//! Python signers by `tests/data/make_algorithm_vectors.py` (run by hand, never here):
//! SDK-HMAC-SM3 over the whole request set of `signing-vectors.json`, byte for byte; for
//! SDK-ECDSA-P256-SHA256 and SDK-SM2-SM3 (random signatures) everything but the signature,
//! which the loopback server's verifier checks in its own tests. And this crate's own
//! ECDSA/SM2 signatures that the official SDK's `verify` accepted at the desk
//! (`tests/data/official-verify-vectors.json`, by `tests/data/verify_our_signatures.py`):
//! the nonces are RFC 6979's, so the signer must still produce exactly them.

#[path = "support/vector_request.rs"]
mod vector_request;

use hwcloud_auth::{SignError, SigningAlgorithm};
use serde_json::Value;
#[cfg(all(feature = "ecdsa-p256-sha256", feature = "sm2-sm3"))]
use vector_request::{algorithm_of, signature_of};
// The asymmetric tests need `sm2-sm3`, which turns on `hmac-sm3`.
use vector_request::try_sign;
#[cfg(feature = "hmac-sm3")]
use vector_request::{authorization, s, sign};

const VECTORS: &str = include_str!("data/algorithm-vectors.json");

#[cfg(feature = "hmac-sm3")]
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
        let headers = sign(v, algorithm_of(expected));
        let ours = authorization(&headers);
        let strip = |a: &str| a.rsplit_once("Signature=").unwrap().0.to_owned();
        assert_eq!(strip(ours), strip(expected), "{}", s(v, "name"));
        // Hex DER: SEQUENCE { INTEGER r, INTEGER s }.
        let signature = signature_of(ours);
        assert!(signature.starts_with("30"), "{signature}");
        assert!(
            signature
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }
}

/// Every signature of `official-verify-vectors.json` was made by this crate and checked
/// with the official SDK's `verify`; with deterministic nonces, signing the same request
/// with the same keys again must give it byte for byte. The only rejections allowed are
/// the known SM2 `Z` difference (see `signer/sm2_sm3.rs`), for which the desk script
/// found the signature valid under the standard `Z`.
#[cfg(all(feature = "ecdsa-p256-sha256", feature = "sm2-sm3"))]
#[test]
fn our_signatures_are_the_ones_the_official_sdk_accepted() {
    let vectors: Value = serde_json::from_str(VECTORS).unwrap();
    let requests = vectors["asymmetric"].as_array().unwrap();
    let checked: Value =
        serde_json::from_str(include_str!("data/official-verify-vectors.json")).unwrap();
    let checked = checked["signatures"].as_array().unwrap();
    assert_eq!(checked.len(), 384);
    let mut accepted = 0;
    for entry in checked {
        let name = s(entry, "request");
        let request = requests
            .iter()
            .find(|v| s(v, "name") == name)
            .unwrap_or_else(|| panic!("no request {name}"));
        let algorithm: SigningAlgorithm = s(entry, "algorithm").parse().unwrap();
        let (ak, sk) = (s(entry, "ak"), s(entry, "sk"));
        let headers = vector_request::sign_as(request, ak, sk, algorithm);
        assert_eq!(
            signature_of(authorization(&headers)),
            s(entry, "signature"),
            "{name} signed by {ak}"
        );
        if entry["official_verify"] == true {
            accepted += 1;
        } else {
            assert_eq!(algorithm, SigningAlgorithm::Sm2Sm3, "{name} signed by {ak}");
            assert_eq!(entry["sm2_official_z_drops_a_zero_byte"], true, "{ak}");
            assert_eq!(entry["verify_with_standard_z"], true, "{ak}");
        }
    }
    // 192 ECDSA + 176 SM2; the 16 others are the short-coordinate pair `AKZ00040`.
    assert_eq!(accepted, 368);
}

#[test]
fn disabled_algorithms_say_which_feature_they_need() {
    let v: Value = serde_json::from_str(VECTORS).unwrap();
    let v = &v["hmac_sm3"][2];
    for &algorithm in SigningAlgorithm::ALL {
        let result = try_sign(v, algorithm);
        assert_eq!(result.is_ok(), algorithm.is_enabled(), "{algorithm}");
        if let Err(error) = result {
            let feature = algorithm.feature().expect("only a feature disables");
            assert!(
                matches!(
                    error,
                    SignError::AlgorithmNotEnabled { algorithm: name, feature: needed, .. }
                        if name == algorithm.name() && needed == feature
                ),
                "{error:?}"
            );
            assert_eq!(
                error.to_string(),
                format!(
                    "cannot sign the request: {} needs the `{feature}` feature of hwcloud-auth",
                    algorithm.name()
                )
            );
        }
    }
}
