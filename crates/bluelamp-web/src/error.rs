//! Errors as the outside sees them: JSON `{"error", "detail"}` for the API, a
//! proper HTML page for browsers. The message shown is always safe; the cause of
//! an internal error goes to the log only.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bluelamp_services::ServiceError;

use crate::layout;

/// An error with the status it answers and a safe message.
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// The form field the error is about, when it is about one: the staff pages
    /// show the message beside that field.
    pub field: Option<&'static str>,
}

/// What an error page said, kept on the response so the staff layer can show the
/// same message inside the staff navigation, beside the field it concerns.
#[derive(Debug, Clone)]
pub struct ShownError {
    pub title: &'static str,
    pub detail: String,
    pub field: Option<&'static str>,
}

/// The header naming the field an error is about (read by `forms.js`).
pub const FIELD_HEADER: &str = "x-bluelamp-field";

impl WebError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        WebError {
            status,
            code,
            detail: detail.into(),
            field: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        WebError::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    pub fn not_found(what: &str) -> Self {
        WebError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }
}

impl From<ServiceError> for WebError {
    fn from(error: ServiceError) -> Self {
        let (status, code) = match &error {
            ServiceError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
            ServiceError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ServiceError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ServiceError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ServiceError::TooManyAttempts(_) => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
            }
            ServiceError::Internal(cause) => {
                tracing::error!(error.cause = %cause, "internal error: {cause}");
                return WebError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Something went wrong on our side. It has been logged; please try again.",
                );
            }
        };
        let field = match &error {
            ServiceError::Invalid(invalid) => Some(invalid.field),
            _ => None,
        };
        let mut web = WebError::new(status, code, error.to_string());
        web.field = field;
        web
    }
}

/// An error answered as JSON (the API).
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.0.code, "detail": self.0.detail});
        (self.0.status, axum::Json(body)).into_response()
    }
}

/// An error answered as an HTML page (browsers).
#[derive(Debug)]
pub struct PageError(pub WebError);

impl<E: Into<WebError>> From<E> for PageError {
    fn from(error: E) -> Self {
        PageError(error.into())
    }
}

impl PageError {
    fn title(&self) -> &'static str {
        match self.0.status {
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::UNAUTHORIZED => "Please log in",
            StatusCode::CONFLICT => "That clashes with something already there",
            StatusCode::PAYLOAD_TOO_LARGE => "Too large",
            status if status.is_server_error() => "Something went wrong",
            _ => "That did not work",
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self.title();
        let page = layout::error_page(self.0.status.as_u16(), title, &self.0.detail, self.0.field);
        let mut response = (self.0.status, page).into_response();
        if let Some(field) = self.0.field {
            response
                .headers_mut()
                .insert(FIELD_HEADER, axum::http::HeaderValue::from_static(field));
        }
        response.extensions_mut().insert(ShownError {
            title,
            detail: self.0.detail,
            field: self.0.field,
        });
        response
    }
}
