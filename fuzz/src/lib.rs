//! The fuzz targets' bodies, as plain functions: `fuzz_targets/*.rs` hand
//! them libFuzzer's input, `src/bin/replay.rs` runs them on stable Rust.
//!
//! Each one panics when a property it checks does not hold; anything else
//! that panics (or overflows the stack, or hangs) is a finding too.

use std::time::{Duration, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use hwcloud_auth::{Secret, canonical_request, sign};
use mrs_iam_sync::fuzzing::{error_answer, undecodable_answer};
use mrs_iam_sync::Error;
use mrs_iam_sync::types;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reads structured values off the front of the fuzzer's bytes.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// A piece of at most 255 bytes, its length first.
    fn piece(&mut self) -> &'a [u8] {
        let len = usize::from(self.byte()).min(self.0.len());
        let (piece, rest) = self.0.split_at(len);
        self.0 = rest;
        piece
    }

    fn rest(self) -> &'a [u8] {
        self.0
    }
}

fn is_one_line(text: &str) -> bool {
    !text.contains(['\n', '\r'])
}

/// An error answer (status 400-599, any body, maybe an `X-Request-Id`)
/// through the client's normalisation and conversion into `Error`.
pub fn error_body(data: &[u8]) {
    let mut input = Input(data);
    let status = StatusCode::from_u16(400 + input.u16() % 200).expect("400..600 is a status");
    let request_id = (input.byte() & 1 == 1).then(|| String::from_utf8_lossy(input.piece()));
    let raw = input.rest();

    let err = match error_answer(status, raw, request_id.as_deref()) {
        Ok(err) => err,
        Err(normalized) => panic!(
            "a normalised error body does not decode as ErrorResponse: {}",
            String::from_utf8_lossy(&normalized)
        ),
    };
    let Error::Service(service) = &err else {
        panic!("an error answer did not become Error::Service: {err:?}");
    };
    assert_eq!(service.status, status);
    assert_eq!(err.status(), Some(status));
    // The header's request id wins over the body's.
    let header_id = request_id
        .as_deref()
        .and_then(|id| HeaderValue::from_str(id).ok())
        .and_then(|v| v.to_str().ok().map(str::to_owned));
    if let Some(id) = &header_id {
        assert_eq!(err.request_id(), Some(id.as_str()));
    }
    // Without a JSON object, the code is the status and the message an excerpt.
    if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(raw).is_err() {
        assert_eq!(service.code, status.as_u16().to_string());
        assert!(
            service.message.chars().count() <= 201,
            "{:?}",
            service.message
        );
        if header_id.is_none() {
            assert_eq!(err.request_id(), None);
        }
    }
    assert_eq!(
        err.is_retryable(),
        matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
    );
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("HTTP {}: ", status.as_u16())),
        "{text}"
    );
    assert!(is_one_line(&text), "Error's Display is not one line: {text:?}");
}

/// Decodes into `T`; a decoded value survives a round trip through JSON, a
/// failure converts into `Error::Decode` with a one-line message.
fn decode<T>(data: &[u8], what: &str)
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    match serde_json::from_slice::<T>(data) {
        Ok(value) => {
            let json = serde_json::to_vec(&value).expect("a decoded value serialises");
            let back: T = serde_json::from_slice(&json)
                .unwrap_or_else(|err| panic!("{what}: its own JSON does not decode: {err}"));
            assert_eq!(back, value, "{what}: the JSON round trip changed the value");
        }
        Err(source) => {
            let err = undecodable_answer(data, source);
            assert!(matches!(err, Error::Decode { .. }), "{what}: {err:?}");
            let text = err.to_string();
            assert!(text.starts_with("undecodable response"), "{text}");
            assert!(is_one_line(&text), "{what}: not one line: {text:?}");
        }
    }
}

/// Any bytes as the body of each generated response (and request) type.
pub fn response_decoding(data: &[u8]) {
    decode::<types::ClusterSyncStatus>(data, "ClusterSyncStatus");
    decode::<types::SyncTaskAccepted>(data, "SyncTaskAccepted");
    decode::<types::SyncTaskStatus>(data, "SyncTaskStatus");
    decode::<types::SyncedIamPrincipals>(data, "SyncedIamPrincipals");
    decode::<types::ErrorResponse>(data, "ErrorResponse");
    decode::<types::UpdateSyncIamUserRequest>(data, "UpdateSyncIamUserRequest");
    decode::<types::CancelSyncIamUserRequest>(data, "CancelSyncIamUserRequest");
    decode::<types::ProjectId>(data, "ProjectId");
    decode::<types::ClusterId>(data, "ClusterId");
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Only unreserved bytes, `allowed` separators and upper-case `%XX` escapes.
fn well_encoded(text: &str, allowed: &[u8]) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok = b.get(i + 1..i + 3).is_some_and(|h| {
                h.iter()
                    .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
            });
            if !ok {
                return false;
            }
            i += 3;
        } else if unreserved(b[i]) || allowed.contains(&b[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// Arbitrary method, URI, headers and body through `canonical_request` and
/// `sign`.
pub fn signing_canonicalisation(data: &[u8]) {
    let mut input = Input(data);
    let method = Method::from_bytes(input.piece()).unwrap_or(Method::GET);
    let uri_text = String::from_utf8_lossy(input.piece()).into_owned();
    let uri = match uri_text.parse::<Uri>() {
        Ok(uri) => uri,
        Err(_) => match format!("https://example.com/{uri_text}").parse::<Uri>() {
            Ok(uri) => uri,
            Err(_) => return,
        },
    };
    let mut headers = HeaderMap::new();
    for _ in 0..input.byte() % 8 {
        let name = input.piece();
        let value = input.piece();
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    let now = UNIX_EPOCH + Duration::from_secs(u64::from(input.u16()) * 86_400);
    let body = input.rest();

    if let Ok(cr) = canonical_request(&method, &uri, &headers, body) {
        let lines: Vec<&str> = cr.split('\n').collect();
        assert!(lines.len() >= 6, "{cr:?}");
        assert!(
            well_encoded(lines[1], b"/")
                && lines[1].ends_with('/')
                // `*` (OPTIONS *) is the one path without a leading `/`.
                && (lines[1].starts_with('/') || !uri.path().starts_with('/')),
            "canonical URI {:?} of {uri}",
            lines[1]
        );
        assert!(
            well_encoded(lines[2], b"&="),
            "canonical query {:?} of {uri}",
            lines[2]
        );
    }

    let before = headers.clone();
    let sk = Secret::new("SK");
    match sign(&method, &uri, &mut headers, body, "AK", &sk, now) {
        Ok(()) => {
            let first = headers
                .get("authorization")
                .expect("a signed request has an Authorization header")
                .clone();
            assert!(
                first
                    .to_str()
                    .is_ok_and(|a| a.starts_with("SDK-HMAC-SHA256 Access=AK, SignedHeaders=")),
                "{first:?}"
            );
            // A retry signs again, to the same value.
            sign(&method, &uri, &mut headers, body, "AK", &sk, now)
                .expect("a signed request can be signed again");
            assert_eq!(headers.get("authorization"), Some(&first));
        }
        Err(_) => assert_eq!(headers, before, "a failed signature changed the headers"),
    }
}

/// Any text as the spec: loading and the lint must end, with a result or an
/// error; a loaded spec compared with itself shows no change.
pub fn spec_loading(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = xtask::codegen::spec::parse(text, "fuzz.yaml") else {
        return;
    };
    let report = xtask::codegen::lint::lint(&spec);
    // The lint (on the JSON) and the generator (on the typed model) see
    // the same operations (path items behind a `$ref` aside: the lint
    // follows them, the typed model leaves them to the generator).
    let referenced_items = spec
        .json
        .get("paths")
        .and_then(serde_json::Value::as_object)
        .is_some_and(|paths| paths.values().any(|item| item.get("$ref").is_some()));
    if !referenced_items {
        assert_eq!(
            report.operations,
            spec.openapi.operations().count(),
            "the lint and the typed model disagree on the operations"
        );
    }
    let changes = xtask::review::spec_diff::compare::compare(&spec.json, &spec.json);
    assert!(
        changes.is_empty(),
        "a spec compared with itself shows changes: {:?}",
        changes.iter().map(|c| &c.rule).collect::<Vec<_>>()
    );
}
