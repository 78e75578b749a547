//! Who is asking: session cookies for the staff UI (with CSRF tokens on every
//! form), bearer tokens or session cookies for the API.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Redirect, Response};
use bluelamp_services::auth::{self as auth_service, SessionContext};
use bluelamp_services::{ServiceError, Staff};
use serde::de::DeserializeOwned;

use crate::client_addr::TrustedProxies;
use crate::error::{ApiError, PageError, WebError};
use crate::AppState;

pub const SESSION_COOKIE: &str = "bl_session";
pub const LOGIN_CSRF_COOKIE: &str = "bl_login_csrf";

/// The value of one cookie from the request.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// A `Set-Cookie` value with the attributes every Bluelamp cookie carries.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_seconds: i64) -> String {
    let secure = if state.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}")
}

/// The client's address, when the server was started with connection info:
/// the socket peer, or, when that is a trusted reverse proxy, the address it
/// forwarded (see [`crate::client_addr`]).
pub fn client_addr(parts: &Parts) -> Option<IpAddr> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    Some(match parts.extensions.get::<Arc<TrustedProxies>>() {
        Some(proxies) if !proxies.is_empty() => {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|value| value.to_str().ok());
            proxies.client(peer, forwarded)
        }
        _ => peer.to_canonical(),
    })
}

/// [`client_addr`] as text, as the audit trail records it.
pub fn client_ip(parts: &Parts) -> Option<String> {
    client_addr(parts).map(|ip| ip.to_string())
}

/// Where a browser without a usable session is sent.
enum SessionProblem {
    LogIn,
    SecondFactor,
    EnrolSecondFactor,
    Error(PageError),
}

impl IntoResponse for SessionProblem {
    fn into_response(self) -> Response {
        match self {
            SessionProblem::LogIn => Redirect::to("/login").into_response(),
            SessionProblem::SecondFactor => Redirect::to("/login/totp").into_response(),
            SessionProblem::EnrolSecondFactor => Redirect::to("/staff/totp").into_response(),
            SessionProblem::Error(error) => error.into_response(),
        }
    }
}

async fn load_session(parts: &Parts, state: &AppState) -> Result<SessionContext, SessionProblem> {
    let Some(value) = cookie(parts, SESSION_COOKIE) else {
        return Err(SessionProblem::LogIn);
    };
    match auth_service::session(&state.store, &value, client_ip(parts)).await {
        Ok(context) => Ok(context),
        Err(ServiceError::Unauthenticated(_)) => Err(SessionProblem::LogIn),
        Err(other) => Err(SessionProblem::Error(other.into())),
    }
}

/// The logged-in staff session of a request, if it has one (second factor done),
/// for layers that render outside a handler.
pub(crate) async fn staff_context(parts: &Parts, state: &AppState) -> Result<SessionContext, ()> {
    match load_session(parts, state).await {
        Ok(context) if !context.session.second_factor_pending && !context.must_enrol_totp => {
            Ok(context)
        }
        _ => Err(()),
    }
}

/// A fully logged-in staff session (second factor done).
pub struct StaffSession(pub SessionContext);

impl FromRequestParts<AppState> for StaffSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let context = load_session(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if context.session.second_factor_pending {
            return Err(SessionProblem::SecondFactor.into_response());
        }
        // A force that requires a second factor lets its staff reach only the
        // enrolment page (and log out) until they have one.
        let path = parts.uri.path();
        if context.must_enrol_totp && path != "/staff/totp" && path != "/logout" {
            return Err(SessionProblem::EnrolSecondFactor.into_response());
        }
        Ok(StaffSession(context))
    }
}

/// A session that has passed its password and waits for its TOTP code.
pub struct PendingSession(pub SessionContext);

impl FromRequestParts<AppState> for PendingSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let context = load_session(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(PendingSession(context))
    }
}

/// A state-changing staff form: a logged-in session, the form's fields, and a
/// CSRF token that must match the session's. Every staff POST handler takes one,
/// so no form can skip the check.
pub struct StaffForm<T> {
    pub session: SessionContext,
    pub form: T,
}

#[derive(serde::Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for StaffForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let StaffSession(session) = StaffSession::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, state.config.body_limit)
            .await
            .map_err(|_| {
                PageError(WebError::new(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "The form was too large to accept.",
                ))
                .into_response()
            })?;
        let csrf: CsrfOnly = serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfOnly {
            csrf: String::new(),
        });
        if !constant_time_eq(csrf.csrf.as_bytes(), session.session.csrf_token.as_bytes()) {
            return Err(PageError(WebError::new(
                axum::http::StatusCode::FORBIDDEN,
                "csrf",
                "This form has expired or did not come from this site. Go back, reload the page and try again.",
            ))
            .into_response());
        }
        let form = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|error| {
            PageError(WebError::bad_request(format!(
                "The form is not valid: {error}"
            )))
            .into_response()
        })?;
        Ok(StaffForm { session, form })
    }
}

pub use auth_service::constant_time_eq;

/// The staff user behind an API request: a bearer token, or a browser session
/// (which must then send its CSRF token in `X-CSRF-Token` on any write).
pub struct ApiStaff(pub Staff);

impl FromRequestParts<AppState> for ApiStaff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = client_ip(parts);
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let text = value.to_str().unwrap_or_default();
            let Some(secret) = text.strip_prefix("Bearer ") else {
                return Err(ServiceError::Unauthenticated(
                    "use 'Authorization: Bearer <token>'".into(),
                )
                .into());
            };
            let staff = auth_service::bearer(&state.store, secret, ip).await?;
            // A connector's token (only `inbound`) delivers messages and does nothing
            // else, whatever a read use case forgets to check.
            let connector_only = staff
                .scopes
                .as_ref()
                .is_some_and(|s| s.iter().all(|s| s == "inbound"));
            if connector_only && !parts.uri.path().ends_with("/inbound") {
                return Err(ServiceError::Forbidden(
                    "this API token only delivers messages (POST /api/v1/inbound)".into(),
                )
                .into());
            }
            return Ok(ApiStaff(staff));
        }
        let Some(value) = cookie(parts, SESSION_COOKIE) else {
            return Err(ServiceError::Unauthenticated("log in or send an API token".into()).into());
        };
        let context = auth_service::session(&state.store, &value, ip).await?;
        if context.session.second_factor_pending {
            return Err(ServiceError::Unauthenticated(
                "finish logging in with your second factor".into(),
            )
            .into());
        }
        // The pages send such a user to enrolment; the API refuses them, or a
        // force's "require TOTP" could be walked around through JSON.
        if context.must_enrol_totp {
            return Err(ServiceError::Forbidden(auth_service::MUST_ENROL_TOTP.into()).into());
        }
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !constant_time_eq(sent.as_bytes(), context.session.csrf_token.as_bytes()) {
                return Err(ServiceError::Forbidden(
                    "a request with a session cookie must send the X-CSRF-Token header".into(),
                )
                .into());
            }
        }
        Ok(ApiStaff(context.staff))
    }
}

/// One uploaded file from a multipart form.
pub struct Upload {
    pub field: String,
    pub file_name: String,
    pub bytes: axum::body::Bytes,
}

/// A state-changing staff form sent as `multipart/form-data` (the compose form,
/// which carries photos): the session, the text fields, the files, and the same
/// CSRF check as [`StaffForm`].
pub struct StaffMultipart {
    pub session: SessionContext,
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

impl StaffMultipart {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl FromRequest<AppState> for StaffMultipart {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let StaffSession(session) = StaffSession::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let mut multipart = axum::extract::Multipart::from_request(request, state)
            .await
            .map_err(|e| {
                PageError(WebError::bad_request(format!(
                    "The form could not be read: {e}"
                )))
                .into_response()
            })?;
        let mut fields = Vec::new();
        let mut files = Vec::new();
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(error) => {
                    let status = error.status();
                    let detail = if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                        "The upload is larger than this server accepts.".to_string()
                    } else {
                        format!("The form could not be read: {error}")
                    };
                    return Err(
                        PageError(WebError::new(status, "bad_form", detail)).into_response()
                    );
                }
            };
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(|error| {
                PageError(WebError::new(
                    error.status(),
                    "bad_form",
                    format!("The form could not be read: {error}"),
                ))
                .into_response()
            })?;
            match file_name {
                Some(file_name) => {
                    if !bytes.is_empty() {
                        files.push(Upload {
                            field: name,
                            file_name,
                            bytes,
                        });
                    }
                }
                None => fields.push((name, String::from_utf8_lossy(&bytes).into_owned())),
            }
        }
        let csrf = fields
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        if !constant_time_eq(csrf.as_bytes(), session.session.csrf_token.as_bytes()) {
            return Err(PageError(WebError::new(
                axum::http::StatusCode::FORBIDDEN,
                "csrf",
                "This form has expired or did not come from this site. Go back, reload the page and try again.",
            ))
            .into_response());
        }
        Ok(StaffMultipart {
            session,
            fields,
            files,
        })
    }
}
