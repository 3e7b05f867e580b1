//! TLS set-up: the process-wide rustls crypto provider that reqwest needs
//! when it is built without one of its own (the default `rustls` feature).

/// Installs rustls' `ring` crypto provider as the process default, unless
/// one is installed already. The client builder does this itself; an
/// application that builds a `reqwest::Client` of its own (for its other
/// calls) before any client of this crate calls it first. (`ring` builds
/// quickly; an application that installed another provider keeps it.)
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread's install is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
