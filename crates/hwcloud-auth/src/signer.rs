//! `SDK-HMAC-SHA256` request signing, byte-identical with the official Huawei Cloud SDK
//! (`huaweicloudsdkcore.signer.signer.Signer`, version 3.1.219).
//!
//! Everything here is a pure function of its arguments: no clock, no environment, no I/O.
//!
//! # The algorithm
//!
//! ```text
//! CanonicalRequest = METHOD '\n' CanonicalURI '\n' CanonicalQuery '\n'
//!                    (name ':' value '\n')*  '\n'  SignedHeaders '\n' PayloadHash
//! StringToSign     = "SDK-HMAC-SHA256" '\n' X-Sdk-Date '\n' hex(SHA-256(CanonicalRequest))
//! Signature        = hex(HMAC-SHA256(key = SK bytes, StringToSign))
//! Authorization    = "SDK-HMAC-SHA256 Access=" AK ", SignedHeaders=" SignedHeaders ", Signature=" Signature
//! ```
//!
//! How each part is read from an `http` request, and where that follows the official
//! Python signer:
//!
//! * **Method**: upper-cased (`patch` signs as `PATCH`).
//! * **Canonical URI**: the path is percent-decoded (invalid escapes such as `%zz` stay
//!   literal; bytes that are not UTF-8 become U+FFFD, as Python's `unquote` does), split
//!   on `/` (so an encoded `%2F` splits too), each segment percent-encoded keeping only
//!   `A-Z a-z 0-9 - _ . ~` (upper-case hex), re-joined; a `/` is appended when the result
//!   does not end with one. The wire path is not changed.
//! * **Canonical query**: the query is split on `&` (empty pieces skipped), each piece on
//!   its first `=` (no `=` means an empty value, signed as `k=`), both sides decoded like
//!   the path (RFC 3986: `+` is a literal plus, signed as `%2B`), the pairs sorted by key
//!   then value (code point order), re-encoded like a path segment (so `/` becomes `%2F`)
//!   and joined with `&`.
//! * **Signed headers**: every header whose name contains no `_`, except `Authorization`;
//!   names are lower-case (as `http` stores them), sorted; values are trimmed of
//!   surrounding white space, inner white space is kept. A header with several values
//!   is an error ([`SignError::MultipleHeaderValues`]): the official signer keeps one
//!   value per name and cannot sign such a request. Values must be UTF-8.
//! * **Payload hash**: hex SHA-256 of the body. With a non-empty body, a non-empty
//!   `X-Sdk-Content-Sha256` header (e.g. `UNSIGNED-PAYLOAD`) is used instead; with an
//!   empty body the hash of the empty string is always used (as the official signer does).
//! * [`sign`] adds, like the official signer: `X-Sdk-Date` (unless present; a present value
//!   must be a valid `YYYYMMDDTHHMMSSZ` date and is used as is), `Host` (unless present:
//!   the URI's authority without user info, with `:port` when the URI has one),
//!   `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` when a non-empty `Content-Type` does not
//!   start with `application/json` or `application/bson`, and finally `Authorization`
//!   (replacing any previous one, so a request can be signed again on a retry).
//!
//! # Where this differs from the official Python signer
//!
//! Only for requests that signer cannot express or gets wrong, none of which the MRS client
//! sends: a header with several values is an error (a Python dict holds one value per
//! name); an `X-Sdk-Date` must be exactly `YYYYMMDDTHHMMSSZ` (Python's `strptime` also
//! takes one-digit fields, then signs a re-formatted date); an `Authorization` header
//! present before signing is never signed (Python would sign a stale one); the
//! `Content-Type` check for `UNSIGNED-PAYLOAD` ignores the name's case (Python looks only
//! at the exact key `Content-Type`); user info in the URI never reaches `Host`.
//! `tests/data/signing-vectors.json` holds 68 vectors computed with the official signer.

use std::borrow::Cow;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::Mac;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::secret::Secret;

/// The signing algorithm's name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// Lower-case hex SHA-256 of the empty string: the payload hash of a request without body.
pub const EMPTY_BODY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Name of the date header (`X-Sdk-Date`), lower-case as `http` stores it.
pub const HEADER_SDK_DATE: &str = "x-sdk-date";

/// Name of the header that overrides the payload hash (`X-Sdk-Content-Sha256`).
pub const HEADER_CONTENT_SHA256: &str = "x-sdk-content-sha256";

/// The value of [`HEADER_CONTENT_SHA256`] that leaves the body out of the signature.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Why a request could not be signed. No variant ever carries a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The access key (AK) is empty.
    MissingAccessKey,
    /// The secret key (SK) is empty.
    MissingSecretKey,
    /// The access key contains characters that cannot go into an HTTP header.
    InvalidAccessKey,
    /// The URI has no authority (host) and the request has no `Host` header.
    MissingHost,
    /// The request's `X-Sdk-Date` header is not a valid `YYYYMMDDTHHMMSSZ` UTC date.
    InvalidSdkDate {
        /// The offending value (dates are not secret), shortened to 40 characters.
        value: String,
    },
    /// A header to be signed has more than one value; the signature format has room for one.
    MultipleHeaderValues {
        /// The header's (lower-case) name.
        name: String,
    },
    /// A header to be signed has a value that is not UTF-8.
    NonUtf8HeaderValue {
        /// The header's (lower-case) name.
        name: String,
    },
    /// A value to be put into a header (project id, security token, IAM token) contains
    /// characters that cannot go into an HTTP header. The value itself is not shown.
    InvalidHeaderValue {
        /// The header that could not be set.
        name: &'static str,
    },
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::MissingAccessKey => {
                f.write_str("cannot sign the request: the access key (AK) is empty")
            }
            SignError::MissingSecretKey => {
                f.write_str("cannot sign the request: the secret key (SK) is empty")
            }
            SignError::InvalidAccessKey => f.write_str(
                "cannot sign the request: the access key (AK) contains characters not allowed in an HTTP header",
            ),
            SignError::MissingHost => f.write_str(
                "cannot sign the request: the URI has no host and the request has no Host header",
            ),
            SignError::InvalidSdkDate { value } => write!(
                f,
                "cannot sign the request: its X-Sdk-Date header {value:?} is not a UTC date of the form YYYYMMDDTHHMMSSZ"
            ),
            SignError::MultipleHeaderValues { name } => write!(
                f,
                "cannot sign the request: header `{name}` has several values; a signed header must have exactly one"
            ),
            SignError::NonUtf8HeaderValue { name } => write!(
                f,
                "cannot sign the request: the value of header `{name}` is not UTF-8"
            ),
            SignError::InvalidHeaderValue { name } => write!(
                f,
                "cannot authorize the request: the value for header `{name}` contains characters not allowed in an HTTP header"
            ),
        }
    }
}

impl std::error::Error for SignError {}

/// Signs a request in place.
///
/// Adds `X-Sdk-Date` (formatted from `now`, unless the request already has one: then that
/// value is used as is), `Host` (unless present: the URI's authority, with `:port` when the
/// URI has one), `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` for a non-JSON `Content-Type`
/// (see the [module docs](self)) and
/// `Authorization: SDK-HMAC-SHA256 Access=<ak>, SignedHeaders=<..>, Signature=<hex>`
/// (replacing any previous one) to `headers`. `body` must be the exact bytes that will be sent.
///
/// On error `headers` is left unchanged. The `Authorization` value is marked sensitive.
///
/// ```
/// use hwcloud_auth::{sign, Secret};
/// use http::{HeaderMap, HeaderValue, Method, Uri};
///
/// let uri: Uri = "https://mrs.cn-north-4.myhuaweicloud.com/v2/proj123/clusters/cid-1/iam-sync".parse()?;
/// let mut headers = HeaderMap::new();
/// headers.insert("content-type", HeaderValue::from_static("application/json"));
/// headers.insert("x-sdk-date", HeaderValue::from_static("20240102T030405Z"));
/// sign(&Method::GET, &uri, &mut headers, b"", "AKEXAMPLE", &Secret::new("SKEXAMPLE"), std::time::SystemTime::now())?;
/// assert_eq!(headers["host"], "mrs.cn-north-4.myhuaweicloud.com");
/// assert_eq!(
///     headers["authorization"],
///     "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=content-type;host;x-sdk-date, \
///      Signature=ed01d7acc0e910891881326c1782859509ac364498d69efaaa729b834aedaa02"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign(
    method: &Method,
    uri: &Uri,
    headers: &mut HeaderMap,
    body: &[u8],
    ak: &str,
    sk: &Secret,
    now: SystemTime,
) -> Result<(), SignError> {
    if ak.is_empty() {
        return Err(SignError::MissingAccessKey);
    }
    if sk.is_empty() {
        return Err(SignError::MissingSecretKey);
    }

    let date_buf;
    let (authorization, add_date, add_host, add_unsigned) = {
        let headers: &HeaderMap = headers;

        // Like the official SDK: a non-JSON body is sent with UNSIGNED-PAYLOAD.
        let add_unsigned = headers.get(CONTENT_TYPE).is_some_and(|v| {
            let v = v.as_bytes();
            !v.is_empty()
                && !v.starts_with(b"application/json")
                && !v.starts_with(b"application/bson")
        });
        let skip = if add_unsigned {
            Some(HEADER_CONTENT_SHA256)
        } else {
            None
        };

        let mut signed = SignedList::new();
        let present_date = collect_signed_headers(headers, skip, &mut signed)?;

        // X-Sdk-Date: the request's own, validated, or one made from `now`.
        let (date, add_date) = match present_date {
            Some(value) => (check_sdk_date(value)?, false),
            None => {
                date_buf = sdk_date_bytes(now);
                let date = ascii_str(&date_buf);
                signed.push(HEADER_SDK_DATE, date);
                (date, true)
            }
        };
        // Host: the request's own or the URI's authority.
        let add_host = if headers.contains_key(HOST) {
            None
        } else {
            let host = uri_host(uri).ok_or(SignError::MissingHost)?;
            signed.push("host", trim_value(host));
            Some(host)
        };
        if add_unsigned {
            signed.push(HEADER_CONTENT_SHA256, UNSIGNED_PAYLOAD);
        }
        signed.sort();
        let signed = signed.as_slice();
        let payload = payload_hash(signed, body);

        // Built on the stack and hashed at once; wiped afterwards when it holds a
        // security token.
        let mut cr = StackBuf::new();
        write_canonical_request(&mut cr, method, uri, signed, payload.as_str());
        let cr_hash = Hex::of(&Sha256::digest(cr.as_bytes()).into());
        if signed.iter().any(|h| h.name == "x-security-token") {
            cr.zeroize();
        }

        let mut mac = sk.hmac_sha256().ok_or(SignError::MissingSecretKey)?;
        mac.update(ALGORITHM.as_bytes());
        mac.update(b"\n");
        mac.update(date.as_bytes());
        mac.update(b"\n");
        mac.update(cr_hash.as_str().as_bytes());
        let signature = Hex::of(&mac.finalize().into_bytes().into());

        let names_len: usize = signed.iter().map(|h| h.name.len() + 1).sum();
        let mut auth = String::with_capacity(
            ALGORITHM.len() + " Access=".len() + ak.len() + ", SignedHeaders=".len() + names_len
                - 1
                + ", Signature=".len()
                + 64,
        );
        auth.push_str(ALGORITHM);
        auth.push_str(" Access=");
        auth.push_str(ak);
        auth.push_str(", SignedHeaders=");
        push_signed_names(&mut auth, signed);
        auth.push_str(", Signature=");
        auth.push_str(signature.as_str());
        let mut authorization =
            HeaderValue::try_from(auth).map_err(|_| SignError::InvalidAccessKey)?;
        authorization.set_sensitive(true);

        let add_date = if add_date {
            Some(HeaderValue::from_bytes(date.as_bytes()).map_err(|_| {
                SignError::InvalidSdkDate {
                    value: shorten(date),
                }
            })?)
        } else {
            None
        };
        let add_host = match add_host {
            Some(host) => Some(HeaderValue::from_str(host).map_err(|_| SignError::MissingHost)?),
            None => None,
        };
        (authorization, add_date, add_host, add_unsigned)
    };

    if let Some(date) = add_date {
        headers.insert(HeaderName::from_static(HEADER_SDK_DATE), date);
    }
    if let Some(host) = add_host {
        headers.insert(HOST, host);
    }
    if add_unsigned {
        headers.insert(
            HeaderName::from_static(HEADER_CONTENT_SHA256),
            HeaderValue::from_static(UNSIGNED_PAYLOAD),
        );
    }
    headers.insert(AUTHORIZATION, authorization);
    Ok(())
}

/// The canonical request of a request exactly as given (nothing is added: call it on the
/// headers after [`sign`] to see what was signed). For tests and debugging.
///
/// ```
/// use http::{HeaderMap, HeaderValue, Method, Uri};
/// let uri: Uri = "https://example.com/v1/a%20b?b=2&a=1".parse()?;
/// let mut headers = HeaderMap::new();
/// headers.insert("host", HeaderValue::from_static("example.com"));
/// headers.insert("x-sdk-date", HeaderValue::from_static("20240102T030405Z"));
/// let cr = hwcloud_auth::canonical_request(&Method::GET, &uri, &headers, b"")?;
/// assert_eq!(cr, "GET\n/v1/a%20b/\na=1&b=2\nhost:example.com\nx-sdk-date:20240102T030405Z\n\n\
///                 host;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn canonical_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, SignError> {
    let mut signed = SignedList::new();
    collect_signed_headers(headers, None, &mut signed)?;
    signed.sort();
    let signed = signed.as_slice();
    let payload = payload_hash(signed, body);
    let mut out = String::with_capacity(canonical_len(method, uri, signed));
    write_canonical_request(&mut out, method, uri, signed, payload.as_str());
    Ok(out)
}

/// A capacity for the canonical request that is enough unless the path or query needs
/// much percent-encoding.
fn canonical_len(method: &Method, uri: &Uri, signed: &[SignedHeader<'_>]) -> usize {
    let headers_len: usize = signed
        .iter()
        .map(|h| 2 * h.name.len() + h.value.len() + 3)
        .sum();
    method.as_str().len()
        + uri.path().len()
        + uri.query().map_or(0, |q| q.len() + q.len() / 2)
        + headers_len
        + 72
}

/// The string to sign: `SDK-HMAC-SHA256\n<sdk_date>\n<hex SHA-256 of canonical_request>`.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    let hash = Hex::of(&Sha256::digest(canonical_request.as_bytes()).into());
    let mut out = String::with_capacity(ALGORITHM.len() + sdk_date.len() + 66);
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(sdk_date);
    out.push('\n');
    out.push_str(hash.as_str());
    out
}

/// Formats a time as an `X-Sdk-Date`: UTC, `YYYYMMDDTHHMMSSZ`, seconds truncated.
///
/// Times outside the years 0001–9999 are clamped to that range (the gateway would reject
/// them anyway), so the result is always 16 characters.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// assert_eq!(hwcloud_auth::format_sdk_date(UNIX_EPOCH), "19700101T000000Z");
/// assert_eq!(
///     hwcloud_auth::format_sdk_date(UNIX_EPOCH + Duration::from_secs(1_709_208_000)),
///     "20240229T120000Z"
/// );
/// ```
pub fn format_sdk_date(t: SystemTime) -> String {
    ascii_str(&sdk_date_bytes(t)).to_owned()
}

// ---------------------------------------------------------------------------------------
// Dates

/// Seconds from 1970-01-01T00:00:00Z to 0001-01-01T00:00:00Z and to 9999-12-31T23:59:59Z.
const MIN_SECS: i64 = -62_135_596_800;
const MAX_SECS: i64 = 253_402_300_799;

fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            // Before 1970: round towards the past, like a floor.
            let d = e.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            let whole = whole.saturating_add(i64::from(d.subsec_nanos() > 0));
            whole.saturating_neg()
        }
    }
}

/// Days since 1970-01-01 → (year, month 1-12, day 1-31); Howard Hinnant's civil_from_days.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

fn sdk_date_bytes(t: SystemTime) -> [u8; 16] {
    let secs = unix_seconds(t).clamp(MIN_SECS, MAX_SECS);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    let year = year.clamp(1, 9999) as u32;
    let mut out = *b"00000000T000000Z";
    put_digits(&mut out[0..4], year);
    put_digits(&mut out[4..6], month);
    put_digits(&mut out[6..8], day);
    put_digits(&mut out[9..11], sod / 3600);
    put_digits(&mut out[11..13], sod / 60 % 60);
    put_digits(&mut out[13..15], sod % 60);
    out
}

fn put_digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Validates an `X-Sdk-Date` value (strictly `YYYYMMDDTHHMMSSZ`, a real date and time).
fn check_sdk_date(value: &str) -> Result<&str, SignError> {
    let b = value.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let ok = b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && match (
            num(0..4),
            num(4..6),
            num(6..8),
            num(9..11),
            num(11..13),
            num(13..15),
        ) {
            (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) => {
                y >= 1 && d >= 1 && d <= days_in_month(y, mo) && h < 24 && mi < 60 && s < 60
            }
            _ => false,
        };
    if ok {
        Ok(value)
    } else {
        Err(SignError::InvalidSdkDate {
            value: shorten(value),
        })
    }
}

fn shorten(value: &str) -> String {
    value.chars().take(40).collect()
}

// ---------------------------------------------------------------------------------------
// Headers

#[derive(Clone, Copy)]
struct SignedHeader<'a> {
    name: &'a str,
    value: &'a str,
}

/// Python's `str.strip()`: Unicode white space plus the ASCII separators 0x1C-0x1F.
fn trim_value(s: &str) -> &str {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        // Fast path: visible ASCII at both ends, nothing to trim.
        (Some(&first), Some(&last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => {
            return s;
        }
        (None, _) | (_, None) => return s,
        _ => {}
    }
    s.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
}

/// Adds the headers of `headers` to sign (all but `Authorization`, names with `_` and
/// `skip`) to `signed`, unsorted; returns the raw `X-Sdk-Date` value when there is one.
fn collect_signed_headers<'a>(
    headers: &'a HeaderMap,
    skip: Option<&str>,
    signed: &mut SignedList<'a>,
) -> Result<Option<&'a str>, SignError> {
    let mut date = None;
    // `HeaderMap::iter` yields all values of one name one after the other.
    for (name, value) in headers {
        let name = name.as_str();
        if name.bytes().any(|b| b == b'_') || name == "authorization" || Some(name) == skip {
            continue;
        }
        if signed.last_name() == Some(name) {
            return Err(SignError::MultipleHeaderValues {
                name: name.to_owned(),
            });
        }
        let value =
            std::str::from_utf8(value.as_bytes()).map_err(|_| SignError::NonUtf8HeaderValue {
                name: name.to_owned(),
            })?;
        if name == HEADER_SDK_DATE {
            date = Some(value);
        }
        signed.push(name, trim_value(value));
    }
    Ok(date)
}

/// The signed headers: on the stack for the usual few, on the heap beyond that.
struct SignedList<'a> {
    inline: [SignedHeader<'a>; INLINE_HEADERS],
    len: usize,
    heap: Vec<SignedHeader<'a>>,
}

const INLINE_HEADERS: usize = 8;

impl<'a> SignedList<'a> {
    fn new() -> Self {
        SignedList {
            inline: [SignedHeader {
                name: "",
                value: "",
            }; INLINE_HEADERS],
            len: 0,
            heap: Vec::new(),
        }
    }

    fn push(&mut self, name: &'a str, value: &'a str) {
        let header = SignedHeader { name, value };
        if self.heap.is_empty() {
            if let Some(slot) = self.inline.get_mut(self.len) {
                *slot = header;
                self.len += 1;
                return;
            }
            self.heap.reserve(2 * INLINE_HEADERS);
            self.heap.extend_from_slice(&self.inline);
        }
        self.heap.push(header);
    }

    fn as_slice(&self) -> &[SignedHeader<'a>] {
        if self.heap.is_empty() {
            self.inline.get(..self.len).unwrap_or_default()
        } else {
            &self.heap
        }
    }

    fn last_name(&self) -> Option<&'a str> {
        self.as_slice().last().map(|h| h.name)
    }

    fn sort(&mut self) {
        let list = if self.heap.is_empty() {
            self.inline.get_mut(..self.len).unwrap_or_default()
        } else {
            &mut self.heap[..]
        };
        list.sort_unstable_by(|a, b| a.name.cmp(b.name));
    }
}

/// The canonical request's bytes: on the stack unless it is unusually long.
struct StackBuf {
    stack: [u8; STACK_BUF],
    len: usize,
    heap: Vec<u8>,
}

const STACK_BUF: usize = 512;

impl StackBuf {
    fn new() -> Self {
        StackBuf {
            stack: [0; STACK_BUF],
            len: 0,
            heap: Vec::new(),
        }
    }

    #[inline]
    fn put_bytes(&mut self, b: &[u8]) {
        if self.heap.is_empty() {
            if let Some(dst) = self.stack.get_mut(self.len..self.len + b.len()) {
                dst.copy_from_slice(b);
                self.len += b.len();
                return;
            }
            self.heap.reserve(2 * STACK_BUF + b.len());
            self.heap
                .extend_from_slice(self.stack.get(..self.len).unwrap_or_default());
        }
        self.heap.extend_from_slice(b);
    }

    fn as_bytes(&self) -> &[u8] {
        if self.heap.is_empty() {
            self.stack.get(..self.len).unwrap_or_default()
        } else {
            &self.heap
        }
    }

    fn zeroize(&mut self) {
        self.stack.zeroize();
        self.heap.zeroize();
    }
}

impl Sink for StackBuf {
    #[inline]
    fn put(&mut self, s: &str) {
        self.put_bytes(s.as_bytes());
    }
    #[inline]
    fn put_pct(&mut self, byte: u8) {
        self.put_bytes(&[
            b'%',
            HEX_UPPER[usize::from(byte >> 4)],
            HEX_UPPER[usize::from(byte & 15)],
        ]);
    }
}

fn push_signed_names(out: &mut String, signed: &[SignedHeader<'_>]) {
    for (i, h) in signed.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(h.name);
    }
}

/// The payload hash: the body's SHA-256, or a non-empty `X-Sdk-Content-Sha256` override
/// when there is a body; always the empty string's hash without one.
fn payload_hash<'a>(signed: &[SignedHeader<'a>], body: &[u8]) -> PayloadHash<'a> {
    if body.is_empty() {
        return PayloadHash::Str(EMPTY_BODY_SHA256);
    }
    if let Some(h) = signed.iter().find(|h| h.name == HEADER_CONTENT_SHA256)
        && !h.value.is_empty()
    {
        return PayloadHash::Str(h.value);
    }
    PayloadHash::Hex(Hex::of(&Sha256::digest(body).into()))
}

enum PayloadHash<'a> {
    Str(&'a str),
    Hex(Hex),
}

impl PayloadHash<'_> {
    fn as_str(&self) -> &str {
        match self {
            PayloadHash::Str(s) => s,
            PayloadHash::Hex(h) => h.as_str(),
        }
    }
}

/// The URI's authority without user info (`host[:port]`).
fn uri_host(uri: &Uri) -> Option<&str> {
    let authority = uri.authority()?.as_str();
    let host = match authority.bytes().rposition(|b| b == b'@') {
        Some(at) => authority.get(at + 1..).unwrap_or_default(),
        None => authority,
    };
    (!host.is_empty()).then_some(host)
}

// ---------------------------------------------------------------------------------------
// Canonical request writer

/// Where the canonical request is written.
trait Sink {
    fn put(&mut self, s: &str);
    /// `%XX` with upper-case hex.
    fn put_pct(&mut self, byte: u8);
}

impl Sink for String {
    #[inline]
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
    #[inline]
    fn put_pct(&mut self, byte: u8) {
        self.push('%');
        self.push(char::from(HEX_UPPER[usize::from(byte >> 4)]));
        self.push(char::from(HEX_UPPER[usize::from(byte & 15)]));
    }
}

fn write_canonical_request<S: Sink>(
    sink: &mut S,
    method: &Method,
    uri: &Uri,
    signed: &[SignedHeader<'_>],
    payload_hash: &str,
) {
    let m = method.as_str();
    if m.bytes().any(|b| b.is_ascii_lowercase()) {
        sink.put(&m.to_ascii_uppercase());
    } else {
        sink.put(m);
    }
    sink.put("\n");
    write_canonical_uri(sink, uri.path());
    sink.put("\n");
    write_canonical_query(sink, uri.query());
    sink.put("\n");
    for h in signed {
        sink.put(h.name);
        sink.put(":");
        sink.put(h.value);
        sink.put("\n");
    }
    if signed.is_empty() {
        sink.put("\n");
    }
    sink.put("\n");
    for (i, h) in signed.iter().enumerate() {
        if i > 0 {
            sink.put(";");
        }
        sink.put(h.name);
    }
    sink.put("\n");
    sink.put(payload_hash);
}

fn write_canonical_uri<S: Sink>(sink: &mut S, path: &str) {
    let decoded = decode_text(path);
    encode_into(sink, &decoded, true);
    if !decoded.ends_with('/') {
        sink.put("/");
    }
}

fn write_canonical_query<S: Sink>(sink: &mut S, query: Option<&str>) {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return;
    };
    let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            (decode_text(k), decode_text(v))
        })
        .collect();
    pairs.sort_unstable();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            sink.put("&");
        }
        encode_into(sink, k, false);
        sink.put("=");
        encode_into(sink, v, false);
    }
}

/// RFC 3986 unreserved characters (the only ones left unencoded), as a lookup table.
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
        i += 1;
    }
    table
};

/// [`UNRESERVED`] plus `/` (for whole paths).
const UNRESERVED_OR_SLASH: [bool; 256] = {
    let mut table = UNRESERVED;
    table[b'/' as usize] = true;
    table
};

/// Percent-encodes `text` (as UTF-8) keeping only unreserved characters (and `/` when
/// `keep_slash`, which is the same as encoding each `/`-separated segment).
fn encode_into<S: Sink>(sink: &mut S, text: &str, keep_slash: bool) {
    let table = if keep_slash {
        &UNRESERVED_OR_SLASH
    } else {
        &UNRESERVED
    };
    let bytes = text.as_bytes();
    let mut rest = 0;
    // Tight scan for the next byte to encode; runs in between are copied as they are.
    while let Some(offset) = bytes
        .get(rest..)
        .and_then(|tail| tail.iter().position(|&b| !table[usize::from(b)]))
    {
        let at = rest + offset;
        if offset > 0 {
            // Runs hold only ASCII bytes, so they start and end on char boundaries.
            sink.put(text.get(rest..at).unwrap_or_default());
        }
        sink.put_pct(bytes.get(at).copied().unwrap_or_default());
        rest = at + 1;
    }
    if rest < bytes.len() {
        sink.put(text.get(rest..).unwrap_or_default());
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes like Python's `urllib.parse.unquote`: invalid escapes stay literal,
/// the decoded bytes are read as UTF-8 with U+FFFD for invalid sequences.
fn decode_text(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                b.get(i + 1).copied().and_then(hex_value),
                b.get(i + 2).copied().and_then(hex_value),
            )
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(text) => Cow::Owned(text),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

// ---------------------------------------------------------------------------------------
// Hex

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
/// Lower-case hex digits of every byte value.
const HEX_PAIRS: [[u8; 2]; 256] = {
    let digits = b"0123456789abcdef";
    let mut table = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = [digits[i >> 4], digits[i & 15]];
        i += 1;
    }
    table
};

/// Lower-case hex of a 32-byte digest, on the stack.
struct Hex([u8; 64]);

impl Hex {
    fn of(digest: &[u8; 32]) -> Self {
        let mut out = [0u8; 64];
        for (pair, &b) in out.chunks_exact_mut(2).zip(digest) {
            pair.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
        }
        Hex(out)
    }

    fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }
}

/// A `&str` view of bytes this module wrote itself (always ASCII).
fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: i64) -> SystemTime {
        if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs as u64)
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        }
    }

    #[test]
    fn dates() {
        for (secs, want) in [
            (0, "19700101T000000Z"),
            (1_573_788_615, "20191115T033015Z"),
            (1_704_067_199, "20231231T235959Z"), // end of year
            (1_704_067_200, "20240101T000000Z"),
            (1_709_164_800, "20240229T000000Z"), // leap day
            (1_709_251_199, "20240229T235959Z"),
            (1_709_251_200, "20240301T000000Z"),
            (951_782_400, "20000229T000000Z"), // 2000 is a leap year (÷400)
            (4_107_542_400, "21000301T000000Z"), // 2100 is not (÷100): Feb 28 → Mar 1
            (4_107_542_399, "21000228T235959Z"),
            (-1, "19691231T235959Z"),
            (-86_400 * 365, "19690101T000000Z"),
            (MIN_SECS, "00010101T000000Z"),
            (MAX_SECS, "99991231T235959Z"),
        ] {
            assert_eq!(format_sdk_date(at(secs)), want, "{secs}");
            assert!(check_sdk_date(want).is_ok(), "{want}");
        }
        // Sub-second parts are truncated; before the epoch, towards the past.
        assert_eq!(
            format_sdk_date(UNIX_EPOCH + Duration::from_millis(999)),
            "19700101T000000Z"
        );
        assert_eq!(
            format_sdk_date(UNIX_EPOCH - Duration::from_millis(1)),
            "19691231T235959Z"
        );
        // Clamped, never panicking.
        assert_eq!(format_sdk_date(at(MAX_SECS + 1)), "99991231T235959Z");
        assert_eq!(format_sdk_date(at(i64::MIN / 2)), "00010101T000000Z");
        if let Some(far) = UNIX_EPOCH.checked_add(Duration::from_secs(u64::MAX / 2)) {
            assert_eq!(format_sdk_date(far), "99991231T235959Z");
        }
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // Walk day by day from 1900 to 2300 and check against a naive calendar.
        let mut secs = -2_208_988_800i64; // 1900-01-01
        for year in 1900u32..2300 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    let s = format_sdk_date(at(secs + 3661));
                    assert_eq!(s, format!("{year:04}{month:02}{day:02}T010101Z"));
                    secs += 86_400;
                }
            }
        }
    }

    #[test]
    fn date_validation() {
        for bad in [
            "",
            "20240102T030405",
            "20240102 030405Z",
            " 20240102T030405Z",
            "20240102T030405Z ",
            "2024012T030405ZZ",
            "20241302T030405Z",
            "20240002T030405Z",
            "20240230T030405Z",
            "20230229T030405Z",
            "20240100T030405Z",
            "20240102T240405Z",
            "20240102T036005Z",
            "20240102T030460Z",
            "00000102T030405Z",
            "2024010２T03040Z",
            "+2024102T030405Z",
        ] {
            assert!(check_sdk_date(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn decoding_like_python_unquote() {
        assert_eq!(decode_text("a%20b"), "a b");
        assert_eq!(decode_text("a+b"), "a+b");
        assert_eq!(decode_text("%zz%4"), "%zz%4");
        assert_eq!(decode_text("%"), "%");
        assert_eq!(decode_text("%e4%bd%a0"), "你");
        assert_eq!(decode_text("%FF%FEx"), "\u{fffd}\u{fffd}x");
        assert_eq!(decode_text("%E4%BDx"), "\u{fffd}x");
    }

    #[test]
    fn encoding() {
        let mut s = String::new();
        encode_into(&mut s, "a b/c~é+", false);
        assert_eq!(s, "a%20b%2Fc~%C3%A9%2B");
        let mut s = String::new();
        encode_into(&mut s, "/a b/", true);
        assert_eq!(s, "/a%20b/");
    }

    #[test]
    fn python_strip() {
        assert_eq!(trim_value(" \t a  b \u{a0}\u{3000}"), "a  b");
        assert_eq!(trim_value("\u{1f}x\u{1c}"), "x");
        assert_eq!(trim_value("\u{200b}x"), "\u{200b}x");
    }
}
