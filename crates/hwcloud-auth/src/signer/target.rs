//! What of a request's URI a signature covers, taken from the URI type the caller
//! already holds: signing never parses or copies a URI.

use http::Uri;

/// The parts of a request's URI that a signature covers: the authority (signed as `Host`
/// when the request has no `Host` header), the path and the query.
///
/// Made from an [`http::Uri`], or (with the `reqwest` feature) from the `reqwest::Url`
/// of a `reqwest::Request`; both give the same parts for the same URI. Every signing
/// function takes either: `sign(&method, &uri, ...)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestTarget<'a> {
    /// `host[:port]`, without user info; `None` when the URI has no host.
    pub(crate) authority: Option<&'a str>,
    /// The path as sent, still percent-encoded.
    pub(crate) path: &'a str,
    /// The query as sent, without `?`.
    pub(crate) query: Option<&'a str>,
}

impl<'a> RequestTarget<'a> {
    fn new(authority: Option<&'a str>, path: &'a str, query: Option<&'a str>) -> Self {
        // User info never reaches `Host`.
        let authority = authority
            .map(|authority| authority.rsplit('@').next().unwrap_or(authority))
            .filter(|host| !host.is_empty());
        RequestTarget {
            authority,
            path,
            query,
        }
    }
}

impl<'a> RequestTarget<'a> {
    /// `host[:port]` without user info, as the signer writes it into `Host` when the
    /// request has none; `None` when the URI has no host. A caller that sends many
    /// requests to one host can make that header once and add it before signing: the
    /// signature is the same.
    pub fn authority(&self) -> Option<&'a str> {
        self.authority
    }
}

impl<'a> From<&'a Uri> for RequestTarget<'a> {
    fn from(uri: &'a Uri) -> Self {
        RequestTarget::new(
            uri.authority().map(|authority| authority.as_str()),
            uri.path(),
            uri.query(),
        )
    }
}

#[cfg(feature = "reqwest")]
impl<'a> From<&'a reqwest::Url> for RequestTarget<'a> {
    fn from(url: &'a reqwest::Url) -> Self {
        use url::Position;
        RequestTarget::new(
            url.has_host()
                .then(|| &url[Position::BeforeHost..Position::AfterPort]),
            url.path(),
            url.query(),
        )
    }
}

#[cfg(all(test, feature = "reqwest"))]
mod tests {
    use super::*;

    #[test]
    fn a_url_and_the_uri_of_its_text_give_the_same_parts() {
        for text in [
            "https://mrs.cn-north-4.myhuaweicloud.com/v2/p/clusters/c/iam-sync",
            "http://127.0.0.1:8080/v2/p/clusters/c/iam-sync?b=2&a=1",
            "https://user:pw@example.com:8443/a%20b/?q=%2F",
            "http://[::1]:9000/",
            "https://EXAMPLE.com:443",
            "http://example.com/%E4%BD%A0?",
        ] {
            let url = reqwest::Url::parse(text).unwrap();
            let uri: Uri = url.as_str().parse().unwrap();
            assert_eq!(
                RequestTarget::from(&url),
                RequestTarget::from(&uri),
                "{text}"
            );
        }
        let url = reqwest::Url::parse("https://user:pw@example.com:8443/x").unwrap();
        assert_eq!(
            RequestTarget::from(&url).authority,
            Some("example.com:8443")
        );
    }
}
