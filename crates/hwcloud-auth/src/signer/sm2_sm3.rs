//! `SDK-SM2-SM3`: the canonical request and string to sign of `SDK-HMAC-SM3`; the
//! signature is SM2 (GB/T 32918.2) of the string to sign with the default user id
//! `1234567812345678` in the `Z` value, by the private key derived from AK/SK with
//! HMAC-SM3 (see `derived_key.rs`), written as the lower-case hex of the DER
//! `SEQUENCE { r INTEGER, s INTEGER }`. The nonce is RFC 6979's (deterministic).
//!
//! `Z` hashes the public key's coordinates as 32 bytes each, as the standard says. The
//! official Python signer drops their leading zero bytes, so for the rare key (about one
//! in 128) with a coordinate below 2²⁴⁸ its signatures and these disagree.

use sm2::dsa::signature::Signer as _;
use sm2::dsa::{Signature, SigningKey};
use sm2::elliptic_curve::ff::PrimeField;
use sm2::{FieldBytes, Scalar};

use super::canonical::{Digest, push_lower_hex};
use super::{SignError, derived_key, hmac_sm3};
use crate::secret::Secret;

/// The algorithm's name, first word of the `Authorization` header.
const NAME: &str = super::SigningAlgorithm::Sm2Sm3.name();

/// The user id of the signer's `Z` value: the official SDK's default.
pub(crate) const USER_ID: &str = "1234567812345678";

/// SM3, with `X-Sdk-Content-Sm3` for the payload hash.
pub(crate) const DIGEST: Digest = hmac_sm3::DIGEST;

/// The signing key for AK/SK, as the official `_derive_key` makes it.
pub(crate) fn derive_key(ak: &str, sk: &str) -> Option<SigningKey> {
    derived_key::derive(NAME, ak, sk, hmac_sm3::hmac_sm3, |candidate| {
        // `from_repr` takes candidates below n; n − 1 is refused too.
        let candidate: Scalar = Option::from(Scalar::from_repr(FieldBytes::from(candidate)))?;
        let key = candidate + Scalar::ONE;
        if bool::from(key.is_zero()) {
            return None;
        }
        SigningKey::from_bytes(USER_ID, &key.to_repr()).ok()
    })
}

/// Appends the hex DER signature of `string_to_sign` with the key derived from `ak` and
/// `sk` to `out`.
pub(crate) fn signature(
    ak: &str,
    sk: &Secret,
    string_to_sign: &[u8],
    out: &mut String,
) -> Result<(), SignError> {
    sk.sm2_key()
        .with(
            ak,
            || derive_key(ak, sk.expose()),
            |key| {
                let signature: Signature = key.sign(string_to_sign);
                push_lower_hex(out, signature.to_der().as_bytes());
            },
        )
        .ok_or(SignError::KeyDerivation { algorithm: NAME })
}

#[cfg(test)]
mod tests {
    use super::derive_key;

    /// The keys the official `_derive_key` gives (tests/data/algorithm-vectors.json).
    #[test]
    fn derived_keys_are_the_official_ones() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/algorithm-vectors.json"))
                .expect("algorithm-vectors.json parses");
        let pairs = vectors["derived_keys"].as_array().expect("derived_keys");
        assert!(pairs.len() >= 8);
        for pair in pairs {
            let (ak, sk) = (pair["ak"].as_str().unwrap(), pair["sk"].as_str().unwrap());
            let key = derive_key(ak, sk).expect("a key");
            assert_eq!(
                hex::encode(key.to_bytes()),
                pair["sm2_sm3"].as_str().unwrap(),
                "{ak}"
            );
        }
    }
}
