//! Desk tool: this crate's SDK-ECDSA-P256-SHA256 and SDK-SM2-SM3 signatures, as JSON, for
//! the official Python SDK's `verify` (`tests/data/verify_our_signatures.py` reads them,
//! checks each and writes `tests/data/official-verify-vectors.json`).
//!
//! ```text
//! cargo run -p hwcloud-auth --features ecdsa-p256-sha256,sm2-sm3 --example asymmetric_signatures > /tmp/ours.json
//! /work/pysdk/bin/python crates/hwcloud-auth/tests/data/verify_our_signatures.py /tmp/ours.json
//! ```
//!
//! The requests are the 16 MRS requests of `tests/data/algorithm-vectors.json` (whose
//! string to sign the official signer computed), signed for each AK/SK pair of its
//! `derived_keys` (every request, both algorithms) and for 64 more pairs (one request
//! each, both algorithms), so that about one pair in two has SM2 public key coordinates
//! the official Z value writes short.

#[path = "../tests/support/vector_request.rs"]
mod vector_request;

use serde_json::{Value, json};
use vector_request::{algorithm_of, authorization, s, sign_as, signature_of};

const VECTORS: &str = include_str!("../tests/data/algorithm-vectors.json");

/// Pairs beyond the vectors' own, one request each.
const EXTRA_PAIRS: usize = 64;

fn main() {
    let vectors: Value = serde_json::from_str(VECTORS).expect("algorithm-vectors.json parses");
    let requests = vectors["asymmetric"].as_array().expect("asymmetric");
    let mut pairs: Vec<(String, String, Option<usize>)> = vectors["derived_keys"]
        .as_array()
        .expect("derived_keys")
        .iter()
        .map(|pair| (s(pair, "ak").to_owned(), s(pair, "sk").to_owned(), None))
        .collect();
    // The asymmetric vectors hold each MRS request once per algorithm.
    let per_algorithm = requests.len() / 2;
    pairs.extend((0..EXTRA_PAIRS).map(|i| {
        (
            format!("DESKAK{i:04}"),
            format!("desk-sk-{i:04}-{}", "x".repeat(i % 7)),
            Some(i % per_algorithm),
        )
    }));
    let mut out = Vec::new();
    for (ak, sk, only) in &pairs {
        for (index, request) in requests.iter().enumerate() {
            if only.is_some_and(|only| index % per_algorithm != only) {
                continue;
            }
            let official = &request["expected"];
            let algorithm = algorithm_of(s(official, "authorization"));
            let headers = sign_as(request, ak, sk, algorithm);
            out.push(json!({
                "request": s(request, "name"),
                "algorithm": algorithm.as_str(),
                "ak": ak,
                "sk": sk,
                "string_to_sign": s(official, "string_to_sign"),
                "signature": signature_of(authorization(&headers)),
            }));
        }
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({ "signatures": out })).expect("JSON")
    );
}
