//! Uploaded media: the stored file's key, its hashes and metadata as evidence,
//! its alt text, and the post it belongs to once attached.

use bluelamp_domain::{ForceId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct Media {
    pub id: i64,
    pub force_id: ForceId,
    pub post_id: Option<i64>,
    pub position: i64,
    /// `image` or `video`.
    pub kind: String,
    pub content_type: String,
    #[serde(skip)]
    pub storage_key: String,
    #[serde(skip)]
    pub thumbnail_key: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub byte_size: i64,
    pub sha256_original: String,
    pub sha256_stored: String,
    pub alt: String,
    pub uploaded_by: UserId,
    pub created_at: String,
}

const COLUMNS: &str = "id, force_id, post_id, position, kind, content_type, storage_key, \
    thumbnail_key, width, height, byte_size, sha256_original, sha256_stored, alt, uploaded_by, created_at";

fn media_from(row: &AnyRow) -> Result<Media> {
    Ok(Media {
        id: row.try_get("id")?,
        force_id: ForceId(row.try_get("force_id")?),
        post_id: row.try_get("post_id")?,
        position: row.try_get("position")?,
        kind: row.try_get("kind")?,
        content_type: row.try_get("content_type")?,
        storage_key: row.try_get("storage_key")?,
        thumbnail_key: row.try_get("thumbnail_key")?,
        width: row.try_get("width")?,
        height: row.try_get("height")?,
        byte_size: row.try_get("byte_size")?,
        sha256_original: row.try_get("sha256_original")?,
        sha256_stored: row.try_get("sha256_stored")?,
        alt: row.try_get("alt")?,
        uploaded_by: UserId(row.try_get("uploaded_by")?),
        created_at: row.try_get("created_at")?,
    })
}

pub struct NewMedia<'a> {
    pub force_id: ForceId,
    pub kind: &'a str,
    pub content_type: &'a str,
    pub storage_key: &'a str,
    pub thumbnail_key: Option<&'a str>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub byte_size: i64,
    pub sha256_original: &'a str,
    pub sha256_stored: &'a str,
    pub alt: &'a str,
    pub uploaded_by: UserId,
}

pub async fn insert(conn: &mut AnyConnection, media: &NewMedia<'_>) -> Result<Media> {
    let row = sqlx::query(&format!(
        "INSERT INTO media (force_id, kind, content_type, storage_key, thumbnail_key, width, height, \
         byte_size, sha256_original, sha256_stored, alt, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {COLUMNS}"
    ))
    .bind(media.force_id.0)
    .bind(media.kind)
    .bind(media.content_type)
    .bind(media.storage_key)
    .bind(media.thumbnail_key)
    .bind(media.width)
    .bind(media.height)
    .bind(media.byte_size)
    .bind(media.sha256_original)
    .bind(media.sha256_stored)
    .bind(media.alt)
    .bind(media.uploaded_by.0)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    media_from(&row)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Media> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM media WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("media"))?;
    media_from(&row)
}

/// Attach an unattached upload to a post, with its alt text.
pub async fn attach(
    conn: &mut AnyConnection,
    id: i64,
    post: i64,
    position: i64,
    alt: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE media SET post_id = $1, position = $2, alt = $3 WHERE id = $4 AND post_id IS NULL",
    )
    .bind(post)
    .bind(position)
    .bind(alt)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!(
            "media {id} is already attached to a post"
        )));
    }
    Ok(())
}

/// Change the alt text of an upload not yet attached to a post (once attached,
/// the post's own edit workflow owns it).
pub async fn set_alt(conn: &mut AnyConnection, id: i64, alt: &str) -> Result<Media> {
    let row = sqlx::query(&format!(
        "UPDATE media SET alt = $1 WHERE id = $2 AND post_id IS NULL RETURNING {COLUMNS}"
    ))
    .bind(alt)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::Conflict(format!("media {id} is already attached to a post")))?;
    media_from(&row)
}

pub async fn for_post(conn: &mut AnyConnection, post: i64) -> Result<Vec<Media>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM media WHERE post_id = $1 ORDER BY position"
    ))
    .bind(post)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(media_from).collect()
}

/// Media of many posts at once (for listings), keyed by post id.
pub async fn for_posts(conn: &mut AnyConnection, posts: &[i64]) -> Result<Vec<Media>> {
    if posts.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are integers we produced, so inlining them is safe and keeps one query
    // shape for both backends.
    let list = posts
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM media WHERE post_id IN ({list}) ORDER BY post_id, position"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(media_from).collect()
}
