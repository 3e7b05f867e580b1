//! [`Secret`]: a string that never shows itself.

use std::fmt;

use zeroize::Zeroize;

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
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value (the `String` is moved in, not copied).
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value. Keep what you do with it short-lived.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
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
