//! What the remote sources share: sending a request through the seam, and reading the
//! credential document they answer (every shape the official `_process_credential` takes).

use std::time::SystemTime;

use serde_json::{Map, Value};

use super::{CredentialSource, Credentials, CredentialsError, Provided};
use crate::civil;
use crate::transport::HttpClient;

/// The `User-Agent` of credential requests.
pub(crate) const USER_AGENT: &str = concat!("hwcloud-auth-rust/", env!("CARGO_PKG_VERSION"));

/// How a request reaches its service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// Through the configured proxy, if any: IAM and STS.
    Configured,
    /// Never through a proxy ([`HttpClient::send_direct`]): the metadata service and the pod
    /// identity agent, which answer for the host they run on.
    Direct,
}

/// Sends `request` by `route`; a transport failure is [`CredentialsError::Unreachable`].
pub(crate) async fn exchange(
    http: &dyn HttpClient,
    route: Route,
    service: &'static str,
    request: http::Request<Vec<u8>>,
) -> Result<http::Response<Vec<u8>>, CredentialsError> {
    let endpoint = describe(&request).1;
    let sent = match route {
        Route::Configured => http.send(request),
        Route::Direct => http.send_direct(request),
    };
    sent.await.map_err(|source| CredentialsError::Unreachable {
        service,
        endpoint,
        source,
    })
}

/// Sends `request` by `route`; a transport failure is [`CredentialsError::Unreachable`], a
/// status of 400 or more is [`CredentialsError::Rejected`] with the start of the body.
pub(crate) async fn send(
    http: &dyn HttpClient,
    route: Route,
    service: &'static str,
    request: http::Request<Vec<u8>>,
) -> Result<http::Response<Vec<u8>>, CredentialsError> {
    let line = describe(&request).0;
    let response = exchange(http, route, service, request).await?;
    if response.status().as_u16() >= 400 {
        return Err(rejected(service, line, &response));
    }
    Ok(response)
}

/// The tail every remote source shares: sets `body` on `request` (a request that does
/// not build is blamed on `variable`, which configured its URL or a header), sends it and
/// reads the credential document it answers, from `source`.
pub(crate) async fn fetch_credential(
    http: &dyn HttpClient,
    route: Route,
    service: &'static str,
    request: http::request::Builder,
    body: Vec<u8>,
    variable: &'static str,
    source: CredentialSource,
) -> Result<Provided, CredentialsError> {
    let request = request
        .body(body)
        .map_err(|_| CredentialsError::InvalidVariable {
            variable,
            reason: "it does not make a valid request".into(),
        })?;
    let response = send(http, route, service, request).await?;
    provided(response.body(), service, source)
}

/// A credential document (see [`parse_credential`]) from `source`.
pub(crate) fn provided(
    body: &[u8],
    service: &'static str,
    source: CredentialSource,
) -> Result<Provided, CredentialsError> {
    let (credentials, expires_at) = parse_credential(body, service)?;
    Ok(Provided {
        credentials,
        expires_at: Some(expires_at),
        source,
    })
}

/// `METHOD scheme://host/path` (no query) and `scheme://host` of a request.
pub(crate) fn describe(request: &http::Request<Vec<u8>>) -> (String, String) {
    let uri = request.uri();
    let origin = match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
        _ => uri.to_string(),
    };
    (
        format!("{} {origin}{}", request.method(), uri.path()),
        origin,
    )
}

/// The error for an error status.
pub(crate) fn rejected(
    service: &'static str,
    request: String,
    response: &http::Response<Vec<u8>>,
) -> CredentialsError {
    CredentialsError::Rejected {
        service,
        request,
        status: response.status().as_u16(),
        detail: excerpt(response.body()),
    }
}

/// At most 200 characters of a body, on one line.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out.trim().to_owned()
}

/// A request with the official SDK's headers for IAM/STS calls (a JSON body). A URL that
/// does not parse is blamed on `variable`, which configured it.
pub(crate) fn json_request(
    method: http::Method,
    url: &str,
    variable: &'static str,
) -> Result<http::request::Builder, CredentialsError> {
    let uri: http::Uri = url.parse().map_err(|_| CredentialsError::InvalidVariable {
        variable,
        reason: "it does not make a valid URL".into(),
    })?;
    Ok(http::Request::builder()
        .method(method)
        .uri(uri)
        .header(http::header::CONTENT_TYPE, "application/json;charset=UTF-8")
        .header(http::header::USER_AGENT, USER_AGENT))
}

/// A JSON object with its keys in the given order (serde_json's map sorts them; the
/// official SDK sends them in insertion order). Each value is JSON text: a leaf's
/// `Value::to_string()`, or another `ordered_object` for a nested object.
pub(crate) fn ordered_object(fields: &[(&str, String)]) -> String {
    let members: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("{}:{value}", Value::from(*key)))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// The first non-empty string among `keys` (Python's `a.get(k1) or a.get(k2) ...`).
fn first<'a>(map: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .filter_map(|k| map.get(*k).and_then(Value::as_str))
        .find(|v| !v.is_empty())
}

/// Reads a credential document:
///
/// * optionally wrapped in `credential` or `credentials`;
/// * the AK in `access`, `accessKeyId` or `access_key_id`;
/// * the SK in `secret`, `secretAccessKey` or `secret_access_key`;
/// * the security token in `securitytoken`, `securityToken` or `security_token`;
/// * the expiry in `expires_at` or `expiration`, RFC 3339 (`2024-01-02T03:04:05.000000Z`;
///   the fraction may be left out, the offset may be numeric).
///
/// Errors name the missing or bad field, never a value.
pub(crate) fn parse_credential(
    body: &[u8],
    service: &'static str,
) -> Result<(Credentials, SystemTime), CredentialsError> {
    let malformed = |reason: String| CredentialsError::Malformed { service, reason };
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        // serde_json's message quotes no input, only a position.
        malformed(format!("the body is not JSON ({e})"))
    })?;
    let Value::Object(mut map) = value else {
        return Err(malformed("the body is not a JSON object".into()));
    };
    for wrapper in ["credential", "credentials"] {
        if map.contains_key(wrapper) {
            match map.remove(wrapper) {
                Some(Value::Object(inner)) => map = inner,
                _ => return Err(malformed(format!("`{wrapper}` is not a JSON object"))),
            }
            break;
        }
    }
    let access = first(&map, &["access", "accessKeyId", "access_key_id"])
        .ok_or_else(|| malformed("no access key (access, accessKeyId or access_key_id)".into()))?;
    let secret =
        first(&map, &["secret", "secretAccessKey", "secret_access_key"]).ok_or_else(|| {
            malformed("no secret key (secret, secretAccessKey or secret_access_key)".into())
        })?;
    let token = first(&map, &["securitytoken", "securityToken", "security_token"]);
    let expiry = first(&map, &["expires_at", "expiration"])
        .ok_or_else(|| malformed("no expiry (expires_at or expiration)".into()))?;
    let expires_at = parse_expiry(expiry).ok_or_else(|| {
        malformed("the expiry is not an RFC 3339 time such as 2024-01-02T03:04:05.000000Z".into())
    })?;
    let credentials = match token {
        Some(token) => Credentials::temporary(access, secret, token),
        // The official SDK signs without a token then, too.
        None => Credentials::permanent(access, secret),
    };
    Ok((credentials, expires_at))
}

/// An RFC 3339 date-time: `2024-01-02T03:04:05.123456Z` (the official format,
/// `%Y-%m-%dT%H:%M:%S.%fZ`), the fraction optional (up to nanoseconds), `Z` or a
/// numeric offset (`+08:00`), `T` or a space between date and time. A leap second
/// (`:60`) reads as `:59`, as jiff reads it.
pub(crate) fn parse_expiry(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if bytes.len() < 20
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || separators.iter().any(|&(i, c)| bytes[i] != c)
    {
        return None;
    }
    let rest = text.get(19..)?;
    let (fraction, offset) = rest.split_at(rest.find(['Z', 'z', '+', '-'])?);
    let nanos = match fraction.strip_prefix('.') {
        None if fraction.is_empty() => 0,
        Some(digits)
            if (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            digits.parse::<u32>().ok()? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let offset = match offset.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let [h1, h2, m1, m2] = digits.map(|d| i32::from(d - b'0'));
            let (hours, minutes) = (h1 * 10 + h2, m1 * 10 + m2);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = hours * 3600 + minutes * 60;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let field = |range| text.get(range);
    let second = match field(17..19) {
        Some("60") => Some("59"),
        second => second,
    };
    let fields = [
        field(0..4),
        field(5..7),
        field(8..10),
        field(11..13),
        field(14..16),
        second,
    ];
    civil::instant(fields, offset, nanos)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use proptest::prelude::prop_assume;
    use proptest::prop_assert_eq;

    use super::*;

    const AT: u64 = 1_704_164_645; // 2024-01-02T03:04:05Z

    #[test]
    fn every_shape_of_the_official_parser() {
        let bodies = [
            r#"{"credential":{"access":"AK","secret":"SK","securitytoken":"ST","expires_at":"2024-01-02T03:04:05.000000Z"}}"#,
            r#"{"credentials":{"access_key_id":"AK","secret_access_key":"SK","security_token":"ST","expiration":"2024-01-02T03:04:05Z"}}"#,
            r#"{"accessKeyId":"AK","secretAccessKey":"SK","securityToken":"ST","expiration":"2024-01-02T03:04:05.000Z"}"#,
            r#"{"access":"","accessKeyId":"AK","secret":"SK","securitytoken":"ST","expires_at":"2024-01-02T03:04:05.000000Z"}"#,
        ];
        for body in bodies {
            let (c, at) = parse_credential(body.as_bytes(), "test").unwrap();
            assert_eq!(c.access_key(), Some("AK"), "{body}");
            assert!(matches!(c, Credentials::Temporary { .. }), "{body}");
            assert_eq!(at, UNIX_EPOCH + Duration::from_secs(AT), "{body}");
        }
        let (c, _) = parse_credential(
            br#"{"access":"AK","secret":"SK","expires_at":"2024-01-02T03:04:05.5Z"}"#,
            "test",
        )
        .unwrap();
        assert!(matches!(c, Credentials::Permanent { .. }));
    }

    #[test]
    fn the_expiry_is_rfc_3339() {
        let at = |secs, nanos| Some(UNIX_EPOCH + Duration::new(secs, nanos));
        for (text, want) in [
            ("2024-01-02T03:04:05Z", at(AT, 0)),
            (" 2024-01-02T03:04:05.5Z ", at(AT, 500_000_000)),
            ("2024-01-02T03:04:05.123456789Z", at(AT, 123_456_789)),
            ("2024-01-02T03:04:05.000000Z", at(AT, 0)),
            ("2024-01-02t03:04:05z", at(AT, 0)),
            ("2024-01-02 03:04:05Z", at(AT, 0)),
            ("2024-01-02T03:04:05+00:00", at(AT, 0)),
            ("2024-01-02T03:04:05-00:00", at(AT, 0)),
            ("2024-01-02T11:04:05.25+08:00", at(AT, 250_000_000)),
            ("2024-01-01T21:34:05-05:30", at(AT, 0)),
            ("2024-01-02T03:04:60Z", at(AT + 54, 0)),
        ] {
            assert_eq!(parse_expiry(text), want, "{text:?}");
        }
        for bad in [
            "",
            "2024-01-02T03:04:05",
            "2024-01-02T03:04Z",
            "2024-01-02T03:04:05.Z",
            "2024-01-02T03:04:05.1234567890Z",
            "2024-01-02T03:04:05,5Z",
            "2024-01-02T03:04:05ZZ",
            "2024-01-02T03:04:05+0800",
            "2024-01-02T03:04:05+24:00",
            "2024-01-02T03:04:05+08:60",
            "2024-01-02T03:04:05+8:00",
            "2024-01-02T03:04:05UTC",
            "2024-02-30T03:04:05Z",
            "2024-1-02T03:04:05Z",
            "2024-01-02T03:04:61Z",
            "0000-01-02T03:04:05Z",
            "+2024-01-02T03:04:05Z",
            "2024-01-02X03:04:05Z",
            "2024-01-02T03:04:0\u{e9}Z",
            "2024-01-02T03:04:05.\u{e9}Z",
        ] {
            assert_eq!(parse_expiry(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Any RFC 3339 time of the years 0001–9999 (fraction of 0–9 digits, `Z` or an
        /// offset) reads as jiff's own parser reads it.
        #[test]
        fn the_expiry_reads_as_jiff_reads_it(
            // Up to jiff's last timestamp, 9999-12-30T22:00:00Z.
            secs in -62_135_596_800i64..=253_402_207_200,
            nanos in 0u32..1_000_000_000,
            digits in 0usize..=9,
            offset_minutes in -(23 * 60 + 59)..=(23i32 * 60 + 59),
            zulu in proptest::bool::ANY,
        ) {
            let offset = if zulu { 0 } else { offset_minutes * 60 };
            let local = jiff::tz::Offset::from_seconds(offset)
                .unwrap()
                .to_datetime(jiff::Timestamp::from_second(secs).unwrap());
            prop_assume!((1..=9999).contains(&local.year()));
            let fraction = format!(".{nanos:09}");
            let fraction = if digits == 0 { "" } else { &fraction[..=digits] };
            let suffix = if zulu {
                "Z".to_owned()
            } else {
                let (sign, minutes) = if offset_minutes < 0 { ('-', -offset_minutes) } else { ('+', offset_minutes) };
                format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
            };
            let text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}{suffix}",
                local.year(), local.month(), local.day(), local.hour(), local.minute(), local.second()
            );
            let jiff: jiff::Timestamp = text.parse().unwrap();
            prop_assert_eq!(parse_expiry(&text), Some(SystemTime::from(jiff)), "{}", text);
        }
    }

    #[test]
    fn malformed_documents_name_the_field_and_no_value() {
        let cases = [
            ("not json SECRETVALUE", "not JSON"),
            ("[1]", "not a JSON object"),
            (
                r#"{"credential":"SECRETVALUE"}"#,
                "`credential` is not a JSON object",
            ),
            (
                r#"{"secret":"SECRETVALUE","expires_at":"2024-01-02T03:04:05Z"}"#,
                "no access key",
            ),
            (
                r#"{"access":"AK","expires_at":"2024-01-02T03:04:05Z"}"#,
                "no secret key",
            ),
            (r#"{"access":"AK","secret":"SECRETVALUE"}"#, "no expiry"),
            (
                r#"{"access":"AK","secret":"SECRETVALUE","expires_at":"tomorrow"}"#,
                "not an RFC 3339",
            ),
        ];
        for (body, expected) in cases {
            let err = parse_credential(body.as_bytes(), "the test service").unwrap_err();
            let text = err.to_string();
            assert!(text.contains(expected), "{body}: {text}");
            assert!(
                text.starts_with("the test service answered a malformed credential"),
                "{text}"
            );
            assert!(!text.contains("SECRETVALUE"), "{text}");
        }
    }
}
