//! Property tests of the signer, through its public API (`canonical_request`,
//! `string_to_sign`, `sign`):
//!
//! * the canonical URI and query encode exactly the non-unreserved bytes, and
//!   percent-decoding them gives the original text back;
//! * a signature depends on the request, not on the order in which headers
//!   were inserted nor on the case their names were written in, and is the
//!   HMAC of the string to sign of the canonical request (checked here with
//!   an independent HMAC);
//! * nothing panics on arbitrary methods, paths, queries, header values and
//!   bodies; a request that cannot be signed is left unchanged.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use hwcloud_auth::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use hwcloud_auth::{Secret, canonical_request, format_sdk_date, sign, string_to_sign};
use proptest::prelude::*;
use proptest::sample::select;
use sha2::Sha256;

/// 2024-01-02T03:04:05Z.
fn pinned() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_704_164_645)
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Percent-encodes every byte: the most escaped form of `text`.
fn encode_all(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Percent-encodes what is not unreserved: the least escaped safe form.
fn encode_reserved(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if unreserved(b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Strict percent-decoding: every `%` must start an upper-case `%XX`.
fn strict_decode(text: &str) -> Result<Vec<u8>, String> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F')))
                .ok_or_else(|| format!("bad escape at {i} in {text:?}"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// Every byte outside `%XX` escapes is unreserved or one of `allowed`.
fn only_unreserved_left(encoded: &str, allowed: &[u8]) -> Result<(), String> {
    let b = encoded.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            i += 3;
            continue;
        }
        if !unreserved(b[i]) && !allowed.contains(&b[i]) {
            return Err(format!(
                "{:?} left unencoded in {encoded:?}",
                char::from(b[i])
            ));
        }
        i += 1;
    }
    // And nothing unreserved was escaped (nor `/` where it separates segments).
    let keep_slash = allowed.contains(&b'/');
    for chunk in encoded.split('%').skip(1) {
        let byte = u8::from_str_radix(chunk.get(..2).unwrap_or("zz"), 16)
            .map_err(|_| format!("bad escape in {encoded:?}"))?;
        if unreserved(byte) || (keep_slash && byte == b'/') {
            return Err(format!("{:?} was escaped in {encoded:?}", char::from(byte)));
        }
    }
    Ok(())
}

fn lines(cr: &str) -> Vec<&str> {
    cr.split('\n').collect()
}

fn plain_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("example.com"));
    headers.insert("x-sdk-date", HeaderValue::from_static("20240102T030405Z"));
    headers
}

/// Text segments: mostly characters that need care in a URL.
fn segment() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        4 => select(vec!['a', 'Z', '0', '-', '_', '.', '~']),
        4 => select(vec![
            ' ', '%', '+', '=', '&', '?', '#', ';', ':', '@', '!', '*', '\'', '(', ')', ',', '$',
            '[', ']', '"', '<', '>', '\\', '^', '`', '{', '|', '}', '\u{7f}', '\0',
        ]),
        2 => any::<char>(),
    ];
    prop::collection::vec(ch, 0..12).prop_map(String::from_iter)
}

fn segment_without_slash() -> impl Strategy<Value = String> {
    segment().prop_map(|s| s.replace('/', ""))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// The canonical URI of a path whose segments are escaped (fully, or
    /// minimally) decodes segment by segment to the original text, escapes
    /// exactly what is not unreserved, and is the same whichever escaping
    /// the request used.
    #[test]
    fn canonical_uri_round_trips(segments in prop::collection::vec(segment_without_slash(), 1..5)) {
        let full = format!("/{}", segments.iter().map(|s| encode_all(s)).collect::<Vec<_>>().join("/"));
        let minimal = format!("/{}", segments.iter().map(|s| encode_reserved(s)).collect::<Vec<_>>().join("/"));
        let mut seen = Vec::new();
        for path in [&full, &minimal] {
            let uri: Uri = format!("https://example.com{path}").parse::<Uri>()
                .map_err(|e| TestCaseError::fail(format!("{path:?}: {e}")))?;
            let cr = canonical_request(&Method::GET, &uri, &plain_headers(), b"")
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let canonical_uri = lines(&cr)[1].to_owned();
            only_unreserved_left(&canonical_uri, b"/").map_err(TestCaseError::fail)?;
            prop_assert!(canonical_uri.starts_with('/') && canonical_uri.ends_with('/'));
            // Drop the leading `/` and the one added at the end (when the
            // path did not already end with an empty segment).
            let inner = &canonical_uri[1..];
            let inner = if segments.last().is_some_and(String::is_empty) { inner } else { &inner[..inner.len() - 1] };
            let decoded: Vec<Vec<u8>> = inner
                .split('/')
                .map(strict_decode)
                .collect::<Result<_, _>>()
                .map_err(TestCaseError::fail)?;
            let original: Vec<Vec<u8>> = segments.iter().map(|s| s.as_bytes().to_vec()).collect();
            prop_assert_eq!(&decoded, &original, "{:?} → {:?}", path, canonical_uri);
            seen.push(canonical_uri);
        }
        prop_assert_eq!(&seen[0], &seen[1]);
        // A fixed point: the canonical URI, sent as the path, canonicalises to itself.
        let again: Uri = format!("https://example.com{}", seen[0]).parse::<Uri>()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let cr = canonical_request(&Method::GET, &again, &plain_headers(), b"")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(lines(&cr)[1], seen[0].as_str());
    }

    /// The canonical query holds the decoded pairs sorted by key then value,
    /// each side escaped exactly where it is not unreserved.
    #[test]
    fn canonical_query_round_trips(pairs in prop::collection::vec((segment(), segment()), 1..6), minimal in any::<bool>()) {
        let encode = if minimal { encode_reserved } else { encode_all };
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        let uri: Uri = format!("https://example.com/p?{}", query.join("&")).parse::<Uri>()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let cr = canonical_request(&Method::GET, &uri, &plain_headers(), b"")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let canonical_query = lines(&cr)[2];
        only_unreserved_left(canonical_query, b"&=").map_err(TestCaseError::fail)?;
        let decoded: Vec<(Vec<u8>, Vec<u8>)> = canonical_query
            .split('&')
            .map(|piece| {
                let (k, v) = piece.split_once('=').ok_or_else(|| format!("no `=` in {piece:?}"))?;
                Ok((strict_decode(k)?, strict_decode(v)?))
            })
            .collect::<Result<_, String>>()
            .map_err(TestCaseError::fail)?;
        let mut expected: Vec<(Vec<u8>, Vec<u8>)> = pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        expected.sort();
        prop_assert_eq!(decoded, expected);
    }

    /// Same request, headers inserted in another order and with their names
    /// in other cases: the same signature; signing twice: the same
    /// signature; and it is the HMAC-SHA256 of the string to sign.
    #[test]
    fn signing_is_deterministic_and_order_independent(
        headers in prop::collection::btree_map("x-[a-z0-9]{1,12}", "[ -~]{0,24}", 0..8),
        order in any::<u64>(),
        upper in any::<u64>(),
        body in prop::collection::vec(any::<u8>(), 0..64),
        json in any::<bool>(),
        now_offset in 0u64..1_000_000,
    ) {
        let uri: Uri = "https://mrs.cn-north-4.myhuaweicloud.com/v2/p1/clusters/c-1/iam-sync?b=2&a=1"
            .parse().unwrap();
        let sk = Secret::new("SKEXAMPLE");
        let content_type = if json { "application/json;charset=UTF-8" } else { "text/plain" };

        let build = |shuffle: u64, case: u64| -> HeaderMap {
            let mut entries: Vec<(String, &str)> = headers
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str()))
                .chain([
                    ("content-type".to_owned(), content_type),
                    ("x-sdk-date".to_owned(), "20240102T030405Z"),
                ])
                .collect();
            // A deterministic permutation and case mix from the seeds.
            let mut state = shuffle | 1;
            for i in (1..entries.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                entries.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let mut map = HeaderMap::new();
            for (index, (name, value)) in entries.into_iter().enumerate() {
                let name: String = name
                    .chars()
                    .enumerate()
                    .map(|(j, c)| if (case >> ((index * 7 + j) % 64)) & 1 == 1 { c.to_ascii_uppercase() } else { c })
                    .collect();
                map.insert(
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                );
            }
            map
        };

        let signed = |mut map: HeaderMap, now: SystemTime| -> Result<HeaderMap, TestCaseError> {
            sign(&Method::POST, &uri, &mut map, &body, "AKEXAMPLE", &sk, now)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            Ok(map)
        };
        let a = signed(build(0, 0), pinned())?;
        let b = signed(build(order, upper), pinned() + Duration::from_secs(now_offset))?;
        let c = signed(build(order, upper), pinned())?;
        prop_assert_eq!(&a["authorization"], &b["authorization"]);
        prop_assert_eq!(&a["authorization"], &c["authorization"]);
        prop_assert_eq!(&a, &b);

        // The signature is HMAC-SHA256(SK, string_to_sign(date, canonical request)).
        let cr = canonical_request(&Method::POST, &uri, &a, &body)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let sts = string_to_sign("20240102T030405Z", &cr);
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"SKEXAMPLE").unwrap();
        mac.update(sts.as_bytes());
        let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let authorization = a["authorization"].to_str().unwrap();
        prop_assert!(authorization.ends_with(&format!(", Signature={expected}")), "{}", authorization);
        let mut names: Vec<&str> = lines(&cr)[3..].iter().take_while(|l| !l.is_empty()).map(|l| l.split(':').next().unwrap()).collect();
        names.sort_unstable();
        prop_assert!(authorization.contains(&format!("SignedHeaders={},", names.join(";"))), "{}", authorization);
        // A JSON body is signed by its hash, anything else as UNSIGNED-PAYLOAD.
        prop_assert_eq!(a.contains_key("x-sdk-content-sha256"), !json);
    }

    /// Without an `X-Sdk-Date` the date comes from `now`, and only from it.
    #[test]
    fn the_date_comes_from_now(secs in 0u64..253_402_300_799) {
        let uri: Uri = "https://example.com/a".parse().unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(secs);
        let mut first = HeaderMap::new();
        sign(&Method::GET, &uri, &mut first, b"", "AK", &Secret::new("SK"), now).unwrap();
        prop_assert_eq!(first["x-sdk-date"].to_str().unwrap(), format_sdk_date(now));
        let mut second = HeaderMap::new();
        sign(&Method::GET, &uri, &mut second, b"", "AK", &Secret::new("SK"), now).unwrap();
        prop_assert_eq!(first, second);
    }

    /// Arbitrary methods, paths, queries, header names and values (any that
    /// `http` accepts, several values per name included) and bodies: no
    /// panic; on success an Authorization header, on failure the headers
    /// unchanged.
    #[test]
    fn signing_never_panics(
        method in "[A-Za-z!#$%&'*+.^_`|~-]{1,10}",
        path in prop::collection::vec(any::<u8>(), 0..48),
        query in prop::option::of(prop::collection::vec(any::<u8>(), 0..48)),
        header_list in prop::collection::vec(
            (prop_oneof!["[a-zA-Z0-9_-]{1,10}", Just("x-sdk-date".to_owned()), Just("content-type".to_owned()),
                         Just("x-sdk-content-sha256".to_owned()), Just("host".to_owned()), Just("authorization".to_owned())],
             prop::collection::vec(any::<u8>(), 0..32)),
            0..8),
        body in prop::collection::vec(any::<u8>(), 0..128),
        now in any::<u64>(),
    ) {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        // Raw bytes that http accepts as they are; otherwise escaped.
        let raw = |bytes: &[u8]| -> String {
            bytes.iter().map(|&b| if b.is_ascii_graphic() && b != b'#' && b != b'?' { char::from(b).to_string() } else { format!("%{b:02X}") }).collect()
        };
        let mut text = format!("https://example.com/{}", raw(&path));
        if let Some(query) = &query {
            text.push('?');
            text.push_str(&raw(query));
        }
        // http refuses a few printable bytes in a path; then the escaped form.
        let uri = match text.parse::<Uri>() {
            Ok(uri) => uri,
            Err(_) => {
                let escaped = |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("%{b:02X}")).collect() };
                let mut text = format!("https://example.com/{}", escaped(&path));
                if let Some(query) = &query {
                    text.push('?');
                    text.push_str(&escaped(query));
                }
                text.parse::<Uri>().map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?
            }
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &header_list {
            if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value)) {
                headers.append(name, value);
            }
        }
        let now = UNIX_EPOCH.checked_add(Duration::from_secs(now)).unwrap_or(UNIX_EPOCH);
        let _ = canonical_request(&method, &uri, &headers, &body);
        let before = headers.clone();
        match sign(&method, &uri, &mut headers, &body, "AK", &Secret::new("SK"), now) {
            Ok(()) => {
                let authorization = headers["authorization"].to_str().unwrap();
                prop_assert!(authorization.starts_with("SDK-HMAC-SHA256 Access=AK, SignedHeaders="));
                prop_assert_eq!(headers.get_all("authorization").iter().count(), 1);
                // Signing again (a retry) gives the same Authorization.
                let first = headers["authorization"].clone();
                sign(&method, &uri, &mut headers, &body, "AK", &Secret::new("SK"), now)
                    .map_err(|e| TestCaseError::fail(format!("second signature: {e}")))?;
                prop_assert_eq!(&headers["authorization"], &first);
            }
            Err(_) => prop_assert_eq!(headers, before),
        }
    }
}

#[test]
fn the_checks_of_this_file_can_fail() {
    // The helpers are strict enough to catch a wrong encoder.
    assert!(only_unreserved_left("/a%20b/", b"/").is_ok());
    assert!(only_unreserved_left("/a b/", b"/").is_err());
    assert!(only_unreserved_left("/%41/", b"/").is_err());
    assert!(only_unreserved_left("a=%2F&b=", b"&=").is_ok());
    assert!(strict_decode("%2f").is_err());
    assert_eq!(strict_decode("%E4%BD%A0").unwrap(), "你".as_bytes());
}
