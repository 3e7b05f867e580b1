//! TLS set-up: the process-wide rustls crypto provider that reqwest needs
//! when it is built without one of its own (the default `rustls` feature).

/// Installs rustls' `ring` crypto provider as the process default, unless
/// one is installed already. The client builder does this itself; call it
/// before building a `reqwest::Client` of your own for
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client).
/// (`ring` builds quickly; an application that installed another provider
/// keeps it.)
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread's install is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
