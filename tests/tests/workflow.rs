//! The whole workflow against the loopback server, with each way of
//! authenticating: the server recomputes every signature independently.

use std::time::Duration;

use mrs_iam_sync::types::{CancelSyncIamUserRequest, UpdateSyncIamUserRequest};
use mrs_iam_sync::{Client, Credentials, Error, WaitOptions};
use mrs_iam_sync_server::{
    AccessKey, Config, DEMO_AK, DEMO_CLUSTER_ID, DEMO_PROJECT_ID, DEMO_SK, DEMO_TOKEN, Server,
};
use mrs_iam_sync_tests::conformance::ClientOnlyServer;

/// Every request the client sends here must conform to the spec.
async fn start() -> ClientOnlyServer {
    let config = Config {
        sync_duration: Duration::from_millis(300),
        access_keys: vec![
            AccessKey::new(DEMO_AK, DEMO_SK),
            AccessKey::new("TEMPAK", "TEMPSK"),
        ],
        ..Config::default()
    };
    ClientOnlyServer::start(config).await
}

fn client(server: &Server, credentials: Credentials) -> Client {
    Client::builder()
        .endpoint(server.base_url())
        .credentials(credentials)
        .build()
        .unwrap()
}

async fn run_workflow(client: &Client) {
    let cluster = DEMO_CLUSTER_ID;
    assert!(!client.is_synchronizing(cluster).await.unwrap());
    assert!(!client.is_synchronized(cluster).await.unwrap());
    let accepted = client
        .start_sync(
            cluster,
            &UpdateSyncIamUserRequest {
                user_names: vec!["user2".into()],
                group_names: vec!["group3".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(accepted.state, "synchronizing");
    let options = WaitOptions::default()
        .with_min_interval(Duration::from_millis(50))
        .with_max_interval(Duration::from_millis(100))
        .with_timeout(Duration::from_secs(10));
    client.wait_until_idle(cluster, &options).await.unwrap();
    assert!(client.is_synchronized(cluster).await.unwrap());
    let synced = client.synced_principals(cluster).await.unwrap();
    assert_eq!(synced.user_names, ["user2"]);
    assert_eq!(synced.group_names, ["group1", "group2", "group3"]);
    client
        .cancel_sync(
            cluster,
            &CancelSyncIamUserRequest {
                user_names: vec!["user2".into()],
                group_names: vec!["group3".into()],
            },
        )
        .await
        .unwrap();
    let synced = client.synced_principals(cluster).await.unwrap();
    assert!(synced.user_names.is_empty());
    assert_eq!(synced.group_names, ["group1", "group2"]);
}

#[tokio::test]
async fn permanent_keys() {
    let server = start().await;
    run_workflow(&client(
        &server,
        Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID),
    ))
    .await;
    let request = &server.requests()[0];
    assert_eq!(request.header("x-project-id"), Some(DEMO_PROJECT_ID));
    assert!(
        request
            .header("authorization")
            .unwrap()
            .starts_with("SDK-HMAC-SHA256 Access=MRSDEMOACCESSKEY0001, ")
    );
}

#[tokio::test]
async fn temporary_keys_sign_the_security_token() {
    let server = start().await;
    let credentials = Credentials::temporary("TEMPAK", "TEMPSK", "session-token-value")
        .with_project_id(DEMO_PROJECT_ID);
    run_workflow(&client(&server, credentials)).await;
    let request = &server.requests()[0];
    assert_eq!(
        request.header("x-security-token"),
        Some("session-token-value")
    );
    assert!(
        request
            .header("authorization")
            .unwrap()
            .contains("x-security-token")
    );
}

#[tokio::test]
async fn iam_token() {
    let server = start().await;
    run_workflow(&client(
        &server,
        Credentials::token(DEMO_TOKEN).with_project_id(DEMO_PROJECT_ID),
    ))
    .await;
    let request = &server.requests()[0];
    assert_eq!(request.header("x-auth-token"), Some(DEMO_TOKEN));
    assert_eq!(request.header("authorization"), None);
}

#[tokio::test]
async fn a_wrong_secret_key_is_refused_by_the_gateway_check() {
    let server = start().await;
    let client = client(
        &server,
        Credentials::permanent(DEMO_AK, "WRONG").with_project_id(DEMO_PROJECT_ID),
    );
    let err = client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.code(), Some("APIGW.0301"));
    assert!(err.request_id().is_some());
    assert!(!err.to_string().contains("WRONG"), "{err}");
}

#[tokio::test]
async fn an_unknown_cluster_is_the_documented_error() {
    let server = start().await;
    let client = client(
        &server,
        Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID),
    );
    let err = client
        .is_synchronizing("no-such-cluster")
        .await
        .unwrap_err();
    let Error::Service(service) = err else {
        panic!()
    };
    assert_eq!(
        (service.status.as_u16(), service.code.as_str()),
        (400, "12000003")
    );
}

#[tokio::test]
async fn without_a_project_id_the_short_forms_say_how_to_set_one() {
    let server = start().await;
    let client = client(&server, Credentials::permanent(DEMO_AK, DEMO_SK));
    let err = client.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    assert!(err.to_string().contains("no project id"), "{err}");
    assert_eq!(server.request_count(), 0);
}

/// progenitor's `Client::new` with a built client's runtime: the requests
/// go to the base URL given there, signed as the built client signs them
/// (the runtime's parsed base URL is only a shortcut for its own client).
#[tokio::test]
async fn a_client_made_with_a_built_runtime_sends_to_its_own_base_url() {
    use mrs_iam_sync::ClientInfo as _;
    let (built_for, other) = (start().await, start().await);
    let built = client(
        &built_for,
        Credentials::permanent(DEMO_AK, DEMO_SK).with_project_id(DEMO_PROJECT_ID),
    );
    let elsewhere = Client::new(&other.base_url(), built.inner().clone());
    assert!(!elsewhere.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap());
    assert_eq!(built_for.request_count(), 0);
    let requests = other.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].path,
        format!("/v2/{DEMO_PROJECT_ID}/clusters/{DEMO_CLUSTER_ID}/iam-sync")
    );
    // An invalid base URL is refused before anything is sent.
    let broken = Client::new("not a url", built.inner().clone());
    let err = broken.is_synchronizing(DEMO_CLUSTER_ID).await.unwrap_err();
    assert!(err.to_string().contains("not a url"), "{err}");
}
