//! The private key of the asymmetric algorithms, derived from AK/SK as the official
//! signer's `_derive_key` does.
//!
//! ```text
//! for counter in 0..=254:
//!     candidate = HMAC(key = SK, 0x00000001 ‖ algorithm name ‖ 0x00 ‖ AK ‖ counter ‖ 0x00000100)
//!     if candidate ≤ n − 2: the private key is candidate + 1
//! ```
//!
//! with the algorithm's HMAC (HMAC-SHA256 for `SDK-ECDSA-P256-SHA256`, HMAC-SM3 for
//! `SDK-SM2-SM3`) and `n` the order of its curve. The key is cached with the secret key
//! (`Secret`'s `Derived`).

/// Runs the counter KDF: `hmac(sk, data)` gives each candidate (big endian), `to_key`
/// returns the key for a candidate ≤ n − 2 and `None` for any other. `None` when no
/// counter gives a key (for a 256-bit `n` about 2⁻³²⁰⁰⁰ likely).
pub(crate) fn derive<K>(
    algorithm: &str,
    ak: &str,
    sk: &str,
    hmac: impl Fn(&[u8], &[u8]) -> [u8; 32],
    to_key: impl Fn([u8; 32]) -> Option<K>,
) -> Option<K> {
    let mut data = Vec::with_capacity(4 + algorithm.len() + 1 + ak.len() + 1 + 4);
    (0..0xffu8).find_map(|counter| {
        data.clear();
        data.extend_from_slice(&[0, 0, 0, 1]);
        data.extend_from_slice(algorithm.as_bytes());
        data.push(0);
        data.extend_from_slice(ak.as_bytes());
        data.push(counter);
        data.extend_from_slice(&[0, 0, 1, 0]);
        to_key(hmac(sk.as_bytes(), &data))
    })
}
