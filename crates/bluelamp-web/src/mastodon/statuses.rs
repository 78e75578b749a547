//! Posting from an app: statuses (through the governance check), their thread,
//! scheduled statuses, and media with alt text.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use bluelamp_services::client_apps::reading;
use bluelamp_services::client_apps::statuses::{self as service, NewStatus, Posted};
use serde_json::{json, Value};

use super::{
    entities, flag, parse_id, path_id, scoped, text_field, ClientBody, ClientError, ClientResult,
    ClientStaff,
};
use crate::AppState;

fn new_status(body: &serde_json::Map<String, Value>) -> Result<NewStatus, ClientError> {
    let media_ids = match body.get("media_ids") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| parse_id(v, "media_ids"))
            .collect::<Result<_, _>>()?,
        Some(one) => vec![parse_id(one, "media_ids")?],
    };
    let in_reply_to_id = match body.get("in_reply_to_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(value) => Some(parse_id(value, "in_reply_to_id")?),
    };
    if body.get("poll").is_some_and(|p| !p.is_null()) {
        return Err(ClientError::unprocessable(
            "Validation failed: polls are not offered on this server",
        ));
    }
    Ok(NewStatus {
        status: text_field(body, "status")?.unwrap_or_default(),
        media_ids,
        in_reply_to_id,
        visibility: text_field(body, "visibility")?,
        sensitive: flag(body, "sensitive")?,
        spoiler_text: text_field(body, "spoiler_text")?,
        language: text_field(body, "language")?,
        scheduled_at: text_field(body, "scheduled_at")?,
    })
}

/// `POST /api/v1/statuses`: published (200 with the Status), scheduled (200
/// with a ScheduledStatus), held or refused (422 with the reason, which apps
/// show as it is; a held post waits in the approval queue).
pub async fn create(
    State(state): State<AppState>,
    ClientStaff(staff): ClientStaff,
    headers: HeaderMap,
    ClientBody(body): ClientBody,
) -> ClientResult {
    let staff = scoped(&staff, "write:statuses")?;
    let input = new_status(&body)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let posted = service::post_status(
        &state.store,
        &state.governance,
        &staff,
        &input,
        key.as_deref(),
    )
    .await?;
    match posted {
        Posted::Published(view) => {
            state.public_changed();
            let rendered = super::reading::render(&state, std::slice::from_ref(&view)).await?;
            super::ok(rendered.into_iter().next().unwrap_or(Value::Null))
        }
        Posted::Scheduled(view) => super::ok(entities::scheduled(&state, &view)),
        Posted::Held(message) | Posted::Refused(message) => {
            Err(ClientError::unprocessable(message))
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    ClientStaff(staff): ClientStaff,
    Path(id): Path<String>,
) -> ClientResult {
    let staff = scoped(&staff, "read:statuses")?;
    let view = reading::status(&state.store, &staff, path_id(&id)?).await?;
    let rendered = super::reading::render(&state, std::slice::from_ref(&view)).await?;
    super::ok(rendered.into_iter().next().unwrap_or(Value::Null))
}

pub async fn delete(
    State(state): State<AppState>,
    ClientStaff(staff): ClientStaff,
    Path(id): Path<String>,
) -> ClientResult {
    let staff = scoped(&staff, "write:statuses")?;
    let view = reading::delete_status(&state.store, &staff, path_id(&id)?).await?;
    state.public_changed();
    let rendered = super::reading::render(&state, std::slice::from_ref(&view)).await?;
    super::ok(rendered.into_iter().next().unwrap_or(Value::Null))
}

pub async fn context(
    State(state): State<AppState>,
    ClientStaff(staff): ClientStaff,
    Path(id): Path<String>,
) -> ClientResult {
    let staff = scoped(&staff, "read:statuses")?;
    let (ancestors, descendants) = reading::context(&state.store, &staff, path_id(&id)?).await?;
    super::ok(json!({
        "ancestors": super::reading::render(&state, &ancestors).await?,
        "descendants": super::reading::render(&state, &descendants).await?,
    }))
}

pub async fn scheduled_list(
    State(state): State<AppState>,
    ClientStaff(staff): ClientStaff,
) -> ClientResult {
    let staff = scoped(&staff, "read:statuses")?;
    let views = reading::scheduled(&state.store, &staff).await?;
    super::ok(Value::Array(
        views
            .iter()
            .map(|v| entities::scheduled(&state, v))
            .collect(),
    ))
}

pub async fn scheduled_show(
    State(state): State<AppState>,
    ClientStaff(staff): ClientStaff,
    Path(id): Path<String>,
) -> ClientResult {
    let staff = scoped(&staff, "read:statuses")?;
    let view = reading::scheduled_one(&state.store, &staff, path_id(&id)?).await?;
    super::ok(entities::scheduled(&state, &view))
}

pub async fn scheduled_cancel(
    State(state): State<AppState>,
    ClientStaff(staff): ClientStaff,
    Path(id): Path<String>,
) -> ClientResult {
    let staff = scoped(&staff, "write:statuses")?;
    reading::cancel_scheduled(&state.store, &staff, path_id(&id)?).await?;
    super::ok(json!({}))
}

fn unreadable(error: axum::extract::multipart::MultipartError) -> ClientError {
    ClientError::new(
        error.status(),
        format!("The upload could not be read: {error}"),
    )
}

/// `POST /api/v2/media`: processed at once (images are re-encoded, their
/// metadata removed), so the answer is 200 with the `url`.
pub async fn upload(
    State(state): State<AppState>,
    ClientStaff(staff): ClientStaff,
    mut multipart: Multipart,
) -> ClientResult {
    let staff = scoped(&staff, "write:media")?;
    let mut file: Option<(String, axum::body::Bytes)> = None;
    let mut description: Option<String> = None;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or_default() {
            "file" => {
                let name = field.file_name().unwrap_or("upload").to_string();
                file = Some((name, field.bytes().await.map_err(unreadable)?));
            }
            "description" => description = Some(field.text().await.map_err(unreadable)?),
            // A custom thumbnail and the focal point are not used: thumbnails are
            // made here, from the image itself.
            _ => {
                field.bytes().await.map_err(unreadable)?;
            }
        }
    }
    let (name, bytes) =
        file.ok_or_else(|| ClientError::unprocessable("Validation failed: File can't be blank"))?;
    let account = service::upload_account(&state.store, &staff).await?;
    let id = crate::uploads::accept(&state, &staff, Some(account), &name, &bytes)
        .await
        .map_err(|error| {
            ClientError::new(
                if error.status == StatusCode::BAD_REQUEST {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    error.status
                },
                error.detail,
            )
        })?;
    let item = service::describe_media(&state.store, &staff, id, description.as_deref()).await?;
    Ok(axum::Json(entities::media(&state, &item)).into_response())
}

pub async fn media_show(
    State(state): State<AppState>,
    ClientStaff(staff): ClientStaff,
    Path(id): Path<String>,
) -> ClientResult {
    let staff = scoped(&staff, "write:media")?;
    let item = service::media_item(&state.store, &staff, path_id(&id)?).await?;
    super::ok(entities::media(&state, &item))
}

/// `PUT /api/v1/media/:id`: change the description (alt text) before posting.
pub async fn media_update(
    State(state): State<AppState>,
    ClientStaff(staff): ClientStaff,
    Path(id): Path<String>,
    ClientBody(body): ClientBody,
) -> ClientResult {
    let staff = scoped(&staff, "write:media")?;
    let description = text_field(&body, "description")?;
    let item = service::describe_media(&state.store, &staff, path_id(&id)?, description.as_deref())
        .await?;
    super::ok(entities::media(&state, &item))
}
