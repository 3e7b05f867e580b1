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
    // The loopback metadata service's keys expire an hour from now.
    let stdout: Vec<String> = redact(&run.stdout)
        .lines()
        .map(|line| match line.strip_prefix("expires:") {
            Some(_) => "expires:        [an hour from now]".to_owned(),
            None => line.to_owned(),
        })
        .collect();
    insta::assert_snapshot!(stdout.join("\n"));
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
