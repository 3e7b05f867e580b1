//! What the remote sources share: sending a request through the seam, and reading the
//! credential document they answer (every shape the official `_process_credential` takes).

use std::time::SystemTime;

use serde_json::{Map, Value};

use super::{CredentialSource, Credentials, CredentialsError, Provided};
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
/// * the expiry in `expires_at` or `expiration`, RFC 3339 in UTC (`2024-01-02T03:04:05.000000Z`;
///   the fraction may be left out).
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
        malformed(
            "the expiry is not an RFC 3339 UTC time such as 2024-01-02T03:04:05.000000Z".into(),
        )
    })?;
    let credentials = match token {
        Some(token) => Credentials::temporary(access, secret, token),
        // The official SDK signs without a token then, too.
        None => Credentials::permanent(access, secret),
    };
    Ok((credentials, expires_at))
}

/// `2024-01-02T03:04:05.123456Z` (fraction optional, `Z` required: the official format is
/// `%Y-%m-%dT%H:%M:%S.%fZ`).
pub(crate) fn parse_expiry(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    if !text.ends_with('Z') {
        return None;
    }
    text.parse::<jiff::Timestamp>().ok().map(SystemTime::from)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

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
