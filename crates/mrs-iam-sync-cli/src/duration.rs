//! Durations on the command line, in humantime's grammar: `500ms`, `30s`,
//! `1.5s`, `2m`, `1h`, and sums such as `1m30s` or `1h 30m`. The loopback server
//! reads its durations with the same grammar.

use std::time::Duration;

/// Parses a duration such as `30s`, `2m`, `500ms` or `1m30s`.
pub fn parse(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|err| {
        format!("invalid duration {text:?}: {err} (expected e.g. 500ms, 30s, 2m, 1h or 1m30s)")
    })
}

/// Milliseconds as a whole number, for JSON output.
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_units_and_sums() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse(" 0s "), Ok(Duration::ZERO));
    }

    #[test]
    fn refuses_everything_else() {
        for bad in ["", "30", "s", "-1s", "3x", "ms5", "１s"] {
            let err = parse(bad).unwrap_err();
            assert!(err.starts_with("invalid duration"), "{bad:?}: {err}");
        }
    }
}
