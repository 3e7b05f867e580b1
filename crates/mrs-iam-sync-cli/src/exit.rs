//! The exit codes of `mrs-iam-sync`, in one place.

use mrs_iam_sync::Error;

/// Success.
pub const OK: u8 = 0;
/// The service or the network failed (for `status` over many clusters: a
/// cluster's call failed).
pub const FAILURE: u8 = 1;
/// A usage or configuration error: a bad flag, an invalid id, no
/// credentials, no region. Nothing was sent.
pub const USAGE: u8 = 2;
/// Gave up waiting: a sync was still running at `--timeout`.
pub const TIMED_OUT: u8 = 3;
/// Stopped by Ctrl-C (SIGINT): 128 + 2, as shells report a process the
/// signal killed.
pub const INTERRUPTED: u8 = 130;

/// Every exit code and what it means: `--help`'s table, the man page's
/// EXIT STATUS, and the README's table (a test compares them).
pub const TABLE: &[(u8, &str)] = &[
    (OK, "success"),
    (
        FAILURE,
        "a service or transport error (status over many clusters: a cluster failed)",
    ),
    (
        USAGE,
        "usage or configuration error: bad flag, invalid id, no credentials (nothing sent)",
    ),
    (
        TIMED_OUT,
        "timed out waiting for a sync to finish (wait, sync --wait)",
    ),
    (
        INTERRUPTED,
        "interrupted by Ctrl-C (status prints every answered cluster first)",
    ),
];

/// The exit-code table at the end of `--help`.
pub fn help() -> String {
    let mut text = String::from("Exit codes:");
    for (code, meaning) in TABLE {
        text.push_str(&format!("\n  {code:>3}  {meaning}"));
    }
    text
}

/// The exit code an error of the client calls for.
pub fn for_error(err: &Error) -> u8 {
    match err {
        Error::InvalidInput { .. } | Error::Config(_) | Error::Credentials(_) => USAGE,
        Error::WaitTimedOut { .. } => TIMED_OUT,
        _ => FAILURE,
    }
}

/// How a command failed: told in one line on stderr, with an exit code.
#[derive(Debug)]
pub enum Failure {
    /// A usage or configuration problem found before any call.
    Usage(String),
    /// A call failed.
    Api(Error),
    /// Some of several calls failed; each is in the output already.
    Partial {
        /// The exit code.
        code: u8,
        /// The summary.
        message: String,
    },
    /// Ctrl-C stopped the command; the text says how far it got (one or
    /// more lines, not an error).
    Interrupted(String),
}

impl Failure {
    /// The exit code.
    pub fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) => USAGE,
            Failure::Api(err) => for_error(err),
            Failure::Partial { code, .. } => *code,
            Failure::Interrupted(_) => INTERRUPTED,
        }
    }

    /// What stderr gets: `error: ` and one line, or the interruption's
    /// summary as it is.
    pub fn report(&self) -> String {
        match self {
            Failure::Usage(message) | Failure::Partial { message, .. } => {
                format!("error: {}", mrs_iam_sync::OneLine::new(message))
            }
            Failure::Api(err) => format!("error: {}", crate::output::error_line(err)),
            Failure::Interrupted(summary) => summary.clone(),
        }
    }
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Failure::Api(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn errors_map_to_codes() {
        let invalid = Error::from("a/b".parse::<mrs_iam_sync::types::ClusterId>().unwrap_err());
        assert_eq!(for_error(&invalid), USAGE);
        // A waiter with no time at all gives up before its first poll answers.
        let client = mrs_iam_sync::Client::builder()
            .endpoint("http://127.0.0.1:9")
            .anonymous()
            .project_id("0a1b2c3d4e5f60718293a4b5c6d7e8f9")
            .build()
            .unwrap();
        let no_time = mrs_iam_sync::WaitOptions::default().with_timeout(std::time::Duration::ZERO);
        let timed_out = client
            .wait_until_idle("6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a", &no_time)
            .await
            .unwrap_err();
        assert!(
            matches!(timed_out, Error::WaitTimedOut { .. }),
            "{timed_out:?}"
        );
        assert_eq!(for_error(&timed_out), TIMED_OUT);
    }

    #[test]
    fn the_readme_lists_every_code() {
        let readme = include_str!("../README.md");
        for (code, meaning) in TABLE {
            let row = format!("| {code} | {meaning} |");
            assert!(readme.contains(&row), "the README lacks {row:?}");
        }
        assert!(help().contains("130  interrupted"));
    }
}
