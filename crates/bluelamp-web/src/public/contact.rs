//! The public contact form (`/forces/{code}/contact`): for people on no network. What
//! they send goes into the inbox by the same path as every channel, triaged; an
//! emergency is answered on the page at once with the 999 advice.
//!
//! Like the subscribe form it has no session: a double-submit CSRF cookie, and a
//! throttle per network so a flood is refused with a clear page rather than lost.

use std::net::IpAddr;
use std::sync::OnceLock;

use axum::extract::{Form, Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bluelamp_services::auth::random_token;
use bluelamp_services::inbox::ingest::{self, Author, Inbound};
use bluelamp_services::ServiceError;
use bluelamp_store::forces;
use maud::html;
use serde::Deserialize;

use crate::auth::{constant_time_eq, cookie, set_cookie};
use crate::error::PageError;
use crate::layout::{self, csrf_field};
use crate::rate_limit::KeyedLimiter;
use crate::AppState;

const CONTACT_CSRF_COOKIE: &str = "bl_contact_csrf";

fn network_throttle() -> &'static KeyedLimiter<IpAddr> {
    static THROTTLE: OnceLock<KeyedLimiter<IpAddr>> = OnceLock::new();
    // Thirty messages per address per ten minutes: plenty for a library or a
    // station sharing one address, a wall for a script.
    THROTTLE.get_or_init(|| KeyedLimiter::per_window(30, 600))
}

#[derive(Deserialize, Default)]
pub struct ContactForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    csrf: String,
}

fn page(
    force_code: &str,
    force_name: &str,
    input: &ContactForm,
    csrf: &str,
    error: Option<(&str, &str)>,
) -> maud::Markup {
    let error_for = |f: &str| error.filter(|e| e.0 == f).map(|e| e.1);
    layout::page(
        &format!("Contact {force_name}"),
        None,
        html! {
            div.callout role="note" { p { strong { "In an emergency call 999." } " If you are deaf or speech-impaired, text 999 (if registered) or use 18000. This form is read by people, but not every minute." } }
            @if let Some((_, message)) = error { div.error role="alert" id="contact-error" { p { (message) } } }
            form method="post" action=(format!("/forces/{force_code}/contact")) {
                (csrf_field(csrf))
                label for="name" { "Your name (optional)" }
                input type="text" id="name" name="name" autocomplete="name" maxlength="256" value=(input.name);
                label for="contact" { "How we can reply: e-mail or phone (optional)" }
                input type="text" id="contact" name="contact" autocomplete="email" maxlength="256" value=(input.contact)
                    aria-invalid=[error_for("contact").map(|_| "true")];
                label for="message" { "Your message" }
                textarea id="message" name="message" rows="8" required maxlength="20000"
                    aria-invalid=[error_for("text").map(|_| "true")]
                    aria-describedby=[error_for("text").map(|_| "contact-error")] { (input.message) }
                button type="submit" { "Send" }
            }
            p.hint { "We keep what you send, with the time, so that we can answer it and for our records. Do not send photos of people here; use an appeal's own page to send evidence." }
        },
    )
}

fn store_error(error: bluelamp_store::StoreError) -> PageError {
    PageError::from(ServiceError::from(error))
}

pub async fn form(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let mut conn = state.store.read().await.map_err(store_error)?;
    let force = forces::by_code(&mut conn, &code)
        .await
        .map_err(store_error)?;
    let token = random_token(16);
    let body = page(
        &force.code,
        &force.name,
        &ContactForm::default(),
        &token,
        None,
    );
    Ok((
        [(
            SET_COOKIE,
            set_cookie(&state, CONTACT_CSRF_COOKIE, &token, 3600),
        )],
        body,
    )
        .into_response())
}

pub async fn submit(
    State(state): State<AppState>,
    Path(code): Path<String>,
    parts: Parts,
    Form(input): Form<ContactForm>,
) -> Result<Response, PageError> {
    let mut conn = state.store.read().await.map_err(store_error)?;
    let force = forces::by_code(&mut conn, &code)
        .await
        .map_err(store_error)?;
    drop(conn);
    let expected = cookie(&parts, CONTACT_CSRF_COOKIE).unwrap_or_default();
    let again = |status: StatusCode, field: &str, message: &str| {
        let token = random_token(16);
        let body = page(
            &force.code,
            &force.name,
            &input,
            &token,
            Some((field, message)),
        );
        (
            status,
            [(
                SET_COOKIE,
                set_cookie(&state, CONTACT_CSRF_COOKIE, &token, 3600),
            )],
            body,
        )
            .into_response()
    };
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), input.csrf.as_bytes()) {
        return Ok(again(
            StatusCode::FORBIDDEN,
            "csrf",
            "This form has expired. Your message is kept below: please send it again.",
        ));
    }
    let throttled =
        crate::auth::client_addr(&parts).is_some_and(|ip| !network_throttle().allow(&ip));
    if throttled {
        return Ok(again(StatusCode::TOO_MANY_REQUESTS, "text", "Too many messages from your network just now. Your message is kept below: please try again in a few minutes, or call 101 (999 in an emergency)."));
    }
    let contact = input.contact.trim();
    let message = Inbound {
        channel: "web".into(),
        external_id: format!("web-{}", random_token(12)),
        author: Author {
            handle: if contact.is_empty() {
                "web visitor".into()
            } else {
                contact.to_string()
            },
            name: Some(input.name.trim().to_string()).filter(|n| !n.is_empty()),
            url: None,
        },
        text: input.message.clone(),
        media: Vec::new(),
        reply_to: None,
        conversation: None,
        sent_at: None,
        account_id: None,
    };
    let outcome = ingest::ingest(&state.store, force.id, std::slice::from_ref(&message))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ServiceError::Internal("no outcome".into()))?;
    if outcome.status == "invalid" {
        let field = outcome.field.as_deref().unwrap_or("text");
        let field = if field.starts_with("author") {
            "contact"
        } else {
            field
        };
        let detail = format!(
            "Your message {}",
            outcome.error.as_deref().unwrap_or("could not be accepted")
        );
        return Ok(again(StatusCode::BAD_REQUEST, field, &detail));
    }
    crate::staff::announce_urgent(&state, Some(force.id), std::slice::from_ref(&outcome));
    let reference = outcome.id.map(|id| format!("WEB-{id}")).unwrap_or_default();
    let body = layout::page(
        "Thank you: your message is received",
        None,
        html! {
            @if let Some(reply) = &outcome.auto_reply { div.callout role="alert" { p { strong { (reply) } } } }
            p { "Your reference is " strong { (reference) } ". Someone will read it; if you gave a way to reply, they will answer there." }
            p { a href=(format!("/forces/{}", force.code)) { "Back to " (force.name) } }
        },
    );
    Ok((StatusCode::OK, body).into_response())
}
