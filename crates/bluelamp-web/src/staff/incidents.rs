//! `/staff/incidents` and `/staff/appeals`: open a live incident and post its
//! structured updates (each goes through the check and approval like any post);
//! publish an appeal with a photo, mark it solved or withdrawn, and take its images
//! down on confirmation.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use bluelamp_domain::incident::SEVERITIES;
use bluelamp_domain::AccountId;
use bluelamp_services::appeals::{self, NewAppealInput, RESPOND};
use bluelamp_services::inbox::sla;
use bluelamp_services::incidents::{self, NewUpdate, OpenIncident};
use bluelamp_services::posts::MediaRef;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{StaffForm, StaffMultipart, StaffSession};
use crate::error::PageError;
use crate::layout::{csrf_field, notice};
use crate::staff::cases::subnav;
use crate::staff::{done, staff_page, Done};
use crate::AppState;

fn notice_for(key: Option<&str>) -> Option<&'static str> {
    Some(match key? {
        "incident-opened" => "The incident is open. Post its first update below.",
        "update-submitted" => "The update is published.",
        "update-held" => {
            "The check held the update: it waits for a supervisor's approval before it goes public."
        }
        "update-refused" => {
            "The check refused the update; nothing was published. Open it below to see why."
        }
        "closed" => "The incident is closed; its page stays as the record.",
        "appeal-submitted" => "The appeal is submitted; its post's status is below.",
        "appeal-status" => "The appeal's status is changed.",
        "images-removed" => "The appeal's post and images are taken down where the channel allows.",
        _ => return None,
    })
}

fn account_select(id: &str, accounts: &[bluelamp_store::accounts::Account]) -> Markup {
    html! {
        select id=(id) name="account_id" required {
            @for a in accounts { option value=(a.id.0) { (a.display_name) " (@" (a.handle) ")" } }
        }
    }
}

fn channel_boxes() -> Markup {
    html! {
        fieldset {
            legend { "Channels" }
            @for channel in bluelamp_domain::post::CONNECTED_CHANNELS {
                label { input type="checkbox" name="channels" value=(channel) checked; " " (channel) }
            }
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let list = incidents::list(&state.store, &context.staff).await?;
    let accounts = bluelamp_services::accounts::list_postable(&state.store, &context.staff).await?;
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let content = html! {
        (subnav())
        (notice(notice_for(query.done.as_deref())))
        @if list.is_empty() { p { "No incidents yet." } }
        table {
            thead { tr { th scope="col" { "Reference" } th scope="col" { "Title" } th scope="col" { "Status" } th scope="col" { "Last update" } } }
            tbody { @for i in &list { tr {
                td { a href=(format!("/staff/incidents/{}", i.reference)) { (i.reference) } }
                td { (i.title) } td { (i.status) " · " (i.severity) } td { (local.display(&i.updated_at)) }
            } } }
        }
        h2 { "Open an incident" }
        form method="post" action="/staff/incidents" {
            (csrf_field(&context.session.csrf_token))
            label for="reference" { "Reference" } input type="text" id="reference" name="reference" required maxlength="40" pattern="[A-Za-z0-9-]+";
            label for="title" { "Title (public)" } input type="text" id="title" name="title" required maxlength="200";
            label for="area" { "Area (a place name, public)" } input type="text" id="area" name="area" required maxlength="200";
            label for="severity" { "Severity" }
            select id="severity" name="severity" { @for s in SEVERITIES { option value=(s) { (s) } } }
            label for="account" { "The account that speaks for it" } (account_select("account", &accounts))
            fieldset {
                legend { "Other accounts that share every update (optional)" }
                @for a in &accounts {
                    @let id = format!("also-{}", a.id.0);
                    input type="checkbox" id=(id) name="also_speaking" value=(a.id.0);
                    label for=(id) { (a.display_name) " (@" (a.handle) ")" }
                }
            }
            label for="districts" { "Postcode districts it touches (area alerts go to their subscribers)" }
            input type="text" id="districts" name="districts" maxlength="300" placeholder="LL22, LL18";
            label for="area_geojson" { "Area on the map (optional GeoJSON Polygon)" }
            textarea id="area_geojson" name="area_geojson" rows="3" maxlength="262144" {}
            button type="submit" { "Open the incident" }
        }
    };
    Ok(staff_page(&context, "Incidents", content).into_response())
}

pub async fn open(
    State(state): State<AppState>,
    form: StaffForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(form.form.clone());
    let field = |name: &str| f.get(name).unwrap_or_default();
    let account = field("account_id").trim().parse::<i64>().unwrap_or(0);
    let also: Vec<AccountId> = f
        .all("also_speaking")
        .iter()
        .filter_map(|id| id.trim().parse().ok().map(AccountId))
        .collect();
    let created = incidents::open(
        &state.store,
        &form.session.staff,
        &OpenIncident {
            reference: field("reference"),
            title: field("title"),
            area: field("area"),
            area_geojson: Some(field("area_geojson")),
            severity: field("severity"),
            account_id: AccountId(account),
            districts: field("districts"),
            also_speaking: &also,
        },
    )
    .await?;
    Ok(done(
        &format!("/staff/incidents/{}", created.reference),
        "incident-opened",
    ))
}

pub async fn detail(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(reference): Path<String>,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let view = incidents::get(&state.store, &context.staff, &reference).await?;
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let found = &view.incident;
    let path = format!("/staff/incidents/{}", found.reference);
    let csrf = &context.session.csrf_token;
    let content = html! {
        (subnav())
        (notice(notice_for(query.done.as_deref())))
        p { (found.status) " · " (found.severity) " · " (found.area) " · " a href=(format!("/forces/{}/incidents/{}", view.force.code, found.reference)) { "Public page" } }
        @if found.status == "open" {
            h2 { "Post an update" }
            form method="post" action=(format!("{path}/updates")) {
                (csrf_field(csrf))
                label for="text" { "What is happening (public)" } textarea id="text" name="text" rows="3" maxlength="5000" {}
                fieldset {
                    legend { "Road closure (optional)" }
                    label for="road" { "Road" } input type="text" id="road" name="road" maxlength="300";
                    label for="from" { "From" } input type="text" id="from" name="from" maxlength="300";
                    label for="to" { "To" } input type="text" id="to" name="to" maxlength="300";
                    label for="direction" { "Direction" } input type="text" id="direction" name="direction" maxlength="300" placeholder="both directions";
                    label for="closure_line" { "Line on the map (optional GeoJSON LineString)" } textarea id="closure_line" name="closure_line" rows="2" {}
                }
                fieldset {
                    legend { "Diversion (optional)" }
                    label for="diversion" { "Route" } input type="text" id="diversion" name="diversion" maxlength="300";
                    label for="diversion_line" { "Line on the map (optional GeoJSON LineString)" } textarea id="diversion_line" name="diversion_line" rows="2" {}
                }
                label for="advice" { "Safety advice (optional)" } input type="text" id="advice" name="advice" maxlength="300";
                label { input type="checkbox" name="avoid" value="true"; " Ask people to avoid the area" }
                label { input type="checkbox" name="all_clear" value="true"; " All clear: roads reopened" }
                (channel_boxes())
                button type="submit" { "Check and publish the update" }
            }
            h2 { "Close the incident" }
            form method="post" action=(format!("{path}/close")) {
                (csrf_field(csrf))
                label for="summary" { "Summary (published as the last update)" } textarea id="summary" name="summary" rows="3" required maxlength="2000" {}
                (channel_boxes())
                button type="submit" { "Close with this summary" }
            }
        }
        h2 { "Updates" }
        ul { @for (post, _) in &view.updates { li { a href=(format!("/staff/posts/{}", post.id)) { (post.status.as_str()) } " · " (local.display(&post.created_at)) ": " (post.body) } } }
    };
    Ok(staff_page(
        &context,
        &format!("Incident {} — {}", found.reference, found.title),
        content,
    )
    .into_response())
}

/// The update form as facts: each filled part of the form is one fact.
fn facts_from(form: &Fields) -> Result<Value, PageError> {
    let line = |name: &str| -> Result<Option<Value>, PageError> {
        match form.get(name).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(text) => serde_json::from_str(text).map(Some).map_err(|e| {
                PageError::from(bluelamp_services::ServiceError::Invalid(
                    bluelamp_domain::Invalid::new(
                        "facts",
                        format!("the map line is not GeoJSON: {e}"),
                    ),
                ))
            }),
        }
    };
    let mut facts = Vec::new();
    if let Some(road) = form.get("road").filter(|r| !r.is_empty()) {
        facts.push(json!({"type": "road-closure", "road": road, "from": form.get("from").unwrap_or_default(),
            "to": form.get("to").unwrap_or_default(), "direction": form.get("direction").unwrap_or_default(), "line": line("closure_line")?}));
    }
    if let Some(route) = form.get("diversion").filter(|r| !r.is_empty()) {
        facts.push(json!({"type": "diversion", "route": route, "line": line("diversion_line")?}));
    }
    if let Some(advice) = form.get("advice").filter(|r| !r.is_empty()) {
        facts.push(json!({"type": "safety-advice", "advice": advice}));
    }
    if form.get("avoid").is_some() {
        facts.push(json!({"type": "avoid-area"}));
    }
    if form.get("all_clear").is_some() {
        facts.push(json!({"type": "all-clear"}));
    }
    Ok(Value::Array(facts))
}

/// Form fields by name, trimmed (the update form is url-encoded).
pub struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

pub async fn post_update(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    form: StaffForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields(form.form.clone());
    let facts = facts_from(&fields)?;
    let text = fields.get("text").unwrap_or_default().to_string();
    let submitted = incidents::post_update(
        &state.store,
        &state.governance,
        &form.session.staff,
        &reference,
        &NewUpdate {
            text: &text,
            facts: &facts,
            channels: &fields.all("channels"),
        },
    )
    .await?;
    state.public_changed();
    Ok(done(
        &format!("/staff/incidents/{reference}"),
        notice_key(&submitted, "update-submitted"),
    ))
}

pub async fn close(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    form: StaffForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields(form.form.clone());
    let submitted = incidents::close(
        &state.store,
        &state.governance,
        &form.session.staff,
        &reference,
        fields.get("summary").unwrap_or_default(),
        &fields.all("channels"),
    )
    .await?;
    state.public_changed();
    Ok(done(
        &format!("/staff/incidents/{reference}"),
        notice_key(&submitted, "closed"),
    ))
}

/// Back to the incident, saying what became of the post (a refusal is never silent).
fn notice_key(submitted: &bluelamp_services::posts::Submitted, ok: &'static str) -> &'static str {
    match submitted.post.status {
        bluelamp_domain::PostStatus::Refused => "update-refused",
        bluelamp_domain::PostStatus::Pending => "update-held",
        _ => ok,
    }
}

pub async fn appeals_page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let list = appeals::list(&state.store, &context.staff).await?;
    let accounts = bluelamp_services::accounts::list_postable(&state.store, &context.staff).await?;
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let content = html! {
        (subnav())
        (notice(notice_for(query.done.as_deref())))
        table {
            thead { tr { th scope="col" { "Reference" } th scope="col" { "Title" } th scope="col" { "Status" } th scope="col" { "Opened" } } }
            tbody { @for a in &list { tr {
                td { a href=(format!("/staff/appeals/{}", a.reference)) { (a.reference) } }
                td { (a.title) } td { (a.status) } td { (local.display(&a.created_at)) }
            } } }
        }
        @if list.is_empty() { p { "No appeals yet." } }
        h2 { "Publish an appeal" }
        form method="post" action="/staff/appeals" enctype="multipart/form-data" {
            (csrf_field(&context.session.csrf_token))
            label for="reference" { "Reference (quoted by the public)" } input type="text" id="reference" name="reference" required maxlength="40" pattern="[A-Za-z0-9-]+";
            label for="title" { "Title" } input type="text" id="title" name="title" required maxlength="200";
            label for="what_happened" { "What happened" } textarea id="what_happened" name="what_happened" rows="4" required maxlength="2000" {}
            label for="happened_at" { "When" } input type="text" id="happened_at" name="happened_at" maxlength="100" placeholder="Saturday 21 November, about 11pm";
            label for="place" { "Where" } input type="text" id="place" name="place" required maxlength="200";
            label for="districts" { "Postcode districts (area alerts go to their subscribers)" } input type="text" id="districts" name="districts" maxlength="300" placeholder="LL18";
            fieldset {
                legend { "How the public respond" }
                @for way in RESPOND { label { input type="checkbox" name="respond" value=(way) checked[way != "999"]; " " (way) } }
            }
            label for="case_reference" { "Case reference (optional)" } input type="text" id="case_reference" name="case_reference" maxlength="40";
            label for="account" { "Post as" } (account_select("account", &accounts))
            label for="photo" { "Photos of suspects or stolen goods (up to four), or one CCTV video (optional)" } input type="file" id="photo" name="photo" accept="image/jpeg,image/png,image/webp,video/mp4,video/webm" multiple;
            label for="alt" { "Describe what the photos and video show, for people who cannot see them" } input type="text" id="alt" name="alt" maxlength="1500";
            (channel_boxes())
            button type="submit" { "Check and publish the appeal" }
        }
    };
    Ok(staff_page(&context, "Appeals", content).into_response())
}

pub async fn create_appeal(
    State(state): State<AppState>,
    form: StaffMultipart,
) -> Result<Response, PageError> {
    let staff = &form.session.staff;
    let account = form
        .field("account_id")
        .and_then(|a| a.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let mut media = Vec::new();
    for upload in &form.files {
        let id = crate::uploads::accept(
            &state,
            staff,
            Some(AccountId(account)),
            &upload.file_name,
            &upload.bytes,
        )
        .await
        .map_err(PageError)?;
        media.push(MediaRef {
            id,
            alt: form.field("alt").unwrap_or_default().to_string(),
        });
    }
    let respond = form.all("respond");
    let channels = form.all("channels");
    let (appeal, _) = appeals::create(
        &state.store,
        &state.governance,
        staff,
        &NewAppealInput {
            reference: form.field("reference").unwrap_or_default(),
            title: form.field("title").unwrap_or_default(),
            what_happened: form.field("what_happened").unwrap_or_default(),
            happened_at: form.field("happened_at"),
            place: form.field("place").unwrap_or_default(),
            respond: &respond,
            account_id: AccountId(account),
            case_reference: form.field("case_reference"),
            channels: &channels,
            media: &media,
            districts: form.field("districts").unwrap_or_default(),
        },
    )
    .await?;
    state.public_changed();
    Ok(done(
        &format!("/staff/appeals/{}", appeal.reference),
        "appeal-submitted",
    ))
}

pub async fn appeal_detail(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(reference): Path<String>,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let view = appeals::get(&state.store, &context.staff, &reference).await?;
    let appeal = &view.appeal;
    let path = format!("/staff/appeals/{}", appeal.reference);
    let csrf = &context.session.csrf_token;
    let content = html! {
        (subnav())
        (notice(notice_for(query.done.as_deref())))
        p { "Status: " strong { (appeal.status) } " · " a href=(format!("/forces/{}/appeals/{}", view.force.code, appeal.reference)) { "Public page" } }
        @if let Some(post) = &view.post { p { a href=(format!("/staff/posts/{}", post.id)) { "The appeal's post" } " (" (post.status.as_str()) ")" } }
        p { (appeal.what_happened) }
        form method="post" action=(format!("{path}/status")) {
            (csrf_field(csrf))
            label for="status" { "Status" }
            select id="status" name="status" { @for s in appeals::STATUSES { option value=(s) selected[s == appeal.status] { (s) } } }
            button type="submit" { "Change" }
        }
        @if !view.removals.is_empty() {
            h2 { "Suspect images on each channel" }
            ul { @for r in &view.removals { li { strong { (r.channel) } ": " (r.state) " — " (r.detail) } } }
            @if view.removals.iter().any(|r| r.state == "pending") {
                form method="post" action=(format!("{path}/remove-images")) {
                    (csrf_field(csrf))
                    p { "The appeal is " (appeal.status) ". Take its post and images down from every channel that can delete them?" }
                    button type="submit" { "Yes, remove the images" }
                }
            }
        }
        p { a href="/staff/tips" { "Tips sent to the force" } }
    };
    Ok(staff_page(
        &context,
        &format!("Appeal {} — {}", appeal.reference, appeal.title),
        content,
    )
    .into_response())
}

#[derive(Deserialize)]
pub struct AppealStatusForm {
    status: String,
}

pub async fn appeal_status(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    form: StaffForm<AppealStatusForm>,
) -> Result<Response, PageError> {
    appeals::set_status(
        &state.store,
        &form.session.staff,
        &reference,
        &form.form.status,
    )
    .await?;
    state.public_changed();
    Ok(done(
        &format!("/staff/appeals/{reference}"),
        "appeal-status",
    ))
}

pub async fn remove_images(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    form: StaffForm<crate::staff::Empty>,
) -> Result<Response, PageError> {
    appeals::remove_images(&state.store, &form.session.staff, &reference).await?;
    state.public_changed();
    Ok(done(
        &format!("/staff/appeals/{reference}"),
        "images-removed",
    ))
}
