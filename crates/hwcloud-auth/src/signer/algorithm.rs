//! [`SigningAlgorithm`]: which of the official SDK core's four algorithms signs.

use std::fmt;
use std::str::FromStr;

/// A signing algorithm of the official SDK core (`huaweicloudsdkcore.signer.algorithm.
/// SigningAlgorithm`), chosen per client. Tokens (`X-Auth-Token`) ignore it.
///
/// `SDK-HMAC-SHA256` is always there. The others need the crate features of their
/// names, `hmac-sm3`, `ecdsa-p256-sha256` and `sm2-sm3` (off by default: the first adds
/// RustCrypto's SM3 and HMAC, the asymmetric two about twenty crates each; `sm2-sm3`
/// turns on `hmac-sm3` too); without them, signing with them fails with
/// [`SignError::AlgorithmNotEnabled`](super::SignError::AlgorithmNotEnabled), which names
/// the feature.
///
/// ```
/// use hwcloud_auth::SigningAlgorithm;
/// let algorithm: SigningAlgorithm = "hmac-sm3".parse()?;
/// assert_eq!(algorithm, SigningAlgorithm::HmacSm3);
/// assert_eq!(algorithm.name(), "SDK-HMAC-SM3");
/// assert_eq!(
///     "md5".parse::<SigningAlgorithm>().unwrap_err().to_string(),
///     "unknown signing algorithm \"md5\": expected one of hmac-sha256, hmac-sm3, ecdsa-p256-sha256, sm2-sm3"
/// );
/// # Ok::<(), hwcloud_auth::UnknownSigningAlgorithm>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// `SDK-HMAC-SHA256` (the default).
    #[default]
    HmacSha256,
    /// `SDK-HMAC-SM3`: HMAC-SM3, SM3 hashes.
    HmacSm3,
    /// `SDK-ECDSA-P256-SHA256`: ECDSA on P-256 by a key derived from AK/SK.
    EcdsaP256Sha256,
    /// `SDK-SM2-SM3`: SM2 by a key derived from AK/SK, SM3 hashes.
    Sm2Sm3,
}

impl SigningAlgorithm {
    /// Every algorithm, the default first (more may come in a minor release).
    pub const ALL: &'static [SigningAlgorithm] = &[
        SigningAlgorithm::HmacSha256,
        SigningAlgorithm::HmacSm3,
        SigningAlgorithm::EcdsaP256Sha256,
        SigningAlgorithm::Sm2Sm3,
    ];

    /// The name in the `Authorization` header, e.g. `SDK-HMAC-SHA256`.
    pub const fn name(self) -> &'static str {
        match self {
            SigningAlgorithm::HmacSha256 => super::hmac_sha256::NAME,
            SigningAlgorithm::HmacSm3 => "SDK-HMAC-SM3",
            SigningAlgorithm::EcdsaP256Sha256 => "SDK-ECDSA-P256-SHA256",
            SigningAlgorithm::Sm2Sm3 => "SDK-SM2-SM3",
        }
    }

    /// The short spelling ([`FromStr`], [`Display`](fmt::Display), the CLI's
    /// `--signing-algorithm`), e.g. `hmac-sha256`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::HmacSha256 => "hmac-sha256",
            SigningAlgorithm::HmacSm3 => "hmac-sm3",
            SigningAlgorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            SigningAlgorithm::Sm2Sm3 => "sm2-sm3",
        }
    }

    /// The cargo feature of `hwcloud-auth` it needs (the MRS client's feature has the
    /// same name), `None` when it is always built in.
    pub const fn feature(self) -> Option<&'static str> {
        match self {
            SigningAlgorithm::HmacSha256 => None,
            SigningAlgorithm::HmacSm3 => Some("hmac-sm3"),
            SigningAlgorithm::EcdsaP256Sha256 => Some("ecdsa-p256-sha256"),
            SigningAlgorithm::Sm2Sm3 => Some("sm2-sm3"),
        }
    }

    /// Whether this build can sign with it (see [`feature`](Self::feature)).
    pub const fn is_enabled(self) -> bool {
        match self {
            SigningAlgorithm::HmacSha256 => true,
            SigningAlgorithm::HmacSm3 => cfg!(feature = "hmac-sm3"),
            SigningAlgorithm::EcdsaP256Sha256 => cfg!(feature = "ecdsa-p256-sha256"),
            SigningAlgorithm::Sm2Sm3 => cfg!(feature = "sm2-sm3"),
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlgorithm {
    type Err = UnknownSigningAlgorithm;

    /// Reads the short spelling ([`as_str`](Self::as_str)), in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SigningAlgorithm::ALL
            .iter()
            .copied()
            .find(|algorithm| algorithm.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownSigningAlgorithm(s.chars().take(40).collect()))
    }
}

/// A string that names no [`SigningAlgorithm`]; its message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSigningAlgorithm(String);

impl fmt::Display for UnknownSigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let valid: Vec<&str> = SigningAlgorithm::ALL
            .iter()
            .map(|algorithm| algorithm.as_str())
            .collect();
        write!(
            f,
            "unknown signing algorithm {:?}: expected one of {}",
            self.0,
            valid.join(", ")
        )
    }
}

impl std::error::Error for UnknownSigningAlgorithm {}
