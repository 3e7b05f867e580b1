//! Gateway-style authentication: an independent verifier of the official SDK's four
//! signing algorithms (SDK-HMAC-SHA256, SDK-HMAC-SM3, SDK-ECDSA-P256-SHA256,
//! SDK-SM2-SM3; see [`Algorithm`]) and `X-Auth-Token` checking.
//!
//! This module deliberately shares no code with the workspace's signing crate:
//! the server is the second opinion that catches a signer bug, so it must not
//! inherit one. Everything here works on the raw request as it came off the
//! wire (the raw path and query, the headers as received, the body bytes), so
//! a test can re-run it on a [`RecordedRequest`](crate::RecordedRequest).
//!
//! The rules, as the official SDK core (3.1.219) signs:
//!
//! 1. Canonical URI: percent-decode the path, split on `/`, percent-encode each
//!    segment keeping only `A-Z a-z 0-9 - _ . ~`, re-join, append `/` if missing.
//! 2. Canonical query: decode the `name=value` pairs, sort them, encode both
//!    sides as above, join with `&`.
//! 3. Canonical headers: for each name in `SignedHeaders`, `name:value\n` with
//!    the value trimmed; `host` comes from the `Host` header.
//! 4. Payload hash: lower-case hex SHA-256 of the body, or the value of
//!    `X-Sdk-Content-Sha256` when the body is not empty. With an empty body the
//!    official SDK always uses the hash of the empty string; this verifier also
//!    accepts the header's value there (signing.md words the rule both ways).
//! 5. String to sign: `SDK-HMAC-SHA256\n<X-Sdk-Date>\n<hex sha256(canonical)>`.
//! 6. Signature: lower-case hex HMAC-SHA256 keyed with the SK's bytes, compared
//!    in constant time.
//!
//! The other algorithms change the hash (SM3, with `X-Sdk-Content-Sm3` for the
//! payload hash) and the signature (HMAC-SM3; ECDSA-P256 or SM2 by a private key
//! derived from AK/SK, hex DER): see [`Algorithm`].

use std::fmt;
use std::time::{Duration, SystemTime};

use hmac::{Hmac, KeyInit, Mac};
use jiff::civil::DateTime;
use jiff::{Timestamp, tz::TimeZone};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use sha2::{Digest, Sha256};

use crate::AccessKey;

mod algorithms;

pub use algorithms::Algorithm;

/// The default signing algorithm's name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// Hex SHA-256 of the empty string: the payload hash of a request without a body.
pub const EMPTY_PAYLOAD_HASH: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Why a request was not authenticated. Its `Display` is the `<reason>` part of
/// the 401 body's `error_msg`; it never contains a secret key, a signature or a
/// token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// Neither `Authorization` nor `X-Auth-Token` was sent.
    Missing,
    /// The `Authorization` header could not be parsed.
    MalformedAuthorization(String),
    /// The `Authorization` header names another algorithm.
    UnsupportedAlgorithm,
    /// The access key is not configured.
    UnknownAccessKey,
    /// `X-Sdk-Date` is absent.
    MissingDate,
    /// `X-Sdk-Date` is not `YYYYMMDDTHHMMSSZ`.
    MalformedDate,
    /// `X-Sdk-Date` is too far from the server's clock.
    ClockSkew {
        /// Allowed distance.
        max: Duration,
    },
    /// A header listed in `SignedHeaders` is not in the request.
    MissingSignedHeader(String),
    /// The recomputed signature differs.
    SignatureMismatch,
    /// The `X-Auth-Token` is not one of the configured tokens.
    InvalidToken,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Missing => f.write_str(
                "no Authorization or X-Auth-Token header: sign the request or send a token",
            ),
            AuthError::MalformedAuthorization(why) => {
                write!(f, "malformed Authorization header: {why}")
            }
            AuthError::UnsupportedAlgorithm => {
                let names: Vec<&str> = Algorithm::ALL.map(Algorithm::name).into();
                write!(
                    f,
                    "unsupported signing algorithm, expected one of {}",
                    names.join(", ")
                )
            }
            AuthError::UnknownAccessKey => f.write_str("the access key (AK) does not exist"),
            AuthError::MissingDate => f.write_str("the X-Sdk-Date header is missing"),
            AuthError::MalformedDate => {
                f.write_str("the X-Sdk-Date header is not in the format YYYYMMDDTHHMMSSZ")
            }
            AuthError::ClockSkew { max } => write!(
                f,
                "the X-Sdk-Date header is expired: more than {} s away from the server's clock",
                max.as_secs()
            ),
            AuthError::MissingSignedHeader(name) => {
                write!(f, "the signed header '{name}' is missing from the request")
            }
            AuthError::SignatureMismatch => f.write_str("verify aksk signature fail"),
            AuthError::InvalidToken => f.write_str("the X-Auth-Token is invalid or expired"),
        }
    }
}

impl std::error::Error for AuthError {}

/// The algorithm and three fields of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    /// The algorithm it names.
    pub algorithm: Algorithm,
    /// The access key (`Access=`).
    pub access: String,
    /// The signed header names (`SignedHeaders=`), as sent, in order.
    pub signed_headers: Vec<String>,
    /// The hex signature (`Signature=`).
    pub signature: String,
}

/// Parse `<algorithm> Access=<ak>, SignedHeaders=<a;b;c>, Signature=<hex>`.
pub fn parse_authorization(value: &str) -> Result<ParsedAuthorization, AuthError> {
    let value = value.trim();
    let (algorithm, rest) = value.split_once(' ').ok_or_else(|| {
        AuthError::MalformedAuthorization("expected '<algorithm> <fields>'".into())
    })?;
    let algorithm = Algorithm::from_name(algorithm).ok_or(AuthError::UnsupportedAlgorithm)?;
    let (mut access, mut signed, mut signature) = (None, None, None);
    for field in rest.split(',') {
        let field = field.trim();
        if field.is_empty() {
            continue;
        }
        let (name, val) = field.split_once('=').ok_or_else(|| {
            AuthError::MalformedAuthorization("a field is not of the form name=value".into())
        })?;
        let slot = match name.trim() {
            "Access" => &mut access,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => {
                return Err(AuthError::MalformedAuthorization(
                    "unknown field (expected Access, SignedHeaders, Signature)".into(),
                ));
            }
        };
        if slot.is_some() {
            return Err(AuthError::MalformedAuthorization(
                "a field is repeated".into(),
            ));
        }
        *slot = Some(val.trim().to_owned());
    }
    let missing = |what: &str| AuthError::MalformedAuthorization(format!("{what} is missing"));
    let access = access
        .filter(|a| !a.is_empty())
        .ok_or_else(|| missing("Access"))?;
    let signed = signed
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("SignedHeaders"))?;
    let signature = signature
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("Signature"))?;
    let signed_headers: Vec<String> = signed.split(';').map(str::to_owned).collect();
    if signed_headers.iter().any(|h| h.is_empty()) {
        return Err(AuthError::MalformedAuthorization(
            "SignedHeaders has an empty name".into(),
        ));
    }
    Ok(ParsedAuthorization {
        algorithm,
        access,
        signed_headers,
        signature,
    })
}

/// What RFC 3986 leaves unencoded: `A-Z a-z 0-9 - _ . ~`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encode per RFC 3986, keeping only the unreserved characters.
fn encode_into(out: &mut String, bytes: &[u8]) {
    out.extend(percent_encode(bytes, UNRESERVED));
}

/// Percent-decode like Python's `urllib.parse.unquote`, which the official SDK
/// uses: invalid escapes stay as they are, and byte sequences that are not
/// UTF-8 become U+FFFD.
fn decode(s: &str) -> Vec<u8> {
    let bytes: Vec<u8> = percent_decode_str(s).collect();
    match String::from_utf8_lossy(&bytes) {
        std::borrow::Cow::Borrowed(_) => bytes,
        std::borrow::Cow::Owned(fixed) => fixed.into_bytes(),
    }
}

/// The canonical URI of a raw (still percent-encoded) request path.
///
/// ```
/// use mrs_iam_sync_server::auth::canonical_uri;
/// assert_eq!(canonical_uri("/v2/p1/clusters/a%20b/iam-sync"), "/v2/p1/clusters/a%20b/iam-sync/");
/// assert_eq!(canonical_uri("/v1/x:y"), "/v1/x%3Ay/");
/// ```
pub fn canonical_uri(raw_path: &str) -> String {
    let decoded = decode(raw_path);
    let mut out = String::with_capacity(decoded.len() + 1);
    for (i, segment) in decoded.split(|&b| b == b'/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        encode_into(&mut out, segment);
    }
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query string of a raw query (without the `?`); empty for none.
///
/// ```
/// use mrs_iam_sync_server::auth::canonical_query;
/// assert_eq!(canonical_query(Some("b=2&a=x%20y&a=1")), "a=1&a=x%20y&b=2");
/// assert_eq!(canonical_query(None), "");
/// ```
pub fn canonical_query(raw_query: Option<&str>) -> String {
    let Some(raw) = raw_query else {
        return String::new();
    };
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), Vec::new()),
        })
        .collect();
    // The official signer sorts the decoded (name, value) pairs; byte order of
    // UTF-8 equals code-point order, so sorting bytes matches it.
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, k);
        out.push('=');
        encode_into(&mut out, v);
    }
    out
}

/// All values of a header (name compared case-insensitively), trimmed and
/// joined with `,`; `None` when the header is absent.
pub(crate) fn header_value(headers: &[(String, String)], name: &str) -> Option<String> {
    let mut found: Option<String> = None;
    for (n, v) in headers {
        if n.eq_ignore_ascii_case(name) {
            let v = v.trim();
            match &mut found {
                Some(acc) => {
                    acc.push(',');
                    acc.push_str(v);
                }
                None => found = Some(v.to_owned()),
            }
        }
    }
    found
}

/// The canonical request for the raw request parts, signing exactly the
/// headers named in `signed_headers` (looked up case-insensitively).
pub fn canonical_request(
    method: &str,
    raw_path: &str,
    raw_query: Option<&str>,
    headers: &[(String, String)],
    signed_headers: &[String],
    payload_hash: &str,
) -> Result<String, AuthError> {
    let mut out = String::new();
    out.push_str(&method.to_ascii_uppercase());
    out.push('\n');
    out.push_str(&canonical_uri(raw_path));
    out.push('\n');
    out.push_str(&canonical_query(raw_query));
    out.push('\n');
    for name in signed_headers {
        let value = header_value(headers, name)
            .ok_or_else(|| AuthError::MissingSignedHeader(name.to_ascii_lowercase()))?;
        out.push_str(&name.to_ascii_lowercase());
        out.push(':');
        out.push_str(&value);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    Ok(out)
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// `SDK-HMAC-SHA256\n<date>\n<hex sha256(canonical_request)>`.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    string_to_sign_with(Algorithm::HmacSha256, sdk_date, canonical_request)
}

/// `<algorithm name>\n<date>\n<hex digest(canonical_request)>`.
pub fn string_to_sign_with(
    algorithm: Algorithm,
    sdk_date: &str,
    canonical_request: &str,
) -> String {
    format!(
        "{}\n{sdk_date}\n{}",
        algorithm.name(),
        algorithm.hex_digest(canonical_request.as_bytes())
    )
}

/// Lower-case hex HMAC-SHA256 of `string_to_sign` keyed with the SK's bytes.
pub fn signature(sk: &str, string_to_sign: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(sk.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time equality of two byte strings (the length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// The `X-Sdk-Date` format, in `strftime` terms.
const SDK_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// Parse an `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`, UTC) into a [`SystemTime`].
pub fn parse_sdk_date(s: &str) -> Option<SystemTime> {
    // strptime alone would take signs and short fields: the form is fixed.
    let digits_at = |i: usize, b: &u8| matches!(i, 8 | 15) || b.is_ascii_digit();
    if s.len() != 16 || !s.bytes().enumerate().all(|(i, b)| digits_at(i, &b)) {
        return None;
    }
    let civil = DateTime::strptime(SDK_DATE_FORMAT, s).ok()?;
    let at = civil.to_zoned(TimeZone::UTC).ok()?.timestamp();
    (at >= Timestamp::UNIX_EPOCH).then(|| SystemTime::from(at))
}

/// Format a [`SystemTime`] as an `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`, UTC); times before
/// 1970 or after 9999 are formatted as 1970-01-01.
pub fn format_sdk_date(t: SystemTime) -> String {
    let at = Timestamp::try_from(t)
        .ok()
        .filter(|at| *at >= Timestamp::UNIX_EPOCH)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    at.to_zoned(TimeZone::UTC)
        .strftime(SDK_DATE_FORMAT)
        .to_string()
}

/// A raw request, as the verifier sees it.
#[derive(Debug, Clone, Copy)]
pub struct RawRequest<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path as sent on the wire (still percent-encoded).
    pub path: &'a str,
    /// The raw query, without `?`.
    pub query: Option<&'a str>,
    /// The headers in the order received; names are compared case-insensitively.
    pub headers: &'a [(String, String)],
    /// The body bytes.
    pub body: &'a [u8],
}

/// How a request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A valid SDK-HMAC-SHA256 signature by this access key.
    AccessKey(String),
    /// One of the configured `X-Auth-Token`s (the token itself is not kept).
    Token,
}

/// Verify a signed request (any of the four algorithms) against `keys`, with
/// `now` as the server's clock. Returns the access key that signed it.
pub fn verify_signature(
    req: &RawRequest<'_>,
    keys: &[AccessKey],
    now: SystemTime,
    max_skew: Duration,
) -> Result<String, AuthError> {
    let authorization = header_value(req.headers, "authorization").ok_or(AuthError::Missing)?;
    let parsed = parse_authorization(&authorization)?;
    let key = keys
        .iter()
        .find(|k| constant_time_eq(k.ak.as_bytes(), parsed.access.as_bytes()))
        .ok_or(AuthError::UnknownAccessKey)?;
    let date = header_value(req.headers, "x-sdk-date").ok_or(AuthError::MissingDate)?;
    let when = parse_sdk_date(&date).ok_or(AuthError::MalformedDate)?;
    let skew = match now.duration_since(when) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if skew > max_skew {
        return Err(AuthError::ClockSkew { max: max_skew });
    }
    let algorithm = parsed.algorithm;
    let mut hashes = Vec::with_capacity(2);
    let content_hash = header_value(req.headers, algorithm.content_hash_header());
    if req.body.is_empty() {
        hashes.push(algorithm.hex_digest(b""));
        hashes.extend(content_hash);
    } else {
        hashes.push(content_hash.unwrap_or_else(|| algorithm.hex_digest(req.body)));
    }
    let mut ok = false;
    for hash in &hashes {
        let canonical = canonical_request(
            req.method,
            req.path,
            req.query,
            req.headers,
            &parsed.signed_headers,
            hash,
        )?;
        let to_sign = string_to_sign_with(algorithm, &date, &canonical);
        ok |= algorithm.verify(&key.ak, &key.sk, &to_sign, &parsed.signature);
    }
    if ok {
        Ok(key.ak.clone())
    } else {
        Err(AuthError::SignatureMismatch)
    }
}

/// Authenticate like the API gateway: an `X-Auth-Token` header must be one of
/// `tokens`; otherwise the `Authorization` signature must verify.
pub fn authenticate(
    req: &RawRequest<'_>,
    keys: &[AccessKey],
    tokens: &[String],
    now: SystemTime,
    max_skew: Duration,
) -> Result<Principal, AuthError> {
    if let Some(token) = header_value(req.headers, "x-auth-token") {
        let mut ok = false;
        for t in tokens {
            ok |= constant_time_eq(t.as_bytes(), token.as_bytes());
        }
        return if ok && !token.is_empty() {
            Ok(Principal::Token)
        } else {
            Err(AuthError::InvalidToken)
        };
    }
    verify_signature(req, keys, now, max_skew).map(Principal::AccessKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn published_worked_example() {
        let headers = h(&[
            ("content-type", "application/json"),
            ("x-sdk-date", "20191115T033655Z"),
            ("host", "service.region.example.com"),
        ]);
        let signed: Vec<String> = ["content-type", "host", "x-sdk-date"]
            .map(String::from)
            .into();
        let canonical = canonical_request(
            "GET",
            "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
            Some("limit=2&marker=13551d6b-755d-4757-b956-536f674975c0"),
            &headers,
            &signed,
            EMPTY_PAYLOAD_HASH,
        )
        .unwrap();
        assert_eq!(
            canonical,
            "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n\
             limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n\
             content-type:application/json\nhost:service.region.example.com\n\
             x-sdk-date:20191115T033655Z\n\ncontent-type;host;x-sdk-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let sts = string_to_sign("20191115T033655Z", &canonical);
        assert!(sts.ends_with("b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"));
        let sig = signature("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", &sts);
        assert_eq!(
            sig,
            "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );

        // The whole verifier, with its clock at the example's date.
        let mut with_auth = headers.clone();
        with_auth.push((
            "authorization".into(),
            "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe".into(),
        ));
        let keys = [AccessKey::new(
            "QTWAOYTTINDUT2QVKYUC",
            "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
        )];
        let req = RawRequest {
            method: "GET",
            path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
            query: Some("limit=2&marker=13551d6b-755d-4757-b956-536f674975c0"),
            headers: &with_auth,
            body: b"",
        };
        let now = parse_sdk_date("20191115T033655Z").unwrap();
        assert_eq!(
            verify_signature(&req, &keys, now, Duration::from_secs(900)),
            Ok("QTWAOYTTINDUT2QVKYUC".into())
        );
        // Sixteen minutes later the date is stale.
        let later = now + Duration::from_secs(16 * 60);
        assert!(matches!(
            verify_signature(&req, &keys, later, Duration::from_secs(900)),
            Err(AuthError::ClockSkew { .. })
        ));
    }

    #[test]
    fn published_mrs_example() {
        let headers = h(&[
            ("Content-Type", "application/json"),
            ("X-Sdk-Date", "20240102T030405Z"),
            ("Host", "mrs.cn-north-4.myhuaweicloud.com"),
            (
                "Authorization",
                "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=content-type;host;x-sdk-date, Signature=ed01d7acc0e910891881326c1782859509ac364498d69efaaa729b834aedaa02",
            ),
        ]);
        let req = RawRequest {
            method: "GET",
            path: "/v2/proj123/clusters/cid-1/iam-sync",
            query: None,
            headers: &headers,
            body: b"",
        };
        let keys = [AccessKey::new("AKEXAMPLE", "SKEXAMPLE")];
        let now = parse_sdk_date("20240102T031000Z").unwrap();
        assert_eq!(
            verify_signature(&req, &keys, now, Duration::from_secs(900)),
            Ok("AKEXAMPLE".into())
        );
        let wrong = [AccessKey::new("AKEXAMPLE", "SKEXAMPLF")];
        assert_eq!(
            verify_signature(&req, &wrong, now, Duration::from_secs(900)),
            Err(AuthError::SignatureMismatch)
        );
    }

    #[test]
    fn authorization_parsing() {
        let p = parse_authorization(
            "SDK-HMAC-SHA256 Access=AK,SignedHeaders=host;x-sdk-date,Signature=ab",
        )
        .unwrap();
        assert_eq!(p.access, "AK");
        assert_eq!(p.signed_headers, ["host", "x-sdk-date"]);
        assert_eq!(p.signature, "ab");
        assert_eq!(
            parse_authorization("AWS4 x=y"),
            Err(AuthError::UnsupportedAlgorithm)
        );
        for bad in [
            "SDK-HMAC-SHA256",
            "SDK-HMAC-SHA256 Access=AK",
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=",
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;;x, Signature=a",
            "SDK-HMAC-SHA256 Access=AK, Access=AK, SignedHeaders=host, Signature=a",
            "SDK-HMAC-SHA256 Access=AK, Foo=1, SignedHeaders=host, Signature=a",
            "SDK-HMAC-SHA256 garbage",
        ] {
            assert!(
                matches!(
                    parse_authorization(bad),
                    Err(AuthError::MalformedAuthorization(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn dates_round_trip() {
        for s in [
            "19700101T000000Z",
            "20191115T033655Z",
            "20240229T235959Z",
            "21000301T120000Z",
        ] {
            assert_eq!(format_sdk_date(parse_sdk_date(s).unwrap()), s);
        }
        for bad in [
            "20190229T000000Z",
            "2019111T033655Z",
            "20191115 033655Z",
            "20191315T000000Z",
            "2019111+T033655Z",
            "20191115T246000Z",
        ] {
            assert_eq!(parse_sdk_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn uri_and_query_canonicalisation() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/a%2Fb/c"), "/a/b/c/");
        assert_eq!(canonical_uri("/caf%C3%A9/x y"), "/caf%C3%A9/x%20y/");
        assert_eq!(canonical_query(Some("a")), "a=");
        assert_eq!(canonical_query(Some("x=%7e&x=~&b=+")), "b=%2B&x=~&x=~");
        assert_eq!(canonical_query(Some("&&")), "");
        assert_eq!(canonical_uri("/v1/%FF%FEx"), "/v1/%EF%BF%BD%EF%BF%BDx/");
        assert_eq!(canonical_uri("/v1/a%zz/b%"), "/v1/a%25zz/b%25/");
    }

    #[test]
    fn tokens() {
        let headers = h(&[("X-Auth-Token", "tok")]);
        let req = RawRequest {
            method: "GET",
            path: "/",
            query: None,
            headers: &headers,
            body: b"",
        };
        let now = SystemTime::now();
        let skew = Duration::from_secs(900);
        assert_eq!(
            authenticate(&req, &[], &["tok".into()], now, skew),
            Ok(Principal::Token)
        );
        assert_eq!(
            authenticate(&req, &[], &["other".into()], now, skew),
            Err(AuthError::InvalidToken)
        );
        let none = RawRequest {
            headers: &[],
            ..req
        };
        assert_eq!(
            authenticate(&none, &[], &[], now, skew),
            Err(AuthError::Missing)
        );
    }
}
