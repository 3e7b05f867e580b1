//! The network settings of a client: proxy, trust (a CA bundle, or none at
//! all), and a client certificate. They are collected by the builder
//! ([`NetworkOptions`]), checked and loaded once ([`Network`]), and every
//! HTTP client of the client is made from them: MRS calls and IAM/STS
//! credential fetches through the proxy settings, the metadata service and
//! pod identity directly (same TLS settings, never a proxy).
//!
//! Proxies: the builder's URL, or else the process's (or the builder's
//! [`Environment`]'s) `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` (upper case
//! first, then lower case), as curl and reqwest read them; `NO_PROXY` lists
//! the hosts reached directly in both cases. A proxy URL may carry
//! `user:password@` (percent-encoded); it is never shown: `Debug`, errors
//! and logs show `user:***@`.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hwcloud_auth::Environment;
use reqwest::Url;

/// A PEM document for the TLS settings: a file, read when the client is
/// built, or bytes. `Debug` shows the path, or only the length of bytes
/// (a private key is a secret).
///
/// ```
/// use mrs_iam_sync::Pem;
/// let from_file = Pem::from("/etc/pki/corp-ca.pem");
/// let from_bytes = Pem::bytes(b"-----BEGIN CERTIFICATE-----\n...".to_vec());
/// assert_eq!(format!("{from_bytes:?}"), "Pem(<31 bytes>)");
/// # let _ = from_file;
/// ```
#[derive(Clone)]
pub struct Pem(PemSource);

#[derive(Clone)]
enum PemSource {
    File(PathBuf),
    Bytes(Arc<[u8]>),
}

impl Pem {
    /// The file at `path`.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Pem(PemSource::File(path.into()))
    }

    /// PEM text held in memory.
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Pem(PemSource::Bytes(bytes.into().into()))
    }

    /// How an error names it: `/etc/ca.pem`, or `(given as bytes)`.
    fn origin(&self) -> String {
        match &self.0 {
            PemSource::File(path) => path.display().to_string(),
            PemSource::Bytes(_) => "(given as bytes)".to_owned(),
        }
    }

    /// The document's bytes; `what` names it in the error.
    #[cfg(any(feature = "rustls", feature = "rustls-aws-lc"))]
    fn read(&self, what: &str) -> Result<Arc<[u8]>, NetworkSettingError> {
        match &self.0 {
            PemSource::Bytes(bytes) => Ok(bytes.clone()),
            PemSource::File(path) => match std::fs::read(path) {
                Ok(bytes) => Ok(bytes.into()),
                Err(err) => {
                    let reason = if err.kind() == std::io::ErrorKind::NotFound {
                        "does not exist"
                    } else {
                        "cannot be read"
                    };
                    Err(
                        NetworkSettingError::new(format!("{what} {}", path.display()), reason)
                            .with_source(err),
                    )
                }
            },
        }
    }
}

impl From<PathBuf> for Pem {
    fn from(path: PathBuf) -> Self {
        Pem::file(path)
    }
}

impl From<&Path> for Pem {
    fn from(path: &Path) -> Self {
        Pem::file(path)
    }
}

impl From<&str> for Pem {
    /// A file path.
    fn from(path: &str) -> Self {
        Pem::file(path)
    }
}

impl From<String> for Pem {
    /// A file path.
    fn from(path: String) -> Self {
        Pem::file(path)
    }
}

impl fmt::Debug for Pem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            PemSource::File(path) => f.debug_tuple("Pem").field(path).finish(),
            PemSource::Bytes(bytes) => write!(f, "Pem(<{} bytes>)", bytes.len()),
        }
    }
}

/// A network setting that cannot be used: a proxy URL, a CA bundle, a
/// client certificate or its key. Found when the client is built; nothing
/// was sent.
#[derive(Debug)]
pub struct NetworkSettingError {
    /// The setting: `the CA bundle /etc/ca.pem`, `the client key
    /// /etc/client.key`, `HTTPS_PROXY`, `the proxy URL`, ...
    pub setting: String,
    /// What is wrong with it (never a secret).
    pub reason: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl NetworkSettingError {
    fn new(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        NetworkSettingError {
            setting: setting.into(),
            reason: reason.into(),
            source: None,
        }
    }

    #[cfg(any(feature = "rustls", feature = "rustls-aws-lc"))]
    fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }
}

impl fmt::Display for NetworkSettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.setting, self.reason)
    }
}

impl std::error::Error for NetworkSettingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// Whether and which proxy to use.
#[derive(Clone, Default)]
pub(crate) enum ProxyOption {
    /// The `*_PROXY` variables.
    #[default]
    Environment,
    /// This URL, for every scheme.
    Url(hwcloud_auth::Secret),
    /// None, whatever the variables say.
    Off,
}

impl fmt::Debug for ProxyOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyOption::Environment => f.write_str("Environment"),
            ProxyOption::Off => f.write_str("Off"),
            ProxyOption::Url(url) => {
                let shown = ProxyUrl::parse(url.expose(), "the proxy URL")
                    .map_or_else(|_| "<invalid>".to_owned(), |proxy| proxy.shown);
                f.debug_tuple("Url").field(&shown).finish()
            }
        }
    }
}

/// The network settings as the builder collects them.
#[derive(Clone, Debug, Default)]
pub(crate) struct NetworkOptions {
    pub(crate) proxy: ProxyOption,
    pub(crate) ca_bundles: Vec<Pem>,
    pub(crate) client_identity: Option<(Pem, Pem)>,
    pub(crate) accept_invalid_certs: bool,
    /// Host names resolved without DNS.
    pub(crate) resolve: Vec<(String, SocketAddr)>,
}

impl NetworkOptions {
    /// Checks every setting and reads every file: an error names the
    /// setting or file and says what is wrong.
    pub(crate) fn load(&self, env: &Environment) -> Result<Network, NetworkSettingError> {
        let proxies = match &self.proxy {
            ProxyOption::Off => Proxies::default(),
            ProxyOption::Url(url) => {
                let proxy = Arc::new(ProxyUrl::parse(url.expose(), "the proxy URL")?);
                Proxies {
                    http: Some(proxy.clone()),
                    https: Some(proxy),
                    no_proxy: first_var(env, &["NO_PROXY", "no_proxy"]).map(|(_, v)| v),
                }
            }
            ProxyOption::Environment => Proxies::from_environment(env)?,
        };
        #[cfg(not(any(feature = "rustls", feature = "rustls-aws-lc")))]
        self.refuse_tls()?;
        Ok(Network {
            proxies,
            resolve: self.resolve.clone(),
            #[cfg(any(feature = "rustls", feature = "rustls-aws-lc"))]
            tls: tls::Tls::load(self)?,
        })
    }

    /// Without a TLS feature there is no HTTPS, so no TLS setting to apply.
    #[cfg(not(any(feature = "rustls", feature = "rustls-aws-lc")))]
    fn refuse_tls(&self) -> Result<(), NetworkSettingError> {
        let setting = if let Some(bundle) = self.ca_bundles.first() {
            format!("the CA bundle {}", bundle.origin())
        } else if let Some((cert, _)) = &self.client_identity {
            format!("the client certificate {}", cert.origin())
        } else if self.accept_invalid_certs {
            "danger_accept_invalid_certs".to_owned()
        } else {
            return Ok(());
        };
        Err(NetworkSettingError::new(
            setting,
            "needs HTTPS: build mrs-iam-sync with its `rustls` (default) or `rustls-aws-lc` feature",
        ))
    }
}

/// A proxy, with its credentials kept out of sight.
struct ProxyUrl {
    /// The URL as reqwest takes it, credentials included.
    url: Url,
    /// `http://user:***@host:port`.
    shown: String,
}

impl ProxyUrl {
    /// Parses a proxy URL: `http://` when it has no scheme (as curl), `http`
    /// or `https` only, a host required; `user:password@` kept for reqwest
    /// (which percent-decodes them) and hidden from `shown`.
    fn parse(text: &str, setting: &str) -> Result<Self, NetworkSettingError> {
        let text = text.trim();
        let invalid = |reason: &str| NetworkSettingError::new(setting, reason);
        let with_scheme = if text.contains("://") {
            text.to_owned()
        } else {
            format!("http://{text}")
        };
        let url =
            Url::parse(&with_scheme).map_err(|err| invalid(&format!("is not a URL ({err})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(&format!(
                "has the scheme {:?}: only http:// and https:// proxies are supported",
                url.scheme()
            )));
        }
        let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
            return Err(invalid("has no host"));
        };
        let mut shown = format!("{}://", url.scheme());
        if !url.username().is_empty() || url.password().is_some() {
            // The user, decoded; the password never.
            let user = percent_encoding::percent_decode_str(url.username()).decode_utf8_lossy();
            shown.push_str(&user);
            shown.push_str(":***@");
        }
        shown.push_str(host);
        if let Some(port) = url.port() {
            shown.push_str(&format!(":{port}"));
        }
        Ok(ProxyUrl { url, shown })
    }
}

/// The proxies in force, per destination scheme.
#[derive(Default)]
struct Proxies {
    http: Option<Arc<ProxyUrl>>,
    https: Option<Arc<ProxyUrl>>,
    no_proxy: Option<String>,
}

impl Proxies {
    /// The variables as curl (and reqwest, through hyper-util) read them:
    /// `HTTP_PROXY` or else `ALL_PROXY` for http, `HTTPS_PROXY` or else
    /// `ALL_PROXY` for https, upper case before lower case, none at all in
    /// a CGI script (`REQUEST_METHOD` set: "httpoxy").
    fn from_environment(env: &Environment) -> Result<Self, NetworkSettingError> {
        if env.var("REQUEST_METHOD").is_some() {
            return Ok(Proxies::default());
        }
        let parse = |names: &[&str]| -> Result<Option<Arc<ProxyUrl>>, NetworkSettingError> {
            match first_var(env, names) {
                Some((name, value)) => Ok(Some(Arc::new(ProxyUrl::parse(&value, name)?))),
                None => Ok(None),
            }
        };
        let all = parse(&["ALL_PROXY", "all_proxy"])?;
        Ok(Proxies {
            http: parse(&["HTTP_PROXY", "http_proxy"])?.or_else(|| all.clone()),
            https: parse(&["HTTPS_PROXY", "https_proxy"])?.or(all),
            no_proxy: first_var(env, &["NO_PROXY", "no_proxy"]).map(|(_, v)| v),
        })
    }
}

/// The first of `names` that is set and not blank, with its value.
fn first_var<'a>(env: &Environment, names: &[&'a str]) -> Option<(&'a str, String)> {
    names.iter().find_map(|name| {
        env.var(name)
            .filter(|value| !value.trim().is_empty())
            .map(|value| (*name, value))
    })
}

/// The loaded network settings, from which every HTTP client is made.
pub(crate) struct Network {
    proxies: Proxies,
    resolve: Vec<(String, SocketAddr)>,
    #[cfg(any(feature = "rustls", feature = "rustls-aws-lc"))]
    tls: tls::Tls,
}

impl Network {
    /// A `reqwest::ClientBuilder` with these settings: the proxies and host
    /// overrides unless `direct`, and the TLS settings.
    pub(crate) fn client_builder(&self, direct: bool) -> reqwest::ClientBuilder {
        // reqwest would read the process's variables by itself: they are
        // applied here instead, from the client's Environment.
        let mut builder = reqwest::Client::builder().no_proxy();
        if !direct {
            for (host, addr) in &self.resolve {
                builder = builder.resolve(host, *addr);
            }
            let no_proxy = || {
                self.proxies
                    .no_proxy
                    .as_deref()
                    .and_then(reqwest::NoProxy::from_string)
            };
            // Parsed already: reqwest accepts them.
            if let Some(proxy) = &self.proxies.http
                && let Ok(proxy) = reqwest::Proxy::http(proxy.url.as_str())
            {
                builder = builder.proxy(proxy.no_proxy(no_proxy()));
            }
            if let Some(proxy) = &self.proxies.https
                && let Ok(proxy) = reqwest::Proxy::https(proxy.url.as_str())
            {
                builder = builder.proxy(proxy.no_proxy(no_proxy()));
            }
        }
        #[cfg(any(feature = "rustls", feature = "rustls-aws-lc"))]
        {
            builder = self.tls.apply(builder);
        }
        builder
    }

    /// The proxies as errors show them.
    pub(crate) fn names(&self) -> ProxyNames {
        let shown = |proxy: &Option<Arc<ProxyUrl>>| proxy.as_ref().map(|p| p.shown.clone());
        ProxyNames {
            http: shown(&self.proxies.http),
            https: shown(&self.proxies.https),
        }
    }
}

/// The configured proxies as errors show them (`http://user:***@host:port`).
#[derive(Clone, Debug, Default)]
pub(crate) struct ProxyNames {
    http: Option<String>,
    https: Option<String>,
}

impl ProxyNames {
    /// The proxy configured for `url`'s scheme.
    pub(crate) fn for_url(&self, url: &Url) -> Option<String> {
        match url.scheme() {
            "https" => self.https.clone(),
            _ => self.http.clone(),
        }
    }
}

impl fmt::Debug for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Network");
        out.field("proxies", &self.names())
            .field("no_proxy", &self.proxies.no_proxy);
        #[cfg(any(feature = "rustls", feature = "rustls-aws-lc"))]
        out.field("tls", &self.tls);
        out.finish()
    }
}

#[cfg(any(feature = "rustls", feature = "rustls-aws-lc"))]
mod tls {
    //! The TLS settings, checked by building a throwaway reqwest client with
    //! each alone (no platform roots loaded): reqwest and rustls are the
    //! judges of what they accept, and the error can name the file.

    use std::fmt;

    use super::{NetworkOptions, NetworkSettingError, Pem};

    pub(super) struct Tls {
        roots: Vec<reqwest::Certificate>,
        identity: Option<reqwest::Identity>,
        accept_invalid_certs: bool,
    }

    impl fmt::Debug for Tls {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Tls")
                .field("extra_roots", &self.roots.len())
                .field("client_certificate", &self.identity.is_some())
                .field("accept_invalid_certs", &self.accept_invalid_certs)
                .finish()
        }
    }

    impl Tls {
        pub(super) fn load(options: &NetworkOptions) -> Result<Self, NetworkSettingError> {
            #[cfg(feature = "rustls")]
            crate::tls::install_crypto_provider();
            let mut roots = Vec::new();
            for bundle in &options.ca_bundles {
                roots.extend(load_bundle(bundle)?);
            }
            let identity = match &options.client_identity {
                Some((cert, key)) => Some(load_identity(cert, key)?),
                None => None,
            };
            Ok(Tls {
                roots,
                identity,
                accept_invalid_certs: options.accept_invalid_certs,
            })
        }

        pub(super) fn apply(&self, mut builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
            if !self.roots.is_empty() {
                // Added to the platform's roots, not instead of them.
                builder = builder.tls_certs_merge(self.roots.iter().cloned());
            }
            if let Some(identity) = &self.identity {
                builder = builder.identity(identity.clone());
            }
            if self.accept_invalid_certs {
                builder = builder.tls_danger_accept_invalid_certs(true);
            }
            builder
        }
    }

    /// The innermost cause of a reqwest error: what rustls or the PEM
    /// parser said.
    fn innermost(err: &reqwest::Error) -> String {
        let mut cause: &dyn std::error::Error = err;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        cause.to_string()
    }

    fn load_bundle(bundle: &Pem) -> Result<Vec<reqwest::Certificate>, NetworkSettingError> {
        const WHAT: &str = "the CA bundle";
        let bytes = bundle.read(WHAT)?;
        let setting = || format!("{WHAT} {}", bundle.origin());
        let certs = reqwest::Certificate::from_pem_bundle(&bytes).map_err(|err| {
            NetworkSettingError::new(setting(), format!("is not PEM: {}", innermost(&err)))
        })?;
        if certs.is_empty() {
            return Err(NetworkSettingError::new(
                setting(),
                "holds no certificate (no -----BEGIN CERTIFICATE----- block)",
            ));
        }
        reqwest::Client::builder()
            .tls_certs_only(certs.iter().cloned())
            .build()
            .map_err(|err| {
                NetworkSettingError::new(
                    setting(),
                    format!(
                        "holds a certificate that cannot be used: {}",
                        innermost(&err)
                    ),
                )
            })?;
        Ok(certs)
    }

    fn load_identity(cert: &Pem, key: &Pem) -> Result<reqwest::Identity, NetworkSettingError> {
        const CERT: &str = "the client certificate";
        const KEY: &str = "the client key";
        let cert_bytes = cert.read(CERT)?;
        let key_bytes = key.read(KEY)?;
        let cert_setting = || format!("{CERT} {}", cert.origin());
        let key_setting = || format!("{KEY} {}", key.origin());
        match reqwest::Certificate::from_pem_bundle(&cert_bytes) {
            Ok(certs) if !certs.is_empty() => {}
            Ok(_) => {
                return Err(NetworkSettingError::new(
                    cert_setting(),
                    "holds no certificate (no -----BEGIN CERTIFICATE----- block)",
                ));
            }
            Err(err) => {
                return Err(NetworkSettingError::new(
                    cert_setting(),
                    format!("is not PEM: {}", innermost(&err)),
                ));
            }
        }
        // reqwest takes the certificate chain and the key as one PEM text.
        let mut both = Vec::with_capacity(cert_bytes.len() + key_bytes.len() + 1);
        both.extend_from_slice(&cert_bytes);
        both.push(b'\n');
        both.extend_from_slice(&key_bytes);
        let identity = reqwest::Identity::from_pem(&both).map_err(|_| {
            NetworkSettingError::new(
                key_setting(),
                "holds no private key (a PEM block of a PKCS #8, RSA or EC key)",
            )
        })?;
        both.fill(0);
        reqwest::Client::builder()
            .tls_certs_only([])
            .identity(identity.clone())
            .build()
            .map_err(|err| {
                NetworkSettingError::new(
                    key_setting(),
                    format!(
                        "cannot be used with {}: {}",
                        cert_setting(),
                        innermost(&err)
                    ),
                )
            })?;
        Ok(identity)
    }
}
