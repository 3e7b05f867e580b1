//! `SDK-ECDSA-P256-SHA256`: the canonical request and string to sign of
//! `SDK-HMAC-SHA256`; the signature is ECDSA over NIST P-256 with SHA-256 of the string
//! to sign, by the private key derived from AK/SK (see `derived_key.rs`), written as the
//! lower-case hex of the DER `SEQUENCE { r INTEGER, s INTEGER }`. The nonce is RFC 6979's
//! (deterministic); the official signer draws it at random, and either verifies the same.

use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::ff::{Field, PrimeField};
use p256::{FieldBytes, Scalar};

use super::canonical::{Digest, push_lower_hex};
use super::{SignError, derived_key, hmac_sha256};
use crate::secret::Secret;

/// The algorithm's name, first word of the `Authorization` header.
const NAME: &str = super::SigningAlgorithm::EcdsaP256Sha256.name();

/// SHA-256, with `X-Sdk-Content-Sha256` for the payload hash.
pub(crate) const DIGEST: Digest = hmac_sha256::DIGEST;

/// The signing key for AK/SK, as the official `_derive_key` makes it.
pub(crate) fn derive_key(ak: &str, sk: &str) -> Option<SigningKey> {
    derived_key::derive(NAME, ak, sk, hmac_sha256::hmac_sha256, |candidate| {
        // `from_repr` takes candidates below n; n − 1 is refused too.
        let candidate: Scalar = Option::from(Scalar::from_repr(FieldBytes::from(candidate)))?;
        let key = candidate + Scalar::ONE;
        if bool::from(key.is_zero()) {
            return None;
        }
        SigningKey::from_bytes(&key.to_repr()).ok()
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
    sk.p256_key()
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
                pair["ecdsa_p256_sha256"].as_str().unwrap(),
                "{ak}"
            );
        }
    }
}
