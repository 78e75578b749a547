//! The public pages: the list of forces, each force's page, each account's
//! profile, single posts, and the feeds. Anyone may read them; they show nothing
//! that is not public. Hot documents are served from [`cache`].

pub mod appeals;
pub mod cache;
pub mod contact;
pub mod feeds;
mod incident_map;
pub mod incidents;
pub mod subscribe;
pub mod tus;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bluelamp_domain::PostStatus;
use bluelamp_services::{self as services, ServiceError};
use bluelamp_store::{accounts, forces, media, posts};
use bytes::Bytes;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use crate::error::PageError;
use crate::layout;
use crate::AppState;
use cache::{Cached, Lookup};
use feeds::Format;

pub const PAGE_SIZE: i64 = 20;
const FEED_SIZE: i64 = 50;

/// What the public send: tips with their files, and resumable uploads. Bodies here
/// may be large (a tip's photos, a video chunk), so each route sets its own limit.
pub fn submission_routes() -> Router<AppState> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::post;
    let tip_limit = DefaultBodyLimit::max(crate::uploads::MAX_UPLOAD_BYTES);
    // A chunk may be the whole file (many clients send it in one PATCH).
    let chunk_limit = DefaultBodyLimit::max(bluelamp_services::uploads::MAX_UPLOAD_BYTES as usize);
    Router::new()
        .route(
            "/forces/{code}/appeals/{reference}/tips",
            post(appeals::submit_to_appeal).layer(tip_limit),
        )
        .route(
            "/forces/{code}/tips",
            get(appeals::general_form)
                .post(appeals::submit_general)
                .layer(tip_limit),
        )
        .route(
            "/forces/{code}/uploads",
            post(tus::create).options(tus::options),
        )
        .route(
            "/forces/{code}/uploads/{id}",
            axum::routing::head(tus::head)
                .patch(tus::patch)
                .delete(tus::delete)
                .options(tus::options)
                .layer(chunk_limit),
        )
}

pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/", get(index))
        .route("/forces/{code}", get(force_page))
        .route("/forces/{code}/accounts/{handle}", get(profile))
        .route("/forces/{code}/posts/{id}", get(single_post))
        .route("/forces/{code}/appeals", get(appeals::latest_page))
        .route(
            "/forces/{code}/appeals/{reference}",
            get(appeals::appeal_page),
        )
        .route("/forces/{code}/incidents/{reference}", get(incidents::page))
        .route(
            "/forces/{code}/incidents/{reference}/updates",
            get(incidents::all_updates),
        )
        .route(
            "/forces/{code}/incidents/{reference}/live",
            get(incidents::live),
        );
    for format in [Format::Atom, Format::Rss, Format::Json] {
        let ext = format.extension();
        router = router
            .route(
                &format!("/forces/{{code}}/appeals/feed.{ext}"),
                get(
                    move |state: State<AppState>, path: Path<String>, headers: HeaderMap| {
                        appeals::latest_feed(state, path, headers, format)
                    },
                ),
            )
            .route(
                &format!("/forces/{{code}}/incidents/{{reference}}/feed.{ext}"),
                get(
                    move |state: State<AppState>,
                          path: Path<(String, String)>,
                          headers: HeaderMap| {
                        incidents::feed(state, path, headers, format)
                    },
                ),
            )
            .route(
                &format!("/forces/{{code}}/feed.{ext}"),
                get(
                    move |state: State<AppState>, path: Path<String>, headers: HeaderMap| {
                        force_feed(state, path, headers, format)
                    },
                ),
            )
            .route(
                &format!("/forces/{{code}}/accounts/{{handle}}/feed.{ext}"),
                get(
                    move |state: State<AppState>,
                          path: Path<(String, String)>,
                          headers: HeaderMap| {
                        account_feed(state, path, headers, format)
                    },
                ),
            );
    }
    router
}

#[derive(Deserialize, Default)]
pub struct Paging {
    pub before: Option<i64>,
}

/// Answer from a cached document, with conditional GET (304 when unchanged).
fn serve(headers: &HeaderMap, document: &Cached) -> Response {
    let none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let modified_since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok());
    let unchanged = match none_match {
        Some(tags) => tags
            .split(',')
            .any(|t| t.trim() == document.etag || t.trim() == "*"),
        None => modified_since.is_some_and(|since| since == document.last_modified),
    };
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        document.body.clone().into_response()
    };
    let headers = response.headers_mut();
    for (name, value) in &document.headers {
        if unchanged && name == header::CONTENT_TYPE {
            continue;
        }
        headers.insert(name.clone(), value.clone());
    }
    headers.insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("public, max-age=1"),
    );
    response
}

/// HTTP date (RFC 7231 IMF-fixdate) from a stored time.
fn http_date(stored: &str) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// Look a document up, or build it with `build` (at most one builder per key at a time).
async fn cached<F, Fut>(state: &AppState, key: String, build: F) -> Result<Arc<Cached>, PageError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Cached, PageError>>,
{
    match state.public_cache.lookup(&key) {
        Lookup::Fresh(document) => Ok(document),
        Lookup::Rebuild(stale) => match build().await {
            Ok(document) => Ok(state.public_cache.store(key, document)),
            Err(error) => match stale {
                Some(document) => {
                    tracing::warn!("serving a stale copy of {key}: rebuild failed");
                    Ok(document)
                }
                None => Err(error),
            },
        },
    }
}

async fn index(State(state): State<AppState>) -> Result<Response, PageError> {
    let all = services::public::forces(&state.store).await?;
    let content = html! {
        p { "Follow your local police on the channels you already use." }
        ul {
            @for force in &all { li { a href=(format!("/forces/{}", force.code)) { (force.name) } } }
        }
        p.hint { "Police staff: " a href="/login" { "log in" } "." }
    };
    Ok(layout::page("Police forces on this server", None, content).into_response())
}

fn feed_links(base_path: &str, title: &str) -> Markup {
    html! {
        link rel="alternate" type="application/atom+xml" title=(format!("{title} (Atom)")) href=(format!("{base_path}/feed.atom"));
        link rel="alternate" type="application/rss+xml" title=(format!("{title} (RSS)")) href=(format!("{base_path}/feed.rss"));
        link rel="alternate" type="application/feed+json" title=(format!("{title} (JSON Feed)")) href=(format!("{base_path}/feed.json"));
    }
}

fn feed_nav(base_path: &str) -> Markup {
    html! {
        p.hint {
            "Follow by feed: "
            a href=(format!("{base_path}/feed.atom")) { "Atom" } ", "
            a href=(format!("{base_path}/feed.rss")) { "RSS" } ", "
            a href=(format!("{base_path}/feed.json")) { "JSON Feed" } "."
        }
    }
}

/// One post as the public sees it (a tombstone if it was deleted).
fn post_article(
    force: &forces::Force,
    post: &posts::Post,
    account: Option<&accounts::Account>,
    attachments: &[media::Media],
    heading: bool,
) -> Markup {
    html! {
        article.post {
            @if post.status == PostStatus::Deleted {
                p.hint { "This post was deleted." }
            } @else {
                @if heading {
                    @if let Some(account) = account {
                        h3 { a href=(format!("/forces/{}/accounts/{}", force.code, account.handle)) { (account.display_name) } }
                    }
                }
                @if let Some(warning) = &post.content_warning {
                    // The reader opens it on purpose; <details> needs no JavaScript.
                    details.content-warning {
                        summary { "Content warning: " (warning) }
                        (post_content(force, post, attachments))
                    }
                } @else {
                    (post_content(force, post, attachments))
                }
                p.hint {
                    a href=(format!("/forces/{}/posts/{}", force.code, post.id)) {
                        time datetime=(post.public_date()) { (post.public_date().get(..16).unwrap_or_default().replace('T', " ")) " UTC" }
                    }
                    @if post.updated_at.is_some() && post.published_at.is_some() && post.updated_at.as_deref() > post.published_at.as_deref() { " · edited" }
                }
            }
        }
    }
}

/// A post's text (links and hashtags made links, as on the fediverse; the
/// renderer escapes everything else) and media.
fn post_content(force: &forces::Force, post: &posts::Post, attachments: &[media::Media]) -> Markup {
    let tags = format!("/forces/{}/tags/", force.code);
    let rendered = bluelamp_federation::html::render_text(
        &post.body,
        &bluelamp_federation::html::RenderContext {
            local_domain: &force.domain,
            hashtag_base: &tags,
            mentions: &[],
        },
    );
    html! {
        div.post-text { (PreEscaped(rendered.html)) }
        @for item in attachments {
            @if item.kind == "image" {
                a href=(format!("/media/{}", item.id)) {
                    img src=(format!("/media/{}/thumbnail", item.id)) alt=(item.alt) width=[item.width] height=[item.height] loading="lazy";
                }
            } @else {
                video controls preload="none" src=(format!("/media/{}", item.id)) aria-label=(item.alt) {}
            }
        }
    }
}

fn pager(path: &str, page: &[posts::Post]) -> Markup {
    html! {
        @if page.len() as i64 == PAGE_SIZE {
            @if let Some(last) = page.last() {
                nav aria-label="More posts" { a rel="next" href=(format!("{path}?before={}", last.id)) { "Older posts" } }
            }
        }
    }
}

async fn force_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Response, PageError> {
    let listing =
        services::public::page(&state.store, &code, None, paging.before, PAGE_SIZE).await?;
    let (force, force_accounts, latest) = (&listing.force, &listing.accounts, &listing.posts);
    let path = format!("/forces/{}", force.code);
    let content = html! {
        @if let Some(logo) = &force.logo_url {
            img.force-logo src=(logo) alt=(format!("{} logo", force.name)) height="64";
        }
        (feed_nav(&path))
        (subscribe::subscribe_link(&force.code, None))
        section aria-labelledby="accounts" {
            h2 id="accounts" { "Accounts" }
            ul {
                @for account in force_accounts {
                    li { a href=(format!("/forces/{}/accounts/{}", force.code, account.handle)) { (account.display_name) } " @" (account.handle) "@" (force.domain) }
                }
            }
        }
        section aria-labelledby="latest" {
            h2 id="latest" { "Latest posts" }
            @for post in latest {
                (post_article(force, post, listing.account_of(post), &listing.media_of(post.id), true))
            }
            @if latest.is_empty() { p { "No posts yet." } }
            (pager(&path, latest))
        }
    };
    Ok(
        layout::page_with_head(&force.name, None, feed_links(&path, &force.name), content)
            .into_response(),
    )
}

async fn build_profile(
    state: &AppState,
    code: &str,
    handle: &str,
    before: Option<i64>,
) -> Result<Cached, PageError> {
    let listing =
        services::public::page(&state.store, code, Some(handle), before, PAGE_SIZE).await?;
    let force = &listing.force;
    let recent = &listing.posts;
    let Some(account) = listing.account.as_ref() else {
        return Err(PageError::from(ServiceError::NotFound("account")));
    };
    let path = format!("/forces/{}/accounts/{}", force.code, account.handle);
    let head = html! {
        (feed_links(&path, &account.display_name))
        meta property="og:type" content="profile";
        meta property="og:title" content=(account.display_name);
        meta property="og:description" content=(account.bio);
        meta property="og:url" content=(format!("{}{path}", state.config.public_base_url));
        meta name="twitter:card" content="summary";
    };
    let content = html! {
        p { "@" (account.handle) "@" (force.domain) " · " (account.kind.as_str()) " account of " a href=(format!("/forces/{}", force.code)) { (force.name) } }
        @if !account.bio.is_empty() { p { (account.bio) } }
        @if !force.domain.is_empty() {
            p id="verification" {
                strong { "Verified: " }
                "an official account of " (force.name) ", served from the force's own domain "
                strong { (force.domain) } ". On Mastodon and the rest of the fediverse, follow "
                strong { "@" (account.handle) "@" (force.domain) } "; an account of the same name anywhere else is not ours."
            }
        }
        (feed_nav(&path))
        (subscribe::subscribe_link(&force.code, Some(&account.handle)))
        section aria-labelledby="posts" {
            h2 id="posts" { "Posts" }
            @for post in recent {
                (post_article(force, post, Some(account), &listing.media_of(post.id), false))
            }
            @if recent.is_empty() { p { "No posts yet." } }
            (pager(&path, recent))
        }
    };
    let html = layout::page_with_head(&account.display_name, None, head, content).into_string();
    let last = recent
        .first()
        .map(|p| p.public_date().to_string())
        .unwrap_or_else(|| account.updated_at.clone());
    Ok(Cached::new(
        Bytes::from(html),
        "text/html; charset=utf-8",
        http_date(&last),
    ))
}

async fn profile(
    State(state): State<AppState>,
    Path((code, handle)): Path<(String, String)>,
    Query(paging): Query<Paging>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    // The first page of a busy account is what everyone asks for: cache it.
    if paging.before.is_some() {
        let document = build_profile(&state, &code, &handle, paging.before).await?;
        return Ok(serve(&headers, &document));
    }
    let key = format!("profile:{code}:{handle}");
    let document = cached(&state, key, || build_profile(&state, &code, &handle, None)).await?;
    Ok(serve(&headers, &document))
}

async fn single_post(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    let (force, post, account, attachments) =
        services::public::post(&state.store, &code, id).await?;
    let base = &state.config.public_base_url;
    let deleted = post.status == PostStatus::Deleted;
    let description = if deleted {
        "This post was deleted.".to_string()
    } else if let Some(warning) = &post.content_warning {
        // Link previews show the warning, not what it warns of.
        format!("Content warning: {warning}")
    } else {
        post.body.clone()
    };
    let image = attachments.iter().find(|m| m.kind == "image");
    let head = html! {
        meta property="og:type" content="article";
        meta property="og:title" content=(format!("{} on {}", account.display_name, force.name));
        meta property="og:description" content=(description);
        meta property="og:url" content=(format!("{base}/forces/{}/posts/{}", force.code, post.id));
        meta property="og:site_name" content=(force.name);
        @if let (Some(image), false) = (image, deleted) {
            meta property="og:image" content=(format!("{base}/media/{}", image.id));
            meta property="og:image:alt" content=(image.alt);
            meta name="twitter:card" content="summary_large_image";
        } @else {
            meta name="twitter:card" content="summary";
        }
        meta property="article:published_time" content=(post.public_date());
    };
    let title = format!("{} — post {}", account.display_name, post.id);
    let content = html! {
        (post_article(&force, &post, Some(&account), &attachments, true))
        @if let Some(parent) = post.reply_to_post_id {
            p.hint { "In reply to " a href=(format!("/forces/{}/posts/{parent}", force.code)) { "an earlier post" } "." }
        }
    };
    Ok(layout::page_with_head(&title, None, head, content).into_response())
}

/// How many posts a tag page lists.
const TAG_PAGE_SIZE: i64 = 50;

/// `/tags/{tag}` on a force's domain (where our Notes' hashtag links point):
/// the force's published posts that carry `#tag`, newest first.
pub async fn tag_page(
    State(state): State<AppState>,
    Path(tag): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let force = crate::federation::force_for_host(&state, &headers)
        .await
        .map_err(PageError)?;
    tag_page_of(&state, force, tag).await
}

/// `/forces/{code}/tags/{tag}`: the same page on the main public site, where
/// hashtags in posts link.
pub async fn force_tag_page(
    State(state): State<AppState>,
    Path((code, tag)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let force = services::public::force(&state.store, &code).await?;
    tag_page_of(&state, force, tag).await
}

async fn tag_page_of(
    state: &AppState,
    force: forces::Force,
    tag: String,
) -> Result<Response, PageError> {
    if tag.is_empty()
        || tag.chars().count() > 100
        || !tag.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        return Err(PageError::from(ServiceError::NotFound("tag")));
    }
    // The SQL narrows by text; the renderer decides what is really a hashtag
    // (so `#tag` inside a URL or `#tagger` do not count).
    let wanted = tag.to_lowercase();
    let domain = force.domain.clone();
    let listing = services::public::containing(
        &state.store,
        force,
        &format!("#{tag}"),
        500,
        |post| {
            let ctx = bluelamp_federation::html::RenderContext {
                local_domain: &domain,
                hashtag_base: "",
                mentions: &[],
            };
            bluelamp_federation::html::render_text(&post.body, &ctx)
                .hashtags
                .iter()
                .any(|t| t.to_lowercase() == wanted)
        },
        TAG_PAGE_SIZE as usize,
    )
    .await?;
    let (force, tagged) = (&listing.force, &listing.posts);
    let content = html! {
        p { "Posts of " a href=(format!("/forces/{}", force.code)) { (force.name) } " tagged #" (tag) "." }
        @for post in tagged {
            (post_article(force, post, listing.account_of(post), &listing.media_of(post.id), true))
        }
        @if tagged.is_empty() { p { "No posts carry this tag." } }
    };
    Ok(layout::page(&format!("#{tag}"), None, content).into_response())
}

async fn build_feed(
    state: &AppState,
    code: &str,
    handle: Option<&str>,
    format: Format,
) -> Result<Cached, PageError> {
    let listing = services::public::feed(&state.store, code, handle, FEED_SIZE).await?;
    let (force, account, items, force_accounts) = (
        &listing.force,
        listing.account.as_ref(),
        &listing.posts,
        &listing.accounts,
    );
    let subject = feeds::FeedSubject {
        force,
        account,
        base: &state.config.public_base_url,
        collection: None,
    };
    let body = feeds::render(format, &subject, items, force_accounts);
    let last = items
        .first()
        .map(|p| {
            p.updated_at
                .clone()
                .unwrap_or_else(|| p.public_date().to_string())
        })
        .unwrap_or_else(|| force.created_at.clone());
    Ok(Cached::new(
        Bytes::from(body),
        format.content_type(),
        http_date(&last),
    ))
}

async fn force_feed(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    format: Format,
) -> Result<Response, PageError> {
    let key = format!("feed:{code}::{}", format.extension());
    let document = cached(&state, key, || build_feed(&state, &code, None, format)).await?;
    note_feed_reader(&state, &code, None, &headers).await;
    Ok(serve(&headers, &document))
}

async fn account_feed(
    State(state): State<AppState>,
    Path((code, handle)): Path<(String, String)>,
    headers: HeaderMap,
    format: Format,
) -> Result<Response, PageError> {
    let key = format!("feed:{code}:{handle}:{}", format.extension());
    let document = cached(&state, key, || {
        build_feed(&state, &code, Some(&handle), format)
    })
    .await?;
    note_feed_reader(&state, &code, Some(&handle), &headers).await;
    Ok(serve(&headers, &document))
}

/// An aggregator that states how many subscribers it fetches for counts towards
/// the account's audience. Failing to note it never fails the feed.
async fn note_feed_reader(state: &AppState, code: &str, handle: Option<&str>, headers: &HeaderMap) {
    let Some(agent) = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    if let Err(error) =
        services::analytics::snapshot::note_feed_reader(&state.store, code, handle, agent).await
    {
        tracing::warn!("could not note a feed reader: {error}");
    }
}
