//! `SDK-HMAC-SHA256`: the signature is the hex HMAC-SHA256 of the string to sign, keyed
//! with the secret key's bytes. The default algorithm. SHA-256 and HMAC come from the
//! crypto library the TLS provider brings (`crate::crypto`: ring or aws-lc-rs).

use super::SignError;
use super::canonical::{Digest, push_lower_hex};
use crate::crypto;
use crate::secret::Secret;

/// The algorithm's name, first word of the `Authorization` header.
pub const NAME: &str = "SDK-HMAC-SHA256";

/// SHA-256 of the empty string.
const EMPTY_HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// SHA-256, with `X-Sdk-Content-Sha256` for the payload hash.
pub(crate) const DIGEST: Digest = Digest {
    content_header: super::HEADER_CONTENT_SHA256,
    hash: crypto::sha256,
    empty_hex: EMPTY_HEX,
};

/// HMAC-SHA256 of `data` keyed with `key` (the key derivation of ECDSA-P256).
#[cfg(feature = "ecdsa-p256-sha256")]
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    crypto::hmac_sha256(&crypto::hmac_sha256_key(key), data)
}

/// Appends the hex HMAC-SHA256 of `string_to_sign` keyed with `sk` (whose keyed state
/// is cached) to `out`.
pub(crate) fn signature(
    sk: &Secret,
    string_to_sign: &[u8],
    out: &mut String,
) -> Result<(), SignError> {
    push_lower_hex(
        out,
        &crypto::hmac_sha256(sk.hmac_sha256_key(), string_to_sign),
    );
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
