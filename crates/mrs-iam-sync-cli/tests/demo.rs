//! `demo` completes on its own: no credentials, no network.

mod common;

use common::{Cli, redact};

#[test]
fn demo_runs_the_whole_workflow() {
    // Credentials in the environment must not matter: the demo uses its own.
    let run = Cli::new()
        .env("HUAWEICLOUD_SDK_AK", "SOMEONE-ELSES-AK")
        .env("HUAWEICLOUD_SDK_SK", "wrong-secret-key")
        .args(["demo", "--sync-duration", "1s"])
        .run()
        .expect_code(0);
    insta::assert_snapshot!(redact(&run.stdout));
    let polls: Vec<&str> = run.stderr.lines().collect();
    assert!(
        polls.len() >= 2,
        "one line per poll off a terminal: {run:#?}"
    );
    assert!(
        polls.iter().all(|line| line.starts_with("poll ")),
        "{run:#?}"
    );
}
