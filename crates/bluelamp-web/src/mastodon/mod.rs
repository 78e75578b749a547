//! The Mastodon-compatible client API: enough of it for mainstream apps and
//! libraries (toot, Mastodon.py, Tusky...) to log in, post, read and delete, so
//! officers post from the apps already on their phones. Handlers read the
//! request as Mastodon's clients send it (form or JSON, `media_ids[]`), call one
//! use case in `bluelamp_services::client_apps`, and answer in Mastodon's shapes
//! and error format (`{"error": "..."}`).
//!
//! Every path answers with and without a trailing slash (clients send both).

pub mod entities;
pub mod instance;
pub mod oauth;
pub mod reading;
pub mod statuses;
pub mod streaming;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use bluelamp_services::client_apps::oauth::covers;
use bluelamp_services::{ServiceError, Staff};
use serde_json::{json, Map, Value};

use crate::auth::client_ip;
use crate::AppState;

/// An error as Mastodon answers it: a status and `{"error": "..."}`.
#[derive(Debug)]
pub struct ClientError {
    pub status: StatusCode,
    pub error: String,
}

impl ClientError {
    pub fn new(status: StatusCode, error: impl Into<String>) -> ClientError {
        ClientError {
            status,
            error: error.into(),
        }
    }

    pub fn not_found() -> ClientError {
        ClientError::new(StatusCode::NOT_FOUND, "Record not found")
    }

    pub fn unprocessable(error: impl Into<String>) -> ClientError {
        ClientError::new(StatusCode::UNPROCESSABLE_ENTITY, error)
    }
}

impl From<ServiceError> for ClientError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(invalid) => {
                ClientError::unprocessable(format!("Validation failed: {}", invalid.message))
            }
            ServiceError::Unauthenticated(_) => {
                ClientError::new(StatusCode::UNAUTHORIZED, "The access token is invalid")
            }
            ServiceError::Forbidden(message) => ClientError::new(StatusCode::FORBIDDEN, message),
            ServiceError::NotFound(_) => ClientError::not_found(),
            ServiceError::Conflict(message) => ClientError::unprocessable(message),
            ServiceError::TooManyAttempts(message) => {
                ClientError::new(StatusCode::TOO_MANY_REQUESTS, message)
            }
            ServiceError::Internal(cause) => {
                tracing::error!(error.cause = %cause, "internal error: {cause}");
                ClientError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. It has been logged; please try again.",
                )
            }
        }
    }
}

impl From<bluelamp_store::StoreError> for ClientError {
    fn from(error: bluelamp_store::StoreError) -> Self {
        ServiceError::from(error).into()
    }
}

impl IntoResponse for ClientError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({"error": self.error}))).into_response()
    }
}

pub type ClientResult = Result<Response, ClientError>;

/// JSON with Mastodon's content type.
pub fn ok(value: Value) -> ClientResult {
    Ok(axum::Json(value).into_response())
}

/// The bearer token of a request: the `Authorization` header, or (for the
/// streaming API, where browsers cannot set headers) the `access_token` query.
fn bearer_secret(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let text = value.to_str().unwrap_or_default();
        return Some(
            text.strip_prefix("Bearer ")
                .or_else(|| text.strip_prefix("bearer "))
                .unwrap_or(text)
                .trim()
                .to_string(),
        );
    }
    let query = parts.uri.query()?;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v)
}

/// The officer behind a client app's token.
pub struct ClientStaff(pub Staff);

impl FromRequestParts<AppState> for ClientStaff {
    type Rejection = ClientError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ClientError> {
        let Some(secret) = bearer_secret(parts).filter(|s| !s.is_empty()) else {
            return Err(ClientError::new(
                StatusCode::UNAUTHORIZED,
                "The access token is invalid",
            ));
        };
        match bluelamp_services::auth::bearer(&state.store, &secret, client_ip(parts)).await {
            Ok(staff) => {
                if staff
                    .scopes
                    .as_ref()
                    .is_some_and(|s| s.iter().all(|s| s == "inbound"))
                {
                    return Err(ClientError::new(
                        StatusCode::FORBIDDEN,
                        "This action is outside the authorized scopes",
                    ));
                }
                Ok(ClientStaff(staff))
            }
            Err(ServiceError::Unauthenticated(_)) => {
                // An app's own token (client credentials) is real but has no user.
                let app =
                    bluelamp_services::client_apps::oauth::app_for_token(&state.store, &secret)
                        .await?;
                Err(match app {
                    Some(_) => {
                        ClientError::unprocessable("This method requires an authenticated user")
                    }
                    None => {
                        ClientError::new(StatusCode::UNAUTHORIZED, "The access token is invalid")
                    }
                })
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// The staff user for one endpoint: the token must cover `scope` (`read:statuses`
/// is covered by `read`); the use case then sees the broad scopes it checks
/// (`read`, or `read` and `write` for a write).
pub fn scoped(staff: &Staff, scope: &str) -> Result<Staff, ClientError> {
    let broad = scope.split(':').next().unwrap_or(scope);
    let mut staff = staff.clone();
    if let Some(granted) = &staff.scopes {
        if !covers(granted, scope) && !granted.iter().any(|s| s == "admin") {
            return Err(ClientError::new(
                StatusCode::FORBIDDEN,
                "This action is outside the authorized scopes",
            ));
        }
        // Writing reads what it writes about (the message a reply answers).
        staff.scopes = Some(match broad {
            "write" => vec!["read".to_string(), "write".to_string()],
            other => vec![other.to_string()],
        });
    }
    Ok(staff)
}

/// A request body as Mastodon's clients send it: JSON, or a form in which
/// `name[]` repeats make a list. Read into one JSON object.
pub struct ClientBody(pub Map<String, Value>);

impl FromRequest<AppState> for ClientBody {
    type Rejection = ClientError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ClientError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ClientError::new(rejection.status(), rejection.body_text()))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(ClientBody(Map::new()));
        }
        if content_type.starts_with("application/json") {
            return match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => Ok(ClientBody(map)),
                _ => Err(ClientError::new(
                    StatusCode::BAD_REQUEST,
                    "The body is not a JSON object",
                )),
            };
        }
        if content_type.is_empty() || content_type.starts_with("application/x-www-form-urlencoded")
        {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&bytes).map_err(|_| {
                    ClientError::new(StatusCode::BAD_REQUEST, "The form cannot be read")
                })?;
            return Ok(ClientBody(form_object(pairs)));
        }
        Err(ClientError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the body as JSON or as a form",
        ))
    }
}

/// Form pairs as a JSON object: `a[]=1&a[]=2` and repeated keys become lists.
pub fn form_object(pairs: Vec<(String, String)>) -> Map<String, Value> {
    let mut map = Map::new();
    for (key, value) in pairs {
        let (name, is_list) = match key.strip_suffix("[]") {
            Some(name) => (name.to_string(), true),
            None => (key, false),
        };
        match map.get_mut(&name) {
            Some(Value::Array(items)) => items.push(Value::String(value)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(value)]);
            }
            None if is_list => {
                map.insert(name, Value::Array(vec![Value::String(value)]));
            }
            None => {
                map.insert(name, Value::String(value));
            }
        }
    }
    map
}

/// A text field. Only text counts: a number or a list where text belongs is
/// as if the field were missing, and the use case says what it needs.
pub fn text(map: &Map<String, Value>, name: &str) -> Option<String> {
    match map.get(name)? {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// A text field that must be text when present: anything else is refused.
pub fn text_field(map: &Map<String, Value>, name: &str) -> Result<Option<String>, ClientError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ClientError::unprocessable(format!(
            "Validation failed: {name} must be text"
        ))),
    }
}

/// A boolean as clients send it: `true` in JSON, `"1"` or `"true"` in a form.
pub fn flag(map: &Map<String, Value>, name: &str) -> Result<bool, ClientError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s == "true" || s == "1" => Ok(true),
        Some(Value::String(s)) if s == "false" || s == "0" => Ok(false),
        Some(_) => Err(ClientError::unprocessable(format!(
            "Validation failed: {name} must be true or false"
        ))),
    }
}

/// An id as clients send it: a numeric string or a number.
pub fn parse_id(value: &Value, name: &str) -> Result<i64, ClientError> {
    let parsed = match value {
        Value::String(s) => s.trim().parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    parsed.filter(|id| *id > 0).ok_or_else(|| {
        ClientError::unprocessable(format!("Validation failed: {name} is not an id"))
    })
}

/// A path id: ids are numbers; anything else is simply not found.
pub fn path_id(text: &str) -> Result<i64, ClientError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(ClientError::not_found)
}

/// Register `path` and `path/` to the same handlers.
fn both(
    router: Router<AppState>,
    path: &str,
    handlers: MethodRouter<AppState>,
) -> Router<AppState> {
    router
        .route(path, handlers.clone())
        .route(&format!("{path}/"), handlers)
}

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    let table: Vec<(&str, MethodRouter<AppState>)> = vec![
        ("/api/v1/apps", post(oauth::register_app)),
        ("/api/v1/apps/verify_credentials", get(oauth::verify_app)),
        (
            "/oauth/authorize",
            get(oauth::authorize_page).post(oauth::authorize_submit),
        ),
        ("/oauth/token", post(oauth::token)),
        ("/oauth/revoke", post(oauth::revoke)),
        (
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata),
        ),
        ("/api/v1/instance", get(instance::v1)),
        ("/api/v2/instance", get(instance::v2)),
        ("/api/v1/custom_emojis", get(instance::empty_list)),
        ("/api/v1/filters", get(instance::empty_list)),
        ("/api/v2/filters", get(instance::empty_list)),
        ("/api/v1/lists", get(instance::empty_list)),
        ("/api/v1/announcements", get(instance::empty_list)),
        (
            "/api/v1/markers",
            get(instance::markers).post(instance::markers),
        ),
        ("/api/v1/preferences", get(instance::preferences)),
        (
            "/api/v1/accounts/verify_credentials",
            get(reading::verify_credentials),
        ),
        (
            "/api/v1/accounts/{id}/statuses",
            get(reading::account_statuses),
        ),
        ("/api/v1/timelines/home", get(reading::home)),
        ("/api/v1/timelines/public", get(reading::public)),
        ("/api/v1/notifications", get(reading::notifications)),
        ("/api/v1/notifications/{id}", get(reading::notification)),
        ("/api/v1/statuses", post(statuses::create)),
        (
            "/api/v1/statuses/{id}",
            get(statuses::show).delete(statuses::delete),
        ),
        ("/api/v1/statuses/{id}/context", get(statuses::context)),
        ("/api/v1/scheduled_statuses", get(statuses::scheduled_list)),
        (
            "/api/v1/scheduled_statuses/{id}",
            get(statuses::scheduled_show).delete(statuses::scheduled_cancel),
        ),
        // (POST /api/v1/media is the JSON API's own upload; apps use v2.)
        ("/api/v2/media", post(statuses::upload)),
        (
            "/api/v1/media/{id}",
            get(statuses::media_show).put(statuses::media_update),
        ),
        ("/api/v1/streaming", get(streaming::stream)),
        ("/api/v1/streaming/user", get(streaming::stream)),
        (
            "/api/v1/streaming/user/notification",
            get(streaming::stream),
        ),
        ("/api/v1/streaming/health", get(streaming::health)),
    ];
    for (path, handlers) in table {
        router = both(router, path, handlers);
    }
    router.layer(axum::middleware::map_response(mastodon_errors))
}

/// axum's own rejections (a multipart body that is not one, a method the
/// route does not take) answer in plain text; apps expect `{"error": "..."}`.
/// Rewritten here, in one place, keeping the status and headers. Pages (the
/// consent page) and JSON pass untouched.
async fn mastodon_errors(response: Response) -> Response {
    crate::api::extract::rewrite_error_body(
        response,
        // Pages (the consent page) and JSON pass; plain text or nothing is re-written.
        |content_type| content_type.is_some_and(|v| !v.starts_with("text/plain")),
        |status, message| ClientError::new(status, message).into_response(),
    )
    .await
}
