//! Accepting staff uploads and serving media publicly.
//!
//! Images are re-encoded by `bluelamp-media` (metadata such as GPS location is
//! gone, limits are checked before decoding); videos are kept as uploaded, their
//! type checked by content. The bytes go to the media store under a key derived
//! from their hash; the database keeps the evidence (original hash and size).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use bluelamp_domain::PostStatus;
use bluelamp_media::{LocalMediaStore, MediaKey, MediaStore};
use bluelamp_services::{ServiceError, Staff};
use bluelamp_store::{audit, media, posts};
use tower::ServiceExt;

use crate::error::{PageError, WebError};
use crate::AppState;

/// The largest compose form accepted (one video plus the text).
pub const MAX_UPLOAD_BYTES: usize = 110 * 1024 * 1024;

/// Only one image is decoded at a time: a 12-megapixel photo needs a few hundred
/// megabytes while it is being re-encoded.
static IMAGE_PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

fn media_error(error: bluelamp_media::MediaError) -> WebError {
    if error.is_client_error() {
        WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "media_refused",
            error.to_string(),
        )
    } else {
        tracing::error!(detail = ?error.detail(), "media processing failed: {error}");
        WebError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The file could not be processed; please try again.",
        )
    }
}

fn store_failure(error: bluelamp_media::StoreError) -> WebError {
    tracing::error!("media store failed: {error}");
    WebError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "The file could not be stored; please try again.",
    )
}

/// Accept one upload for `staff`; returns the media id to attach to a post.
pub async fn accept(
    state: &AppState,
    staff: &Staff,
    file_name: &str,
    bytes: &[u8],
) -> Result<i64, WebError> {
    let force = staff.current_force().map_err(WebError::from)?;
    let user = staff.user_id.ok_or_else(|| {
        WebError::from(ServiceError::Forbidden(
            "uploads are made by named staff users".into(),
        ))
    })?;
    let kind = bluelamp_media::sniff(bytes);
    let limits = bluelamp_media::Limits::default();
    let store = LocalMediaStore::new(state.config.media_dir.clone());
    let owned: Arc<[u8]> = Arc::from(bytes);
    let new_media = if kind.is_some_and(|k| k.is_video()) {
        let video = bluelamp_media::check_video(bytes, &limits)
            .map_err(|e| prefix(file_name, media_error(e)))?;
        let key = MediaKey::for_content(&video.sha256, video.extension).map_err(store_failure)?;
        store.put(&key, bytes).await.map_err(store_failure)?;
        Stored {
            kind: "video",
            content_type: video.content_type.to_string(),
            key: key.as_str().to_string(),
            thumbnail: None,
            width: None,
            height: None,
            size: video.len as i64,
            original_sha256: video.sha256.clone(),
            stored_sha256: video.sha256,
        }
    } else {
        let _permit = IMAGE_PERMITS
            .acquire()
            .await
            .map_err(|_| WebError::bad_request("the server is shutting down"))?;
        let input = owned.clone();
        let image =
            tokio::task::spawn_blocking(move || bluelamp_media::process_image(&input, &limits))
                .await
                .map_err(|_| {
                    WebError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "The image could not be processed.",
                    )
                })?
                .map_err(|e| prefix(file_name, media_error(e)))?;
        let key = MediaKey::for_content(&image.sha256, image.format.extension())
            .map_err(store_failure)?;
        let thumb =
            MediaKey::for_content(&image.thumbnail.sha256, image.thumbnail.format.extension())
                .map_err(store_failure)?;
        store.put(&key, &image.bytes).await.map_err(store_failure)?;
        store
            .put(&thumb, &image.thumbnail.bytes)
            .await
            .map_err(store_failure)?;
        Stored {
            kind: "image",
            content_type: image.content_type.to_string(),
            key: key.as_str().to_string(),
            thumbnail: Some(thumb.as_str().to_string()),
            width: Some(i64::from(image.width)),
            height: Some(i64::from(image.height)),
            size: image.original_len as i64,
            original_sha256: image.original_sha256,
            stored_sha256: image.sha256,
        }
    };
    let record = async {
        let mut tx = state.store.write().await?;
        let row = media::insert(
            &mut tx,
            &media::NewMedia {
                force_id: force,
                kind: new_media.kind,
                content_type: &new_media.content_type,
                storage_key: &new_media.key,
                thumbnail_key: new_media.thumbnail.as_deref(),
                width: new_media.width,
                height: new_media.height,
                byte_size: new_media.size,
                sha256_original: &new_media.original_sha256,
                sha256_stored: &new_media.stored_sha256,
                alt: "",
                uploaded_by: user,
            },
        )
        .await?;
        let mut draft = bluelamp_domain::AuditDraft {
            force_id: Some(force),
            actor_user_id: Some(user),
            actor_label: staff.username.clone(),
            action: "media.upload".into(),
            target_type: "media".into(),
            target_id: row.id.to_string(),
            ip: staff.ip.clone(),
            ..Default::default()
        };
        draft.after = serde_json::to_string(&row).ok();
        audit::append(&mut tx, draft).await?;
        tx.commit().await?;
        Ok::<i64, bluelamp_store::StoreError>(row.id)
    };
    record
        .await
        .map_err(|e| WebError::from(ServiceError::from(e)))
}

struct Stored {
    kind: &'static str,
    content_type: String,
    key: String,
    thumbnail: Option<String>,
    width: Option<i64>,
    height: Option<i64>,
    size: i64,
    original_sha256: String,
    stored_sha256: String,
}

fn prefix(file_name: &str, mut error: WebError) -> WebError {
    let name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    error.detail = format!("{name}: {}", error.detail);
    error
}

/// The API upload (`POST /api/v1/media`, multipart field `file`, optional `description`).
pub async fn api_upload(
    State(state): State<AppState>,
    crate::auth::ApiStaff(staff): crate::auth::ApiStaff,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, crate::error::ApiError> {
    staff.require_scope("write").map_err(WebError::from)?;
    let mut file: Option<(String, axum::body::Bytes)> = None;
    let mut description = String::new();
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
            _ => {}
        }
    }
    let (name, bytes) = file
        .ok_or_else(|| WebError::bad_request("send the file in a multipart field named 'file'"))?;
    let id = accept(&state, &staff, &name, &bytes).await?;
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
