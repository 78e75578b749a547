//! A local stand-in for X's API v2 and Facebook's Graph API, following their
//! published documents: request shapes, OAuth 2 with PKCE (X), bearer and
//! `access_token` auth, error bodies (X's problem documents, Graph's `error`
//! object), and rate-limit headers (`x-rate-limit-*`; `x-app-usage`). Neither
//! network can be reached from here, so this is what their connectors are tested
//! against, and the README says so.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::Digest as _;

/// What the stand-in holds and saw.
#[derive(Default)]
pub struct Seen {
    /// Posts on each network: (network, id) -> text and its media.
    pub posts: HashMap<(String, String), Value>,
    /// Media uploaded, with their alt text.
    pub media: HashMap<String, Value>,
    /// code -> (challenge, redirect_uri)
    codes: HashMap<String, (String, String)>,
    /// access token -> expires (unix), refresh token -> live
    access: HashMap<String, i64>,
    refresh: HashMap<String, bool>,
    pub token_calls: Vec<String>,
    /// Answer the next post with 429 (X) / code 32 (Facebook).
    pub rate_limit_next: bool,
    /// Refuse the next media upload as X does an unreadable image.
    pub refuse_media_next: bool,
    /// Mentions of the X account: (author username, text).
    pub mentions: Vec<(String, String)>,
    /// Comments on the Page's posts: (post id, commenter name, text).
    pub comments: Vec<(String, String, String)>,
    /// Until this time (Unix seconds on the server's clock, which tests move),
    /// posting and reading posts answer 503, as a network in an outage does.
    pub down_until: i64,
    /// How many requests the outage turned away.
    pub turned_away: u32,
    /// When each post was accepted: (network, Unix seconds on the server's clock).
    pub posted_at: Vec<(String, i64)>,
    next_id: u64,
}

impl Seen {
    /// Someone on X mentions the account.
    pub fn mention(&mut self, author: &str, text: &str) {
        self.next_id += 1;
        self.mentions.push((author.into(), text.into()));
    }

    /// Someone comments on one of the Page's posts.
    pub fn comment(&mut self, post: &str, who: &str, text: &str) {
        self.comments.push((post.into(), who.into(), text.into()));
    }
}

pub type Shared = Arc<Mutex<Seen>>;

/// A 503 while the stand-in is "down" (see [`Seen::down_until`]).
fn outage(seen: &mut Seen) -> Option<Response> {
    if bluelamp_store::clock::now_unix() >= seen.down_until {
        return None;
    }
    seen.turned_away += 1;
    Some(
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": {"message": "Service temporarily unavailable", "type": "OAuthException", "code": 2}})),
        )
            .into_response(),
    )
}

pub const PAGE_ID: &str = "104200000000001";
pub const PAGE_TOKEN: &str = "EAAGpagetokenforthedemopage";
pub const X_USER: &str = "1500000000000000001";
/// Followers the stand-ins report for the X account and the Page.
pub const X_FOLLOWERS: i64 = 48_211;
pub const PAGE_FOLLOWERS: i64 = 31_507;

fn next_id(seen: &mut Seen) -> String {
    seen.next_id += 1;
    format!("{}", 1_800_000_000_000_000_000u64 + seen.next_id)
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    (
        status,
        [("content-type", "application/problem+json")],
        Json(json!({"title": title, "detail": detail, "type": "about:blank", "status": status.as_u16()})),
    )
        .into_response()
}

fn unauthorized() -> Response {
    problem(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized")
}

fn x_authorised(seen: &Seen, headers: &HeaderMap) -> bool {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    seen.access
        .get(token)
        .is_some_and(|expires| *expires > time::OffsetDateTime::now_utc().unix_timestamp())
}

async fn x_authorize(
    State(seen): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if q.get("code_challenge_method").map(String::as_str) != Some("S256")
        || q.get("response_type").map(String::as_str) != Some("code")
    {
        return (
            StatusCode::BAD_REQUEST,
            "PKCE with S256 and response_type=code are required",
        )
            .into_response();
    }
    let code = format!("code-{}", q.get("state").cloned().unwrap_or_default());
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    seen.lock().unwrap().codes.insert(
        code.clone(),
        (
            q.get("code_challenge").cloned().unwrap_or_default(),
            redirect.clone(),
        ),
    );
    // The user allows the app at once.
    Redirect::to(&format!(
        "{redirect}?state={}&code={code}",
        q.get("state").cloned().unwrap_or_default()
    ))
    .into_response()
}

async fn x_token(State(seen): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let mut seen = seen.lock().unwrap();
    let grant = f.get("grant_type").cloned().unwrap_or_default();
    seen.token_calls.push(grant.clone());
    let ok = match grant.as_str() {
        "authorization_code" => {
            let code = f.get("code").cloned().unwrap_or_default();
            match seen.codes.remove(&code) {
                Some((challenge, redirect)) => {
                    let verifier = f.get("code_verifier").cloned().unwrap_or_default();
                    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .encode(sha2::Sha256::digest(verifier.as_bytes()));
                    computed == challenge && f.get("redirect_uri") == Some(&redirect)
                }
                None => false,
            }
        }
        // Refresh tokens are single use: each renewal gives a new one.
        "refresh_token" => seen
            .refresh
            .remove(
                f.get("refresh_token")
                    .map(String::as_str)
                    .unwrap_or_default(),
            )
            .is_some(),
        _ => false,
    };
    if !ok {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_request", "error_description": "Value passed for the authorization code was invalid."}))).into_response();
    }
    let n = next_id(&mut seen);
    let (access, refresh) = (format!("access-{n}"), format!("refresh-{n}"));
    // Short-lived, so that a test sees a renewal.
    seen.access.insert(
        access.clone(),
        time::OffsetDateTime::now_utc().unix_timestamp() + 62,
    );
    seen.refresh.insert(refresh.clone(), true);
    Json(json!({"token_type": "bearer", "expires_in": 62, "access_token": access, "scope": "tweet.read tweet.write users.read offline.access", "refresh_token": refresh})).into_response()
}

async fn x_me(State(seen): State<Shared>, headers: HeaderMap) -> Response {
    if !x_authorised(&seen.lock().unwrap(), &headers) {
        return unauthorized();
    }
    Json(json!({"data": {"id": X_USER, "name": "North Wales Police", "username": "nwpolice", "public_metrics": {"followers_count": X_FOLLOWERS, "following_count": 12}}}))
        .into_response()
}

async fn x_media_upload(
    State(seen): State<Shared>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    if !x_authorised(&seen.lock().unwrap(), &headers) {
        return unauthorized();
    }
    let mut size = 0;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("media") {
            size = field.bytes().await.map(|b| b.len()).unwrap_or(0);
        }
    }
    let mut seen = seen.lock().unwrap();
    if size == 0 || std::mem::take(&mut seen.refuse_media_next) {
        return problem(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            "media type unrecognized.",
        );
    }
    let id = next_id(&mut seen);
    seen.media.insert(id.clone(), json!({"bytes": size}));
    Json(json!({"data": {"id": id, "media_key": format!("3_{id}"), "size": size}})).into_response()
}

async fn x_media_metadata(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut seen = seen.lock().unwrap();
    if !x_authorised(&seen, &headers) {
        return unauthorized();
    }
    let id = body["id"].as_str().unwrap_or_default().to_string();
    match seen.media.get_mut(&id) {
        Some(media) => {
            media["alt"] = body["metadata"]["alt_text"]["text"].clone();
            Json(json!({"data": {"id": id}})).into_response()
        }
        None => problem(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            "media id not found",
        ),
    }
}

async fn x_tweet(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut seen = seen.lock().unwrap();
    if !x_authorised(&seen, &headers) {
        return unauthorized();
    }
    if std::mem::take(&mut seen.rate_limit_next) {
        let reset = time::OffsetDateTime::now_utc().unix_timestamp() + 2;
        let mut r = problem(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            "Too Many Requests",
        );
        for (k, v) in [
            ("x-rate-limit-limit", "100".to_string()),
            ("x-rate-limit-remaining", "0".into()),
            ("x-rate-limit-reset", reset.to_string()),
        ] {
            r.headers_mut().insert(k, v.parse().unwrap());
        }
        return r;
    }
    let text = body["text"].as_str().unwrap_or_default();
    if text.chars().count() > 280 {
        return problem(StatusCode::FORBIDDEN, "Forbidden", "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].");
    }
    let id = next_id(&mut seen);
    let at = bluelamp_store::clock::now_unix();
    seen.posted_at.push(("x".into(), at));
    seen.posts.insert(("x".into(), id.clone()), body.clone());
    (
        StatusCode::CREATED,
        Json(json!({"data": {"id": id, "text": text, "edit_history_tweet_ids": [id]}})),
    )
        .into_response()
}

async fn x_user_tweets(State(seen): State<Shared>, headers: HeaderMap) -> Response {
    let seen = seen.lock().unwrap();
    if !x_authorised(&seen, &headers) {
        return unauthorized();
    }
    let data: Vec<Value> = seen
        .posts
        .iter()
        .filter(|((n, _), _)| n == "x")
        .map(|((_, id), p)| json!({"id": id, "text": p["text"]}))
        .collect();
    Json(json!({"data": data, "meta": {"result_count": data.len()}})).into_response()
}

async fn x_mentions(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let seen = seen.lock().unwrap();
    if !x_authorised(&seen, &headers) {
        return unauthorized();
    }
    let since: usize = q
        .get("since_id")
        .and_then(|s| s.strip_prefix("m"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut data = Vec::new();
    let mut users = Vec::new();
    for (n, (author, text)) in seen.mentions.iter().enumerate().skip(since) {
        let author_id = format!("u-{author}");
        data.push(json!({"id": format!("m{}", n + 1), "text": text, "author_id": author_id, "created_at": "2026-12-01T08:00:00.000Z", "conversation_id": format!("m{}", n + 1)}));
        users.push(json!({"id": author_id, "username": author, "name": author}));
    }
    // Newest first, as X lists them.
    data.reverse();
    let newest = (seen.mentions.len() > since).then(|| format!("m{}", seen.mentions.len()));
    Json(json!({"data": data, "includes": {"users": users}, "meta": {"result_count": data.len(), "newest_id": newest}})).into_response()
}

async fn x_delete(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let mut seen = seen.lock().unwrap();
    if !x_authorised(&seen, &headers) {
        return unauthorized();
    }
    let deleted = seen.posts.remove(&("x".into(), id)).is_some();
    Json(json!({"data": {"deleted": deleted}})).into_response()
}

fn graph_error(status: StatusCode, code: i64, message: &str) -> Response {
    (status, Json(json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}}))).into_response()
}

fn page_token_ok(token: Option<&String>) -> bool {
    token.map(String::as_str) == Some(PAGE_TOKEN)
}

async fn fb_me(Query(q): Query<HashMap<String, String>>) -> Response {
    if !page_token_ok(q.get("access_token")) {
        return graph_error(
            StatusCode::BAD_REQUEST,
            190,
            "Invalid OAuth access token - Cannot parse access token",
        );
    }
    Json(json!({"id": PAGE_ID, "name": "North Wales Police"})).into_response()
}

/// The Page's public fields (its follower count).
async fn fb_page(Path(page): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    if !page_token_ok(q.get("access_token")) || page != PAGE_ID {
        return graph_error(StatusCode::BAD_REQUEST, 190, "Invalid OAuth access token");
    }
    Json(json!({"id": PAGE_ID, "followers_count": PAGE_FOLLOWERS})).into_response()
}

async fn fb_photos(
    State(seen): State<Shared>,
    Path(_page): Path<String>,
    mut form: Multipart,
) -> Response {
    let mut fields = HashMap::new();
    let mut size = 0;
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or_default().to_string();
        if name == "source" {
            size = field.bytes().await.map(|b| b.len()).unwrap_or(0);
        } else {
            fields.insert(name, field.text().await.unwrap_or_default());
        }
    }
    if !page_token_ok(fields.get("access_token")) {
        return graph_error(StatusCode::BAD_REQUEST, 190, "Invalid OAuth access token");
    }
    let mut seen = seen.lock().unwrap();
    let id = next_id(&mut seen);
    seen.media.insert(id.clone(), json!({"bytes": size, "alt": fields.get("alt_text_custom"), "published": fields.get("published")}));
    Json(json!({"id": id})).into_response()
}

async fn fb_feed(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Path(page): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let _ = headers;
    if !page_token_ok(f.get("access_token")) {
        return graph_error(StatusCode::BAD_REQUEST, 190, "Invalid OAuth access token");
    }
    let mut seen = seen.lock().unwrap();
    if let Some(down) = outage(&mut seen) {
        return down;
    }
    if std::mem::take(&mut seen.rate_limit_next) {
        let mut r = graph_error(StatusCode::BAD_REQUEST, 32, "Page request limit reached");
        r.headers_mut().insert("x-page-usage", r#"{"call_count":100,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":1}"#.parse().unwrap());
        return r;
    }
    let message = f.get("message").cloned().unwrap_or_default();
    let media: Vec<String> = f
        .iter()
        .filter(|(k, _)| k.starts_with("attached_media"))
        .map(|(_, v)| v.clone())
        .collect();
    let id = format!("{page}_{}", next_id(&mut seen));
    let at = bluelamp_store::clock::now_unix();
    seen.posted_at.push(("facebook".into(), at));
    seen.posts.insert(
        ("facebook".into(), id.clone()),
        json!({"message": message, "attached_media": media}),
    );
    Json(json!({"id": id})).into_response()
}

async fn fb_posts(
    State(seen): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !page_token_ok(q.get("access_token")) {
        return graph_error(StatusCode::BAD_REQUEST, 190, "Invalid OAuth access token");
    }
    let mut seen = seen.lock().unwrap();
    if let Some(down) = outage(&mut seen) {
        return down;
    }
    let data: Vec<Value> = seen
        .posts
        .iter()
        .filter(|((n, _), _)| n == "facebook")
        .map(|((_, id), p)| json!({"id": id, "message": p["message"]}))
        .collect();
    Json(json!({"data": data})).into_response()
}

async fn fb_feed_read(
    State(seen): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !page_token_ok(q.get("access_token")) {
        return graph_error(StatusCode::BAD_REQUEST, 190, "Invalid OAuth access token");
    }
    let mut seen = seen.lock().unwrap();
    if let Some(down) = outage(&mut seen) {
        return down;
    }
    let data: Vec<Value> = seen
        .posts
        .keys()
        .filter(|(n, _)| n == "facebook")
        .map(|(_, id)| {
            let comments: Vec<Value> = seen
                .comments
                .iter()
                .enumerate()
                .filter(|(_, (post, _, _))| post == id)
                .map(|(n, (_, who, text))| json!({"id": format!("{id}_c{n}"), "message": text, "from": {"id": format!("10000000{n}"), "name": who}, "created_time": format!("2026-12-01T08:00:{n:02}+0000")}))
                .collect();
            json!({"id": id, "comments": {"data": comments}})
        })
        .collect();
    Json(json!({"data": data})).into_response()
}

async fn fb_delete(
    State(seen): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !page_token_ok(q.get("access_token")) {
        return graph_error(StatusCode::BAD_REQUEST, 190, "Invalid OAuth access token");
    }
    let removed = seen
        .lock()
        .unwrap()
        .posts
        .remove(&("facebook".into(), id))
        .is_some();
    if !removed {
        return graph_error(StatusCode::BAD_REQUEST, 100, "Unsupported delete request.");
    }
    Json(json!({"success": true})).into_response()
}

/// Start the stand-in on a free port: its base URL and what it saw.
pub async fn start() -> (String, Shared) {
    let seen: Shared = Arc::default();
    let app = Router::new()
        .route("/i/oauth2/authorize", get(x_authorize))
        .route("/2/oauth2/token", post(x_token))
        .route("/2/users/me", get(x_me))
        .route("/2/users/{id}/tweets", get(x_user_tweets))
        .route("/2/media/upload", post(x_media_upload))
        .route("/2/media/metadata", post(x_media_metadata))
        .route("/2/tweets", post(x_tweet))
        .route("/2/tweets/{id}", delete(x_delete))
        .route("/2/users/{id}/mentions", get(x_mentions))
        .route("/v21.0/me", get(fb_me))
        .route("/v21.0/{page}/photos", post(fb_photos))
        .route("/v21.0/{page}/feed", post(fb_feed).get(fb_feed_read))
        .route("/v21.0/{page}/posts", get(fb_posts))
        .route("/v21.0/{id}", delete(fb_delete).get(fb_page))
        .layer(axum::extract::DefaultBodyLimit::max(20 << 20))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, seen)
}
