//! [`Secret`]: a string that never shows itself.

use std::fmt;
use std::sync::OnceLock;

use zeroize::Zeroize;

use crate::crypto;

/// A secret string: a secret access key (SK), a security token or an IAM token.
///
/// `Debug` and `Display` print `***`, never the value; the only way to read it is
/// [`Secret::expose`]. The memory holding it is overwritten with zeros when the
/// `Secret` is dropped (with the [`zeroize`] crate). Copies the caller made before
/// handing the string over are not covered, nor is the HMAC-SHA256 key state made from
/// it for signing when ring holds it (the default `ring` feature: ring does not wipe its
/// keys; aws-lc-rs does).
///
/// ```
/// use hwcloud_auth::Secret;
/// let sk = Secret::new("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc");
/// assert_eq!(format!("{sk:?} {sk}"), "*** ***");
/// assert_eq!(sk.expose().len(), 40);
/// ```
#[derive(Clone, Default)]
pub struct Secret {
    value: String,
    /// The HMAC-SHA256 key made from the value (inner and outer pads already hashed), made
    /// on first use so that signing with the same key skips two SHA-256 blocks. Boxed,
    /// like the derived keys: a `Secret` that never signs stays small.
    hmac_sha256: OnceLock<Box<crypto::hmac::Key>>,
    /// The SDK-ECDSA-P256-SHA256 private key derived from this SK and its AK.
    #[cfg(feature = "ecdsa-p256-sha256")]
    p256: Derived<p256::ecdsa::SigningKey>,
    /// The SDK-SM2-SM3 private key derived from this SK and its AK.
    #[cfg(feature = "sm2-sm3")]
    sm2: Derived<sm2::dsa::SigningKey>,
}

impl Secret {
    /// Wraps a secret value (the `String` is moved in, not copied).
    pub fn new(value: impl Into<String>) -> Self {
        Secret {
            value: value.into(),
            hmac_sha256: OnceLock::new(),
            #[cfg(feature = "ecdsa-p256-sha256")]
            p256: Derived::default(),
            #[cfg(feature = "sm2-sm3")]
            sm2: Derived::default(),
        }
    }

    /// The secret value. Keep what you do with it short-lived.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// The HMAC-SHA256 key made from the secret, cached.
    pub(crate) fn hmac_sha256_key(&self) -> &crypto::hmac::Key {
        self.hmac_sha256
            .get_or_init(|| Box::new(crypto::hmac_sha256_key(self.value.as_bytes())))
    }

    /// The cached SDK-ECDSA-P256-SHA256 key.
    #[cfg(feature = "ecdsa-p256-sha256")]
    pub(crate) fn p256_key(&self) -> &Derived<p256::ecdsa::SigningKey> {
        &self.p256
    }

    /// The cached SDK-SM2-SM3 key.
    #[cfg(feature = "sm2-sm3")]
    pub(crate) fn sm2_key(&self) -> &Derived<sm2::dsa::SigningKey> {
        &self.sm2
    }
}

/// A private key derived from a secret key and the access key it goes with (the
/// asymmetric algorithms'), kept for the access key it was first derived for. Another
/// access key (a secret key shared by two AKs, which credentials never do) derives afresh.
/// The signer says how to derive it; the secret only keeps it.
#[cfg(any(feature = "ecdsa-p256-sha256", feature = "sm2-sm3"))]
pub(crate) struct Derived<K> {
    /// Boxed: a `Secret` stays small until a key is derived.
    slot: OnceLock<Box<(String, Option<K>)>>,
}

#[cfg(any(feature = "ecdsa-p256-sha256", feature = "sm2-sm3"))]
impl<K> Default for Derived<K> {
    fn default() -> Self {
        Derived {
            slot: OnceLock::new(),
        }
    }
}

#[cfg(any(feature = "ecdsa-p256-sha256", feature = "sm2-sm3"))]
impl<K: Clone> Clone for Derived<K> {
    fn clone(&self) -> Self {
        Derived {
            slot: self.slot.clone(),
        }
    }
}

#[cfg(any(feature = "ecdsa-p256-sha256", feature = "sm2-sm3"))]
impl<K> Derived<K> {
    /// Runs `f` with the key for `ak`, derived by `derive` on first use.
    pub(crate) fn with<R>(
        &self,
        ak: &str,
        derive: impl Fn() -> Option<K>,
        f: impl FnOnce(&K) -> R,
    ) -> Option<R> {
        let (cached_ak, key) = &**self
            .slot
            .get_or_init(|| Box::new((ak.to_owned(), derive())));
        if cached_ak == ak {
            key.as_ref().map(f)
        } else {
            derive().as_ref().map(f)
        }
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_itself() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:#?}"), "***");
        assert_eq!(s.expose(), "hunter2");
        assert!(!s.is_empty());
        assert!(Secret::default().is_empty());
        assert_eq!(Secret::from("x").expose(), "x");
        assert_eq!(Secret::from(String::from("y")).clone().expose(), "y");
    }
}
