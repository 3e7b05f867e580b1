//! The hand-written runtime behind every generated operation: progenitor
//! calls it through [`ClientHooks`] before and around each request.

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use crate::Client;

/// Per-client runtime state handed to the generated [`Client`].
#[derive(Clone, Debug, Default)]
pub struct Runtime {}

/// What the official SDK sends for a JSON request body.
const JSON_BODY_CONTENT_TYPE: &str = "application/json;charset=utf-8";

impl ClientHooks<Runtime> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        shape_like_official_sdk(request);
        Ok(())
    }
}

/// Makes a generated request look like one from the official SDK: the
/// `api-version` header progenitor adds means nothing to MRS, and the SDK
/// states the content type on every request.
fn shape_like_official_sdk(request: &mut reqwest::Request) {
    let has_body = request.body().is_some();
    let headers = request.headers_mut();
    headers.remove("api-version");
    let content_type = if has_body {
        JSON_BODY_CONTENT_TYPE
    } else {
        "application/json"
    };
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
}
