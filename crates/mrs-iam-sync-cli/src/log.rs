//! The request log on stderr: the client library's `tracing` events, shown
//! by the one subscriber of the process (the library never installs one).
//!
//! `-v` shows each attempt (`mrs_iam_sync::request`), `-vv` adds the
//! credentials and the rate limiter (`mrs_iam_sync::credentials`,
//! `mrs_iam_sync::throttle`); without either, warnings only.
//! `MRS_IAM_SYNC_LOG` replaces these with a filter of its own, in
//! `tracing`'s syntax (`EnvFilter`). The events carry names and public
//! values only (see the library's `hooks` module), so no secret is printed.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::exit::Failure;

/// The variable whose filter replaces `-v`'s.
pub const LOG_ENV: &str = "MRS_IAM_SYNC_LOG";

/// The filter of `-v` repeated `verbose` times.
fn filter_for(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => "warn,mrs_iam_sync=debug,hwcloud_auth=debug",
        _ => "warn,mrs_iam_sync=trace,hwcloud_auth=trace",
    }
}

/// Installs the subscriber for `-v` × `verbose`, or `MRS_IAM_SYNC_LOG`'s
/// filter when it is set; a filter that does not parse is a usage error
/// naming the variable.
pub fn init(verbose: u8) -> Result<(), Failure> {
    let filter = match std::env::var(LOG_ENV) {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(&directives)
            .map_err(|err| {
                Failure::Usage(format!(
                    "{LOG_ENV} is not a filter ({err}); e.g. {LOG_ENV}=mrs_iam_sync=debug"
                ))
            })?,
        _ => EnvFilter::new(filter_for(verbose)),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Stderr)
        .compact()
        .with_target(false)
        .try_init()
        .map_err(|err| Failure::Usage(format!("cannot start the request log: {err}")))
}

/// stderr, through the progress display: a log line written while a bar is
/// drawn waits for the next frame instead of tearing it.
#[derive(Clone, Copy)]
struct Stderr;

impl std::io::Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        crate::progress::write_stderr(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl MakeWriter<'_> for Stderr {
    type Writer = Stderr;

    fn make_writer(&self) -> Stderr {
        Stderr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_v_shows_more() {
        assert!(!filter_for(0).contains("mrs_iam_sync"));
        assert!(filter_for(1).contains("mrs_iam_sync=debug"));
        assert!(filter_for(2).contains("mrs_iam_sync=trace"));
        assert_eq!(filter_for(7), filter_for(2));
        for verbose in 0..3 {
            EnvFilter::try_new(filter_for(verbose)).expect("a valid filter");
        }
    }
}
