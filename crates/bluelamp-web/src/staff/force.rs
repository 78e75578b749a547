//! The force administrator's pages: the force's settings (pre-election period,
//! required second factor, time zone, logo) and its governance rule file. Both
//! re-show the form with the error beside the field, and what was typed kept, when
//! a value is refused.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bluelamp_domain::Action;
use bluelamp_services::force_rules::{self, RulesView, SaveRulesError};
use bluelamp_services::{forces, ServiceError};
use bluelamp_store::forces::Force;
use maud::{html, Markup};
use serde::Deserialize;

use super::{done, staff_page, Done};
use crate::auth::{StaffForm, StaffSession};
use crate::error::PageError;
use crate::layout::{csrf_field, notice};
use crate::AppState;

/// The notices these pages redirect with (fixed texts, never from the URL).
fn notice_of(key: Option<&str>) -> Option<&'static str> {
    Some(match key? {
        "settings-saved" => "The force's settings are saved and apply from now on.",
        "rules-saved" => {
            "The new rules version is saved; every check in the force uses it from now on."
        }
        _ => return None,
    })
}

/// A field's error, shown beside it and tied to it for screen readers.
fn field_error(id: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = error {
            p.error.field-error id=(format!("{id}-error")) role="alert" { (message) }
        }
    }
}

/// What the settings form shows: the force as stored, or what was typed.
struct SettingsForm {
    pre_election: bool,
    require_totp: bool,
    time_zone: String,
    logo_url: String,
    office_hours: String,
    map_tiles: String,
    map_attribution: String,
    national_view: String,
    location: String,
    area_geojson: String,
}

impl SettingsForm {
    fn of(force: &Force) -> SettingsForm {
        SettingsForm {
            pre_election: force.settings.pre_election,
            require_totp: force.settings.require_totp,
            time_zone: force.time_zone.clone(),
            logo_url: force.logo_url.clone().unwrap_or_default(),
            office_hours: force.settings.office_hours.clone().unwrap_or_default(),
            map_tiles: force.settings.map_tiles.clone().unwrap_or_default(),
            map_attribution: force.settings.map_attribution.clone().unwrap_or_default(),
            national_view: force.settings.national_view.as_str().to_string(),
            // Where the force is: typed afresh (the stored place is on the campaign map).
            location: String::new(),
            area_geojson: String::new(),
        }
    }
}

fn settings_content(
    csrf: &str,
    force: &Force,
    form: &SettingsForm,
    error: Option<(&str, &str)>,
    done_key: Option<&str>,
) -> Markup {
    let error_for = |field: &str| error.filter(|(f, _)| *f == field).map(|(_, m)| m);
    let other_error = error
        .filter(|(f, _)| {
            ![
                "time_zone",
                "logo_url",
                "office_hours",
                "map_tiles",
                "map_attribution",
                "national_view",
                "location",
                "area_geojson",
            ]
            .contains(f)
        })
        .map(|(_, m)| m);
    html! {
        (notice(notice_of(done_key)))
        @if let Some(message) = other_error { div.error role="alert" { p { (message) } } }
        p { "Settings of " strong { (force.name) } " (" (force.code) ")." }
        form method="post" action="/staff/force-settings" {
            (csrf_field(csrf))
            label for="pre_election" {
                input type="checkbox" id="pre_election" name="pre_election" value="on" checked[form.pre_election];
                " Pre-election period (stricter political-neutrality checks on every post)"
            }
            label for="require_totp" {
                input type="checkbox" id="require_totp" name="require_totp" value="on" checked[form.require_totp];
                " Every staff user must use two-factor login"
            }
            label for="time_zone" { "Time zone (an IANA name such as Europe/London)" }
            input type="text" id="time_zone" name="time_zone" value=(form.time_zone) required
                aria-invalid=[error_for("time_zone").map(|_| "true")]
                aria-describedby=[error_for("time_zone").map(|_| "time_zone-error")];
            (field_error("time_zone", error_for("time_zone")))
            label for="logo_url" { "Logo (an https:// address, or a path on the force's site such as /media/12; empty for none)" }
            input type="text" id="logo_url" name="logo_url" value=(form.logo_url)
                aria-invalid=[error_for("logo_url").map(|_| "true")]
                aria-describedby=[error_for("logo_url").map(|_| "logo_url-error")];
            (field_error("logo_url", error_for("logo_url")))
            label for="office_hours" { "Inbox office hours, in the force's time zone (HH:MM-HH:MM, e.g. 08:00-20:00; empty if the inbox is always staffed). Response-time clocks pause outside them, except for emergencies and safeguarding." }
            input type="text" id="office_hours" name="office_hours" value=(form.office_hours) placeholder="08:00-20:00"
                aria-invalid=[error_for("office_hours").map(|_| "true")]
                aria-describedby=[error_for("office_hours").map(|_| "office_hours-error")];
            (field_error("office_hours", error_for("office_hours")))
            label for="map_tiles" { "Street-map tiles under incident maps (optional): an https:// address with {z}, {x} and {y}, from a provider whose terms allow it. Empty: the maps show the incident's geometry alone." }
            input type="text" id="map_tiles" name="map_tiles" value=(form.map_tiles) placeholder="https://tiles.example.org/{z}/{x}/{y}.png"
                aria-invalid=[error_for("map_tiles").map(|_| "true")]
                aria-describedby=[error_for("map_tiles").map(|_| "map_tiles-error")];
            (field_error("map_tiles", error_for("map_tiles")))
            label for="map_attribution" { "The credit the tile provider requires (shown under each map)" }
            input type="text" id="map_attribution" name="map_attribution" value=(form.map_attribution) maxlength="200"
                aria-invalid=[error_for("map_attribution").map(|_| "true")]
                aria-describedby=[error_for("map_attribution").map(|_| "map_attribution-error")];
            (field_error("map_attribution", error_for("map_attribution")))
            label for="national_view" { "In the server's national view of reach" }
            select id="national_view" name="national_view" {
                @for (value, text) in [("shown", "Shown by name"), ("totals", "Counted in the totals, never named"), ("hidden", "Not at all")] {
                    option value=(value) selected[form.national_view == value] { (text) }
                }
            }
            (field_error("national_view", error_for("national_view")))
            label for="location" { "Where the force is, for campaign maps: latitude, longitude (e.g. 52.41, -4.08; leave empty to keep it)" }
            input type="text" id="location" name="location" value=(form.location) placeholder="52.41, -4.08"
                aria-invalid=[error_for("location").map(|_| "true")]
                aria-describedby=[error_for("location").map(|_| "location-error")];
            (field_error("location", error_for("location")))
            label for="area_geojson" { "The force's area as GeoJSON (a Polygon, MultiPolygon or Feature; leave empty to keep it)" }
            textarea id="area_geojson" name="area_geojson" rows="3"
                aria-invalid=[error_for("area_geojson").map(|_| "true")]
                aria-describedby=[error_for("area_geojson").map(|_| "area_geojson-error")] { (form.area_geojson) }
            (field_error("area_geojson", error_for("area_geojson")))
            @if let Some(logo) = &force.logo_url {
                p { "Current logo: " img.logo src=(logo) alt=(format!("{} logo", force.name)) height="48"; }
            }
            button type="submit" { "Save settings" }
        }
        p { a href="/staff/rules" { "The force's governance rules" } }
    }
}

pub async fn settings_page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let staff = &context.staff;
    staff.authorize(Action::ConfigureForce)?;
    let force = forces::get_force(&state.store, staff, staff.current_force()?).await?;
    let content = settings_content(
        &context.session.csrf_token,
        &force,
        &SettingsForm::of(&force),
        None,
        query.done.as_deref(),
    );
    Ok(staff_page(&context, "Force settings", content).into_response())
}

#[derive(Deserialize)]
pub struct SettingsFields {
    #[serde(default)]
    pre_election: Option<String>,
    #[serde(default)]
    require_totp: Option<String>,
    time_zone: String,
    #[serde(default)]
    logo_url: String,
    #[serde(default)]
    office_hours: String,
    #[serde(default)]
    map_tiles: String,
    #[serde(default)]
    map_attribution: String,
    #[serde(default)]
    national_view: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    area_geojson: String,
}

pub async fn save_settings(
    State(state): State<AppState>,
    form: StaffForm<SettingsFields>,
) -> Result<Response, PageError> {
    let fields = &form.form;
    // A browser sends a ticked box and leaves an unticked one out.
    let changes = forces::ForceChanges {
        pre_election: Some(fields.pre_election.is_some()),
        require_totp: Some(fields.require_totp.is_some()),
        time_zone: Some(fields.time_zone.clone()),
        logo_url: Some(fields.logo_url.clone()),
        office_hours: Some(fields.office_hours.clone()),
        map_tiles: Some(fields.map_tiles.clone()),
        map_attribution: Some(fields.map_attribution.clone()),
        national_view: Some(fields.national_view.clone()).filter(|v| !v.is_empty()),
        // Empty keeps what is stored: the form does not show the stored place.
        location: Some(fields.location.clone()).filter(|v| !v.trim().is_empty()),
        area_geojson: Some(fields.area_geojson.clone()).filter(|v| !v.trim().is_empty()),
    };
    let staff = &form.session.staff;
    match forces::change_settings(&state.store, staff, None, &changes).await {
        Ok(_) => {
            state.public_changed();
            Ok(done("/staff/force-settings", "settings-saved"))
        }
        Err(ServiceError::Invalid(invalid)) => {
            let force = forces::get_force(&state.store, staff, staff.current_force()?).await?;
            let typed = SettingsForm {
                pre_election: fields.pre_election.is_some(),
                require_totp: fields.require_totp.is_some(),
                time_zone: fields.time_zone.clone(),
                logo_url: fields.logo_url.clone(),
                office_hours: fields.office_hours.clone(),
                map_tiles: fields.map_tiles.clone(),
                map_attribution: fields.map_attribution.clone(),
                national_view: fields.national_view.clone(),
                location: fields.location.clone(),
                area_geojson: fields.area_geojson.clone(),
            };
            let content = settings_content(
                &form.session.session.csrf_token,
                &force,
                &typed,
                Some((invalid.field, &invalid.to_string())),
                None,
            );
            let page = staff_page(&form.session, "Force settings", content);
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

fn rules_content(
    csrf: &str,
    may_edit: bool,
    view: &RulesView,
    text: &str,
    based_on: i64,
    error: Option<&str>,
    done_key: Option<&str>,
) -> Markup {
    html! {
        (notice(notice_of(done_key)))
        @match view.version {
            Some(version) => p { "Version " (version) " is in force, saved by "
                (view.saved_by.as_deref().unwrap_or("?")) " at " (view.saved_at.as_deref().unwrap_or("?")) "." },
            None => p { "This force uses the built-in rules only." },
        }
        p.hint {
            "The rule file is TOML: " code { "[terms]" } " (own_numbers, own_email_domains, station_addresses, places, politicians, parties), "
            code { "[severity]" } " (a category or rule id = \"refuse\", \"hold\", \"advice\" or \"off\"), "
            code { "[settings]" } " (pre_election, duplicate_threshold) and " code { "[[blocked]]" } " lists. "
            "A mistake is shown with its line and field, and nothing is saved until the file is right."
        }
        @if may_edit {
            form method="post" action="/staff/rules" {
                (csrf_field(csrf))
                input type="hidden" name="based_on" value=(based_on);
                label for="rules" { "Rule file" }
                textarea id="rules" name="rules" rows="24" spellcheck="false"
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=[error.map(|_| "rules-error")] { (text) }
                (field_error("rules", error))
                button type="submit" { "Save as a new version" }
            }
        } @else {
            pre id="rules" { (text) }
        }
        @if !view.history.is_empty() {
            h2 { "Versions" }
            table {
                thead { tr { th scope="col" { "Version" } th scope="col" { "Saved by" } th scope="col" { "Saved at" } } }
                tbody {
                    @for version in &view.history {
                        tr { td { (version.version) } td { (version.saved_by_label) } td { (version.saved_at) } }
                    }
                }
            }
        }
    }
}

pub async fn rules_page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let staff = &context.staff;
    let view = force_rules::view(&state.store, staff, None).await?;
    let may_edit = staff.authorize(Action::ConfigureForce).is_ok();
    let content = rules_content(
        &context.session.csrf_token,
        may_edit,
        &view,
        &view.rules,
        view.version.unwrap_or(0),
        None,
        query.done.as_deref(),
    );
    Ok(staff_page(&context, "Governance rules", content).into_response())
}

#[derive(Deserialize)]
pub struct RulesFields {
    rules: String,
    #[serde(default)]
    based_on: Option<i64>,
}

pub async fn save_rules(
    State(state): State<AppState>,
    form: StaffForm<RulesFields>,
) -> Result<Response, PageError> {
    let staff = &form.session.staff;
    let saved = force_rules::save(
        &state.store,
        &state.governance,
        staff,
        None,
        &form.form.rules,
        form.form.based_on,
    )
    .await;
    let message = match saved {
        Ok(_) => return Ok(done("/staff/rules", "rules-saved")),
        Err(SaveRulesError::Rules(error)) => error.to_string(),
        Err(SaveRulesError::Service(ServiceError::Invalid(invalid))) => invalid.to_string(),
        // Someone saved since this editor read the rules: keep what was typed.
        Err(SaveRulesError::Service(ServiceError::Conflict(message))) => message,
        Err(SaveRulesError::Service(other)) => return Err(other.into()),
    };
    let view = force_rules::view(&state.store, staff, None).await?;
    let content = rules_content(
        &form.session.session.csrf_token,
        true,
        &view,
        &form.form.rules,
        form.form.based_on.unwrap_or(0),
        Some(&message),
        None,
    );
    let page = staff_page(&form.session, "Governance rules", content);
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}
