//! Entry points for the fuzz targets in `fuzz/`, compiled only under
//! cargo-fuzz's `cfg(fuzzing)` (no cargo feature: a dependant cannot turn
//! them on by accident). Not part of the API: hidden and unstable.

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};

use crate::{Error, OperationError, ResponseValue, types};

/// What the runtime does with an error answer (status 400-599): normalises
/// the body (see `body::normalize_error_body`), lets the generated code
/// decode it as the spec's `ErrorResponse`, and converts the operation
/// error into [`Error`].
///
/// Returns `Err` with the normalised body when it does not decode: the
/// runtime relies on every normalised body decoding.
pub fn error_answer(
    status: StatusCode,
    raw: &[u8],
    request_id: Option<&str>,
) -> Result<Error, Vec<u8>> {
    // As the runtime reads it: only a header value that is valid text.
    let header = request_id.and_then(|id| HeaderValue::from_str(id).ok());
    let mut headers = HeaderMap::new();
    if let Some(value) = &header {
        headers.insert("x-request-id", value.clone());
    }
    let header_id = crate::error::request_id_header(&headers);
    let normalized = crate::body::normalize_error_body(status.as_u16(), raw, header_id.as_deref());
    let body: types::ErrorResponse = match serde_json::from_slice(&normalized) {
        Ok(body) => body,
        Err(_) => return Err(normalized),
    };
    let err: OperationError =
        progenitor_client::Error::ErrorResponse(ResponseValue::new(body, status, headers));
    Ok(Error::from(err))
}

/// A success answer whose body did not decode, converted as the generated
/// code's error is.
pub fn undecodable_answer(raw: &[u8], source: serde_json::Error) -> Error {
    let err: OperationError =
        progenitor_client::Error::InvalidResponsePayload(Bytes::copy_from_slice(raw), source);
    Error::from(err)
}
