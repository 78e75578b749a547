//! Resumable evidence uploads (tus 1.0: core, creation, termination, checksum,
//! expiration). The web layer streams each PATCH into the upload's partial file; this
//! module keeps the state: the offset only moves once bytes are on disk, an upload
//! not finished within [`EXPIRES_AFTER_HOURS`] is discarded with its file, and a
//! finished one becomes an evidence item (checked by content, hashed, kept byte for
//! byte) that a tip then names.

use crate::error::invalid;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use bluelamp_media::{check_evidence_start, LocalMediaStore, MediaKey};
use bluelamp_store::evidence::{self as store, NewEvidence, Upload};
use bluelamp_store::Store;
use sha2::{Digest, Sha256};

use crate::tips::safe_name;
use crate::{ServiceError, ServiceResult};

/// The largest upload: a long phone video at full quality.
pub const MAX_UPLOAD_BYTES: i64 = 2 * 1024 * 1024 * 1024;
pub const EXPIRES_AFTER_HOURS: i64 = 24;
const MAX_METADATA: usize = 4 * 1024;

/// An upload id is ours (hex): anything else is not looked up, let alone used in a path.
fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Where an upload's bytes gather until it is finished.
pub fn part_path(files: &LocalMediaStore, id: &str) -> PathBuf {
    files.root().join("incoming").join(format!("{id}.part"))
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent).
pub fn parse_metadata(header: &str) -> ServiceResult<Vec<(String, String)>> {
    if header.len() > MAX_METADATA {
        return Err(invalid(
            "Upload-Metadata",
            format!("at most {MAX_METADATA} bytes"),
        ));
    }
    let mut pairs = Vec::new();
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "Upload-Metadata",
                "each key is printable ASCII without spaces",
            ));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|_| {
                invalid(
                    "Upload-Metadata",
                    format!("the value of '{key}' is not Base64"),
                )
            })?;
        pairs.push((
            key.to_string(),
            String::from_utf8_lossy(&decoded).into_owned(),
        ));
    }
    Ok(pairs)
}

fn meta<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Create an upload of `length` bytes for a force; returns its id and expiry.
/// Expired uploads are swept first, so abandoned ones never pile up.
pub async fn begin(
    store: &Store,
    files: &LocalMediaStore,
    code: &str,
    length: i64,
    metadata: &str,
    sender_address: Option<&str>,
) -> ServiceResult<(String, String)> {
    if !(1..=MAX_UPLOAD_BYTES).contains(&length) {
        return Err(invalid(
            "Upload-Length",
            format!("from 1 byte to {MAX_UPLOAD_BYTES} bytes"),
        ));
    }
    parse_metadata(metadata)?;
    let force = crate::public::force(store, code).await?;
    sweep(store, files).await?;
    let id = crate::auth::random_token(16);
    let expires = bluelamp_store::format_time(
        time::OffsetDateTime::now_utc() + time::Duration::hours(EXPIRES_AFTER_HOURS),
    );
    let path = part_path(files, &id);
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
    }
    tokio::fs::File::create(&path)
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let address = sender_address.filter(|_| force.settings.record_tip_addresses);
    let mut tx = store.write().await?;
    store::create_upload(&mut tx, &id, force.id, length, metadata, address, &expires).await?;
    tx.commit().await?;
    Ok((id, expires))
}

/// An upload of the force, live (not expired).
pub async fn status(store: &Store, code: &str, id: &str) -> ServiceResult<Upload> {
    if !valid_id(id) {
        return Err(ServiceError::NotFound("upload"));
    }
    let force = crate::public::force(store, code).await?;
    let mut conn = store.read().await?;
    let upload = store::upload(&mut conn, id)
        .await?
        .filter(|u| u.force_id == force.id)
        .ok_or(ServiceError::NotFound("upload"))?;
    if upload.evidence_id.is_none() && upload.expires_at < bluelamp_store::now_text() {
        // Expired: as good as gone (tus allows 404 or 410).
        return Err(ServiceError::NotFound("upload"));
    }
    Ok(upload)
}

/// Record that the bytes from `from` to `to` are on disk.
pub async fn record_progress(store: &Store, id: &str, from: i64, to: i64) -> ServiceResult<()> {
    let mut tx = store.write().await?;
    if !store::advance_upload(&mut tx, id, from, to).await? {
        return Err(ServiceError::Conflict(
            "The upload moved on meanwhile; ask for its offset again.".into(),
        ));
    }
    tx.commit().await?;
    Ok(())
}

/// The whole file has arrived: check its type by content (an image's size from its
/// header), hash it, move it into the evidence store and record it. A file that is
/// not a photo or video is refused and discarded, with the reason.
pub async fn complete(
    store: &Store,
    files: &LocalMediaStore,
    upload: &Upload,
) -> ServiceResult<i64> {
    let path = part_path(files, &upload.id);
    let limits = bluelamp_media::Limits {
        max_video_bytes: MAX_UPLOAD_BYTES as u64,
        ..Default::default()
    };
    let checked = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || hash_and_sniff(&path, &limits))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?
    };
    let (kind, sha256) = match checked {
        Ok(found) => found,
        Err(refusal) => {
            discard(store, files, &upload.id).await?;
            return Err(refusal);
        }
    };
    let key = MediaKey::for_content(&sha256, kind.extension())
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let target = files.path_of(&key);
    if let Some(dir) = target.parent() {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
    }
    tokio::fs::rename(&path, &target)
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let pairs = parse_metadata(&upload.metadata).unwrap_or_default();
    let filename = safe_name(meta(&pairs, "filename").unwrap_or("upload"));
    let declared = meta(&pairs, "filetype")
        .unwrap_or("")
        .chars()
        .take(100)
        .collect::<String>();
    let mut tx = store.write().await?;
    let evidence = store::insert_evidence(
        &mut tx,
        &NewEvidence {
            force_id: upload.force_id,
            tip_id: None,
            filename: &filename,
            content_type: kind.content_type(),
            declared_type: &declared,
            byte_size: upload.upload_length,
            sha256: &sha256,
            storage_key: key.as_str(),
        },
    )
    .await?;
    store::finish_upload(&mut tx, &upload.id, evidence).await?;
    tx.commit().await?;
    Ok(evidence)
}

/// Type by content from the first 64 KiB, SHA-256 over the whole file in 1 MiB
/// reads: memory stays flat however large the video.
fn hash_and_sniff(
    path: &Path,
    limits: &bluelamp_media::Limits,
) -> ServiceResult<(bluelamp_media::MediaKind, String)> {
    let io = |e: std::io::Error| ServiceError::Internal(format!("reading an upload: {e}"));
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut buffer = vec![0u8; 1024 * 1024];
    let mut hasher = Sha256::new();
    let mut start = Vec::new();
    loop {
        let n = file.read(&mut buffer).map_err(io)?;
        if n == 0 {
            break;
        }
        if start.len() < 64 * 1024 {
            start.extend_from_slice(&buffer[..n.min(64 * 1024 - start.len())]);
        }
        hasher.update(&buffer[..n]);
    }
    let kind = check_evidence_start(&start, limits).map_err(|e| invalid("file", e.to_string()))?;
    Ok((kind, hex::encode(hasher.finalize())))
}

async fn discard(store: &Store, files: &LocalMediaStore, id: &str) -> ServiceResult<()> {
    let _ = tokio::fs::remove_file(part_path(files, id)).await;
    let mut tx = store.write().await?;
    store::delete_upload(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Termination: an unfinished upload and its bytes are deleted. A finished one is
/// evidence and stays.
pub async fn terminate(
    store: &Store,
    files: &LocalMediaStore,
    code: &str,
    id: &str,
) -> ServiceResult<()> {
    let upload = status(store, code, id).await?;
    if upload.evidence_id.is_some() {
        return Err(ServiceError::Conflict(
            "This upload is complete and kept as evidence; it cannot be deleted.".into(),
        ));
    }
    discard(store, files, id).await
}

/// Discard up to 100 expired, unfinished uploads and their partial files.
pub async fn sweep(store: &Store, files: &LocalMediaStore) -> ServiceResult<usize> {
    let expired = {
        let mut conn = store.read().await?;
        store::expired_uploads(&mut conn, &bluelamp_store::now_text(), 100).await?
    };
    for id in &expired {
        discard(store, files, id).await?;
    }
    Ok(expired.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_pairs_are_decoded_and_bad_ones_refused() {
        let pairs = parse_metadata("filename Y2xpcC5tcDQ=,filetype dmlkZW8vbXA0,is_confidential")
            .expect("valid");
        assert_eq!(meta(&pairs, "filename"), Some("clip.mp4"));
        assert_eq!(meta(&pairs, "filetype"), Some("video/mp4"));
        assert_eq!(meta(&pairs, "is_confidential"), Some(""));
        assert!(parse_metadata("filename not*base64").is_err());
    }

    #[test]
    fn only_our_ids_are_looked_up() {
        assert!(valid_id(&crate::auth::random_token(16)));
        assert!(!valid_id("../../etc/passwd"));
    }
}
