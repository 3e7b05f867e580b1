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

/// The exit-code table of `--help` and of the README.
pub const HELP: &str = "\
Exit codes:
  0  success
  1  a service or transport error (status over many clusters: a cluster failed)
  2  usage or configuration error: bad flag, invalid id, no credentials (nothing sent)
  3  timed out waiting for a sync to finish (wait, sync --wait)";

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
}

impl Failure {
    /// The exit code.
    pub fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) => USAGE,
            Failure::Api(err) => for_error(err),
            Failure::Partial { code, .. } => *code,
        }
    }

    /// The line for stderr, without the `error: ` prefix.
    pub fn message(&self) -> String {
        match self {
            Failure::Usage(message) | Failure::Partial { message, .. } => {
                mrs_iam_sync::OneLine(message).to_string()
            }
            Failure::Api(err) => crate::output::error_line(err),
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

    #[test]
    fn errors_map_to_codes() {
        let invalid = Error::from("a/b".parse::<mrs_iam_sync::types::ClusterId>().unwrap_err());
        assert_eq!(for_error(&invalid), USAGE);
        let timed_out = Error::WaitTimedOut {
            waited: std::time::Duration::from_secs(1),
            polls: 2,
        };
        assert_eq!(for_error(&timed_out), TIMED_OUT);
    }
}
