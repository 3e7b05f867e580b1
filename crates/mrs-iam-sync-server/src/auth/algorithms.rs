//! The four algorithms of the official SDK core, as the gateway checks them: the
//! digest of each, HMAC recomputed, and ECDSA-P256 / SM2 signatures checked with the
//! public key of the private key derived from the configured AK/SK.
//!
//! Written from `huaweicloudsdkcore/signer/signer.py` and `utils.py` (3.1.219), not from
//! the client's signer: the key derivation compares big-endian candidates with `n − 2`
//! byte-wise; the curves and hashes are RustCrypto's.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use sm3::Sm3;

/// A signing algorithm named by an `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `SDK-HMAC-SHA256`.
    HmacSha256,
    /// `SDK-HMAC-SM3`.
    HmacSm3,
    /// `SDK-ECDSA-P256-SHA256`.
    EcdsaP256Sha256,
    /// `SDK-SM2-SM3`.
    Sm2Sm3,
}

/// The SM2 user id of the official signer's `Z` value.
const SM2_USER_ID: &str = "1234567812345678";
/// The group orders, from the official `P256SigningKey` / `SM2SigningKey`.
const P256_ORDER: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const SM2_ORDER: &str = "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123";

impl Algorithm {
    /// Every algorithm, in the official enum's order.
    pub const ALL: [Algorithm; 4] = [
        Algorithm::HmacSha256,
        Algorithm::HmacSm3,
        Algorithm::EcdsaP256Sha256,
        Algorithm::Sm2Sm3,
    ];

    /// The name that opens the `Authorization` header.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "SDK-HMAC-SHA256",
            Algorithm::HmacSm3 => "SDK-HMAC-SM3",
            Algorithm::EcdsaP256Sha256 => "SDK-ECDSA-P256-SHA256",
            Algorithm::Sm2Sm3 => "SDK-SM2-SM3",
        }
    }

    /// The algorithm an `Authorization` header names.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The header that may carry the payload hash instead of the body's.
    pub fn content_hash_header(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 | Algorithm::EcdsaP256Sha256 => "x-sdk-content-sha256",
            Algorithm::HmacSm3 | Algorithm::Sm2Sm3 => "x-sdk-content-sm3",
        }
    }

    /// Lower-case hex digest of `data` with the algorithm's hash (SHA-256 or SM3).
    pub fn hex_digest(self, data: &[u8]) -> String {
        match self {
            Algorithm::HmacSha256 | Algorithm::EcdsaP256Sha256 => hex::encode(Sha256::digest(data)),
            Algorithm::HmacSm3 | Algorithm::Sm2Sm3 => hex::encode(Sm3::digest(data)),
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        fn mac<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
            let mut mac = <M as KeyInit>::new_from_slice(key)
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Algorithm::HmacSha256 | Algorithm::EcdsaP256Sha256 => mac::<Hmac<Sha256>>(key, data),
            Algorithm::HmacSm3 | Algorithm::Sm2Sm3 => mac::<Hmac<Sm3>>(key, data),
        }
    }

    /// Whether `signature` (as sent: hex) signs `string_to_sign` for AK/SK.
    pub fn verify(self, ak: &str, sk: &str, string_to_sign: &str, signature: &str) -> bool {
        let message = string_to_sign.as_bytes();
        match self {
            Algorithm::HmacSha256 | Algorithm::HmacSm3 => {
                let expected = hex::encode(self.hmac(sk.as_bytes(), message));
                super::constant_time_eq(
                    expected.as_bytes(),
                    signature.to_ascii_lowercase().as_bytes(),
                )
            }
            Algorithm::EcdsaP256Sha256 => {
                use p256::ecdsa::signature::Verifier;
                let (Some(d), Ok(der)) = (self.derive_private_key(ak, sk), hex::decode(signature))
                else {
                    return false;
                };
                let (Ok(key), Ok(signature)) = (
                    p256::ecdsa::SigningKey::from_slice(&d),
                    p256::ecdsa::Signature::from_der(&der),
                ) else {
                    return false;
                };
                key.verifying_key().verify(message, &signature).is_ok()
            }
            Algorithm::Sm2Sm3 => {
                use sm2::dsa::signature::Verifier;
                let (Some(d), Ok(der)) = (self.derive_private_key(ak, sk), hex::decode(signature))
                else {
                    return false;
                };
                let (Ok(key), Ok(signature)) = (
                    sm2::dsa::SigningKey::from_slice(SM2_USER_ID, &d),
                    sm2::dsa::Signature::from_der(&der),
                ) else {
                    return false;
                };
                key.verifying_key().verify(message, &signature).is_ok()
            }
        }
    }

    /// The official `_derive_key`: for counter 0..=254, the big-endian
    /// `HMAC(SK, 00000001 ‖ name ‖ 00 ‖ AK ‖ counter ‖ 00000100)`; the first that is at
    /// most `n − 2`, plus one. `None` for the HMAC algorithms.
    pub fn derive_private_key(self, ak: &str, sk: &str) -> Option<[u8; 32]> {
        let order = match self {
            Algorithm::HmacSha256 | Algorithm::HmacSm3 => return None,
            Algorithm::EcdsaP256Sha256 => P256_ORDER,
            Algorithm::Sm2Sm3 => SM2_ORDER,
        };
        let mut n_minus_two = [0u8; 32];
        hex::decode_to_slice(order, &mut n_minus_two).ok()?;
        // The orders end in ...51 and ...23: no borrow.
        n_minus_two[31] -= 2;
        (0..=254u8).find_map(|counter| {
            let mut data = b"\x00\x00\x00\x01".to_vec();
            data.extend_from_slice(self.name().as_bytes());
            data.push(0);
            data.extend_from_slice(ak.as_bytes());
            data.push(counter);
            data.extend_from_slice(b"\x00\x00\x01\x00");
            let candidate: [u8; 32] = self.hmac(sk.as_bytes(), &data).try_into().ok()?;
            // Big-endian numbers of one length compare like their bytes.
            (candidate <= n_minus_two).then(|| plus_one(candidate))
        })
    }
}

/// `n + 1` for a big-endian `n` below 2²⁵⁶ − 1.
fn plus_one(mut n: [u8; 32]) -> [u8; 32] {
    for byte in n.iter_mut().rev() {
        let (sum, carry) = byte.overflowing_add(1);
        *byte = sum;
        if !carry {
            break;
        }
    }
    n
}
