//! The request of a vector of `tests/data/*.json` (made by the desk scripts beside it),
//! signed by this crate. Shared by the vector tests and the `asymmetric_signatures`
//! example through `#[path]`; each uses a part of it.

#![allow(dead_code)]

use std::time::UNIX_EPOCH;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use hwcloud_auth::{Credentials, SignError, SigningAlgorithm};
use serde_json::Value;

/// A string field of a vector.
pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("vector field {key:?} missing or not a string"))
}

/// Signs the vector's request with `algorithm` and the given AK/SK (the vector's own
/// security token and project id, if any, are kept); returns the headers after signing.
pub fn sign_as(v: &Value, ak: &str, sk: &str, algorithm: SigningAlgorithm) -> HeaderMap {
    try_sign_as(v, ak, sk, algorithm).unwrap_or_else(|e| panic!("{}: {e}", s(v, "name")))
}

/// [`sign_as`], the error returned.
pub fn try_sign_as(
    v: &Value,
    ak: &str,
    sk: &str,
    algorithm: SigningAlgorithm,
) -> Result<HeaderMap, SignError> {
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
        Some(token) => Credentials::temporary(ak, sk, token),
        None => Credentials::permanent(ak, sk),
    };
    if let Some(project_id) = v.get("project_id").and_then(Value::as_str) {
        creds = creds.with_project_id(project_id);
    }
    // X-Sdk-Date is pinned by every vector, so `now` does not matter.
    creds
        .authorize_with(
            algorithm,
            &method,
            &uri,
            &mut headers,
            s(v, "body").as_bytes(),
            UNIX_EPOCH,
        )
        .map(|()| headers)
}

/// Signs the vector's request with `algorithm` and the vector's own AK/SK.
pub fn sign(v: &Value, algorithm: SigningAlgorithm) -> HeaderMap {
    sign_as(v, s(v, "ak"), s(v, "sk"), algorithm)
}

/// [`sign`], the error returned.
pub fn try_sign(v: &Value, algorithm: SigningAlgorithm) -> Result<HeaderMap, SignError> {
    try_sign_as(v, s(v, "ak"), s(v, "sk"), algorithm)
}

/// The `Authorization` header a signing added.
pub fn authorization(headers: &HeaderMap) -> &str {
    headers["authorization"].to_str().unwrap()
}

/// The algorithm an official `Authorization` value names.
pub fn algorithm_of(authorization: &str) -> SigningAlgorithm {
    let name = authorization.split(' ').next().unwrap_or_default();
    SigningAlgorithm::ALL
        .iter()
        .copied()
        .find(|algorithm| algorithm.name() == name)
        .unwrap_or_else(|| panic!("unknown algorithm in {authorization:?}"))
}

/// The signature of an `Authorization` value.
pub fn signature_of(authorization: &str) -> &str {
    authorization
        .rsplit_once("Signature=")
        .unwrap_or_else(|| panic!("no signature in {authorization:?}"))
        .1
}
