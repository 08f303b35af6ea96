//! What the two services and the client share about HTTP: the JSON error
//! answer, the declared body length, reading a bounded error body, and the
//! reason a call failed.

use crate::api::ErrorBody;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error answer: `{"error": message}` with `status`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = ErrorBody {
        error: message.into(),
    };
    (status, axum::Json(body)).into_response()
}

/// The declared body length, if any.
pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// At most `max` bytes of a response's body, as text.
pub(crate) async fn text_at_most(mut response: reqwest::Response, max: usize) -> String {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = max.saturating_sub(bytes.len());
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if bytes.len() >= max {
            break;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Why a call failed, plainly: the deepest cause (`Connection refused (os
/// error 111)`), which is the one that says what happened; the layers above
/// it (`error sending request for url (...)`, `client error (Connect)`,
/// `tcp connect error`) only say where, and the caller's own message says
/// that once.
pub(crate) fn reason(e: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = e;
    while let Some(cause) = deepest.source() {
        deepest = cause;
    }
    deepest.to_string()
}
