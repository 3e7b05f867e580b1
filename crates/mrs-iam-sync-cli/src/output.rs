//! What goes to stdout: text tables for people, one JSON object per line
//! for scripts; and the one-line error format of stderr.

use std::fmt::Display;
use std::io::Write as _;

use mrs_iam_sync::{Error, OneLine};
use serde::Serialize;

/// Stdout, a line at a time: each line is put together in a buffer that is
/// kept for the next one, and written with one call (held for the next frame
/// while a progress bar shares the terminal: see [`crate::progress`]). A
/// closed pipe (`| head`) is not an error worth a panic: the line is
/// dropped.
#[derive(Default)]
pub struct Lines {
    buffer: Vec<u8>,
}

impl Lines {
    /// Writes `text` and a line break.
    pub fn text(&mut self, text: impl Display) {
        self.buffer.clear();
        let _ = writeln!(self.buffer, "{text}");
        self.write();
    }

    /// Writes `value` as one line of JSON.
    pub fn json(&mut self, value: &impl Serialize) {
        self.buffer.clear();
        if let Err(err) = serde_json::to_writer(&mut self.buffer, value) {
            // Plain data always serializes; say so rather than print nothing.
            self.buffer.clear();
            let _ = write!(
                self.buffer,
                "{{\"error\":\"cannot encode the output: {err}\"}}"
            );
        }
        self.buffer.push(b'\n');
        self.write();
    }

    fn write(&self) {
        crate::progress::write_stdout(&self.buffer);
    }
}

/// Writes one line to stdout (see [`Lines`]).
pub fn line(text: impl Display) {
    Lines::default().text(text);
}

/// Writes `value` as one line of JSON to stdout (see [`Lines`]).
pub fn json(value: &impl Serialize) {
    Lines::default().json(value);
}

/// An error in one line: `<status> <code>: <message> (request id <id>)` when
/// the service answered, the error and its causes otherwise.
pub fn error_line(err: &Error) -> String {
    let text = match (err.status(), err.code()) {
        (Some(status), Some(code)) => {
            let mut text = format!("{} {code}", status.as_u16());
            let message = err.message().unwrap_or_default();
            if !message.is_empty() {
                text.push_str(": ");
                text.push_str(message);
            }
            if let Some(id) = err.request_id() {
                text.push_str(&format!(" (request id {id})"));
            }
            text
        }
        // The error and its causes (`report` is one line already).
        _ => return err.report().to_string(),
    };
    OneLine::new(&text).to_string()
}

/// An error as JSON, with stable field names.
#[derive(Debug, Serialize)]
pub struct ErrorJson {
    /// The HTTP status, when the service answered.
    pub status: Option<u16>,
    /// The service's error code (`12000003`, `APIGW.0301`, ...).
    pub code: Option<String>,
    /// What went wrong.
    pub message: String,
    /// The request id, for support.
    pub request_id: Option<String>,
}

impl From<&Error> for ErrorJson {
    fn from(err: &Error) -> Self {
        let message = err
            .message()
            .map_or_else(|| err.report().to_string(), str::to_owned);
        ErrorJson {
            status: err.status().map(|status| status.as_u16()),
            code: err.code().map(str::to_owned),
            message,
            request_id: err.request_id().map(str::to_owned),
        }
    }
}

/// Rows in aligned columns, two spaces apart; the last column is not padded.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let header = header.map(str::to_owned);
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < N {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            } else {
                line.push_str(cell);
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text.pop();
    text
}

/// `yes` or `no`.
pub fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let rows = [
            ["user".to_owned(), "alice".to_owned()],
            ["group".to_owned(), "g".to_owned()],
        ];
        assert_eq!(
            table(["KIND", "NAME"], &rows),
            "KIND   NAME\nuser   alice\ngroup  g"
        );
    }

    #[test]
    fn client_side_errors_keep_their_description() {
        let err = Error::from("a/b".parse::<mrs_iam_sync::types::ClusterId>().unwrap_err());
        assert!(error_line(&err).starts_with("invalid cluster_id: "));
        let json = ErrorJson::from(&err);
        assert_eq!(
            (json.status, json.code, json.request_id),
            (None, None, None)
        );
    }
}
