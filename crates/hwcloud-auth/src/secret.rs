//! [`Secret`]: a string that never shows itself.

use std::fmt;
use std::sync::OnceLock;

use hmac::{Hmac, KeyInit};
use sha2::Sha256;
use zeroize::Zeroize;

#[cfg(any(feature = "ecdsa-p256-sha256", feature = "sm2-sm3"))]
use crate::signer::Cached;

/// A secret string: a secret access key (SK), a security token or an IAM token.
///
/// `Debug` and `Display` print `***`, never the value; the only way to read it is
/// [`Secret::expose`]. The memory holding it is overwritten with zeros when the
/// `Secret` is dropped (with the [`zeroize`] crate). Copies the caller made before
/// handing the string over are not covered.
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
    /// HMAC-SHA256 keyed with the value (inner and outer pads already hashed), made on
    /// first use so signing with the same key skips two SHA-256 blocks; wiped on drop.
    /// (Boxed, like the derived keys: a `Secret` that never signs stays small.)
    hmac: OnceLock<Option<Box<Hmac<Sha256>>>>,
    /// The SDK-ECDSA-P256-SHA256 private key derived from this SK and its AK.
    #[cfg(feature = "ecdsa-p256-sha256")]
    p256: Cached<p256::ecdsa::SigningKey>,
    /// The SDK-SM2-SM3 private key derived from this SK and its AK.
    #[cfg(feature = "sm2-sm3")]
    sm2: Cached<sm2::dsa::SigningKey>,
}

impl Secret {
    /// Wraps a secret value (the `String` is moved in, not copied).
    pub fn new(value: impl Into<String>) -> Self {
        Secret {
            value: value.into(),
            hmac: OnceLock::new(),
            #[cfg(feature = "ecdsa-p256-sha256")]
            p256: Cached::default(),
            #[cfg(feature = "sm2-sm3")]
            sm2: Cached::default(),
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

    /// A fresh HMAC-SHA256 keyed with the secret (`None` cannot happen: HMAC takes keys
    /// of any length).
    pub(crate) fn hmac_sha256(&self) -> Option<Hmac<Sha256>> {
        self.hmac
            .get_or_init(|| {
                <Hmac<Sha256> as KeyInit>::new_from_slice(self.value.as_bytes())
                    .ok()
                    .map(Box::new)
            })
            .as_deref()
            .cloned()
    }

    /// The cached SDK-ECDSA-P256-SHA256 key.
    #[cfg(feature = "ecdsa-p256-sha256")]
    pub(crate) fn p256_key(&self) -> &Cached<p256::ecdsa::SigningKey> {
        &self.p256
    }

    /// The cached SDK-SM2-SM3 key.
    #[cfg(feature = "sm2-sm3")]
    pub(crate) fn sm2_key(&self) -> &Cached<sm2::dsa::SigningKey> {
        &self.sm2
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
