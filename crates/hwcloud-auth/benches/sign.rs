//! Signing one typical MRS request, next to the floor of a bare HMAC-SHA256 of the same
//! string to sign. Target: ≤ 2 µs per signature.

use std::hint::black_box;
use std::time::UNIX_EPOCH;

use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Method, Uri};
use hwcloud_auth::{Secret, SigningAlgorithm, canonical_request, sign, sign_with, string_to_sign};

const AK: &str = "QTWAOYTTINDUT2QVKYUC";
const SK: &str = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";
const BODY: &[u8] =
    br#"{"is_all_sync":false,"group_names":["groups1"],"user_names":["user1","user2"]}"#;

fn request(content_type: &'static str, path: &str) -> (Uri, HeaderMap) {
    let uri: Uri = format!(
        "https://mrs.cn-north-4.myhuaweicloud.com/v2/0a1b2c3d4e5f60718293a4b5c6d7e8f9/clusters/c1d2e3f4-0000-4a4a-9b9b-123456789abc{path}"
    )
    .parse()
    .expect("static URI");
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static(content_type));
    headers.insert(
        "x-project-id",
        HeaderValue::from_static("0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
    );
    headers.insert("x-sdk-date", HeaderValue::from_static("20240102T030405Z"));
    (uri, headers)
}

fn bench(c: &mut Criterion) {
    let sk = Secret::new(SK);
    let mut group = c.benchmark_group("sign");

    for (name, method, content_type, path, body) in [
        (
            "get_iam_sync",
            Method::GET,
            "application/json",
            "/iam-sync",
            &b""[..],
        ),
        (
            "post_iam_sync_user_json",
            Method::POST,
            "application/json;charset=utf-8",
            "/iam-sync-user",
            BODY,
        ),
    ] {
        let (uri, headers) = request(content_type, path);
        // A fresh request each time: clone (measured alone below) + sign, which adds
        // Host and Authorization.
        group.bench_function(format!("{name}_clone_and_sign"), |b| {
            b.iter(|| {
                let mut h = headers.clone();
                sign(&method, &uri, &mut h, black_box(body), AK, &sk, UNIX_EPOCH).expect("signs");
                h
            })
        });
        group.bench_function(format!("{name}_clone_only"), |b| {
            b.iter(|| black_box(&headers).clone())
        });
        // Signing again (a retry): Host is already there, Authorization is replaced.
        let mut signed = headers.clone();
        sign(&method, &uri, &mut signed, body, AK, &sk, UNIX_EPOCH).expect("signs");
        let mut again = signed.clone();
        group.bench_function(format!("{name}_resign"), |b| {
            b.iter(|| {
                sign(
                    &method,
                    &uri,
                    black_box(&mut again),
                    black_box(body),
                    AK,
                    &sk,
                    UNIX_EPOCH,
                )
                .expect("signs")
            })
        });

        // Diagnostics: building the canonical request alone (header collection included).
        group.bench_function(format!("{name}_canonical_request_only"), |b| {
            b.iter(|| canonical_request(&method, &uri, black_box(&signed), body).expect("ok"))
        });
        // The floor: HMAC-SHA256 (key setup included) of this request's string to sign,
        // by the library the signer uses (ring, the default feature's).
        let cr = canonical_request(&method, &uri, &signed, body).expect("canonical request");
        let sts = string_to_sign("20240102T030405Z", &cr);
        group.bench_function(format!("{name}_floor_hmac"), |b| {
            b.iter(|| {
                let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, black_box(SK.as_bytes()));
                black_box(ring::hmac::sign(&key, black_box(sts.as_bytes())))
            })
        });
    }
    // Each algorithm re-signing the GET (derived keys are cached after the first call;
    // the others only with their features, e.g. `--features hmac-sm3,ecdsa-p256-sha256,sm2-sm3`).
    let (uri, headers) = request("application/json", "/iam-sync");
    for algorithm in SigningAlgorithm::ALL
        .iter()
        .copied()
        .filter(|a| a.is_enabled())
    {
        let mut signed = headers.clone();
        sign_with(
            algorithm,
            &Method::GET,
            &uri,
            &mut signed,
            b"",
            AK,
            &sk,
            UNIX_EPOCH,
        )
        .expect("signs");
        group.bench_function(format!("algorithm_{algorithm}"), |b| {
            b.iter(|| {
                sign_with(
                    algorithm,
                    &Method::GET,
                    &uri,
                    black_box(&mut signed),
                    b"",
                    AK,
                    &sk,
                    UNIX_EPOCH,
                )
                .expect("signs")
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
