//! Path parameters written into a request's URL. The generated operations
//! call [`PushSegment::push_segment`] for each one: `cargo xtask generate` rewrites
//! progenitor's `format!` of `encode_path(&value.to_string())` into it
//! (`xtask/src/codegen/send_path.rs`), which saves the two strings each
//! parameter cost on every call.

use std::fmt::{self, Display, Write as _};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

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
