//! A fixed number of round trips, for instruction-count profiles:
//!
//! ```sh
//! cargo build --release -p mrs-iam-sync-tests --example round_trip_profile
//! valgrind --tool=callgrind target/release/examples/round_trip_profile client 2000
//! valgrind --tool=callgrind target/release/examples/round_trip_profile bare 2000
//! ```
//!
//! Variants: `bare` (reqwest alone), `shaped` (reqwest alone, sending the
//! signed client's headers, captured from one call), `unsigned` (the client without
//! credentials), `client` (signed), the client's without retries, and
//! `defaults` (signed, with the default retry policy and rate limiter: what
//! an application gets from `Client::builder()`).
//!
//! Instruction counts do not depend on what else the machine is doing, so
//! the two runs compare fairly on a busy machine.
//!
//! It prints the time per call (the calls alone, not the set-up):
//! `cargo xtask bench --rounds N` runs `bare`, `shaped` and `client` in turn,
//! N times, and compares their medians.

use std::time::Instant;

use mrs_iam_sync::{Client, ClientBuilder, Credentials, RetryPolicy};
use mrs_iam_sync_tests::canned;

const PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const CLUSTER: &str = "6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a";

fn main() {
    let mut args = std::env::args().skip(1);
    let variant = args.next().unwrap_or_else(|| "client".into());
    let calls: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let per_call = runtime.block_on(async {
        let addr = canned::start().await;
        let base = format!("http://{addr}");
        let url = format!("{base}/v2/{PROJECT}/clusters/{CLUSTER}/iam-sync");
        mrs_iam_sync::install_crypto_provider();
        let started;
        match variant.as_str() {
            "bare" | "shaped" => {
                let bare = reqwest::Client::new();
                // `shaped` sends the signed client's headers (values of an
                // earlier call): the request's shape without the client's work.
                let shape = match variant.as_str() {
                    "shaped" => Some(
                        canned::request_headers_of(client_builder("client"), CLUSTER, &addr).await,
                    ),
                    _ => None,
                };
                started = Instant::now();
                for _ in 0..calls {
                    let mut request = bare.get(&url);
                    if let Some(headers) = &shape {
                        request = request.headers(headers.clone());
                    }
                    let body = request
                        .send()
                        .await
                        .expect("get")
                        .bytes()
                        .await
                        .expect("body");
                    assert_eq!(&body[..], canned::BODY);
                }
            }
            "client" | "unsigned" | "defaults" => {
                let client = client_builder(&variant)
                    .endpoint(&base)
                    .build()
                    .expect("client");
                started = Instant::now();
                for _ in 0..calls {
                    assert!(!client.is_synchronizing(CLUSTER).await.expect("call"));
                }
            }
            other => panic!("unknown variant {other}: bare, shaped, unsigned, client or defaults"),
        }
        started.elapsed() / calls.max(1) as u32
    });
    println!(
        "{variant}: {calls} calls, {:.3} µs per call",
        per_call.as_secs_f64() * 1e6
    );
}

/// The client of a client variant, but for its endpoint.
fn client_builder(variant: &str) -> ClientBuilder {
    let builder = Client::builder().project_id(PROJECT);
    let builder = if variant == "defaults" {
        builder
    } else {
        builder.retry(RetryPolicy::disabled())
    };
    if variant == "unsigned" {
        builder.anonymous()
    } else {
        builder.credentials(Credentials::permanent("AKEXAMPLE", "SKEXAMPLE"))
    }
}
