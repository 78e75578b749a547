//! A JSON body extractor whose errors name the field at fault and keep the
//! status of a body-size refusal (413).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, WebError};

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !is_json {
            return Err(ApiError(WebError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with 'Content-Type: application/json'",
            )));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                let status = rejection.status();
                let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "the request body is larger than this server accepts".to_string()
                } else {
                    rejection.body_text()
                };
                ApiError(WebError::new(
                    status,
                    if status == StatusCode::PAYLOAD_TOO_LARGE {
                        "too_large"
                    } else {
                        "bad_request"
                    },
                    detail,
                ))
            })?;
        let mut json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|error| {
            ApiError(WebError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the JSON body is not valid: {error}"),
            ))
        })?;
        if !json.is_object() {
            // serde would read a struct from an array too ([null, null]); every
            // body of this API is an object.
            return Err(ApiError(WebError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                "the JSON body must be an object, such as {\"text\": \"...\"}",
            )));
        }
        whole_numbers_as_integers(&mut json);
        let value = serde_path_to_error::deserialize(json).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.inner();
            let detail = if path == "." || path.is_empty() {
                format!("the JSON body is not valid: {inner}")
            } else {
                format!("the field '{path}' is not valid: {inner}")
            };
            ApiError(WebError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                detail,
            ))
        })?;
        Ok(ApiJson(value))
    }
}

/// JSON has one number type: `3.0` is the integer 3 to JSON Schema and to most
/// clients, but not to serde's integer fields. Whole numbers written with a
/// fraction are read as the integers they are; real fractions stay as they are.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(number) if !number.is_i64() && !number.is_u64() => {
            if let Some(float) = number.as_f64() {
                // i64::MAX as f64 rounds up to 2^63, which does not fit: stay below it.
                // Likewise -2^63 as a float may have been a smaller number rounded up.
                if float.fract() == 0.0 && float > i64::MIN as f64 && float < i64::MAX as f64 {
                    *number = serde_json::Number::from(float as i64);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        serde_json::Value::Object(fields) => {
            fields.values_mut().for_each(whole_numbers_as_integers)
        }
        _ => {}
    }
}

/// axum's own rejections (a path id that is not a number, a query string that
/// does not parse, a method the route does not take) answer in plain text. The
/// API answers every error as `{"error", "detail"}` JSON, so those are re-written
/// here, in one place, keeping their status and headers (`Allow`, `Retry-After`).
pub async fn json_errors(response: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    rewrite_error_body(
        response,
        |content_type| content_type.is_some_and(|v| v.starts_with("application/json")),
        |status, detail| {
            let code = match status {
                StatusCode::BAD_REQUEST => "bad_request",
                StatusCode::NOT_FOUND => "not_found",
                StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
                StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                StatusCode::UNPROCESSABLE_ENTITY => "invalid",
                _ => "error",
            };
            ApiError(WebError::new(status, code, detail)).into_response()
        },
    )
    .await
}

/// The one re-writing of an error response's body, for each API's own format
/// (this JSON API's, the Mastodon client API's). Responses that succeeded, or
/// whose content type `keep` accepts, pass untouched; otherwise `render` builds
/// the answer from the status and a safe message (a server error's own text is
/// never shown), and the original headers (`Allow`, `Retry-After`) are kept.
pub async fn rewrite_error_body(
    response: axum::response::Response,
    keep: impl Fn(Option<&str>) -> bool,
    render: impl FnOnce(StatusCode, String) -> axum::response::Response,
) -> axum::response::Response {
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if !(status.is_client_error() || status.is_server_error()) || keep(content_type) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_string();
    let detail = if text.is_empty() || status.is_server_error() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let mut rewritten = render(status, detail);
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}
