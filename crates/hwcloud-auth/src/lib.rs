//! Huawei Cloud API authentication for the MRS client: request signing byte-identical with
//! the official SDK (`SDK-HMAC-SHA256` by default; `SDK-HMAC-SM3`, `SDK-ECDSA-P256-SHA256`
//! and `SDK-SM2-SM3` with [`sign_with`]), credentials and their provider chain, and the
//! MRS region → endpoint table.
//!
//! The generated client calls [`Credentials::authorize`] on every attempt of every request
//! (from progenitor's `ClientHooks::exec`). The signer is pure: it does no I/O and reads no
//! clock (the caller passes `now`, usually from a [`Clock`]). The credential providers do
//! their I/O through one seam, [`transport::HttpClient`] (a reqwest implementation with the
//! `reqwest` feature), so that tests drive them against loopback servers; only
//! [`Environment::process`] reads the process environment.
//!
//! * [`sign`], [`canonical_request`], [`string_to_sign`], [`format_sdk_date`]: the signature
//!   (see the [`signer`] module for every rule and where it follows the official signer);
//! * [`Credentials`]: permanent AK/SK, temporary AK/SK + security token, or an IAM token;
//! * [`CredentialsChain`]: the official SDK's default chain (OIDC STS, environment, profile
//!   file, ECS/BMS metadata, CCE pod identity; see [`credentials`]), and
//!   [`CredentialsCache`], which refreshes temporary credentials before they expire;
//! * [`discovery`]: the project id from IAM when none is configured;
//! * [`resolve_endpoints`], [`normalize_endpoint`], [`REGIONS`]: where to send requests to
//!   MRS (the override variable, the official regions file, the built-in table);
//!   [`endpoints`]: also IAM, STS and the metadata service;
//! * [`Secret`]: secrets never show up in `Debug`, `Display` or error messages, and are
//!   zeroed when dropped.
//!
//! # Cargo features
//!
//! * `ring` (default) or `aws-lc-rs` (used when on): the crypto library of SHA-256 and
//!   HMAC-SHA256, the one the application's TLS provider already brings; one is needed.
//! * `hmac-sm3`, `ecdsa-p256-sha256`, `sm2-sm3` (off): the other signing algorithms
//!   ([`SigningAlgorithm`]); `sm2-sm3` turns on `hmac-sm3`. Without its feature, an
//!   algorithm fails with [`SignError::AlgorithmNotEnabled`], which names it.
//! * `reqwest`: [`transport::HttpClient`] over reqwest, and signing a `reqwest::Url`.
//!
//! # Example
//!
//! Authorize a request to MRS with AK/SK (the published MRS example of the signing guide):
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use http::{HeaderMap, HeaderValue, Method, Uri};
//! use hwcloud_auth::{Clock, Credentials, Environment, FixedClock, resolve_endpoints};
//!
//! let endpoints = resolve_endpoints("cn-north-4", &Environment::from_vars([("HOME", "/nonexistent")]))?;
//! let endpoint = &endpoints[0];
//! let uri: Uri = format!("{endpoint}/v2/proj123/clusters/cid-1/iam-sync").parse()?;
//! let mut headers = HeaderMap::new();
//! headers.insert("content-type", HeaderValue::from_static("application/json"));
//!
//! let credentials = Credentials::permanent("AKEXAMPLE", "SKEXAMPLE");
//! // 2024-01-02T03:04:05Z; a real client uses `SystemClock`.
//! let clock = FixedClock::new(UNIX_EPOCH + Duration::from_secs(1_704_164_645));
//! credentials.authorize(&Method::GET, &uri, &mut headers, b"", clock.now())?;
//!
//! assert_eq!(headers["x-sdk-date"], "20240102T030405Z");
//! assert_eq!(headers["host"], "mrs.cn-north-4.myhuaweicloud.com");
//! assert_eq!(
//!     headers["authorization"],
//!     "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=content-type;host;x-sdk-date, \
//!      Signature=ed01d7acc0e910891881326c1782859509ac364498d69efaaa729b834aedaa02"
//! );
//! // Secrets stay hidden.
//! assert!(!format!("{credentials:?}").contains("SKEXAMPLE"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Loading credentials the way the official SDK does:
//!
//! ```
//! use hwcloud_auth::{CredentialSource, Credentials, CredentialsChain, Environment};
//! let env = Environment::from_vars([
//!     ("HUAWEICLOUD_SDK_AK", "AKEXAMPLE"),
//!     ("HUAWEICLOUD_SDK_SK", "SKEXAMPLE"),
//!     ("HUAWEICLOUD_SDK_PROJECT_ID", "proj123"),
//! ]);
//! let (credentials, source) = Credentials::from_environment(&env)?.unwrap();
//! assert_eq!(source, CredentialSource::Environment);
//! assert_eq!(credentials.project_id(), Some("proj123"));
//!
//! // The chain finds the environment's keys without any I/O...
//! let (found, _) = CredentialsChain::new(env, Some("cn-north-4")).configured()?;
//! assert!(found.is_some());
//! // ...and a partial configuration stops it with an error naming the variable.
//! let partial = Environment::from_vars([("HUAWEICLOUD_SDK_AK", "AKEXAMPLE")]);
//! assert_eq!(
//!     CredentialsChain::new(partial, None).configured().unwrap_err().to_string(),
//!     "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not (environment)"
//! );
//! # Ok::<(), hwcloud_auth::CredentialsError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod civil;
pub mod clock;
pub mod credentials;
mod crypto;
pub mod discovery;
pub mod endpoints;
mod env;
pub mod secret;
pub mod signer;
pub mod transport;

pub use clock::{Clock, FixedClock, SystemClock};
pub use credentials::{
    CredentialSource, Credentials, CredentialsCache, CredentialsChain, CredentialsError,
    ProvideCredentials, Provided,
};
pub use endpoints::{
    EndpointError, REGIONS, Region, normalize_endpoint, region_override_var, resolve_endpoints,
};
pub use env::Environment;
pub use secret::Secret;
pub use signer::{
    RequestTarget, SignError, SigningAlgorithm, UnknownSigningAlgorithm, canonical_request,
    format_sdk_date, sign, sign_with, string_to_sign,
};

/// The `http` crate this API is written against.
pub use http;
