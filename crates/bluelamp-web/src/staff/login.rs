//! Logging in (password, then TOTP when the user has it) and out.

use axum::extract::{Form, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use bluelamp_services::auth as auth_service;
use bluelamp_services::ServiceError;
use maud::html;
use serde::Deserialize;

use crate::auth::{
    client_addr, constant_time_eq, cookie, set_cookie, PendingSession, StaffForm,
    LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::error::PageError;
use crate::layout::{self, csrf_field};
use crate::AppState;

fn login_page(csrf: &str, error: Option<&str>) -> maud::Markup {
    layout::page(
        "Staff log in",
        None,
        html! {
            @if let Some(error) = error {
                div.error role="alert" id="login-error" { p { (error) } }
            }
            form method="post" action="/login" {
                (csrf_field(csrf))
                label for="username" { "Username" }
                input type="text" id="username" name="username" autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input type="password" id="password" name="password" autocomplete="current-password" required;
                button type="submit" { "Log in" }
            }
            p.hint { "Members of the public: this page is for police staff. In an emergency call 999." }
        },
    )
}

/// Show the form with a fresh login CSRF token bound to a short-lived cookie.
pub async fn form(State(state): State<AppState>) -> Response {
    let token = auth_service::random_token(16);
    let cookie_header = set_cookie(&state, LOGIN_CSRF_COOKIE, &token, 3600);
    ([(SET_COOKIE, cookie_header)], login_page(&token, None)).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

pub async fn submit(
    State(state): State<AppState>,
    parts: Parts,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&parts, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        let token = auth_service::random_token(16);
        let cookie_header = set_cookie(&state, LOGIN_CSRF_COOKIE, &token, 3600);
        let page = login_page(
            &token,
            Some("The login form had expired. Please try again."),
        );
        return (StatusCode::FORBIDDEN, [(SET_COOKIE, cookie_header)], page).into_response();
    }
    let address = client_addr(&parts);
    if !take_attempt(&state, address) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            login_page(&form.csrf, Some(TOO_MANY_FAILURES)),
        )
            .into_response();
    }
    let ip = address.map(|a| a.to_string());
    let outcome = auth_service::log_in(&state.store, &form.username, &form.password, ip).await;
    settle_attempt(&state, address, &outcome);
    match outcome {
        Ok(session) => {
            let after = crate::mastodon::oauth::after_login(&parts);
            let next = if session.second_factor_pending {
                "/login/totp"
            } else {
                after.as_str()
            };
            let max_age = auth_service::SESSION_HOURS * 3600;
            // Two cookies: AppendHeaders keeps both, where an array would overwrite.
            (
                AppendHeaders([
                    (
                        SET_COOKIE,
                        set_cookie(&state, SESSION_COOKIE, &session.cookie_value, max_age),
                    ),
                    (SET_COOKIE, set_cookie(&state, LOGIN_CSRF_COOKIE, "", 0)),
                ]),
                Redirect::to(next),
            )
                .into_response()
        }
        Err(ServiceError::Unauthenticated(message)) => (
            StatusCode::UNAUTHORIZED,
            login_page(&form.csrf, Some(&message)),
        )
            .into_response(),
        Err(other) => PageError::from(other).into_response(),
    }
}

const TOO_MANY_FAILURES: &str =
    "Too many failed logins from your network; wait a few minutes and try again.";

/// Take one attempt from the client address's failure budget; `false` when it
/// is used up. Taken before trying, so parallel guesses cannot all pass at once.
fn take_attempt(state: &AppState, address: Option<std::net::IpAddr>) -> bool {
    address.is_none_or(|a| state.login_failures.allow(&a))
}

/// Only failures count: anything but a wrong password or code gives the attempt
/// back, so a station or proxy sharing one address is never refused for correct
/// logins. The per-account lockout stays the main control against guessing.
fn settle_attempt<T>(
    state: &AppState,
    address: Option<std::net::IpAddr>,
    outcome: &Result<T, ServiceError>,
) {
    let failed = matches!(outcome, Err(ServiceError::Unauthenticated(_)));
    if let Some(address) = address.filter(|_| !failed) {
        state.login_failures.refund(&address);
    }
}

pub async fn totp_form(PendingSession(context): PendingSession) -> Response {
    if !context.session.second_factor_pending {
        return Redirect::to("/staff").into_response();
    }
    layout::page(
        "Enter your code",
        None,
        html! {
            form method="post" action="/login/totp" {
                (csrf_field(&context.session.csrf_token))
                label for="code" { "Six-digit code from your authenticator app" }
                input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required autofocus;
                button type="submit" { "Continue" }
            }
        },
    )
    .into_response()
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

pub async fn totp_submit(
    State(state): State<AppState>,
    parts: Parts,
    PendingSession(context): PendingSession,
    Form(form): Form<CodeForm>,
) -> Response {
    if !constant_time_eq(form.csrf.as_bytes(), context.session.csrf_token.as_bytes()) {
        return Redirect::to("/login/totp").into_response();
    }
    // Codes are guessed from an address like passwords: same budget.
    let address = client_addr(&parts);
    if !take_attempt(&state, address) {
        let page = layout::page(
            "Enter your code",
            None,
            html! { div.error role="alert" { p { (TOO_MANY_FAILURES) } } },
        );
        return (StatusCode::TOO_MANY_REQUESTS, page).into_response();
    }
    let outcome = auth_service::complete_second_factor(&state.store, &context, &form.code).await;
    settle_attempt(&state, address, &outcome);
    match outcome {
        Ok(()) => Redirect::to(&crate::mastodon::oauth::after_login(&parts)).into_response(),
        Err(ServiceError::Unauthenticated(message)) => {
            let page = layout::page(
                "Enter your code",
                None,
                html! {
                    div.error role="alert" { p { (message) } }
                    form method="post" action="/login/totp" {
                        (csrf_field(&context.session.csrf_token))
                        label for="code" { "Six-digit code from your authenticator app" }
                        input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus;
                        button type="submit" { "Continue" }
                    }
                },
            );
            (StatusCode::UNAUTHORIZED, page).into_response()
        }
        Err(other) => PageError::from(other).into_response(),
    }
}

pub use super::Empty;

pub async fn log_out(State(state): State<AppState>, form: StaffForm<Empty>) -> Response {
    if let Err(error) = auth_service::log_out(&state.store, &form.session).await {
        return PageError::from(error).into_response();
    }
    (
        [(SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", 0))],
        Redirect::to("/login"),
    )
        .into_response()
}
