//! Fault injection: make the next N matching requests misbehave.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The value of a `Retry-After` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Seconds(u64),
    /// `Retry-After: <HTTP-date>`, sent verbatim (e.g. `Wed, 21 Oct 2015 07:28:00 GMT`).
    HttpDate(String),
}

impl RetryAfter {
    /// The header value.
    pub fn header_value(&self) -> String {
        match self {
            RetryAfter::Seconds(s) => s.to_string(),
            RetryAfter::HttpDate(d) => d.clone(),
        }
    }
}

/// What a faulty answer looks like.
///
/// "Success status" below means the operation's normal status: 200 for the
/// three GET operations, 202 for UpdateSyncIamUser and CancelSyncIamUser.
/// Every kind except [`FaultKind::Delay`] and
/// [`FaultKind::DropConnectionAfterProcessing`] replaces the operation: the
/// cluster's state is not touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// HTTP 500, `{"error_code":"MRS.0011","message":"Internal service error.","request_id":...}`
    /// (the V2 shape with `message` instead of `error_msg`).
    Status500,
    /// HTTP 503, `{"error_code":"MRS.0503","error_msg":"Service temporarily unavailable...","request_id":...}`.
    Status503,
    /// HTTP 429 with `Retry-After` and an `APIGW.0308` body.
    TooManyRequests {
        /// The `Retry-After` header to send.
        retry_after: RetryAfter,
    },
    /// Wait this long, then answer normally (the operation runs after the wait).
    Delay(Duration),
    /// The success status, `Content-Type: application/json`, a truncated JSON
    /// document (200 for the GET operations, where a client parses it; 202
    /// for POST/DELETE so that the status alone does not give it away).
    MalformedJson,
    /// HTTP 502, `Content-Type: text/html`, a proxy's HTML error page.
    HtmlErrorPage,
    /// The success status, `Content-Type: application/json`, an empty body.
    EmptyBody,
    /// The success status with `{}`: the required field (`is_synchronizing`,
    /// `is_synchronous` or `state`) is missing. ShowSyncIamUser has no
    /// required field; it gets `{}` too (which means "nothing synchronized").
    MissingField,
    /// Close the connection without sending any response; the operation does
    /// not run.
    DropConnection,
    /// Run the operation (a sync starts, names are removed), then close the
    /// connection without sending the response: the lost answer to a request
    /// that did reach the service, which a client must not blindly resend
    /// when it is not idempotent (UpdateSyncIamUser).
    DropConnectionAfterProcessing,
}

/// A fault to inject: the next `count` requests that authenticate and whose
/// path names `cluster_id` (or any cluster, when `None`) get `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// What to answer.
    pub kind: FaultKind,
    /// How many requests to affect.
    pub count: usize,
    /// Only requests for this cluster id; `None` for every cluster.
    pub cluster_id: Option<String>,
}

impl Fault {
    /// One request, any cluster.
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            count: 1,
            cluster_id: None,
        }
    }

    /// Affect `count` requests.
    pub fn times(mut self, count: usize) -> Self {
        self.count = count;
        self
    }

    /// Affect only requests for `cluster_id`.
    pub fn for_cluster(mut self, cluster_id: impl Into<String>) -> Self {
        self.cluster_id = Some(cluster_id.into());
        self
    }

    pub(crate) fn matches(&self, cluster_id: &str) -> bool {
        self.count > 0 && self.cluster_id.as_deref().is_none_or(|c| c == cluster_id)
    }
}

/// Why a fault specification did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultParseError(String);

impl fmt::Display for FaultParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FaultParseError {}

/// Parses a duration in humantime's grammar (`250ms`, `2s`, `1.5s`,
/// `1m30s`, `1h 30m`), the grammar of the CLI's durations too.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|err| format!("invalid duration '{text}': {err} (e.g. 250ms, 2s, 1m30s)"))
}

impl FromStr for FaultKind {
    type Err = FaultParseError;

    /// `500`, `503`, `429` (Retry-After: 1) or `429=SECS`, `delay=DURATION`,
    /// `malformed-json`, `html`, `empty-body`, `missing-field`, `drop`,
    /// `drop-after` (drop after the operation ran).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, arg) = match s.split_once('=') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let no_arg = |k: FaultKind| match arg {
            None => Ok(k),
            Some(_) => Err(FaultParseError(format!(
                "fault kind '{name}' takes no '=' argument"
            ))),
        };
        match name {
            "500" => no_arg(FaultKind::Status500),
            "503" => no_arg(FaultKind::Status503),
            "429" => {
                let secs = match arg {
                    None => 1,
                    Some(a) => a.parse().map_err(|_| {
                        FaultParseError(format!("429={a}: expected a number of seconds"))
                    })?,
                };
                Ok(FaultKind::TooManyRequests {
                    retry_after: RetryAfter::Seconds(secs),
                })
            }
            "delay" => {
                let a = arg.ok_or_else(|| {
                    FaultParseError("delay needs a duration, e.g. delay=500ms".into())
                })?;
                parse_duration(a)
                    .map(FaultKind::Delay)
                    .map_err(FaultParseError)
            }
            "malformed-json" => no_arg(FaultKind::MalformedJson),
            "html" => no_arg(FaultKind::HtmlErrorPage),
            "empty-body" => no_arg(FaultKind::EmptyBody),
            "missing-field" => no_arg(FaultKind::MissingField),
            "drop" => no_arg(FaultKind::DropConnection),
            "drop-after" => no_arg(FaultKind::DropConnectionAfterProcessing),
            other => Err(FaultParseError(format!(
                "unknown fault kind '{other}' (expected 500, 503, 429[=SECS], delay=DURATION, \
                 malformed-json, html, empty-body, missing-field, drop, drop-after)"
            ))),
        }
    }
}

impl FromStr for Fault {
    type Err = FaultParseError;

    /// `kind[:count[:cluster]]`, e.g. `503`, `429=2:3`, `drop:1:cid-1`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.splitn(3, ':');
        let kind: FaultKind = parts.next().unwrap_or_default().parse()?;
        let count = match parts.next() {
            None => 1,
            Some(c) => c
                .parse()
                .map_err(|_| FaultParseError(format!("fault count '{c}' is not a number")))?,
        };
        let cluster_id = match parts.next() {
            None => None,
            Some("") => return Err(FaultParseError("empty cluster id in fault".into())),
            Some(c) => Some(c.to_owned()),
        };
        Ok(Fault {
            kind,
            count,
            cluster_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        assert_eq!(
            "503".parse::<Fault>().unwrap(),
            Fault::new(FaultKind::Status503)
        );
        assert_eq!(
            "429=7:3:cid-1".parse::<Fault>().unwrap(),
            Fault::new(FaultKind::TooManyRequests {
                retry_after: RetryAfter::Seconds(7)
            })
            .times(3)
            .for_cluster("cid-1")
        );
        assert_eq!(
            "delay=250ms:2".parse::<Fault>().unwrap(),
            Fault::new(FaultKind::Delay(Duration::from_millis(250))).times(2)
        );
        assert_eq!(
            "drop-after:2".parse::<Fault>().unwrap(),
            Fault::new(FaultKind::DropConnectionAfterProcessing).times(2)
        );
        for bad in ["", "404", "delay", "drop=1", "500:x", "500:1:", "429=soon"] {
            assert!(bad.parse::<Fault>().is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        for bad in ["2", "-1s", "soon"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
