//! `SDK-HMAC-SM3`: `SDK-HMAC-SHA256` with SM3 (GB/T 32905) in place of SHA-256
//! everywhere: the payload hash (carried by `X-Sdk-Content-Sm3`), the canonical request's
//! digest and the HMAC keyed with the secret key's bytes.

use hmac::{Hmac, KeyInit, Mac};
use sm3::{Digest as _, Sm3};

use super::SignError;
use super::canonical::{Digest, push_lower_hex};
use crate::secret::Secret;

/// SM3 of the empty string.
const EMPTY_HEX: &str = "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b";

/// SM3, with `X-Sdk-Content-Sm3` for the payload hash.
pub(crate) const DIGEST: Digest = Digest {
    content_header: "x-sdk-content-sm3",
    hash: |data| Sm3::digest(data).into(),
    empty_hex: EMPTY_HEX,
};

/// HMAC-SM3 of `data` keyed with `key`.
pub(crate) fn hmac_sm3(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sm3> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Appends the hex HMAC-SM3 of `string_to_sign` keyed with `sk` to `out`.
pub(crate) fn signature(
    sk: &Secret,
    string_to_sign: &[u8],
    out: &mut String,
) -> Result<(), SignError> {
    push_lower_hex(out, &hmac_sm3(sk.expose().as_bytes(), string_to_sign));
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_empty_payload_hash_is_the_digest_of_nothing() {
        let mut hex = String::new();
        super::push_lower_hex(&mut hex, &(super::DIGEST.hash)(b""));
        assert_eq!(hex, super::EMPTY_HEX);
    }
}
