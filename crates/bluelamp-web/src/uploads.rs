//! Accepting staff uploads and serving media publicly.
//!
//! What an upload must be, who may make one and how it is stored is decided in
//! `bluelamp_services::media::upload`; this module reads the multipart form,
//! maps the outcome to HTTP, and serves published media.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use bluelamp_domain::{AccountId, PostStatus};
use bluelamp_media::{LocalMediaStore, MediaKey};
use bluelamp_services::media::{Upload, UploadError};
use bluelamp_services::{ServiceError, Staff};
use bluelamp_store::{media, posts};
use tower::ServiceExt;

use crate::error::{PageError, WebError};
use crate::AppState;

/// The largest compose form accepted (one video plus the text).
pub const MAX_UPLOAD_BYTES: usize = 110 * 1024 * 1024;

/// Accept one upload by `staff` for `account`; returns the media id to attach
/// to a post.
pub async fn accept(
    state: &AppState,
    staff: &Staff,
    account: Option<AccountId>,
    file_name: &str,
    bytes: &[u8],
) -> Result<i64, WebError> {
    let files = LocalMediaStore::new(state.config.media_dir.clone());
    let upload = Upload {
        account,
        file_name,
        bytes,
    };
    bluelamp_services::media::upload(&state.store, &files, staff, &upload)
        .await
        .map_err(|error| match error {
            UploadError::Refused(detail) => {
                WebError::new(StatusCode::UNPROCESSABLE_ENTITY, "media_refused", detail)
            }
            UploadError::Service(error) => WebError::from(error),
        })
}

/// The API upload (`POST /api/v1/media`, multipart fields `file` and `account`
/// (the id of the account the upload is for), optional `description`).
pub async fn api_upload(
    State(state): State<AppState>,
    crate::auth::ApiStaff(staff): crate::auth::ApiStaff,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, crate::error::ApiError> {
    staff.require_scope("write").map_err(WebError::from)?;
    let mut file: Option<(String, axum::body::Bytes)> = None;
    let mut description = String::new();
    let mut account: Option<AccountId> = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        WebError::new(
            e.status(),
            "bad_form",
            format!("the upload could not be read: {e}"),
        )
    })? {
        match field.name().unwrap_or_default() {
            "file" => {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field.bytes().await.map_err(|e| {
                    WebError::new(
                        e.status(),
                        "bad_form",
                        format!("the upload could not be read: {e}"),
                    )
                })?;
                file = Some((name, bytes));
            }
            "description" => description = field.text().await.unwrap_or_default(),
            "account" => {
                let text = field.text().await.unwrap_or_default();
                let id = parse_id(&text).ok_or_else(|| {
                    WebError::from(ServiceError::Invalid(bluelamp_domain::Invalid::new(
                        "account",
                        "the account must be given by its numeric id",
                    )))
                })?;
                account = Some(AccountId(id));
            }
            other => {
                return Err(WebError::bad_request(format!(
                    "unknown field '{}': send 'file', 'account' and optionally 'description'",
                    other.escape_default()
                ))
                .into())
            }
        }
    }
    let (name, bytes) = file
        .ok_or_else(|| WebError::bad_request("send the file in a multipart field named 'file'"))?;
    let id = accept(&state, &staff, account, &name, &bytes).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(serde_json::json!({"id": id, "description": description})),
    )
        .into_response())
}

/// Serve a post's media to the public: only once the post is published.
pub async fn serve_media(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    request: Request<axum::body::Body>,
) -> Result<Response, PageError> {
    serve(&state, id, false, request).await
}

pub async fn serve_thumbnail(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    request: Request<axum::body::Body>,
) -> Result<Response, PageError> {
    serve(&state, id, true, request).await
}

async fn serve(
    state: &AppState,
    id: i64,
    thumbnail: bool,
    request: Request<axum::body::Body>,
) -> Result<Response, PageError> {
    let not_found = || PageError(WebError::not_found("media"));
    let mut conn = state
        .store
        .read()
        .await
        .map_err(|e| PageError::from(ServiceError::from(e)))?;
    let item = media::get(&mut conn, id).await.map_err(|_| not_found())?;
    let post_id = item.post_id.ok_or_else(not_found)?;
    let post = posts::get(&mut conn, post_id)
        .await
        .map_err(|_| not_found())?;
    drop(conn);
    if post.status != PostStatus::Published {
        return Err(not_found());
    }
    let key = match (thumbnail, &item.thumbnail_key) {
        (true, Some(key)) => key.clone(),
        _ => item.storage_key.clone(),
    };
    let key = MediaKey::parse(&key).map_err(|_| not_found())?;
    let path = LocalMediaStore::new(state.config.media_dir.clone()).path_of(&key);
    // ServeFile answers Range requests, which browsers need to seek in a video.
    let mut response = tower_http::services::ServeFile::new(path)
        .oneshot(request)
        .await
        .map_err(|_| not_found())?
        .into_response();
    let content_type = if thumbnail && item.thumbnail_key.is_some() {
        "image/jpeg"
    } else {
        item.content_type.as_str()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(response)
}

/// A numeric id from a form field: `26`, or `26.0` as some clients write it.
fn parse_id(text: &str) -> Option<i64> {
    let text = text.trim();
    text.parse::<i64>().ok().or_else(|| {
        let float = text.parse::<f64>().ok()?;
        (float.fract() == 0.0 && float.abs() < 9.0e15).then_some(float as i64)
    })
}
