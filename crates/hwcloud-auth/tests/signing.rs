//! Signer behaviour beyond the official vectors: errors, idempotence, no panics.

use std::time::{Duration, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderValue, Method, Uri};
use hwcloud_auth::{Secret, SignError, canonical_request, sign, string_to_sign};
use sha2::Sha256;

fn base_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h.insert("x-sdk-date", HeaderValue::from_static("20240102T030405Z"));
    h
}

fn uri(s: &str) -> Uri {
    s.parse().expect("test URI")
}

fn sk() -> Secret {
    Secret::new("SKEXAMPLE")
}

fn try_sign(u: &Uri, h: &mut HeaderMap, body: &[u8]) -> Result<(), SignError> {
    sign(&Method::POST, u, h, body, "AKEXAMPLE", &sk(), UNIX_EPOCH)
}

/// Signing fails as `expected` says and leaves the headers exactly as they were.
fn assert_fails_unchanged(u: &Uri, mut h: HeaderMap, expected: impl Fn(&SignError) -> bool) {
    let before = h.clone();
    let result = try_sign(u, &mut h, b"{}");
    assert!(result.as_ref().is_err_and(expected), "{result:?}");
    assert_eq!(h, before);
}

#[test]
fn multiple_values_of_a_signed_header_are_rejected() {
    let u = uri("https://example.com/v1/x");
    let mut h = base_headers();
    h.append("x-custom", HeaderValue::from_static("a"));
    h.append("x-custom", HeaderValue::from_static("b"));
    assert_fails_unchanged(
        &u,
        h,
        |err| matches!(err, SignError::MultipleHeaderValues { name, .. } if name == "x-custom"),
    );

    let mut h = base_headers();
    h.append("x-sdk-date", HeaderValue::from_static("20240102T030405Z"));
    assert_fails_unchanged(
        &u,
        h,
        |err| matches!(err, SignError::MultipleHeaderValues { name, .. } if name == "x-sdk-date"),
    );

    // Unsigned headers (with `_`) may have several values.
    let mut h = base_headers();
    h.append("x_custom", HeaderValue::from_static("a"));
    h.append("x_custom", HeaderValue::from_static("b"));
    try_sign(&u, &mut h, b"").unwrap();
    assert_eq!(h.get_all("x_custom").iter().count(), 2);
}

#[test]
fn non_utf8_values_are_rejected_when_signed() {
    let u = uri("https://example.com/v1/x");
    let mut h = base_headers();
    h.insert("x-bin", HeaderValue::from_bytes(b"\xff\xfe").unwrap());
    assert_fails_unchanged(
        &u,
        h,
        |err| matches!(err, SignError::NonUtf8HeaderValue { name, .. } if name == "x-bin"),
    );
    let mut h = base_headers();
    h.insert("x_bin", HeaderValue::from_bytes(b"\xff\xfe").unwrap());
    try_sign(&u, &mut h, b"").unwrap();
}

#[test]
fn invalid_dates_are_rejected() {
    let u = uri("https://example.com/v1/x");
    for bad in [
        "2024-01-02T03:04:05Z",
        "20240230T030405Z",
        " 20240102T030405Z",
        "",
    ] {
        let mut h = base_headers();
        h.insert("x-sdk-date", HeaderValue::from_str(bad).unwrap());
        assert_fails_unchanged(
            &u,
            h,
            |err| matches!(err, SignError::InvalidSdkDate { value, .. } if value == bad),
        );
    }
}

#[test]
fn host_comes_from_uri_or_header() {
    // Origin-form URI: no authority, no Host header.
    let u = uri("/v1/x");
    assert_fails_unchanged(&u, base_headers(), |err| {
        matches!(err, SignError::MissingHost)
    });
    let mut h = base_headers();
    h.insert("host", HeaderValue::from_static("mrs.example.com:444"));
    try_sign(&u, &mut h, b"").unwrap();
    assert_eq!(h["host"], "mrs.example.com:444");
    // User info never reaches Host.
    let mut h = base_headers();
    try_sign(&uri("https://user:pw@example.com:8443/v1/x"), &mut h, b"").unwrap();
    assert_eq!(h["host"], "example.com:8443");
    // Default ports are kept when written, as the official SDK does.
    let mut h = base_headers();
    try_sign(&uri("https://example.com:443/v1/x"), &mut h, b"").unwrap();
    assert_eq!(h["host"], "example.com:443");
}

#[test]
fn empty_keys_and_bad_access_keys() {
    let u = uri("https://example.com/v1/x");
    let mut h = base_headers();
    let before = h.clone();
    assert_eq!(
        sign(&Method::GET, &u, &mut h, b"", "", &sk(), UNIX_EPOCH),
        Err(SignError::MissingAccessKey)
    );
    assert_eq!(
        sign(
            &Method::GET,
            &u,
            &mut h,
            b"",
            "AK",
            &Secret::new(""),
            UNIX_EPOCH
        ),
        Err(SignError::MissingSecretKey)
    );
    assert_eq!(
        sign(
            &Method::GET,
            &u,
            &mut h,
            b"",
            "AK\r\nX-Evil: 1",
            &sk(),
            UNIX_EPOCH
        ),
        Err(SignError::InvalidAccessKey)
    );
    assert_eq!(h, before);
}

#[test]
fn resigning_replaces_authorization_and_never_signs_it() {
    let u = uri("https://example.com/v1/x");
    let mut h = base_headers();
    h.insert("authorization", HeaderValue::from_static("stale"));
    try_sign(&u, &mut h, b"{}").unwrap();
    let first = h["authorization"].clone();
    assert!(!first.to_str().unwrap().contains("authorization"));
    try_sign(&u, &mut h, b"{}").unwrap();
    assert_eq!(h.get_all("authorization").iter().count(), 1);
    assert_eq!(h["authorization"], first);
}

#[test]
fn date_from_now_when_absent() {
    let u = uri("https://example.com/v1/x");
    let mut h = HeaderMap::new();
    let now = UNIX_EPOCH + Duration::from_secs(1_704_067_199);
    sign(&Method::GET, &u, &mut h, b"", "AK", &sk(), now).unwrap();
    assert_eq!(h["x-sdk-date"], "20231231T235959Z");
}

#[test]
fn unsigned_payload_rules() {
    let u = uri("https://example.com/v1/upload");
    // Non-JSON content type: the header is added (replacing a different value) and used.
    let mut h = base_headers();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        "x-sdk-content-sha256",
        HeaderValue::from_static("something-else"),
    );
    try_sign(&u, &mut h, b"raw").unwrap();
    assert_eq!(h["x-sdk-content-sha256"], "UNSIGNED-PAYLOAD");
    let cr = canonical_request(&Method::POST, &u, &h, b"raw").unwrap();
    assert!(cr.ends_with("\nUNSIGNED-PAYLOAD"), "{cr}");
    // JSON: the body is hashed.
    let mut h = base_headers();
    try_sign(&u, &mut h, b"{}").unwrap();
    assert!(!h.contains_key("x-sdk-content-sha256"));
    let cr = canonical_request(&Method::POST, &u, &h, b"{}").unwrap();
    assert!(
        cr.ends_with("\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"),
        "{cr}"
    );
}

#[test]
fn canonical_request_without_headers_matches_the_official_layout() {
    let cr = canonical_request(
        &Method::GET,
        &uri("https://e.com/a?b"),
        &HeaderMap::new(),
        b"",
    )
    .unwrap();
    assert_eq!(
        cr,
        "GET\n/a/\nb=\n\n\n\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert!(
        string_to_sign("20240102T030405Z", &cr).starts_with("SDK-HMAC-SHA256\n20240102T030405Z\n")
    );
}

/// A tiny deterministic generator (xorshift), so the test needs no extra crate.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn arbitrary_requests_never_panic_and_streaming_matches_the_string_form() {
    let pieces = [
        "a",
        "Z",
        "0",
        "-",
        "_",
        ".",
        "~",
        "/",
        "%",
        "%2",
        "%2F",
        "%2f",
        "%25",
        "%zz",
        "%FF",
        "%C3%A9",
        "%E4%BD%A0",
        "+",
        "!",
        "$",
        "&",
        "'",
        "(",
        ")",
        "*",
        ",",
        ";",
        "=",
        ":",
        "@",
        "%00",
        "%20",
    ];
    let query_pieces = [
        "a", "b", "=", "&", "&&", "%", "%3D", "%26", "+", "%2B", "~", "%FF", "%C3%A9", "x=1", "=",
        "/", "?", "%20",
    ];
    let values = [
        "",
        " ",
        "v",
        "  a  b  ",
        "\tt\t",
        "é",
        "a,b",
        "\"q\"",
        "UNSIGNED-PAYLOAD",
    ];
    let names = [
        "x-a",
        "x-b",
        "x_c",
        "content-type",
        "x-sdk-content-sha256",
        "accept",
        "x-project-id",
    ];
    let methods = ["GET", "POST", "DELETE", "PUT", "patch", "OPTIONS", "CUSTOM"];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut signed = 0;
    for _ in 0..3000 {
        let mut path = String::from("/");
        for _ in 0..rng.next() % 8 {
            path.push_str(rng.pick(&pieces));
        }
        let mut url = format!("https://h{}.example.com{path}", rng.next() % 3);
        if rng.next().is_multiple_of(2) {
            url.push('?');
            for _ in 0..rng.next() % 8 {
                url.push_str(rng.pick(&query_pieces));
            }
        }
        let Ok(u) = url.parse::<Uri>() else { continue };
        let method = Method::from_bytes(rng.pick(&methods).as_bytes()).unwrap();
        let mut h = HeaderMap::new();
        for _ in 0..rng.next() % 5 {
            h.insert(
                rng.pick(&names),
                HeaderValue::from_str(rng.pick(&values)).unwrap(),
            );
        }
        if !rng.next().is_multiple_of(3) {
            h.insert("x-sdk-date", HeaderValue::from_static("20240102T030405Z"));
        }
        let body: &[u8] = if rng.next().is_multiple_of(2) {
            b""
        } else {
            b"{\"k\":1}"
        };
        let key = Secret::new(rng.pick(&["k", "SKEXAMPLE", "é-key"]));
        sign(&method, &u, &mut h, body, "AK", &key, UNIX_EPOCH)
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        signed += 1;

        // The signature sign() streamed equals HMAC(string_to_sign(canonical_request())).
        let cr = canonical_request(&method, &u, &h, body).unwrap();
        let date = h["x-sdk-date"].to_str().unwrap();
        let sts = string_to_sign(date, &cr);
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose().as_bytes()).unwrap();
        mac.update(sts.as_bytes());
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let auth = h["authorization"].to_str().unwrap();
        assert!(
            auth.ends_with(&format!("Signature={hex}")),
            "{url}\n{cr}\n{auth}"
        );
        // Canonical form invariants.
        let mut lines = cr.split('\n');
        assert_eq!(
            lines.next(),
            Some(method.as_str().to_ascii_uppercase().as_str())
        );
        let canonical_uri = lines.next().unwrap();
        assert!(
            canonical_uri.starts_with('/') && canonical_uri.ends_with('/'),
            "{canonical_uri}"
        );
        assert!(
            canonical_uri
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~/%".contains(&b))
        );
    }
    assert!(signed > 2000, "only {signed} URLs parsed");
}
