//! Resumable evidence uploads over tus 1.0 (https://tus.io/protocols/resumable-upload):
//! core, creation, termination, checksum (sha1, sha256) and expiration, so standard
//! tus clients work. `POST /forces/{code}/uploads` creates one; `HEAD`, `PATCH` and
//! `DELETE` on its address ask its offset, append a chunk and abandon it.
//!
//! A chunk streams straight to the upload's file (memory stays flat for a 1 GB
//! video); the offset moves only after the bytes are synced, and a chunk whose
//! checksum does not match is cut off again. A connection lost mid-chunk keeps what
//! arrived (the client asks the offset and resumes) unless a checksum was promised.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bluelamp_media::LocalMediaStore;
use bluelamp_services::uploads::{self, MAX_UPLOAD_BYTES};
use bluelamp_services::ServiceError;
use sha1::Digest as _;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tokio_stream::StreamExt;

use crate::rate_limit::KeyedLimiter;
use crate::AppState;

const VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,termination,checksum,expiration";
/// The status tus gives a chunk whose checksum does not match.
const CHECKSUM_MISMATCH: u16 = 460;

fn creations() -> &'static KeyedLimiter<IpAddr> {
    static LIMIT: OnceLock<KeyedLimiter<IpAddr>> = OnceLock::new();
    // Generous: after a major incident many witnesses share one mobile network
    // address (carrier NAT); a script is still held to a few a second.
    LIMIT.get_or_init(|| KeyedLimiter::per_window(200, 600))
}

/// Uploads with a PATCH in flight in this process: a second writer waits its turn
/// by being told to ask the offset again.
fn busy() -> &'static Mutex<HashSet<String>> {
    static BUSY: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    BUSY.get_or_init(Default::default)
}

struct Writing(String);

impl Writing {
    fn claim(id: &str) -> Option<Writing> {
        let mut set = busy().lock().unwrap_or_else(|e| e.into_inner());
        set.insert(id.to_string()).then(|| Writing(id.to_string()))
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        busy()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.0);
    }
}

fn h(name: &'static str) -> HeaderName {
    HeaderName::from_static(name)
}

/// Every answer says which protocol version it speaks.
fn answer(status: StatusCode, headers: Vec<(HeaderName, String)>, body: String) -> Response {
    let mut response = (status, body).into_response();
    let map = response.headers_mut();
    map.insert(h("tus-resumable"), HeaderValue::from_static(VERSION));
    map.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            map.insert(name, value);
        }
    }
    response
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    answer(
        status,
        vec![(header::CONTENT_TYPE, "text/plain; charset=utf-8".into())],
        message.into(),
    )
}

fn from_service(error: ServiceError) -> Response {
    match error {
        ServiceError::Invalid(i) => refuse(
            StatusCode::BAD_REQUEST,
            format!("{}: {}", i.field, i.message),
        ),
        ServiceError::NotFound(_) => refuse(
            StatusCode::NOT_FOUND,
            "No such upload (it may have expired): start a new one.",
        ),
        ServiceError::Conflict(m) => refuse(StatusCode::CONFLICT, m),
        other => {
            tracing::error!("tus upload failed: {other}");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The upload could not be stored; please try again.",
            )
        }
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Every request but OPTIONS must say it speaks our version: the refusal if not.
fn version_refusal(headers: &HeaderMap) -> Option<Response> {
    match header_text(headers, "tus-resumable") {
        Some(VERSION) => None,
        _ => Some(answer(
            StatusCode::PRECONDITION_FAILED,
            vec![(h("tus-version"), VERSION.into())],
            "Send Tus-Resumable: 1.0.0".into(),
        )),
    }
}

fn files(state: &AppState) -> LocalMediaStore {
    LocalMediaStore::new(state.config.evidence_dir())
}

pub async fn options() -> Response {
    answer(
        StatusCode::NO_CONTENT,
        vec![
            (h("tus-version"), VERSION.into()),
            (h("tus-extension"), EXTENSIONS.into()),
            (h("tus-max-size"), MAX_UPLOAD_BYTES.to_string()),
            (h("tus-checksum-algorithm"), "sha1,sha256".into()),
        ],
        String::new(),
    )
}

pub async fn create(
    State(state): State<AppState>,
    Path(code): Path<String>,
    parts: Parts,
) -> Response {
    if let Some(r) = version_refusal(&parts.headers) {
        return r;
    }
    if parts.headers.contains_key("upload-defer-length") {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Give Upload-Length: uploads of unknown length are not supported.",
        );
    }
    let Some(length) =
        header_text(&parts.headers, "upload-length").and_then(|v| v.parse::<i64>().ok())
    else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Give the file's size in Upload-Length.",
        );
    };
    if length > MAX_UPLOAD_BYTES {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The largest upload is {MAX_UPLOAD_BYTES} bytes."),
        );
    }
    let address = crate::auth::client_addr(&parts);
    if address.is_some_and(|ip| !creations().allow(&ip)) {
        return answer(
            StatusCode::TOO_MANY_REQUESTS,
            vec![(header::RETRY_AFTER, "60".into())],
            "Too many uploads from your network just now; try again in a minute.".into(),
        );
    }
    let metadata = header_text(&parts.headers, "upload-metadata").unwrap_or_default();
    match uploads::begin(
        &state.store,
        &files(&state),
        &code,
        length,
        metadata,
        address.map(|a| a.to_string()).as_deref(),
    )
    .await
    {
        Ok((id, expires)) => answer(
            StatusCode::CREATED,
            vec![
                (header::LOCATION, format!("/forces/{code}/uploads/{id}")),
                (h("upload-expires"), http_date(&expires)),
            ],
            String::new(),
        ),
        Err(e) => from_service(e),
    }
}

fn http_date(stored: &str) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

pub async fn head(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = version_refusal(&headers) {
        return r;
    }
    match uploads::status(&state.store, &code, &id).await {
        Ok(upload) => {
            let mut fields = vec![
                (h("upload-offset"), upload.upload_offset.to_string()),
                (h("upload-length"), upload.upload_length.to_string()),
                (h("upload-expires"), http_date(&upload.expires_at)),
            ];
            if !upload.metadata.is_empty() {
                fields.push((h("upload-metadata"), upload.metadata.clone()));
            }
            answer(StatusCode::OK, fields, String::new())
        }
        Err(e) => from_service(e),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = version_refusal(&headers) {
        return r;
    }
    match uploads::terminate(&state.store, &files(&state), &code, &id).await {
        Ok(()) => answer(StatusCode::NO_CONTENT, vec![], String::new()),
        Err(e) => from_service(e),
    }
}

/// The chunk's promised checksum: algorithm and expected digest.
enum Checksum {
    Sha1(sha1::Sha1, Vec<u8>),
    Sha256(sha2::Sha256, Vec<u8>),
}

/// The promised checksum, or why the header cannot be used.
fn checksum(headers: &HeaderMap) -> Result<Option<Checksum>, &'static str> {
    let Some(value) = header_text(headers, "upload-checksum") else {
        return Ok(None);
    };
    let (algorithm, digest) = value.split_once(' ').unwrap_or((value, ""));
    let digest = base64::engine::general_purpose::STANDARD
        .decode(digest.trim())
        .map_err(|_| "Upload-Checksum: the digest is not Base64.")?;
    match algorithm {
        "sha1" => Ok(Some(Checksum::Sha1(sha1::Sha1::new(), digest))),
        "sha256" => Ok(Some(Checksum::Sha256(sha2::Sha256::new(), digest))),
        _ => Err("Upload-Checksum: use sha1 or sha256."),
    }
}

pub async fn patch(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(r) = version_refusal(&headers) {
        return r;
    }
    if header_text(&headers, "content-type") != Some("application/offset+octet-stream") {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send chunks as Content-Type: application/offset+octet-stream.",
        );
    }
    let Some(offset) = header_text(&headers, "upload-offset").and_then(|v| v.parse::<i64>().ok())
    else {
        return refuse(StatusCode::BAD_REQUEST, "Give Upload-Offset.");
    };
    let mut promised = match checksum(&headers) {
        Ok(c) => c,
        Err(why) => return refuse(StatusCode::BAD_REQUEST, why),
    };
    // A surge waits its turn rather than failing (see crate::intake).
    let Some(_turn) = crate::intake::evidence().enter().await else {
        return answer(
            StatusCode::SERVICE_UNAVAILABLE,
            vec![(
                header::RETRY_AFTER,
                crate::intake::RETRY_AFTER_SECONDS.to_string(),
            )],
            "Very many uploads are arriving; nothing you sent is lost. Ask for the offset and resume shortly.".into(),
        );
    };
    let upload = match uploads::status(&state.store, &code, &id).await {
        Ok(u) => u,
        Err(e) => return from_service(e),
    };
    if upload.evidence_id.is_some() || offset != upload.upload_offset {
        return answer(
            StatusCode::CONFLICT,
            vec![(h("upload-offset"), upload.upload_offset.to_string())],
            format!(
                "The upload is at offset {}: send from there.",
                upload.upload_offset
            ),
        );
    }
    let Some(_writing) = Writing::claim(&id) else {
        return refuse(
            StatusCode::CONFLICT,
            "Another request is writing this upload; ask for its offset again.",
        );
    };
    let store = files(&state);
    let path = uploads::part_path(&store, &id);
    let file = tokio::fs::OpenOptions::new().write(true).open(&path).await;
    let Ok(mut file) = file else {
        return from_service(ServiceError::NotFound("upload"));
    };
    // Bytes past the recorded offset (a chunk cut off before it was recorded) go.
    if file.set_len(offset as u64).await.is_err()
        || file
            .seek(std::io::SeekFrom::Start(offset as u64))
            .await
            .is_err()
    {
        return from_service(ServiceError::Internal("cannot position the upload".into()));
    }
    let mut written: i64 = 0;
    let mut stream = body.into_data_stream();
    let mut broken = false;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            broken = true;
            break;
        };
        if offset + written + chunk.len() as i64 > upload.upload_length {
            let _ = file.set_len(offset as u64).await;
            return refuse(
                StatusCode::BAD_REQUEST,
                "More bytes than the Upload-Length given at creation.",
            );
        }
        match &mut promised {
            Some(Checksum::Sha1(d, _)) => d.update(&chunk),
            Some(Checksum::Sha256(d, _)) => d.update(&chunk),
            None => {}
        }
        if file.write_all(&chunk).await.is_err() {
            broken = true;
            break;
        }
        written += chunk.len() as i64;
    }
    let matches = match promised {
        None => true,
        Some(Checksum::Sha1(d, expected)) => {
            !broken && d.finalize().as_slice() == expected.as_slice()
        }
        Some(Checksum::Sha256(d, expected)) => {
            !broken && d.finalize().as_slice() == expected.as_slice()
        }
    };
    if !matches {
        let _ = file.set_len(offset as u64).await;
        let status = StatusCode::from_u16(CHECKSUM_MISMATCH).unwrap_or(StatusCode::BAD_REQUEST);
        return answer(
            status,
            vec![(h("upload-offset"), offset.to_string())],
            "Checksum mismatch: the chunk was discarded; send it again.".into(),
        );
    }
    // On disk before the offset says so: an acknowledged byte survives a crash.
    if file.sync_data().await.is_err() {
        return from_service(ServiceError::Internal("cannot sync".into()));
    }
    drop(file);
    let reached = offset + written;
    if written > 0 {
        if let Err(e) = uploads::record_progress(&state.store, &id, offset, reached).await {
            return from_service(e);
        }
    }
    if reached == upload.upload_length {
        let finished = bluelamp_store::evidence::Upload {
            upload_offset: reached,
            ..upload
        };
        if let Err(e) = uploads::complete(&state.store, &store, &finished).await {
            return match e {
                ServiceError::Invalid(i) => refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("The file was not accepted: {}", i.message),
                ),
                other => from_service(other),
            };
        }
    }
    answer(
        StatusCode::NO_CONTENT,
        vec![(h("upload-offset"), reached.to_string())],
        String::new(),
    )
}
