//! Public e-mail subscription pages: subscribe, confirm, unsubscribe, erase.
//!
//! The public have no session, so the subscribe form is protected by a
//! double-submit CSRF cookie (as the login form is) and throttled per address
//! and per network. Its answer is the same "check your inbox" page whatever the
//! address's state, so the form cannot be used to learn who subscribes.
//!
//! The unsubscribe URL answers a plain POST with no cookie and no CSRF token:
//! RFC 8058 one-click unsubscribe from a mail client posts
//! `List-Unsubscribe=One-Click` there, and the unguessable token in the URL is
//! the only credential. A GET only shows the page with its buttons, because mail
//! scanners follow links.

use std::net::IpAddr;
use std::sync::OnceLock;

use axum::extract::{Form, Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bluelamp_domain::alert;
use bluelamp_services::auth::{random_token, sha256_hex};
use bluelamp_services::subscriptions::{
    self as service, ConfirmOutcome, LinkTarget, SubscribeRequest, UnsubscribeOutcome,
};
use bluelamp_services::ServiceError;
use bluelamp_store::{accounts, forces};
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::{client_ip, constant_time_eq, cookie, set_cookie};
use crate::error::PageError;
use crate::layout::{self, csrf_field};
use crate::rate_limit::KeyedLimiter;
use crate::AppState;

/// The double-submit cookie of the public subscribe form.
pub const SUBSCRIBE_CSRF_COOKIE: &str = "bl_subscribe_csrf";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/forces/{code}/subscribe", get(form).post(submit))
        .route(
            "/forces/{code}/contact",
            get(super::contact::form).post(super::contact::submit),
        )
        .route("/subscriptions/confirm/{token}", get(confirm))
        .route("/subscriptions/confirm/{token}/resend", post(resend))
        .route(
            "/subscriptions/unsubscribe/{token}",
            get(unsubscribe_page).post(unsubscribe),
        )
        .route("/subscriptions/unsubscribe/{token}/erase", post(erase))
}

/// A link to the subscription form, for the force and profile pages.
pub fn subscribe_link(force_code: &str, account_handle: Option<&str>) -> Markup {
    let href = match account_handle {
        Some(handle) => format!("/forces/{force_code}/subscribe?account={handle}"),
        None => format!("/forces/{force_code}/subscribe"),
    };
    html! { p.hint { a href=(href) { "Get these posts by e-mail" } } }
}

// ----- throttles -----

/// Subscribe requests per address per hour before further ones are quietly
/// dropped (the page still says "check your inbox", so it reveals nothing).
const PER_ADDRESS_PER_HOUR: u32 = 5;

fn address_throttle() -> &'static KeyedLimiter<String> {
    static THROTTLE: OnceLock<KeyedLimiter<String>> = OnceLock::new();
    THROTTLE.get_or_init(|| KeyedLimiter::per_window(PER_ADDRESS_PER_HOUR, 3600))
}

/// Count a request for `email`; false when it is over the limit.
fn address_allowed(email: &str) -> bool {
    // Keyed by a hash so the process memory holds no addresses either.
    address_throttle().allow(sha256_hex(&email.trim().to_lowercase()).as_str())
}

fn network_throttle() -> &'static KeyedLimiter<IpAddr> {
    static THROTTLE: OnceLock<KeyedLimiter<IpAddr>> = OnceLock::new();
    // Generous for a library or a station sharing one address.
    THROTTLE.get_or_init(|| KeyedLimiter::per_window(60, 600))
}

// ----- subscribing -----

#[derive(Deserialize, Default)]
pub struct FormQuery {
    #[serde(default)]
    account: Option<String>,
}

struct FormView<'a> {
    force_code: &'a str,
    force_name: &'a str,
    accounts: &'a [accounts::Account],
    selected: Option<&'a str>,
    email: &'a str,
    areas: &'a str,
    topics: &'a [&'a str],
    drawn: &'a str,
    digest: bool,
    csrf: &'a str,
    error: Option<&'a str>,
}

fn form_page(view: &FormView<'_>) -> Markup {
    let title = format!("Get {} posts by e-mail", view.force_name);
    layout::page(
        &title,
        None,
        html! {
            @if let Some(error) = view.error {
                div.error role="alert" id="subscribe-error" { p { (error) } }
            }
            p { "We will send a confirmation link to your address. Nothing is sent until you follow it, and every message has a link to leave with one click." }
            form method="post" action=(format!("/forces/{}/subscribe", view.force_code)) {
                (csrf_field(view.csrf))
                label for="email" { "Your e-mail address" }
                input type="email" id="email" name="email" autocomplete="email" required value=(view.email)
                    aria-describedby=[view.error.map(|_| "subscribe-error")];
                label for="account" { "Posts from" }
                select id="account" name="account" {
                    option value="" selected[view.selected.is_none()] { "Every account of " (view.force_name) }
                    @for account in view.accounts {
                        option value=(account.handle) selected[view.selected == Some(account.handle.as_str())] {
                            (account.display_name) " (@" (account.handle) ")"
                        }
                    }
                }
                label for="areas" { "Only incidents and appeals in these postcode districts (optional)" }
                input type="text" id="areas" name="areas" maxlength="300" placeholder="LL29, LL22" aria-describedby="areas-hint" value=(view.areas);
                p.hint id="areas-hint" { "The first half of a postcode, such as LL29. Leave it empty to get every post." }
                label for="area_geojson" { "Or an area you drew (optional)" }
                textarea id="area_geojson" name="area_geojson" rows="3" maxlength="65536" aria-describedby="drawn-hint" { (view.drawn) }
                p.hint id="drawn-hint" { "Paste the outline of your area as a GeoJSON Polygon, as map drawing tools export it. Incidents whose area overlaps yours reach you." }
                fieldset {
                    legend { "Topics (leave all unticked for everything)" }
                    @for topic in alert::TOPICS {
                        @let id = format!("topic_{topic}");
                        input type="checkbox" id=(id) name=(id) value="on" checked[view.topics.contains(&topic)];
                        label for=(id) { (topic_label(topic)) }
                    }
                }
                fieldset {
                    legend { "How often" }
                    input type="radio" id="mode-immediate" name="mode" value="immediate" checked[!view.digest];
                    label for="mode-immediate" { "Each post as it is published" }
                    input type="radio" id="mode-digest" name="mode" value="digest" checked[view.digest];
                    label for="mode-digest" { "One daily digest" }
                }
                button type="submit" { "Subscribe" }
            }
            p.hint { "We keep only your address, your choice and when you subscribed. You can leave, or have your address deleted, from any message we send. In an emergency always call 999." }
        },
    )
}

fn topic_label(topic: &str) -> &'static str {
    match topic {
        "incidents" => "Incidents and road closures",
        "appeals" => "Appeals for information",
        _ => "News and everything else",
    }
}

fn store_error(error: bluelamp_store::StoreError) -> PageError {
    PageError::from(ServiceError::from(error))
}

pub async fn form(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<FormQuery>,
) -> Result<Response, PageError> {
    let mut conn = state.store.read().await.map_err(store_error)?;
    let force = forces::by_code(&mut conn, &code)
        .await
        .map_err(store_error)?;
    let all = accounts::list(&mut conn, force.id)
        .await
        .map_err(store_error)?;
    let token = random_token(16);
    let page = form_page(&FormView {
        force_code: &force.code,
        force_name: &force.name,
        accounts: &all,
        selected: query.account.as_deref().filter(|h| !h.is_empty()),
        email: "",
        areas: "",
        topics: &[],
        drawn: "",
        digest: false,
        csrf: &token,
        error: None,
    });
    let cookie_header = set_cookie(&state, SUBSCRIBE_CSRF_COOKIE, &token, 3600);
    Ok(([(SET_COOKIE, cookie_header)], page).into_response())
}

#[derive(Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    areas: String,
    #[serde(default)]
    area_geojson: String,
    #[serde(default)]
    topic_incidents: Option<String>,
    #[serde(default)]
    topic_appeals: Option<String>,
    #[serde(default)]
    topic_news: Option<String>,
    #[serde(default)]
    csrf: String,
}

impl SubscribeForm {
    /// The ticked topic boxes (one field each: an HTML form repeats a name for
    /// a list, which the form decoder does not read).
    fn topics(&self) -> Vec<&'static str> {
        [
            ("incidents", &self.topic_incidents),
            ("appeals", &self.topic_appeals),
            ("news", &self.topic_news),
        ]
        .into_iter()
        .filter(|(_, ticked)| ticked.is_some())
        .map(|(topic, _)| topic)
        .collect()
    }
}

pub async fn submit(
    State(state): State<AppState>,
    Path(code): Path<String>,
    parts: Parts,
    Form(input): Form<SubscribeForm>,
) -> Result<Response, PageError> {
    let mut conn = state.store.read().await.map_err(store_error)?;
    let force = forces::by_code(&mut conn, &code)
        .await
        .map_err(store_error)?;
    let all = accounts::list(&mut conn, force.id)
        .await
        .map_err(store_error)?;
    drop(conn);
    let selected = Some(input.account.trim()).filter(|h| !h.is_empty());
    let topics = input.topics();
    // Re-show the form (with a fresh token) for a fixable problem.
    let again = |status: StatusCode, message: &str| -> Response {
        let token = random_token(16);
        let page = form_page(&FormView {
            force_code: &force.code,
            force_name: &force.name,
            accounts: &all,
            selected,
            email: &input.email,
            areas: &input.areas,
            topics: &topics,
            drawn: &input.area_geojson,
            digest: input.mode == "digest",
            csrf: &token,
            error: Some(message),
        });
        let cookie_header = set_cookie(&state, SUBSCRIBE_CSRF_COOKIE, &token, 3600);
        (status, [(SET_COOKIE, cookie_header)], page).into_response()
    };
    let expected = cookie(&parts, SUBSCRIBE_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), input.csrf.as_bytes()) {
        return Ok(again(
            StatusCode::FORBIDDEN,
            "The form had expired or did not come from this site. Please try again.",
        ));
    }
    if let Some(ip) = client_ip(&parts).and_then(|ip| ip.parse::<IpAddr>().ok()) {
        if !network_throttle().allow(&ip) {
            return Ok(again(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many subscription requests from your network; wait a few minutes and try again.",
            ));
        }
    }
    if let Some(handle) = selected {
        if !all.iter().any(|a| a.handle == handle) {
            return Ok(again(
                StatusCode::BAD_REQUEST,
                "Choose an account from the list.",
            ));
        }
    }
    if let Err(invalid) = service::normalize_email(&input.email) {
        return Ok(again(StatusCode::BAD_REQUEST, &invalid.message));
    }
    if let Err(invalid) = service::Mode::parse(&input.mode) {
        return Ok(again(StatusCode::BAD_REQUEST, &invalid.message));
    }
    if address_allowed(&input.email) {
        let request = SubscribeRequest {
            force_code: force.code.clone(),
            account_handle: selected.map(str::to_string),
            email: input.email.clone(),
            mode: input.mode.clone(),
            areas: Some(input.areas.clone()),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            area_geojson: Some(input.area_geojson.clone()),
        };
        match service::subscribe(&state.store, &request).await {
            Ok(()) => {}
            Err(ServiceError::Invalid(invalid)) => {
                return Ok(again(StatusCode::BAD_REQUEST, &invalid.message))
            }
            Err(other) => return Err(other.into()),
        }
    } else {
        tracing::info!("subscribe request dropped by the per-address throttle");
    }
    let page = layout::page(
        "Check your inbox",
        None,
        html! {
            div.notice role="status" {
                p { "If the address can receive mail, a message with a confirmation link is on its way. Follow that link within 48 hours to start your subscription." }
            }
            p { "Nothing arrived? Check your spam folder, or " a href=(format!("/forces/{}/subscribe", force.code)) { "try again" } "." }
            p { a href=(format!("/forces/{}", force.code)) { "Back to " (force.name) } }
        },
    );
    // The token has done its job; a new form gets a new one.
    let cookie_header = set_cookie(&state, SUBSCRIBE_CSRF_COOKIE, "", 0);
    Ok(([(SET_COOKIE, cookie_header)], page).into_response())
}

// ----- confirming -----

pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let outcome = service::confirm(&state.store, &token).await?;
    let response = match outcome {
        ConfirmOutcome::Confirmed {
            scope,
            unsubscribe_token,
        } => (
            StatusCode::OK,
            layout::page(
                "Subscription confirmed",
                None,
                html! {
                    div.notice role="status" { p { "Thank you: your subscription to " (scope) " is confirmed." } }
                    p { "Every message has a link to leave. You can also "
                        a href=(format!("/subscriptions/unsubscribe/{unsubscribe_token}")) { "unsubscribe or delete your address" }
                        " at any time." }
                },
            ),
        ),
        ConfirmOutcome::AlreadyConfirmed {
            scope,
            unsubscribe_token,
        } => (
            StatusCode::OK,
            layout::page(
                "Already confirmed",
                None,
                html! {
                    div.notice role="status" { p { "This link was already used: your subscription to " (scope) " is already confirmed. There is nothing more to do." } }
                    p { "Changed your mind? "
                        a href=(format!("/subscriptions/unsubscribe/{unsubscribe_token}")) { "Unsubscribe or delete your address" } "." }
                },
            ),
        ),
        ConfirmOutcome::Expired => (
            StatusCode::GONE,
            layout::page(
                "This confirmation link has expired",
                None,
                html! {
                    div.error role="alert" { p { "Confirmation links work for " (service::CONFIRM_HOURS) " hours and this one is older. Your address has not been subscribed." } }
                    form method="post" action=(format!("/subscriptions/confirm/{token}/resend")) {
                        button type="submit" { "Send me a new link" }
                    }
                },
            ),
        ),
        ConfirmOutcome::Ended => (
            StatusCode::GONE,
            layout::page(
                "This subscription has ended",
                None,
                html! {
                    div.error role="alert" { p { "This link belongs to a subscription that was ended since (unsubscribed, or stopped because mail to the address kept failing). Subscribe again from the force's page if you wish." } }
                },
            ),
        ),
        ConfirmOutcome::Unknown => (
            StatusCode::NOT_FOUND,
            layout::page(
                "This confirmation link is not valid",
                None,
                html! {
                    div.error role="alert" { p { "The link may have been copied incompletely, replaced by a newer one (only the latest link works), or the address was deleted. Subscribe again to get a new link." } }
                },
            ),
        ),
    };
    Ok(response.into_response())
}

pub async fn resend(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    service::resend_confirmation(&state.store, &token).await?;
    Ok(layout::page(
        "Check your inbox",
        None,
        html! {
            div.notice role="status" { p { "If this link belongs to a subscription waiting for confirmation, a new confirmation link is on its way." } }
        },
    )
    .into_response())
}

// ----- leaving -----

fn unknown_link() -> Response {
    (
        StatusCode::NOT_FOUND,
        layout::page(
            "This unsubscribe link is not valid",
            None,
            html! {
                div.error role="alert" { p { "The link may have been copied incompletely. Use the link in the latest message you received from us." } }
            },
        ),
    )
        .into_response()
}

pub async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let target = service::unsubscribe_target(&state.store, &token).await?;
    let page = match target {
        LinkTarget::Unknown => return Ok(unknown_link()),
        LinkTarget::Erased => layout::page(
            "Nothing to unsubscribe",
            None,
            html! { div.notice role="status" { p { "This address has been deleted from our list. Nothing more will be sent to it." } } },
        ),
        LinkTarget::Subscription {
            masked_email,
            scope,
            status,
        } => layout::page(
            "Unsubscribe",
            None,
            html! {
                p { "Subscription of " strong { (masked_email) } " to " (scope) "." }
                @if status == "unsubscribed" {
                    div.notice role="status" { p { "You are already unsubscribed: nothing more will be sent." } }
                } @else {
                    form method="post" action=(format!("/subscriptions/unsubscribe/{token}")) {
                        input type="hidden" name="List-Unsubscribe" value="One-Click";
                        button type="submit" { "Unsubscribe" }
                    }
                }
                h2 { "Delete my address" }
                p { "This removes your address and every subscription it has with this force from our list, at once and for good." }
                form method="post" action=(format!("/subscriptions/unsubscribe/{token}/erase")) {
                    button.secondary type="submit" { "Delete my address" }
                }
            },
        ),
    };
    Ok(page.into_response())
}

/// One-click unsubscribe: any POST to the link unsubscribes, whatever its body.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let message = match service::unsubscribe(&state.store, &token).await? {
        UnsubscribeOutcome::Unknown => return Ok(unknown_link()),
        UnsubscribeOutcome::Unsubscribed => "You have been unsubscribed. Nothing more will be sent to this address for this subscription.",
        UnsubscribeOutcome::AlreadyGone => "You were already unsubscribed. Nothing more will be sent.",
    };
    Ok(layout::page(
        "Unsubscribed",
        None,
        html! {
            div.notice role="status" { p { (message) } }
            p { "Want your address removed from our list altogether? "
                a href=(format!("/subscriptions/unsubscribe/{token}")) { "Delete my address" } "." }
        },
    )
    .into_response())
}

pub async fn erase(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let message = match service::erase_by_token(&state.store, &token).await? {
        None => return Ok(unknown_link()),
        Some(0) => "This address was already deleted from our list.",
        Some(_) => "Your address has been deleted from our list, with every subscription it had here. Nothing more will be sent to it.",
    };
    Ok(layout::page(
        "Address deleted",
        None,
        html! { div.notice role="status" { p { (message) } } },
    )
    .into_response())
}
