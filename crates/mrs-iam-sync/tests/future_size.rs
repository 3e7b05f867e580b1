//! The future of a call stays small: a fan-out holds one per call in flight
//! and moves each one at least once, so its size is memory and copying per
//! call. The runtime boxes its attempt loop (request, retry copy, timers,
//! credentials) and the project-id lookup, which used to make every call's
//! future about 4 KB.

use mrs_iam_sync::{Client, Credentials};

/// Headroom over the 1,856 bytes measured with rustc 1.95 (debug and
/// release alike; 4,152 before the boxing): the bound
/// catches the attempt loop's state coming back inline, not layout noise.
const MOST: usize = 3 * 1024;

#[test]
fn a_call_future_is_small() {
    let client = Client::builder()
        .endpoint("http://127.0.0.1:9")
        .credentials(
            Credentials::permanent("AKEXAMPLE", "SKEXAMPLE")
                .with_project_id("0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
        )
        .build()
        .expect("client");
    let call = client.is_synchronizing("cluster-1");
    assert!(
        size_of_val(&call) <= MOST,
        "is_synchronizing's future is {} bytes",
        size_of_val(&call)
    );
    let send = client
        .list_cluster_sync_task_status()
        .project_id("0a1b2c3d4e5f60718293a4b5c6d7e8f9")
        .cluster_id("cluster-1")
        .send();
    assert!(
        size_of_val(&send) <= MOST,
        "the generated send's future is {} bytes",
        size_of_val(&send)
    );
}
