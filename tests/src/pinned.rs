//! A client whose every request is reproducible: fixed credentials, a
//! pinned clock and a host name without a port, so that even the signature
//! can be snapshotted.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use mrs_iam_sync::{Client, Credentials, FixedClock, RetryPolicy, SigningAlgorithm};

/// The test access key (the MRS example of `signing.md`).
pub const AK: &str = "AKEXAMPLE";
/// Its secret key.
pub const SK: &str = "SKEXAMPLE";
/// The host the requests name; DNS for it is overridden to the test server.
pub const HOST: &str = "mrs.cn-north-4.myhuaweicloud.com";

/// 2024-01-02T03:04:05Z, the date of the MRS signing example.
pub fn instant() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_164_645)
}

/// A client that signs with [`AK`]/[`SK`] at [`instant`], for `project_id`,
/// sending to `server` under the name [`HOST`], without retries.
pub fn client(server: SocketAddr, project_id: &str) -> Client {
    client_signing_with(server, project_id, SigningAlgorithm::default())
}

/// [`client`], signing with `algorithm`.
pub fn client_signing_with(
    server: SocketAddr,
    project_id: &str,
    algorithm: SigningAlgorithm,
) -> Client {
    Client::builder()
        .endpoint(format!("http://{HOST}"))
        .credentials(Credentials::permanent(AK, SK).with_project_id(project_id))
        .clock(FixedClock(instant()))
        .retry(RetryPolicy::disabled())
        .signing_algorithm(algorithm)
        .resolve(HOST, server)
        .build()
        .expect("the pinned client builds")
}
