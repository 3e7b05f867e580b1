//! `SDK-HMAC-SHA256`: the signature is the hex HMAC-SHA256 of the string to sign, keyed
//! with the secret key's bytes. The default algorithm.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest as _, Sha256};

use super::SignError;
use super::canonical::{Digest, push_lower_hex};
use crate::secret::Secret;

/// The algorithm's name, first word of the `Authorization` header.
pub const NAME: &str = "SDK-HMAC-SHA256";

/// SHA-256 of the empty string.
const EMPTY_HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// SHA-256, with `X-Sdk-Content-Sha256` for the payload hash.
pub(crate) const DIGEST: Digest = Digest {
    content_header: super::HEADER_CONTENT_SHA256,
    hash: |data| Sha256::digest(data).into(),
    empty_hex: EMPTY_HEX,
};

/// HMAC-SHA256 of `data` keyed with `key` (the key derivation of ECDSA-P256).
#[cfg_attr(not(feature = "ecdsa-p256-sha256"), allow(dead_code))]
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Appends the hex HMAC-SHA256 of `string_to_sign` keyed with `sk` (whose keyed state
/// is cached) to `out`.
pub(crate) fn signature(
    sk: &Secret,
    string_to_sign: &[u8],
    out: &mut String,
) -> Result<(), SignError> {
    let mut mac = sk.hmac_sha256().ok_or(SignError::MissingSecretKey)?;
    mac.update(string_to_sign);
    push_lower_hex(out, &mac.finalize().into_bytes());
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
