//! Appeals on the public site: each appeal's page with the form to answer it (text,
//! optional contact details, photos and videos), the "latest appeals" page and its
//! feeds (the feed that must never be down: cached like every public feed, served
//! stale if a rebuild fails), and a general form for tips to the force.
//!
//! The tip forms carry no session: a double-submit CSRF cookie, a honeypot field a
//! person never fills, and a throttle per network address.

use std::net::IpAddr;
use std::sync::OnceLock;

use axum::extract::{Multipart, Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bluelamp_media::LocalMediaStore;
use bluelamp_services::auth::random_token;
use bluelamp_services::inbox::ingest::{self, Author, Inbound};
use bluelamp_services::tips::{self, IncomingFile, TipInput, MAX_FILES};
use bluelamp_services::{appeals, ServiceError};
use bytes::Bytes;
use maud::{html, Markup};

use super::cache::Cached;
use super::feeds::{self, Collection, Format};
use super::{cached, feed_links, feed_nav, http_date, post_article, serve};
use crate::auth::{constant_time_eq, cookie, set_cookie};
use crate::error::{PageError, WebError};
use crate::layout::{self, csrf_field};
use crate::rate_limit::KeyedLimiter;
use crate::AppState;

const TIP_CSRF_COOKIE: &str = "bl_tip_csrf";
const FEED_SIZE: i64 = 50;

fn network_throttle() -> &'static KeyedLimiter<IpAddr> {
    static THROTTLE: OnceLock<KeyedLimiter<IpAddr>> = OnceLock::new();
    // Twenty tips per address per ten minutes: a family sharing a router after a
    // major incident is fine; a script is not.
    THROTTLE.get_or_init(|| KeyedLimiter::per_window(20, 600))
}

fn respond_help(respond: &[String]) -> Markup {
    html! {
        ul {
            @for way in respond {
                @match way.as_str() {
                    "999" => li { strong { "If you see them now, call 999." } },
                    "101" => li { "Call 101 and quote the reference." },
                    "crimestoppers" => li { "To stay anonymous, call Crimestoppers on 0800 555 111 or use their website." },
                    _ => li { "Use the form below; you can send photos or video." },
                }
            }
        }
    }
}

/// The fields of a tip form, kept when it comes back with an error.
#[derive(Default)]
struct TipFields {
    text: String,
    contact_name: String,
    contact_detail: String,
}

fn tip_form(action: &str, csrf: &str, fields: &TipFields, error: Option<(&str, &str)>) -> Markup {
    let error_for = |f: &str| error.filter(|e| e.0 == f).map(|e| e.1);
    html! {
        form method="post" action=(action) enctype="multipart/form-data" {
            (csrf_field(csrf))
            @if let Some((_, message)) = error { div.error role="alert" id="tip-error" { p { (message) } } }
            label for="text" { "What you know" }
            @if let Some(m) = error_for("text") { p.field-error id="text-error" { (m) } }
            textarea id="text" name="text" rows="6" required maxlength="10000"
                aria-invalid=[error_for("text").map(|_| "true")]
                aria-describedby=[error_for("text").map(|_| "text-error")] { (fields.text) }
            label for="files" { "Photos or video (optional, up to " (MAX_FILES) " files)" }
            @if let Some(m) = error_for("files") { p.field-error id="files-error" { (m) } }
            input type="file" id="files" name="files" multiple accept="image/*,video/*"
                aria-invalid=[error_for("files").map(|_| "true")]
                aria-describedby=[error_for("files").map(|_| "files-error")];
            @if error.is_some() { p.hint { "Files are not kept when a form comes back: please choose them again." } }
            label for="contact_name" { "Your name (optional: you may stay anonymous)" }
            input type="text" id="contact_name" name="contact_name" autocomplete="name" maxlength="200" value=(fields.contact_name);
            label for="contact_detail" { "How we can reach you: e-mail or phone (optional)" }
            input type="text" id="contact_detail" name="contact_detail" autocomplete="email" maxlength="200" value=(fields.contact_detail);
            div.trap aria-hidden="true" {
                label for="website" { "Leave this empty" }
                input type="text" id="website" name="website" tabindex="-1" autocomplete="off";
            }
            button type="submit" { "Send to the police" }
        }
        p.hint { "What you send is kept as evidence exactly as received, with the time. In an emergency call 999." }
    }
}

fn with_cookie(state: &AppState, status: StatusCode, token: &str, body: Markup) -> Response {
    (
        status,
        [(SET_COOKIE, set_cookie(state, TIP_CSRF_COOKIE, token, 3600))],
        body,
    )
        .into_response()
}

async fn appeal_markup(
    state: &AppState,
    code: &str,
    reference: &str,
    fields: &TipFields,
    error: Option<(&str, &str)>,
    csrf: &str,
) -> Result<(String, Markup), PageError> {
    let view = appeals::public(&state.store, code, reference).await?;
    let (force, appeal) = (&view.force, &view.appeal);
    let action = format!("/forces/{}/appeals/{}/tips", force.code, appeal.reference);
    let content = html! {
        p { "Reference " strong { (appeal.reference) } " · " a href=(format!("/forces/{}/appeals", force.code)) { "All appeals" } }
        @if appeal.status != "open" {
            div.callout role="status" { p { strong { "This appeal is " (appeal.status) "." } " Thank you to everyone who helped. Images have been removed." } }
        }
        p { (appeal.what_happened) }
        dl {
            dt { "Where" } dd { (appeal.place) }
            @if let Some(when) = &appeal.happened_at { dt { "When" } dd { (when) } }
        }
        @if let Some(post) = &view.post {
            (post_article(force, post, None, &view.media, false))
        }
        @if appeal.status == "open" {
            h2 { "How to help" }
            (respond_help(&appeal.respond))
            @if appeal.respond.iter().any(|r| r == "online") {
                h2 id="tip" { "Send information" }
                (tip_form(&action, csrf, fields, error))
            }
        }
    };
    Ok((appeal.title.clone(), content))
}

pub async fn appeal_page(
    State(state): State<AppState>,
    Path((code, reference)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let token = random_token(16);
    let (title, content) = appeal_markup(
        &state,
        &code,
        &reference,
        &TipFields::default(),
        None,
        &token,
    )
    .await?;
    Ok(with_cookie(
        &state,
        StatusCode::OK,
        &token,
        layout::page(&title, None, content),
    ))
}

pub async fn general_form(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let force = bluelamp_services::public::force(&state.store, &code).await?;
    let token = random_token(16);
    let body = general_page(
        &force.code,
        &force.name,
        &token,
        &TipFields::default(),
        None,
    );
    Ok(with_cookie(&state, StatusCode::OK, &token, body))
}

fn general_page(
    code: &str,
    name: &str,
    csrf: &str,
    fields: &TipFields,
    error: Option<(&str, &str)>,
) -> Markup {
    layout::page(
        &format!("Tell {name} what you know"),
        None,
        html! {
            p { "Information about a crime, with photos or video if you have them. To answer a particular appeal, use " a href=(format!("/forces/{code}/appeals")) { "its own page" } "." }
            (tip_form(&format!("/forces/{code}/tips"), csrf, fields, error))
        },
    )
}

/// What the multipart tip form carried.
struct Submission {
    fields: TipFields,
    csrf: String,
    honeypot: String,
    files: Vec<IncomingFile>,
    uploads: Vec<String>,
}

async fn read_form(mut multipart: Multipart) -> Result<Submission, WebError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        WebError::new(
            e.status(),
            "bad_form",
            format!("the form could not be read: {e}"),
        )
    };
    let mut s = Submission {
        fields: TipFields::default(),
        csrf: String::new(),
        honeypot: String::new(),
        files: Vec::new(),
        uploads: Vec::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "files" => {
                let file_name = field.file_name().unwrap_or("file").to_string();
                let declared = field.content_type().unwrap_or("").to_string();
                let bytes = field.bytes().await.map_err(bad)?;
                if bytes.is_empty() && file_name.is_empty() {
                    continue;
                }
                if !bytes.is_empty() {
                    s.files.push(IncomingFile {
                        name: file_name,
                        declared_type: declared,
                        bytes: bytes.to_vec(),
                    });
                }
                if s.files.len() > MAX_FILES {
                    return Err(WebError::bad_request(format!(
                        "at most {MAX_FILES} files with one message"
                    )));
                }
            }
            other => {
                let text = field.text().await.map_err(bad)?;
                match other {
                    "text" => s.fields.text = text,
                    "contact_name" => s.fields.contact_name = text,
                    "contact_detail" => s.fields.contact_detail = text,
                    "csrf" => s.csrf = text,
                    "website" => s.honeypot = text,
                    "upload" => s.uploads.push(text),
                    _ => {}
                }
            }
        }
    }
    Ok(s)
}

pub async fn submit_to_appeal(
    State(state): State<AppState>,
    Path((code, reference)): Path<(String, String)>,
    parts: Parts,
    multipart: Multipart,
) -> Result<Response, PageError> {
    submit(state, code, Some(reference), parts, multipart).await
}

pub async fn submit_general(
    State(state): State<AppState>,
    Path(code): Path<String>,
    parts: Parts,
    multipart: Multipart,
) -> Result<Response, PageError> {
    submit(state, code, None, parts, multipart).await
}

async fn submit(
    state: AppState,
    code: String,
    appeal: Option<String>,
    parts: Parts,
    multipart: Multipart,
) -> Result<Response, PageError> {
    // A surge waits its turn before its files are read (see crate::intake).
    let Some(_turn) = crate::intake::evidence().enter().await else {
        let page = layout::page(
            "Please try again in a minute",
            None,
            html! {
                div.error role="alert" {
                    p { "Very many people are sending us information just now and yours could not be taken in time. Nothing was stored: please go back, and send it again in a minute. In an emergency call 999." }
                }
            },
        );
        let retry = crate::intake::RETRY_AFTER_SECONDS.to_string();
        return Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, retry)],
            page,
        )
            .into_response());
    };
    let form = read_form(multipart).await?;
    let force = bluelamp_services::public::force(&state.store, &code).await?;
    let again = |status: StatusCode, field: &str, message: &str| {
        let state = state.clone();
        let fields = TipFields {
            text: form.fields.text.clone(),
            contact_name: form.fields.contact_name.clone(),
            contact_detail: form.fields.contact_detail.clone(),
        };
        let (code, name, appeal) = (force.code.clone(), force.name.clone(), appeal.clone());
        let (field, message) = (field.to_string(), message.to_string());
        async move {
            let token = random_token(16);
            let body = match &appeal {
                Some(reference) => {
                    let (title, content) = appeal_markup(
                        &state,
                        &code,
                        reference,
                        &fields,
                        Some((&field, &message)),
                        &token,
                    )
                    .await?;
                    layout::page(&title, None, content)
                }
                None => general_page(&code, &name, &token, &fields, Some((&field, &message))),
            };
            Ok::<Response, PageError>(with_cookie(&state, status, &token, body))
        }
    };
    let expected = cookie(&parts, TIP_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return again(StatusCode::FORBIDDEN, "csrf", "This form has expired. What you wrote is kept below: please choose any files again and send it.").await;
    }
    let address = crate::auth::client_addr(&parts);
    if address.is_some_and(|ip| !network_throttle().allow(&ip)) {
        return again(StatusCode::TOO_MANY_REQUESTS, "text", "Too many messages from your network just now. What you wrote is kept below: please try again in a few minutes, or call 101 (999 in an emergency).").await;
    }
    if !form.honeypot.trim().is_empty() {
        // A robot filled the trap: answer as if received, keep nothing.
        return Ok(thanks(&force.code, &force.name, None).into_response());
    }
    let files = LocalMediaStore::new(state.config.evidence_dir());
    let limits = bluelamp_media::Limits::default();
    let received = tips::submit(
        &state.store,
        &files,
        &limits,
        &force.code,
        appeal.as_deref(),
        &TipInput {
            text: &form.fields.text,
            contact_name: Some(&form.fields.contact_name),
            contact_detail: Some(&form.fields.contact_detail),
            uploads: &form.uploads,
        },
        form.files,
        address.map(|a| a.to_string()).as_deref(),
    )
    .await;
    let received = match received {
        Ok(r) => r,
        Err(ServiceError::Invalid(invalid)) => {
            return again(StatusCode::BAD_REQUEST, invalid.field, &invalid.message).await;
        }
        Err(other) => return Err(other.into()),
    };
    // Tips are triaged with everything else the public send: an emergency written
    // into an appeal's form still reaches the inbox's urgent queue.
    let contact = form.fields.contact_detail.trim();
    let message = Inbound {
        channel: "tip".into(),
        external_id: format!("tip-{}", received.tip_id),
        author: Author {
            handle: if contact.is_empty() {
                "anonymous".into()
            } else {
                contact.to_string()
            },
            name: Some(form.fields.contact_name.trim().to_string()).filter(|n| !n.is_empty()),
            url: None,
        },
        text: format!(
            "{}\n\n(Tip {} with {} file(s){})",
            form.fields.text.trim(),
            received.tip_id,
            received.files,
            appeal
                .as_deref()
                .map(|a| format!(", answering appeal {a}"))
                .unwrap_or_default()
        ),
        media: Vec::new(),
        reply_to: None,
        conversation: None,
        sent_at: None,
        account_id: None,
    };
    if let Ok(outcomes) =
        ingest::ingest(&state.store, force.id, std::slice::from_ref(&message)).await
    {
        crate::staff::announce_urgent(&state, Some(force.id), &outcomes);
    }
    Ok(thanks(&force.code, &force.name, Some(received.tip_id)).into_response())
}

fn thanks(code: &str, name: &str, tip: Option<i64>) -> Markup {
    layout::page(
        "Thank you: your information is received",
        None,
        html! {
            @if let Some(id) = tip { p { "Your reference is " strong { "TIP-" (id) } ". Quote it if you call 101." } }
            p { "Officers will look at what you sent. If you left contact details, they may get in touch." }
            p { a href=(format!("/forces/{code}")) { "Back to " (name) } }
        },
    )
}

/// The open appeals, newest first.
pub async fn latest_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let key = format!("appeals:{code}");
    let document = cached(&state, key, || async {
        let listing = appeals::latest(&state.store, &code, FEED_SIZE).await?;
        let force = &listing.force;
        let path = format!("/forces/{}/appeals", force.code);
        let content = html! {
            p { "Can you help? These are " (force.name) "'s open appeals for information." }
            (feed_nav(&path))
            @for post in &listing.posts {
                (post_article(force, post, listing.account_of(post), &listing.media_of(post.id), true))
                @if let Some(reference) = post.link_ref.as_deref() {
                    p { a href=(format!("{path}/{reference}")) { "Read the appeal and send information" } }
                }
            }
            @if listing.posts.is_empty() { p { "There are no open appeals." } }
        };
        let title = format!("Appeals: {}", force.name);
        let html = layout::page_with_head(&title, None, feed_links(&path, &title), content).into_string();
        let last = listing.posts.first().map(|p| p.public_date().to_string()).unwrap_or_else(|| force.created_at.clone());
        Ok(Cached::new(Bytes::from(html), "text/html; charset=utf-8", http_date(&last)))
    })
    .await?;
    Ok(serve(&headers, &document))
}

pub async fn latest_feed(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    format: Format,
) -> Result<Response, PageError> {
    let key = format!("appeals-feed:{code}:{}", format.extension());
    let document = cached(&state, key, || async {
        let listing = appeals::latest(&state.store, &code, FEED_SIZE).await?;
        let subject = feeds::FeedSubject {
            force: &listing.force,
            account: None,
            base: &state.config.public_base_url,
            collection: Some(Collection {
                path: "appeals",
                title: "Appeals for information",
            }),
        };
        let body = feeds::render(format, &subject, &listing.posts, &listing.accounts);
        let last = listing
            .posts
            .first()
            .map(|p| p.public_date().to_string())
            .unwrap_or_else(|| listing.force.created_at.clone());
        Ok(Cached::new(
            Bytes::from(body),
            format.content_type(),
            http_date(&last),
        ))
    })
    .await?;
    Ok(serve(&headers, &document))
}
