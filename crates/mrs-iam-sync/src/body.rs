//! Response bodies: a size limit enforced while streaming, and error bodies
//! normalised to the spec's error schema the way the official SDK reads them.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use serde_json::{Map, Value};

/// How much of a body an error message quotes.
const EXCERPT_CHARS: usize = 200;

/// The start of a body, lossily decoded, for error messages.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT_CHARS * 4)]);
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() || bytes.len() > EXCERPT_CHARS * 4 {
        out.push('…');
    }
    out
}

/// The body was over the client's limit; reading stopped there.
#[derive(Debug)]
pub(crate) struct BodyTooLarge {
    pub(crate) limit: usize,
}

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the response body exceeds {} bytes", self.limit)
    }
}

impl std::error::Error for BodyTooLarge {}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A body stream that fails once more than `limit` bytes have arrived.
pub(crate) struct Limited<S> {
    inner: S,
    seen: usize,
    limit: usize,
}

impl<S> Limited<S> {
    pub(crate) fn new(inner: S, limit: usize) -> Self {
        Self {
            inner,
            seen: 0,
            limit,
        }
    }
}

impl<S> Stream for Limited<S>
where
    S: Stream<Item = reqwest::Result<Bytes>> + Unpin,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.seen > self.limit {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.seen = self.seen.saturating_add(chunk.len());
                if self.seen > self.limit {
                    let limit = self.limit;
                    Poll::Ready(Some(Err(Box::new(BodyTooLarge { limit }))))
                } else {
                    Poll::Ready(Some(Ok(chunk)))
                }
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(Box::new(err)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Rewrites an error body so that it decodes as the spec's `ErrorResponse`,
/// finding the code and message the way the official SDK does: the keys
/// `error_code`/`error_msg`, then `errorCode`/`errorMsg`, then
/// `code`/`message`, first at the top level and then one level down inside
/// nested objects. With none found, the code is the HTTP status and the
/// message an excerpt of the raw body. Fields already present are kept.
pub(crate) fn normalize_error_body(status: u16, raw: &[u8], request_id: Option<&str>) -> Vec<u8> {
    let parsed: Option<Map<String, Value>> = serde_json::from_slice(raw).ok();
    let found = parsed.as_ref().and_then(find_code_and_message);
    let mut body = parsed.unwrap_or_default();
    let (code, message) = match found {
        Some(found) => found,
        None => (status.to_string(), excerpt(raw)),
    };
    body.insert("error_code".into(), Value::String(code));
    if !matches!(body.get("error_msg"), Some(Value::String(_))) {
        body.insert("error_msg".into(), Value::String(message));
    }
    if !matches!(body.get("request_id"), Some(Value::String(_))) {
        match request_id {
            Some(id) => body.insert("request_id".into(), Value::String(id.to_owned())),
            None => body.remove("request_id"),
        };
    }
    if !matches!(body.get("message"), None | Some(Value::String(_))) {
        body.remove("message");
    }
    serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
}

const KEY_PAIRS: [(&str, &str); 3] = [
    ("error_code", "error_msg"),
    ("errorCode", "errorMsg"),
    ("code", "message"),
];

fn find_code_and_message(body: &Map<String, Value>) -> Option<(String, String)> {
    find_at_level(body).or_else(|| {
        body.values()
            .filter_map(Value::as_object)
            .find_map(find_at_level)
    })
}

fn find_at_level(object: &Map<String, Value>) -> Option<(String, String)> {
    for (code_key, message_key) in KEY_PAIRS {
        if let Some(code) = object.get(code_key).and_then(scalar_text) {
            let message = object
                .get(message_key)
                .or_else(|| object.get("message"))
                .and_then(scalar_text)
                .unwrap_or_default();
            return Some((code, message));
        }
    }
    None
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(status: u16, raw: &str, request_id: Option<&str>) -> Value {
        serde_json::from_slice(&normalize_error_body(status, raw.as_bytes(), request_id)).unwrap()
    }

    #[test]
    fn mrs_and_gateway_bodies_keep_their_fields() {
        let body = normalized(
            401,
            r#"{"error_code":"APIGW.0301","error_msg":"bad sig","request_id":"abc"}"#,
            Some("hdr"),
        );
        assert_eq!(body["error_code"], "APIGW.0301");
        assert_eq!(body["error_msg"], "bad sig");
        assert_eq!(body["request_id"], "abc");
    }

    #[test]
    fn message_stands_in_for_error_msg() {
        let body = normalized(500, r#"{"error_code":"MRS.0011","message":"boom"}"#, None);
        assert_eq!(body["error_msg"], "boom");
        assert_eq!(body["message"], "boom");
    }

    #[test]
    fn other_key_styles_and_nesting_are_found() {
        assert_eq!(
            normalized(400, r#"{"errorCode":"E1","errorMsg":"m"}"#, None)["error_code"],
            "E1"
        );
        assert_eq!(
            normalized(400, r#"{"code":403,"message":"m"}"#, None)["error_code"],
            "403"
        );
        let nested = normalized(
            400,
            r#"{"error":{"code":"IAM.1","message":"nested"}}"#,
            None,
        );
        assert_eq!(nested["error_code"], "IAM.1");
        assert_eq!(nested["error_msg"], "nested");
    }

    #[test]
    fn bodies_without_a_code_fall_back_to_the_status_and_an_excerpt() {
        let body = normalized(502, "<html>Bad Gateway</html>", Some("rid"));
        assert_eq!(body["error_code"], "502");
        assert_eq!(body["error_msg"], "<html>Bad Gateway</html>");
        assert_eq!(body["request_id"], "rid");
        let empty = normalized(503, "", None);
        assert_eq!(empty["error_code"], "503");
        assert_eq!(empty["error_msg"], "");
    }

    #[test]
    fn excerpts_are_bounded() {
        let long = "x".repeat(10_000);
        let cut = excerpt(long.as_bytes());
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt(b"short"), "short");
        assert_eq!(excerpt(&[0xff, 0xfe]), "\u{fffd}\u{fffd}");
    }
}
