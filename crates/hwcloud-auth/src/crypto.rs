//! The crypto library behind SHA-256 and HMAC-SHA256 (`SDK-HMAC-SHA256`, and the hashes
//! and key derivation of `SDK-ECDSA-P256-SHA256`): the one the TLS provider compiles
//! anyway, so that a dependant's build holds one SHA-256, not two.
//!
//! * feature `ring` (the default; the MRS client's `rustls` feature): rustls' `ring`
//!   provider;
//! * feature `aws-lc-rs` (the MRS client's `rustls-aws-lc`): reqwest's own default
//!   provider. It wins when both features are on: only an application that chose it
//!   turns it on, while `ring` may come from a default left on.
//!
//! Both offer the same `digest` and `hmac` modules (aws-lc-rs copies ring's API), so the
//! signer is written once against these re-exports.

#[cfg(feature = "aws-lc-rs")]
pub(crate) use aws_lc_rs::{digest, hmac};
#[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
pub(crate) use ring::{digest, hmac};

#[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
compile_error!(
    "hwcloud-auth needs a crypto library for SHA-256 and HMAC-SHA256: turn on its feature \
     `ring` (the default) or `aws-lc-rs` (mrs-iam-sync: `rustls` or `rustls-aws-lc`, or \
     `ring` / `aws-lc-rs` alone)"
);

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    to_array(digest::digest(&digest::SHA256, data).as_ref())
}

/// The HMAC-SHA256 key `key` (the inner and outer pads already hashed).
pub(crate) fn hmac_sha256_key(key: &[u8]) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, key)
}

/// HMAC-SHA256 of `data` with a prepared key.
pub(crate) fn hmac_sha256(key: &hmac::Key, data: &[u8]) -> [u8; 32] {
    to_array(hmac::sign(key, data).as_ref())
}

fn to_array(bytes: &[u8]) -> [u8; 32] {
    bytes
        .try_into()
        .unwrap_or_else(|_| unreachable!("SHA-256 has 32 bytes"))
}

#[cfg(test)]
mod tests {
    /// FIPS 180-4's and RFC 4231's first examples, whichever library is built.
    #[test]
    fn the_library_computes_sha256_and_hmac_sha256() {
        assert_eq!(
            hex::encode(super::sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let key = super::hmac_sha256_key(&[0x0b; 20]);
        assert_eq!(
            hex::encode(super::hmac_sha256(&key, b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }
}
