//! A request's URL. `cargo xtask generate` rewrites progenitor's
//! `format!("{}/v2/{}/..", client.baseurl, encode_path(&value.to_string()), ..)`
//! (`xtask/src/codegen/send_path.rs`): each operation writes its path with
//! [`PushSegment::push_segment`] (no string per parameter) and puts it on
//! the base URL parsed when the client was built with [`request_url`] (the
//! base's scheme and host are not parsed again on every call).

use std::fmt::{self, Display, Write as _};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use reqwest::Url;

/// The URL of a request to `path` (its segments encoded already) on the
/// generated client's base URL `base`. `known` is the client builder's base,
/// parsed once: when it is `base`, as it is for every client the builder
/// made, only the path is parsed. A client made with
/// `Client::new(other_base, runtime)` gets `base` and `path` parsed together,
/// as progenitor did.
pub(crate) fn request_url(base: &str, known: &Url, path: &str) -> Result<Url, String> {
    if known.as_str().trim_end_matches('/') == base {
        return Ok(join(known, path));
    }
    let text = format!("{base}{path}");
    Url::parse(&text).map_err(|err| format!("the request URL {text:?} is not valid: {err}"))
}

/// `path` under `base`'s path prefix (a base of `https://host/prefix/` gives
/// `https://host/prefix{path}`), on its scheme, host and port, without its
/// query.
pub(crate) fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    if prefix.is_empty() {
        url.set_path(path);
    } else {
        url.set_path(&format!("{prefix}{path}"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        url.set_query(None);
        url.set_fragment(None);
    }
    url
}

/// What progenitor-client 0.15's `encode_path` escapes in a path segment, so
/// that the URL is the same byte for byte (a test compares the two).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// A path parameter's value, appended to a URL as one percent-encoded
/// segment. Called as a method (`value.push_segment(&mut url)`), it reaches
/// the same `Display` as progenitor's `value.to_string()` did, through
/// `Deref` for the id newtypes.
pub(crate) trait PushSegment {
    /// Appends this value's text to `url`, percent-encoded.
    fn push_segment(&self, url: &mut String);
}

impl<T: Display + ?Sized> PushSegment for T {
    fn push_segment(&self, url: &mut String) {
        // Writing into a `String` cannot fail, and the parameter types'
        // `Display` only writes their text: there is no error to report.
        let _ = write!(SegmentWriter(url), "{self}");
    }
}

/// A `fmt::Write` that percent-encodes what it is given into the URL.
struct SegmentWriter<'a>(&'a mut String);

impl fmt::Write for SegmentWriter<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0.extend(utf8_percent_encode(text, SEGMENT));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_url_is_the_one_progenitors_format_made() {
        let path = "/v2/p1/clusters/c%2F1/iam-sync";
        for base in [
            "http://127.0.0.1:8080",
            "https://mrs.cn-north-4.myhuaweicloud.com",
            "https://proxy.example/mrs/prefix",
        ] {
            let known = Url::parse(base).unwrap();
            let expected = Url::parse(&format!("{base}{path}")).unwrap();
            assert_eq!(request_url(base, &known, path).unwrap(), expected);
            // A trailing slash on the builder's base changes nothing.
            let known = Url::parse(&format!("{base}/")).unwrap();
            assert_eq!(request_url(base, &known, path).unwrap(), expected);
        }
        // `Client::new` with another base: that base, parsed with the path.
        let known = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            request_url("http://10.0.0.1:9", &known, path)
                .unwrap()
                .as_str(),
            "http://10.0.0.1:9/v2/p1/clusters/c%2F1/iam-sync"
        );
        let err = request_url("not a url", &known, path).unwrap_err();
        assert!(err.starts_with("the request URL \"not a url/v2/"), "{err}");
    }

    #[test]
    fn join_drops_the_bases_query_and_keeps_its_prefix() {
        let base = Url::parse("https://host:8443/prefix/?x=1#f").unwrap();
        assert_eq!(
            join(&base, "/v2/a").as_str(),
            "https://host:8443/prefix/v2/a"
        );
    }

    fn pushed(value: &str) -> String {
        let mut url = String::from("http://host/v2/");
        value.push_segment(&mut url);
        url
    }

    #[test]
    fn a_segment_is_encoded_as_progenitor_encodes_it() {
        let mut values: Vec<String> = (0u32..=0x7f)
            .filter_map(char::from_u32)
            .map(String::from)
            .collect();
        values.extend(
            [
                "",
                "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                "6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a",
                "a b/c?d#e%20f",
                "é中\u{1F600}\u{0}\u{7f}\u{80}\u{ff}",
                "{id}",
            ]
            .map(String::from),
        );
        for value in values {
            assert_eq!(
                pushed(&value),
                format!("http://host/v2/{}", progenitor_client::encode_path(&value)),
                "{value:?}"
            );
        }
    }

    #[test]
    fn an_id_type_is_written_through_its_display() {
        let cluster = crate::types::ClusterId::try_from("cid_1-X").unwrap();
        let mut url = String::from("/clusters/");
        cluster.push_segment(&mut url);
        assert_eq!(url, "/clusters/cid_1-X");
    }
}
