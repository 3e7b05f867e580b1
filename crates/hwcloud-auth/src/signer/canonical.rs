//! The part every algorithm shares: which headers are signed, the canonical request,
//! the string to sign, and the headers [`authorize`] adds to the request. The rules are
//! stated in the [module docs](super).

use std::borrow::Cow;
use std::time::SystemTime;

use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use zeroize::Zeroize;

use super::{HEADER_SDK_DATE, RequestTarget, SignError, UNSIGNED_PAYLOAD, sdk_date};

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`) is encoded.
const ENCODE_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// [`ENCODE_SEGMENT`] for a whole path: keeping `/` is encoding each segment.
const ENCODE_PATH: &AsciiSet = &ENCODE_SEGMENT.remove(b'/');

/// The digest an algorithm hashes the payload and the canonical request with, and the
/// header that may carry the payload hash instead (`UNSIGNED-PAYLOAD`).
#[derive(Debug)]
pub(crate) struct Digest {
    /// Lower-case name of the payload-hash header, e.g. `x-sdk-content-sha256`.
    pub content_header: &'static str,
    /// The digest of `data` (SHA-256 and SM3 both have 32 bytes).
    pub hash: fn(&[u8]) -> [u8; 32],
    /// Lower-case hex of `hash(b"")`: the payload hash of every request without a body.
    pub empty_hex: &'static str,
}

/// Appends the lower-case hex of a digest, MAC or signature to `out`, without a buffer
/// of its own (each hex string went into a `String` of its own before, which showed in
/// the per-call profile of issue #18).
pub(crate) fn push_lower_hex(out: &mut String, bytes: &[u8]) {
    let mut digits = [0; 64];
    for chunk in bytes.chunks(32) {
        let digits = &mut digits[..chunk.len() * 2];
        hex::encode_to_slice(chunk, digits)
            .unwrap_or_else(|_| unreachable!("the buffer holds two digits per byte"));
        out.push_str(std::str::from_utf8(digits).unwrap_or_else(|_| unreachable!("hex is ASCII")));
    }
}

/// One header to sign: lower-case name, trimmed value.
#[derive(Clone, Copy)]
struct SignedHeader<'a> {
    name: &'a str,
    value: &'a str,
}

/// Signs a request in place with `algorithm` (the `Authorization` header's first word),
/// `digest`, and `signature`, which appends the signature's text for the string to sign.
/// On error `headers` is left unchanged.
#[allow(clippy::too_many_arguments)] // the request's parts, then the algorithm's
pub(crate) fn authorize(
    method: &Method,
    target: RequestTarget<'_>,
    headers: &mut HeaderMap,
    body: &[u8],
    ak: &str,
    now: SystemTime,
    algorithm: &str,
    digest: &Digest,
    signature: impl FnOnce(&[u8], &mut String) -> Result<(), SignError>,
) -> Result<(), SignError> {
    // Like the official SDK: a non-JSON body is sent with UNSIGNED-PAYLOAD.
    let add_unsigned = headers.get(CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        !v.is_empty() && !v.starts_with(b"application/json") && !v.starts_with(b"application/bson")
    });
    let skip = add_unsigned.then_some(digest.content_header);

    let mut signed = Vec::with_capacity(8);
    let present_date = collect_signed_headers(headers, skip, &mut signed)?;

    // X-Sdk-Date: the request's own, validated, or one made from `now`.
    let new_date;
    let date = match present_date {
        Some(value) => sdk_date::check(value)?,
        None => {
            new_date = sdk_date::format(now);
            signed.push(SignedHeader {
                name: HEADER_SDK_DATE,
                value: new_date.as_str(),
            });
            new_date.as_str()
        }
    };
    // Host: the request's own or the URI's authority.
    let new_host = if headers.contains_key(HOST) {
        None
    } else {
        let host = target.authority.ok_or(SignError::MissingHost)?;
        signed.push(SignedHeader {
            name: "host",
            value: trim_value(host),
        });
        Some(HeaderValue::from_str(host).map_err(|_| SignError::MissingHost)?)
    };
    if add_unsigned {
        signed.push(SignedHeader {
            name: digest.content_header,
            value: UNSIGNED_PAYLOAD,
        });
    }
    signed.sort_unstable_by(|a, b| a.name.cmp(b.name));

    let mut canonical = write_canonical_request(method, target, &signed, body, digest);
    let to_sign = string_to_sign(algorithm, date, &canonical, digest);
    // A security token is a secret: don't leave it behind in freed memory.
    if signed.iter().any(|h| h.name == "x-security-token") {
        canonical.zeroize();
    }

    // Built with `push_str`: `format!`'s machinery was a tenth of a GET's
    // signing (callgrind, `round_trip_profile`). The signature's text is
    // written last, straight into it.
    let mut value = String::with_capacity(256 + ak.len());
    value.push_str(algorithm);
    value.push_str(" Access=");
    value.push_str(ak);
    value.push_str(", SignedHeaders=");
    push_signed_header_names(&mut value, &signed);
    value.push_str(", Signature=");
    signature(to_sign.as_bytes(), &mut value)?;
    let mut authorization =
        HeaderValue::try_from(value).map_err(|_| SignError::InvalidAccessKey)?;
    authorization.set_sensitive(true);
    let new_date = match present_date {
        Some(_) => None,
        None => Some(
            HeaderValue::from_str(date).map_err(|_| SignError::InvalidSdkDate {
                value: sdk_date::shorten(date),
            })?,
        ),
    };

    if let Some(date) = new_date {
        headers.insert(HeaderName::from_static(HEADER_SDK_DATE), date);
    }
    if let Some(host) = new_host {
        headers.insert(HOST, host);
    }
    if add_unsigned {
        headers.insert(
            HeaderName::from_static(digest.content_header),
            HeaderValue::from_static(UNSIGNED_PAYLOAD),
        );
    }
    headers.insert(AUTHORIZATION, authorization);
    Ok(())
}

/// The canonical request of a request exactly as given (nothing added).
pub(crate) fn canonical_request(
    method: &Method,
    target: RequestTarget<'_>,
    headers: &HeaderMap,
    body: &[u8],
    digest: &Digest,
) -> Result<String, SignError> {
    let mut signed = Vec::with_capacity(8);
    collect_signed_headers(headers, None, &mut signed)?;
    signed.sort_unstable_by(|a, b| a.name.cmp(b.name));
    Ok(write_canonical_request(
        method, target, &signed, body, digest,
    ))
}

/// `<algorithm>\n<sdk_date>\n<hex digest of canonical_request>`.
pub(crate) fn string_to_sign(
    algorithm: &str,
    sdk_date: &str,
    canonical_request: &str,
    digest: &Digest,
) -> String {
    let mut out = String::with_capacity(algorithm.len() + sdk_date.len() + 2 + 64);
    out.push_str(algorithm);
    out.push('\n');
    out.push_str(sdk_date);
    out.push('\n');
    push_lower_hex(&mut out, &(digest.hash)(canonical_request.as_bytes()));
    out
}

/// The sorted names joined with `;`, as the canonical request and `Authorization` carry them.
fn push_signed_header_names(out: &mut String, signed: &[SignedHeader<'_>]) {
    for (i, h) in signed.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(h.name);
    }
}

/// Python's `str.strip()`: Unicode white space plus the ASCII separators 0x1C-0x1F.
fn trim_value(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
}

/// Adds the headers of `headers` to sign (all but `Authorization`, names with `_` and
/// `skip`) to `signed`, unsorted; returns the raw `X-Sdk-Date` value when there is one.
fn collect_signed_headers<'a>(
    headers: &'a HeaderMap,
    skip: Option<&str>,
    signed: &mut Vec<SignedHeader<'a>>,
) -> Result<Option<&'a str>, SignError> {
    let mut date = None;
    // `HeaderMap::iter` yields all values of one name one after the other.
    for (name, value) in headers {
        let name = name.as_str();
        if name.contains('_') || name == "authorization" || Some(name) == skip {
            continue;
        }
        if signed.last().is_some_and(|h| h.name == name) {
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
        signed.push(SignedHeader {
            name,
            value: trim_value(value),
        });
    }
    Ok(date)
}

/// Appends the payload hash: the body's digest, or a non-empty payload-hash header when
/// there is a body; always the empty string's digest without one.
fn push_payload_hash(out: &mut String, signed: &[SignedHeader<'_>], body: &[u8], digest: &Digest) {
    if body.is_empty() {
        out.push_str(digest.empty_hex);
    } else if let Some(h) = signed.iter().find(|h| h.name == digest.content_header)
        && !h.value.is_empty()
    {
        out.push_str(h.value);
    } else {
        push_lower_hex(out, &(digest.hash)(body));
    }
}

fn write_canonical_request(
    method: &Method,
    target: RequestTarget<'_>,
    signed: &[SignedHeader<'_>],
    body: &[u8],
    digest: &Digest,
) -> String {
    // Room for a typical request without growing (a GET of this client's is
    // about 400 bytes): the path may triple when re-encoded.
    let headers: usize = signed
        .iter()
        .map(|h| 2 * h.name.len() + h.value.len() + 2)
        .sum();
    let uri = target.path.len() + target.query.map_or(0, str::len);
    let mut out = String::with_capacity(method.as_str().len() + 3 * uri + headers + 80);
    out.extend(method.as_str().chars().map(|c| c.to_ascii_uppercase()));
    out.push('\n');
    write_canonical_uri(&mut out, target.path);
    out.push('\n');
    write_canonical_query(&mut out, target.query);
    out.push('\n');
    for h in signed {
        out.push_str(h.name);
        out.push(':');
        out.push_str(h.value);
        out.push('\n');
    }
    if signed.is_empty() {
        out.push('\n');
    }
    out.push('\n');
    push_signed_header_names(&mut out, signed);
    out.push('\n');
    push_payload_hash(&mut out, signed, body, digest);
    out
}

fn write_canonical_uri(out: &mut String, path: &str) {
    let decoded = decode(path);
    out.extend(utf8_percent_encode(&decoded, ENCODE_PATH));
    if !decoded.ends_with('/') {
        out.push('/');
    }
}

fn write_canonical_query(out: &mut String, query: Option<&str>) {
    let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = query
        .unwrap_or_default()
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            (decode(k), decode(v))
        })
        .collect();
    pairs.sort_unstable();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(k, ENCODE_SEGMENT));
        out.push('=');
        out.extend(utf8_percent_encode(v, ENCODE_SEGMENT));
    }
}

/// Percent-decodes like Python's `urllib.parse.unquote`: invalid escapes stay literal,
/// the decoded bytes are read as UTF-8 with U+FFFD for invalid sequences.
fn decode(s: &str) -> Cow<'_, str> {
    // Most paths have nothing to decode: skip the decoder's copy and UTF-8 pass.
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    percent_decode_str(s).decode_utf8_lossy()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_like_python_unquote() {
        assert_eq!(decode("a%20b"), "a b");
        assert_eq!(decode("a+b"), "a+b");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%"), "%");
        assert_eq!(decode("%e4%bd%a0"), "你");
        assert_eq!(decode("%FF%FEx"), "\u{fffd}\u{fffd}x");
        assert_eq!(decode("%E4%BDx"), "\u{fffd}x");
    }

    #[test]
    fn encoding() {
        let s: String = utf8_percent_encode("a b/c~é+", ENCODE_SEGMENT).collect();
        assert_eq!(s, "a%20b%2Fc~%C3%A9%2B");
        let s: String = utf8_percent_encode("/a b/", ENCODE_PATH).collect();
        assert_eq!(s, "/a%20b/");
    }

    #[test]
    fn python_strip() {
        assert_eq!(trim_value(" \t a  b \u{a0}\u{3000}"), "a  b");
        assert_eq!(trim_value("\u{1f}x\u{1c}"), "x");
        assert_eq!(trim_value("\u{200b}x"), "\u{200b}x");
    }
}
