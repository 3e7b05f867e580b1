//! An SDK-HMAC-SHA256 verifier written from the signing guide alone, sharing
//! no code with the client's signer, for end-to-end checks of requests as
//! they arrived at a server.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::capture::CapturedRequest;

/// Recomputes the signature of `request` from its raw parts and compares it
/// with the one in its `Authorization` header.
pub fn verify(request: &CapturedRequest, ak: &str, sk: &str) -> Result<(), String> {
    let authorization = request
        .header("authorization")
        .ok_or("no Authorization header")?;
    let fields = authorization
        .strip_prefix("SDK-HMAC-SHA256 ")
        .ok_or("not an SDK-HMAC-SHA256 authorization")?;
    let mut access = None;
    let mut signed_headers = None;
    let mut signature = None;
    for field in fields.split(", ") {
        match field.split_once('=') {
            Some(("Access", value)) => access = Some(value),
            Some(("SignedHeaders", value)) => signed_headers = Some(value),
            Some(("Signature", value)) => signature = Some(value),
            _ => return Err(format!("unexpected authorization field {field:?}")),
        }
    }
    let (access, signed_headers, signature) = match (access, signed_headers, signature) {
        (Some(a), Some(h), Some(s)) => (a, h, s),
        _ => return Err("incomplete authorization".into()),
    };
    if access != ak {
        return Err(format!("signed with access key {access}, expected {ak}"));
    }
    let date = request.header("x-sdk-date").ok_or("no X-Sdk-Date header")?;

    let mut canonical = format!("{}\n", request.method);
    let mut uri = String::new();
    for segment in request.path().split('/').skip(1) {
        uri.push('/');
        uri.push_str(&encode(&decode(segment)));
    }
    if !uri.ends_with('/') {
        uri.push('/');
    }
    canonical.push_str(&uri);
    canonical.push('\n');
    let mut pairs: Vec<(String, String)> = request
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (encode(&decode(key)), encode(&decode(value)))
        })
        .collect();
    pairs.sort();
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    canonical.push_str(&query.join("&"));
    canonical.push('\n');
    for name in signed_headers.split(';') {
        let value = request
            .header(name)
            .ok_or_else(|| format!("signed header {name} was not sent"))?;
        canonical.push_str(&format!("{name}:{}\n", value.trim()));
    }
    canonical.push('\n');
    canonical.push_str(signed_headers);
    canonical.push('\n');
    canonical.push_str(&hex(&Sha256::digest(&request.body)));

    let string_to_sign = format!(
        "SDK-HMAC-SHA256\n{date}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(sk.as_bytes()).map_err(|e| e.to_string())?;
    mac.update(string_to_sign.as_bytes());
    let expected = hex(&mac.finalize().into_bytes());
    if expected == signature {
        Ok(())
    } else {
        Err(format!(
            "signature {signature} does not verify; expected {expected} for canonical request:\n{canonical}"
        ))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex_pair = bytes
            .get(i + 1..i + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok());
        match (
            bytes[i],
            hex_pair.and_then(|pair| u8::from_str_radix(pair, 16).ok()),
        ) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

fn encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
