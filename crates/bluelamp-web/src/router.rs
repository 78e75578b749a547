//! Every route, in one place.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::error::{PageError, WebError};
use crate::federation as fed;
use crate::{api, metrics, public, staff, AppState};
use bluelamp_federation::limits::MAX_INBOX_BODY;

pub fn router(state: AppState) -> Router {
    let hsts = state.config.served_over_https();
    let trusted_proxies = std::sync::Arc::new(state.config.trusted_proxies.clone());
    let api_v1 = Router::new()
        .route("/me", get(api::me))
        .route("/forces", get(api::list_forces).post(api::add_force))
        .route("/forces/{code}", patch(api::forces::change_settings))
        .route(
            "/forces/{code}/webhook",
            get(api::forces::get_webhook)
                .put(api::forces::set_webhook)
                .delete(api::forces::delete_webhook),
        )
        .route(
            "/forces/{code}/rules",
            get(api::forces::get_rules).put(api::forces::put_rules),
        )
        .route("/users", get(api::list_users).post(api::add_user))
        .route("/users/{id}/disable", post(api::disable_user))
        .route("/users/{id}/enable", post(api::enable_user))
        .route(
            "/users/{id}/safeguarding",
            put(api::set_safeguarding_trained),
        )
        .route("/me/duty", put(api::set_duty))
        .route("/accounts", get(api::list_accounts).post(api::add_account))
        .route("/accounts/{id}", get(api::get_account))
        .route("/accounts/{id}/members", put(api::set_member))
        .route("/accounts/{id}/away-reply", put(api::set_away_reply))
        .route("/accounts/{id}/connections", get(api::connections::list))
        .route(
            "/accounts/{id}/connections/{network}",
            put(api::connections::connect).delete(api::connections::disconnect),
        )
        .route("/posts/{id}/channels", get(api::connections::post_channels))
        .route(
            "/accounts/{id}/approval-steps",
            get(api::approval_steps).put(api::set_approval_steps),
        )
        .route("/accounts/{id}/posts", post(api::create_post))
        .route("/posts", get(api::list_posts))
        .route("/posts/{id}", get(api::get_post).patch(api::edit_post))
        .route("/posts/{id}/approve", post(api::approve_post))
        .route("/posts/{id}/reject", post(api::reject_post))
        .route("/posts/{id}/resubmit", post(api::resubmit_post))
        .route("/posts/{id}/escalate", post(api::escalate_post))
        .route("/posts/{id}/report", post(api::report_post))
        .route("/posts/{id}/delete", post(api::delete_post))
        .route("/posts/{id}/share", post(api::share_post))
        .route("/posts/{id}/unshare", post(api::unshare_post))
        .route("/scheduling/pause", post(api::pause_scheduling))
        .route("/scheduling/resume", post(api::resume_scheduling))
        .route("/policy", get(api::policy_status).post(api::publish_policy))
        .route("/policy/acknowledge", post(api::acknowledge_policy))
        .route("/audit", get(api::audit))
        .route("/subscribers", get(api::subscriptions::export))
        .route("/subscribers/erase", post(api::subscriptions::erase))
        .route(
            "/media",
            post(crate::uploads::api_upload)
                .layer(DefaultBodyLimit::max(crate::uploads::MAX_UPLOAD_BYTES)),
        )
        .route("/check", post(api::check))
        .route(
            "/inbound",
            post(api::inbox::deliver).layer(DefaultBodyLimit::max(api::inbox::MAX_INBOUND_BODY)),
        )
        .route("/inbox", get(api::inbox::list))
        .route("/inbox/hand-over", post(api::inbox::hand_over))
        .route("/inbox/{id}", get(api::inbox::get))
        .route("/inbox/{id}/assign", post(api::inbox::assign))
        .route("/inbox/{id}/status", post(api::inbox::status))
        .route("/inbox/{id}/notes", post(api::inbox::note))
        .route("/inbox/{id}/hide", post(api::inbox::hide))
        .route("/inbox/{id}/restore", post(api::inbox::restore))
        .route("/inbox/{id}/overrule", post(api::inbox::overrule))
        .route("/inbox/{id}/reply", post(api::inbox_replies::reply))
        .route("/inbox/{id}/mute", post(api::inbox::mute))
        .route("/inbox/{id}/redact", post(api::inbox::redact))
        .route(
            "/inbox/{id}/incident-record",
            post(api::inbox::incident_record),
        )
        .route(
            "/inbox/{id}/incident-reference",
            post(api::inbox::incident_reference),
        )
        .route("/inbox/{id}/case", post(api::inbox::link_case))
        .route("/inbox/{id}/unmute", post(api::inbox::unmute))
        .route(
            "/inbox/{id}/canned/{canned}",
            get(api::inbox_replies::canned_for),
        )
        .route(
            "/canned-replies",
            get(api::inbox_replies::canned_list).post(api::inbox_replies::canned_add),
        )
        .route(
            "/partners",
            get(api::referrals::agencies).post(api::referrals::add_agency),
        )
        .route("/partners/{id}/members", post(api::referrals::add_member))
        .route(
            "/referrals",
            get(api::referrals::list).post(api::referrals::create),
        )
        .route("/referrals/{id}", get(api::referrals::get))
        .route("/referrals/{id}/updates", post(api::referrals::update))
        .route("/analytics/audience", get(api::analytics::audience))
        .route("/analytics/national", get(api::analytics::national))
        .route("/analytics/responses", get(api::analytics::responses))
        .route(
            "/analytics/accounts/{id}/amplifiers",
            get(api::analytics::amplifiers),
        )
        .route(
            "/analytics/posts/{id}/amplifiers",
            get(api::analytics::post_amplifiers),
        )
        .route("/analytics/style/{user}", get(api::analytics::style))
        .route(
            "/campaigns",
            get(api::analytics::list_campaigns).post(api::analytics::create_campaign),
        )
        .route("/campaigns/{id}", get(api::analytics::campaign))
        .route("/campaigns/{id}/join", post(api::analytics::join_campaign))
        .route("/cases", get(api::cases::list).post(api::cases::create))
        .route("/staff-notifications", get(api::notifications::list))
        .route(
            "/staff-notifications/read",
            post(api::notifications::mark_read),
        )
        .route("/cases/hanging", get(api::cases::hanging))
        .route("/cases/follow-ups", get(api::cases::follow_ups))
        .route("/cases/{reference}", get(api::cases::get))
        .route("/cases/{reference}/people", post(api::cases::add_person))
        .route("/cases/{reference}/status", post(api::cases::set_status))
        .route(
            "/incidents",
            get(api::cases::incidents).post(api::cases::open_incident),
        )
        .route("/incidents/{reference}", get(api::cases::incident))
        .route(
            "/incidents/{reference}/updates",
            post(api::cases::post_update),
        )
        .route(
            "/incidents/{reference}/close",
            post(api::cases::close_incident),
        )
        .route(
            "/appeals",
            get(api::appeals::list).post(api::appeals::create),
        )
        .route("/appeals/{reference}", get(api::appeals::get))
        .route(
            "/appeals/{reference}/status",
            post(api::appeals::set_status),
        )
        .route(
            "/appeals/{reference}/remove-images",
            post(api::appeals::remove_images),
        )
        .route("/tips", get(api::appeals::tips))
        .route("/tips/{id}", get(api::appeals::tip))
        .route("/tips/{id}/decision", post(api::appeals::decide))
        .route("/tips/{id}/bundle", get(api::appeals::bundle))
        .route("/evidence/{id}", get(api::appeals::evidence))
        .route("/rumours", get(api::inbox::rumours))
        .route("/rumours/{id}", get(api::inbox::rumour))
        .route("/rumours/{id}/answer", post(api::inbox::answer_rumour))
        .route("/tokens", get(api::list_tokens).post(api::create_token))
        .route("/tokens/{id}", axum::routing::delete(api::revoke_token))
        .fallback(api::not_found)
        // Extractor rejections (a bad path id or query) answer in JSON like the rest.
        .layer(axum::middleware::map_response(api::extract::json_errors));

    let app = Router::new()
        .nest("/api/v1", api_v1)
        .route("/api/openapi.json", get(api::openapi))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route(
            "/assets/app.css",
            get(|| asset("text/css; charset=utf-8", crate::layout::STYLESHEET)),
        )
        .route("/media/{id}", get(crate::uploads::serve_media))
        .route(
            "/media/{id}/thumbnail",
            get(crate::uploads::serve_thumbnail),
        )
        .route(
            "/assets/compose.js",
            get(|| asset(JS, crate::layout::COMPOSE_SCRIPT)),
        )
        .route(
            "/assets/forms.js",
            get(|| asset(JS, include_str!("../assets/forms.js"))),
        )
        .route(
            "/assets/push.js",
            get(|| asset(JS, include_str!("../assets/push.js"))),
        )
        .route(
            "/assets/inbox.js",
            get(|| asset(JS, include_str!("../assets/inbox.js"))),
        )
        .route(
            "/assets/campaign.js",
            get(|| asset(JS, include_str!("../assets/campaign.js"))),
        )
        .route(
            "/assets/incident.js",
            get(|| asset(JS, include_str!("../assets/incident.js"))),
        )
        // Installable as a web app: an officer can pin the staff side to a phone's
        // home screen.
        .route(
            "/manifest.webmanifest",
            get(|| {
                asset(
                    "application/manifest+json",
                    include_str!("../assets/manifest.webmanifest"),
                )
            }),
        )
        .route(
            "/assets/icon.svg",
            get(|| asset("image/svg+xml", include_str!("../assets/icon.svg"))),
        )
        // Federation (ActivityPub): discovery, actors on the force's domain
        // (chosen by Host), the inboxes (body limit -> 413) and the staff inbox.
        .route("/.well-known/webfinger", get(fed::discovery::webfinger))
        .route("/.well-known/host-meta", get(fed::discovery::host_meta))
        .route(
            "/.well-known/atproto-did",
            get(api::connections::atproto_did),
        )
        .route("/.well-known/nodeinfo", get(fed::discovery::nodeinfo_index))
        .route("/nodeinfo/2.1", get(fed::discovery::nodeinfo))
        .route("/users/{handle}", get(fed::discovery::actor_document))
        .route("/users/{handle}/followers", get(fed::discovery::followers))
        .route("/users/{handle}/following", get(fed::discovery::following))
        .route("/users/{handle}/outbox", get(fed::discovery::outbox))
        .route(
            "/users/{handle}/posts/{id}",
            get(fed::discovery::note_document),
        )
        .route(
            "/users/{handle}/inbox",
            post(fed::inbox::user_inbox).layer(DefaultBodyLimit::max(MAX_INBOX_BODY)),
        )
        .route(
            "/inbox",
            post(fed::inbox::shared_inbox).layer(DefaultBodyLimit::max(MAX_INBOX_BODY)),
        )
        .route("/tags/{tag}", get(public::tag_page))
        .route("/forces/{code}/tags/{tag}", get(public::force_tag_page))
        .route("/staff/fediverse", get(fed::staff::page))
        .route("/staff/inbox/block", post(fed::staff::block))
        .merge(staff::routes(state.clone()))
        .merge(crate::mastodon::routes())
        .merge(public::subscribe::routes())
        .merge(public::submission_routes())
        // Request spans for everything above; the public reads below are the hot path
        // a whole county refreshes at once, so they are counted in the metrics but
        // carry no per-request span.
        .layer(TraceLayer::new_for_http())
        .merge(public::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(security_header(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(
            header::REFERRER_POLICY,
            "strict-origin-when-cross-origin",
        ))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        // Every handler finds the proxies it may believe (auth::client_addr);
        // an Arc clone per request, no middleware future.
        .layer(axum::Extension(trusted_proxies));
    // Served over HTTPS: browsers must keep using HTTPS for a year, so a
    // downgrade on a hostile network cannot strip it. (Browsers ignore the
    // header over plain HTTP, so a mistaken setting does no harm there.)
    let app = if hsts {
        app.layer(security_header(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000",
        ))
    } else {
        app
    };
    app.with_state(state)
}

const CSP: &str = "default-src 'self'; img-src 'self' https: data:; media-src 'self'; \
                   style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; \
                   form-action 'self'; frame-ancestors 'none'";

/// A header every response carries unless a handler set its own. (A plain layer
/// rather than a middleware function: no boxed future on the hot path.)
fn security_header(
    name: header::HeaderName,
    value: &'static str,
) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed: {error}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Metrics say how busy the server is and which routes fail: not for the public.
/// Without a `metrics_token` configured they are off (404); with one, the scraper
/// sends `Authorization: Bearer <metrics_token>` (else 401).
async fn metrics_text(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return not_found().await.into_response();
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !crate::auth::constant_time_eq(sent.trim().as_bytes(), expected.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "send the metrics token: Authorization: Bearer <metrics_token>",
        )
            .into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

const JS: &str = "text/javascript; charset=utf-8";

/// A file compiled into the binary, cached by browsers for an hour.
async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn not_found() -> PageError {
    PageError(WebError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is nothing at this address. Check the link, or start again from the home page.",
    ))
}
