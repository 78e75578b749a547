//! Uploading media for a post. An upload names the account it is for, and only
//! a member of that account who may post there may upload: otherwise any staff
//! role (an analyst, a partner agency) could put files on the server.
//!
//! Images are re-encoded by `bluelamp-media` (metadata such as GPS location is
//! gone, limits are checked before decoding); videos are kept as uploaded, their
//! type checked by content. The bytes go to the media store under a key derived
//! from their hash; the database keeps the evidence (original hash and size) and
//! the audit entry, in one transaction.

use std::sync::Arc;

use bluelamp_domain::{AccountId, Action, Invalid};
use bluelamp_media::{MediaKey, MediaStore};
use bluelamp_store::{audit, media};

use crate::{ServiceError, Staff};

/// Only one image is decoded at a time: a 12-megapixel photo needs a few hundred
/// megabytes while it is being re-encoded.
static IMAGE_PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Why an upload was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The file itself was refused (wrong type, too large, undecodable); the
    /// message names the file and is safe to show (422).
    #[error("{0}")]
    Refused(String),
    /// Who may upload, the account, or something on our side.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<bluelamp_store::StoreError> for UploadError {
    fn from(error: bluelamp_store::StoreError) -> Self {
        UploadError::Service(error.into())
    }
}

/// One file as received.
pub struct Upload<'a> {
    /// The account the upload is for (required: see the module docs).
    pub account: Option<AccountId>,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
}

/// What was written to the media store.
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

fn clean_name(file_name: &str) -> String {
    file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect()
}

fn media_failure(file_name: &str, error: bluelamp_media::MediaError) -> UploadError {
    if error.is_client_error() {
        UploadError::Refused(format!("{}: {error}", clean_name(file_name)))
    } else {
        tracing::error!(detail = ?error.detail(), "media processing failed: {error}");
        UploadError::Service(ServiceError::Internal(format!(
            "media processing failed: {error}"
        )))
    }
}

fn store_failure(error: bluelamp_media::StoreError) -> UploadError {
    UploadError::Service(ServiceError::Internal(format!(
        "media store failed: {error}"
    )))
}

/// Accept one upload by `staff` for `upload.account`; returns the media id to
/// attach to a post. The permission is checked before any decoding work.
pub async fn upload(
    store: &bluelamp_store::Store,
    files: &dyn MediaStore,
    staff: &Staff,
    upload: &Upload<'_>,
) -> Result<i64, UploadError> {
    staff.authorize(Action::UploadMedia)?;
    staff.require_scope("write")?;
    let force = staff.current_force()?;
    let account = upload.account.ok_or_else(|| {
        ServiceError::Invalid(Invalid::new(
            "account",
            "name the account the upload is for (the field 'account', its id)",
        ))
    })?;
    let user = staff
        .user_id
        .ok_or_else(|| ServiceError::Forbidden("uploads are made by named staff users".into()))?;
    let account = {
        let mut conn = store.read().await?;
        crate::membership::posting_member(&mut conn, staff, account)
            .await?
            .0
    };
    let stored = process(files, upload.file_name, upload.bytes).await?;
    let mut tx = store.write().await?;
    let row = media::insert(
        &mut tx,
        &media::NewMedia {
            force_id: force,
            kind: stored.kind,
            content_type: &stored.content_type,
            storage_key: &stored.key,
            thumbnail_key: stored.thumbnail.as_deref(),
            width: stored.width,
            height: stored.height,
            byte_size: stored.size,
            sha256_original: &stored.original_sha256,
            sha256_stored: &stored.stored_sha256,
            alt: "",
            uploaded_by: user,
        },
    )
    .await?;
    let mut draft = crate::auth::entry(staff, "media.upload", "media", row.id);
    let mut after = serde_json::to_value(&row).unwrap_or_default();
    after["account"] = serde_json::json!({"id": account.id, "handle": account.handle});
    draft.after = Some(after.to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(row.id)
}

async fn process(
    files: &dyn MediaStore,
    file_name: &str,
    bytes: &[u8],
) -> Result<Stored, UploadError> {
    let kind = bluelamp_media::sniff(bytes);
    let limits = bluelamp_media::Limits::default();
    if kind.is_some_and(|k| k.is_video()) {
        let video =
            bluelamp_media::check_video(bytes, &limits).map_err(|e| media_failure(file_name, e))?;
        let key = MediaKey::for_content(&video.sha256, video.extension).map_err(store_failure)?;
        files.put(&key, bytes).await.map_err(store_failure)?;
        return Ok(Stored {
            kind: "video",
            content_type: video.content_type.to_string(),
            key: key.as_str().to_string(),
            thumbnail: None,
            width: None,
            height: None,
            size: video.len as i64,
            original_sha256: video.sha256.clone(),
            stored_sha256: video.sha256,
        });
    }
    let _permit = IMAGE_PERMITS
        .acquire()
        .await
        .map_err(|_| ServiceError::Internal("the image permits were closed".into()))?;
    let input: Arc<[u8]> = Arc::from(bytes);
    let image = tokio::task::spawn_blocking(move || bluelamp_media::process_image(&input, &limits))
        .await
        .map_err(|e| ServiceError::Internal(format!("image processing task failed: {e}")))?
        .map_err(|e| media_failure(file_name, e))?;
    let key =
        MediaKey::for_content(&image.sha256, image.format.extension()).map_err(store_failure)?;
    let thumb = MediaKey::for_content(&image.thumbnail.sha256, image.thumbnail.format.extension())
        .map_err(store_failure)?;
    files.put(&key, &image.bytes).await.map_err(store_failure)?;
    files
        .put(&thumb, &image.thumbnail.bytes)
        .await
        .map_err(store_failure)?;
    Ok(Stored {
        kind: "image",
        content_type: image.content_type.to_string(),
        key: key.as_str().to_string(),
        thumbnail: Some(thumb.as_str().to_string()),
        width: Some(i64::from(image.width)),
        height: Some(i64::from(image.height)),
        size: image.original_len as i64,
        original_sha256: image.original_sha256,
        stored_sha256: image.sha256,
    })
}
