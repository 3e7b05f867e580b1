//! `SDK-HMAC-SHA256` request signing, byte-identical with the official Huawei Cloud SDK
//! (`huaweicloudsdkcore.signer.signer.Signer`, version 3.1.219).
//!
//! Everything here is a pure function of its arguments: no clock, no environment, no I/O.
//! The canonical request, the string to sign and the headers added to the request are
//! shared by every algorithm (`signer/canonical.rs`); each algorithm adds its digest and
//! its signature in a file of its own (`signer/hmac_sha256.rs`), and `X-Sdk-Date` is
//! formatted and checked in `signer/sdk_date.rs`.
//!
//! # The algorithm
//!
//! ```text
//! CanonicalRequest = METHOD '\n' CanonicalURI '\n' CanonicalQuery '\n'
//!                    (name ':' value '\n')*  '\n'  SignedHeaders '\n' PayloadHash
//! StringToSign     = "SDK-HMAC-SHA256" '\n' X-Sdk-Date '\n' hex(SHA-256(CanonicalRequest))
//! Signature        = hex(HMAC-SHA256(key = SK bytes, StringToSign))
//! Authorization    = "SDK-HMAC-SHA256 Access=" AK ", SignedHeaders=" SignedHeaders ", Signature=" Signature
//! ```
//!
//! How each part is read from an `http` request, and where that follows the official
//! Python signer:
//!
//! * **Method**: upper-cased (`patch` signs as `PATCH`).
//! * **Canonical URI**: the path is percent-decoded (invalid escapes such as `%zz` stay
//!   literal; bytes that are not UTF-8 become U+FFFD, as Python's `unquote` does), split
//!   on `/` (so an encoded `%2F` splits too), each segment percent-encoded keeping only
//!   `A-Z a-z 0-9 - _ . ~` (upper-case hex), re-joined; a `/` is appended when the result
//!   does not end with one. The wire path is not changed.
//! * **Canonical query**: the query is split on `&` (empty pieces skipped), each piece on
//!   its first `=` (no `=` means an empty value, signed as `k=`), both sides decoded like
//!   the path (RFC 3986: `+` is a literal plus, signed as `%2B`), the pairs sorted by key
//!   then value (code point order), re-encoded like a path segment (so `/` becomes `%2F`)
//!   and joined with `&`.
//! * **Signed headers**: every header whose name contains no `_`, except `Authorization`;
//!   names are lower-case (as `http` stores them), sorted; values are trimmed of
//!   surrounding white space, inner white space is kept. A header with several values
//!   is an error ([`SignError::MultipleHeaderValues`]): the official signer keeps one
//!   value per name and cannot sign such a request. Values must be UTF-8.
//! * **Payload hash**: hex SHA-256 of the body. With a non-empty body, a non-empty
//!   `X-Sdk-Content-Sha256` header (e.g. `UNSIGNED-PAYLOAD`) is used instead; with an
//!   empty body the hash of the empty string is always used (as the official signer does).
//! * [`sign`] adds, like the official signer: `X-Sdk-Date` (unless present; a present value
//!   must be a valid `YYYYMMDDTHHMMSSZ` date and is used as is), `Host` (unless present:
//!   the URI's authority without user info, with `:port` when the URI has one),
//!   `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` when a non-empty `Content-Type` does not
//!   start with `application/json` or `application/bson`, and finally `Authorization`
//!   (replacing any previous one, so a request can be signed again on a retry).
//!
//! # Where this differs from the official Python signer
//!
//! Only for requests that signer cannot express or gets wrong, none of which the MRS client
//! sends: a header with several values is an error (a Python dict holds one value per
//! name); an `X-Sdk-Date` must be exactly `YYYYMMDDTHHMMSSZ` (Python's `strptime` also
//! takes one-digit fields, then signs a re-formatted date); an `Authorization` header
//! present before signing is never signed (Python would sign a stale one); the
//! `Content-Type` check for `UNSIGNED-PAYLOAD` ignores the name's case (Python looks only
//! at the exact key `Content-Type`); user info in the URI never reaches `Host`.
//! `tests/data/signing-vectors.json` holds 68 vectors computed with the official signer.

use std::fmt;
use std::time::SystemTime;

use http::{HeaderMap, Method};

use crate::secret::Secret;

mod algorithm;
mod canonical;
#[cfg(any(feature = "ecdsa-p256-sha256", feature = "sm2-sm3"))]
mod derived_key;
#[cfg(feature = "ecdsa-p256-sha256")]
mod ecdsa_p256_sha256;
mod hmac_sha256;
#[cfg(feature = "hmac-sm3")]
mod hmac_sm3;
mod sdk_date;
#[cfg(feature = "sm2-sm3")]
mod sm2_sm3;
mod target;

pub use algorithm::{SigningAlgorithm, UnknownSigningAlgorithm};
pub use sdk_date::format_sdk_date;
pub use target::RequestTarget;

/// The default signing algorithm's name, first word of the `Authorization` header.
pub const ALGORITHM: &str = hmac_sha256::NAME;

/// Lower-case hex SHA-256 of the empty string: the payload hash of a request without body.
pub const EMPTY_BODY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Name of the date header (`X-Sdk-Date`), lower-case as `http` stores it.
pub const HEADER_SDK_DATE: &str = "x-sdk-date";

/// Name of the header that overrides the payload hash (`X-Sdk-Content-Sha256`).
pub const HEADER_CONTENT_SHA256: &str = "x-sdk-content-sha256";

/// The value of [`HEADER_CONTENT_SHA256`] that leaves the body out of the signature.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Why a request could not be signed. No variant ever carries a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The access key (AK) is empty.
    MissingAccessKey,
    /// The secret key (SK) is empty.
    MissingSecretKey,
    /// The access key contains characters that cannot go into an HTTP header.
    InvalidAccessKey,
    /// The URI has no authority (host) and the request has no `Host` header.
    MissingHost,
    /// The request's `X-Sdk-Date` header is not a valid `YYYYMMDDTHHMMSSZ` UTC date.
    #[non_exhaustive]
    InvalidSdkDate {
        /// The offending value (dates are not secret), shortened to 40 characters.
        value: String,
    },
    /// A header to be signed has more than one value; the signature format has room for one.
    #[non_exhaustive]
    MultipleHeaderValues {
        /// The header's (lower-case) name.
        name: String,
    },
    /// A header to be signed has a value that is not UTF-8.
    #[non_exhaustive]
    NonUtf8HeaderValue {
        /// The header's (lower-case) name.
        name: String,
    },
    /// A value to be put into a header (project id, security token, IAM token) contains
    /// characters that cannot go into an HTTP header. The value itself is not shown.
    #[non_exhaustive]
    InvalidHeaderValue {
        /// The header that could not be set.
        name: &'static str,
    },
    /// The algorithm needs a cargo feature this build of `hwcloud-auth` lacks.
    #[non_exhaustive]
    AlgorithmNotEnabled {
        /// The algorithm's name (`SDK-SM2-SM3`).
        algorithm: &'static str,
        /// The feature that enables it (`sm2-sm3`).
        feature: &'static str,
    },
    /// No private key could be derived from the AK/SK (the official key derivation
    /// found no candidate below the curve order in 255 tries: practically never).
    #[non_exhaustive]
    KeyDerivation {
        /// The algorithm's name.
        algorithm: &'static str,
    },
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::MissingAccessKey => {
                f.write_str("cannot sign the request: the access key (AK) is empty")
            }
            SignError::MissingSecretKey => {
                f.write_str("cannot sign the request: the secret key (SK) is empty")
            }
            SignError::InvalidAccessKey => f.write_str(
                "cannot sign the request: the access key (AK) contains characters not allowed in an HTTP header",
            ),
            SignError::MissingHost => f.write_str(
                "cannot sign the request: the URI has no host and the request has no Host header",
            ),
            SignError::InvalidSdkDate { value } => write!(
                f,
                "cannot sign the request: its X-Sdk-Date header {value:?} is not a UTC date of the form YYYYMMDDTHHMMSSZ"
            ),
            SignError::MultipleHeaderValues { name } => write!(
                f,
                "cannot sign the request: header `{name}` has several values; a signed header must have exactly one"
            ),
            SignError::NonUtf8HeaderValue { name } => write!(
                f,
                "cannot sign the request: the value of header `{name}` is not UTF-8"
            ),
            SignError::InvalidHeaderValue { name } => write!(
                f,
                "cannot authorize the request: the value for header `{name}` contains characters not allowed in an HTTP header"
            ),
            SignError::AlgorithmNotEnabled { algorithm, feature } => write!(
                f,
                "cannot sign the request: {algorithm} needs the `{feature}` feature of hwcloud-auth"
            ),
            SignError::KeyDerivation { algorithm } => write!(
                f,
                "cannot sign the request: no {algorithm} private key can be derived from this AK/SK"
            ),
        }
    }
}

impl std::error::Error for SignError {}

/// Signs a request in place.
///
/// Adds `X-Sdk-Date` (formatted from `now`, unless the request already has one: then that
/// value is used as is), `Host` (unless present: the URI's authority, with `:port` when the
/// URI has one), `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` for a non-JSON `Content-Type`
/// (see the [module docs](self)) and
/// `Authorization: SDK-HMAC-SHA256 Access=<ak>, SignedHeaders=<..>, Signature=<hex>`
/// (replacing any previous one) to `headers`. `body` must be the exact bytes that will be sent.
///
/// On error `headers` is left unchanged. The `Authorization` value is marked sensitive.
///
/// ```
/// use hwcloud_auth::{sign, Secret};
/// use http::{HeaderMap, HeaderValue, Method, Uri};
///
/// let uri: Uri = "https://mrs.cn-north-4.myhuaweicloud.com/v2/proj123/clusters/cid-1/iam-sync".parse()?;
/// let mut headers = HeaderMap::new();
/// headers.insert("content-type", HeaderValue::from_static("application/json"));
/// headers.insert("x-sdk-date", HeaderValue::from_static("20240102T030405Z"));
/// sign(&Method::GET, &uri, &mut headers, b"", "AKEXAMPLE", &Secret::new("SKEXAMPLE"), std::time::SystemTime::now())?;
/// assert_eq!(headers["host"], "mrs.cn-north-4.myhuaweicloud.com");
/// assert_eq!(
///     headers["authorization"],
///     "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=content-type;host;x-sdk-date, \
///      Signature=ed01d7acc0e910891881326c1782859509ac364498d69efaaa729b834aedaa02"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign<'a>(
    method: &Method,
    uri: impl Into<RequestTarget<'a>>,
    headers: &mut HeaderMap,
    body: &[u8],
    ak: &str,
    sk: &Secret,
    now: SystemTime,
) -> Result<(), SignError> {
    sign_with(
        SigningAlgorithm::HmacSha256,
        method,
        uri,
        headers,
        body,
        ak,
        sk,
        now,
    )
}

/// [`sign`] with any [`SigningAlgorithm`]: the same canonical request, the algorithm's
/// hash (SM3 for the SM algorithms, whose payload-hash header is `X-Sdk-Content-Sm3`)
/// and its signature. The ECDSA and SM2 private keys are derived from AK/SK on first use
/// and cached with `sk`.
///
/// ```
/// use hwcloud_auth::{Secret, SigningAlgorithm, sign_with};
/// use http::{HeaderMap, HeaderValue, Method, Uri};
///
/// let uri: Uri = "https://mrs.cn-north-4.myhuaweicloud.com/v2/proj123/clusters/cid-1/iam-sync".parse()?;
/// let mut headers = HeaderMap::new();
/// headers.insert("x-sdk-date", HeaderValue::from_static("20240102T030405Z"));
/// let sk = Secret::new("SKEXAMPLE");
/// let now = std::time::SystemTime::now();
/// let signed = sign_with(SigningAlgorithm::HmacSm3, &Method::GET, &uri, &mut headers, b"", "AKEXAMPLE", &sk, now);
/// if SigningAlgorithm::HmacSm3.is_enabled() {
///     signed?;
///     assert!(headers["authorization"].to_str()?.starts_with("SDK-HMAC-SM3 Access=AKEXAMPLE, SignedHeaders=host;x-sdk-date, Signature="));
/// } else {
///     // Without its feature, an algorithm says which one it needs.
///     assert_eq!(
///         signed.unwrap_err().to_string(),
///         "cannot sign the request: SDK-HMAC-SM3 needs the `hmac-sm3` feature of hwcloud-auth"
///     );
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[allow(clippy::too_many_arguments)] // `sign`'s arguments and the algorithm
pub fn sign_with<'a>(
    algorithm: SigningAlgorithm,
    method: &Method,
    uri: impl Into<RequestTarget<'a>>,
    headers: &mut HeaderMap,
    body: &[u8],
    ak: &str,
    sk: &Secret,
    now: SystemTime,
) -> Result<(), SignError> {
    sign_target(algorithm, method, uri.into(), headers, body, ak, sk, now)
}

/// [`sign_with`], not generic: compiled once, here, rather than in every crate that
/// signs (a generic function's body is compiled where it is used).
#[allow(clippy::too_many_arguments)] // `sign_with`'s
pub(crate) fn sign_target(
    algorithm: SigningAlgorithm,
    method: &Method,
    target: RequestTarget<'_>,
    headers: &mut HeaderMap,
    body: &[u8],
    ak: &str,
    sk: &Secret,
    now: SystemTime,
) -> Result<(), SignError> {
    if ak.is_empty() {
        return Err(SignError::MissingAccessKey);
    }
    if sk.is_empty() {
        return Err(SignError::MissingSecretKey);
    }
    let name = algorithm.name();
    type AppendSignature<'s> = &'s dyn Fn(&[u8], &mut String) -> Result<(), SignError>;
    let mut authorize = |digest, signature: AppendSignature<'_>| {
        canonical::authorize(
            method, target, headers, body, ak, now, name, digest, signature,
        )
    };
    match algorithm {
        SigningAlgorithm::HmacSha256 => authorize(&hmac_sha256::DIGEST, &|to_sign, out| {
            hmac_sha256::signature(sk, to_sign, out)
        }),
        #[cfg(feature = "hmac-sm3")]
        SigningAlgorithm::HmacSm3 => authorize(&hmac_sm3::DIGEST, &|to_sign, out| {
            hmac_sm3::signature(sk, to_sign, out)
        }),
        #[cfg(feature = "ecdsa-p256-sha256")]
        SigningAlgorithm::EcdsaP256Sha256 => {
            authorize(&ecdsa_p256_sha256::DIGEST, &|to_sign, out| {
                ecdsa_p256_sha256::signature(ak, sk, to_sign, out)
            })
        }
        #[cfg(feature = "sm2-sm3")]
        SigningAlgorithm::Sm2Sm3 => authorize(&sm2_sm3::DIGEST, &|to_sign, out| {
            sm2_sm3::signature(ak, sk, to_sign, out)
        }),
        #[allow(unreachable_patterns)] // with every feature on
        disabled => Err(SignError::AlgorithmNotEnabled {
            algorithm: name,
            feature: disabled.feature().unwrap_or_default(),
        }),
    }
}

/// The canonical request of a request exactly as given (nothing is added: call it on the
/// headers after [`sign`] to see what was signed). For tests and debugging.
///
/// ```
/// use http::{HeaderMap, HeaderValue, Method, Uri};
/// let uri: Uri = "https://example.com/v1/a%20b?b=2&a=1".parse()?;
/// let mut headers = HeaderMap::new();
/// headers.insert("host", HeaderValue::from_static("example.com"));
/// headers.insert("x-sdk-date", HeaderValue::from_static("20240102T030405Z"));
/// let cr = hwcloud_auth::canonical_request(&Method::GET, &uri, &headers, b"")?;
/// assert_eq!(cr, "GET\n/v1/a%20b/\na=1&b=2\nhost:example.com\nx-sdk-date:20240102T030405Z\n\n\
///                 host;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn canonical_request<'a>(
    method: &Method,
    uri: impl Into<RequestTarget<'a>>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, SignError> {
    canonical::canonical_request(method, uri.into(), headers, body, &hmac_sha256::DIGEST)
}

/// The string to sign: `SDK-HMAC-SHA256\n<sdk_date>\n<hex SHA-256 of canonical_request>`.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    canonical::string_to_sign(
        hmac_sha256::NAME,
        sdk_date,
        canonical_request,
        &hmac_sha256::DIGEST,
    )
}
