//! Live incidents (story 3): open one, post structured updates that publish through
//! the normal pipeline (the check, approval, every channel) as posts linked to the
//! incident, close it with a summary. The public page, its feeds and its live stream
//! read only the published updates.

use crate::error::{invalid, required_text};
use bluelamp_domain::incident::{self, Fact, SEVERITIES};
use bluelamp_domain::{AccountId, Action, ForceId, PostStatus};
use bluelamp_store::incidents::{self as store, Incident, NewIncident};
use bluelamp_store::{audit, forces, posts, Store};
use serde::Serialize;
use serde_json::json;

use crate::auth::entry;
use crate::cases::reference;
use crate::force_rules::ForceEngines;
use crate::posts::{Compose, Link, Submitted};
use crate::{ServiceError, ServiceResult, Staff};

/// What opening an incident needs.
pub struct OpenIncident<'a> {
    pub reference: &'a str,
    pub title: &'a str,
    pub area: &'a str,
    /// A GeoJSON Polygon, as text; blank for none.
    pub area_geojson: Option<&'a str>,
    pub severity: &'a str,
    /// The account that speaks for the incident: its updates go out as this account.
    pub account_id: AccountId,
    /// Postcode districts it touches ("LL29, LL22"): its updates reach the
    /// subscribers who follow them.
    pub districts: &'a str,
    /// Other accounts that speak for it (a neighbourhood team, the roads unit):
    /// each shares every published update with its own followers.
    pub also_speaking: &'a [AccountId],
}

/// At most this many accounts besides the lead one.
const MAX_ALSO_SPEAKING: usize = 10;

pub async fn open(
    store: &Store,
    staff: &Staff,
    input: &OpenIncident<'_>,
) -> ServiceResult<Incident> {
    staff.require_scope("write")?;
    staff.authorize(Action::ManageCases)?;
    let force = staff.current_force()?;
    let reference = reference("reference", input.reference)?;
    let title = required_text("title", input.title, 200)?;
    let area = required_text("area", input.area, 200)?;
    if !SEVERITIES.contains(&input.severity) {
        return Err(invalid(
            "severity",
            format!("one of: {}", SEVERITIES.join(", ")),
        ));
    }
    let geojson = match input.area_geojson.map(str::trim).filter(|g| !g.is_empty()) {
        None => None,
        Some(text) => {
            if text.len() > 256 * 1024 {
                return Err(invalid("area_geojson", "at most 256 KiB of GeoJSON"));
            }
            let value: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| invalid("area_geojson", format!("not JSON: {e}")))?;
            incident::polygon(&value).map_err(|e| invalid("area_geojson", e.message))?;
            Some(value.to_string())
        }
    };
    let districts = incident::parse_districts(input.districts)
        .map_err(ServiceError::Invalid)?
        .join(",");
    let mut tx = store.write().await?;
    // The speaking account must be one the opener may post as.
    crate::membership::posting_member(&mut tx, staff, input.account_id).await?;
    let mut also: Vec<AccountId> = Vec::new();
    for &account in input.also_speaking {
        if account != input.account_id && !also.contains(&account) {
            also.push(account);
        }
    }
    if also.len() > MAX_ALSO_SPEAKING {
        return Err(invalid(
            "also_speaking",
            format!("at most {MAX_ALSO_SPEAKING} other accounts"),
        ));
    }
    for &account in &also {
        // Their shares go out without approval, so the opener must be able to
        // post there without it too.
        let (account, member) = crate::membership::posting_member(&mut tx, staff, account).await?;
        if !member.permissions.post_without_approval {
            return Err(invalid(
                "also_speaking",
                format!(
                    "you cannot post as @{} without approval, so it cannot share the updates",
                    account.handle
                ),
            ));
        }
    }
    let created = store::insert(
        &mut tx,
        &NewIncident {
            force_id: force,
            reference: &reference,
            title,
            area,
            area_geojson: geojson.as_deref(),
            severity: input.severity,
            account_id: input.account_id,
            districts: &districts,
            also_speaking: &also,
        },
    )
    .await?
    .ok_or_else(|| {
        ServiceError::Conflict(format!("The force already has an incident {reference}."))
    })?;
    let mut e = entry(staff, "incident.opened", "incident", created.id);
    e.after = Some(
        json!({"reference": reference, "title": title, "severity": input.severity}).to_string(),
    );
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(created)
}

/// Called as an update linked to an incident goes public: the incident's other
/// speaking accounts share it, so the fediverse sees it on each of them.
pub(crate) async fn on_update_published(
    conn: &mut bluelamp_store::AnyConnection,
    post: &posts::Post,
) -> ServiceResult<()> {
    let (Some("incident"), Some(reference)) = (post.link_kind.as_deref(), post.link_ref.as_deref())
    else {
        return Ok(());
    };
    let Some(incident) = store::by_reference(conn, post.force_id, reference).await? else {
        return Ok(());
    };
    for &account in &incident.also_speaking {
        if account != post.account_id {
            crate::federation::shares::share_on_behalf(conn, account, post).await?;
        }
    }
    Ok(())
}

/// An update: free text and typed facts, sent on the chosen channels.
pub struct NewUpdate<'a> {
    pub text: &'a str,
    pub facts: &'a serde_json::Value,
    pub channels: &'a [String],
}

/// The post text an update becomes: the officer's words, then one line per fact.
pub fn update_text(incident: &Incident, text: &str, facts: &[Fact]) -> String {
    let mut lines = vec![text.trim().to_string()];
    lines.extend(facts.iter().map(|f| f.sentence(&incident.area)));
    lines.retain(|l| !l.is_empty());
    lines.join("\n")
}

async fn incident_in_force(
    store: &Store,
    force: ForceId,
    reference_text: &str,
) -> ServiceResult<Incident> {
    let mut conn = store.read().await?;
    store::by_reference(&mut conn, force, &reference("reference", reference_text)?)
        .await?
        .ok_or(ServiceError::NotFound("incident"))
}

/// Publish an update through the normal pipeline, then record its facts. A held or
/// refused update is kept like any post; only published ones reach the public page.
pub async fn post_update(
    store: &Store,
    engines: &ForceEngines,
    staff: &Staff,
    reference_text: &str,
    update: &NewUpdate<'_>,
) -> ServiceResult<Submitted> {
    staff.require_scope("write")?;
    staff.authorize(Action::ManageCases)?;
    let force = staff.current_force()?;
    let found = incident_in_force(store, force, reference_text).await?;
    if found.status == "closed" {
        return Err(ServiceError::Conflict(format!(
            "Incident {} is closed; its page stays as the record.",
            found.reference
        )));
    }
    let facts = incident::parse_facts(update.facts).map_err(ServiceError::Invalid)?;
    let text = update_text(&found, update.text, &facts);
    if text.is_empty() {
        return Err(invalid(
            "text",
            "an update needs some text or at least one fact",
        ));
    }
    let submitted = publish(store, engines, staff, &found, &text, update.channels).await?;
    let mut tx = store.write().await?;
    store::add_update(
        &mut tx,
        found.id,
        submitted.post.id,
        &serde_json::to_value(&facts).unwrap_or_default(),
    )
    .await?;
    store::touch(&mut tx, found.id).await?;
    tx.commit().await?;
    Ok(submitted)
}

async fn publish(
    store: &Store,
    engines: &ForceEngines,
    staff: &Staff,
    found: &Incident,
    text: &str,
    channels: &[String],
) -> ServiceResult<Submitted> {
    crate::posts::compose(
        store,
        engines,
        staff,
        found.account_id,
        &Compose {
            text: text.to_string(),
            kind: Some("incident".into()),
            channels: channels.to_vec(),
            link: Some(Link {
                kind: "incident".into(),
                reference: found.reference.clone(),
            }),
            ..Compose::default()
        },
    )
    .await
}

/// Close with a summary, published as the last update; the page stays as the record.
pub async fn close(
    store: &Store,
    engines: &ForceEngines,
    staff: &Staff,
    reference_text: &str,
    summary: &str,
    channels: &[String],
) -> ServiceResult<Submitted> {
    staff.require_scope("write")?;
    staff.authorize(Action::ManageCases)?;
    let force = staff.current_force()?;
    let summary = required_text("summary", summary, 2_000)?;
    let found = incident_in_force(store, force, reference_text).await?;
    if found.status == "closed" {
        return Err(ServiceError::Conflict(format!(
            "Incident {} is already closed.",
            found.reference
        )));
    }
    let submitted = publish(store, engines, staff, &found, summary, channels).await?;
    if submitted.post.status == PostStatus::Refused {
        // The incident stays open until a summary the check accepts is written.
        return Ok(submitted);
    }
    let mut tx = store.write().await?;
    store::add_update(&mut tx, found.id, submitted.post.id, &json!([])).await?;
    store::close(&mut tx, found.id, summary).await?;
    let mut e = entry(staff, "incident.closed", "incident", found.id);
    e.after = Some(json!({"summary": summary, "post": submitted.post.id}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(submitted)
}

pub async fn list(store: &Store, staff: &Staff) -> ServiceResult<Vec<Incident>> {
    staff.require_scope("read")?;
    staff.authorize(Action::ManageCases)?;
    let force = staff.current_force()?;
    let mut conn = store.read().await?;
    Ok(store::list(&mut conn, force, 200).await?)
}

/// An incident with its updates: each update's facts beside the post it became.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentView {
    pub force: forces::Force,
    pub incident: Incident,
    /// Newest first, with the facts each carried.
    pub updates: Vec<(posts::Post, serde_json::Value)>,
}

impl IncidentView {
    /// The typed facts of the updates shown, oldest first (later facts win on a map).
    pub fn facts(&self) -> Vec<Fact> {
        self.updates
            .iter()
            .rev()
            .flat_map(|(_, facts)| incident::parse_facts(facts).unwrap_or_default())
            .collect()
    }
}

async fn view(
    store: &Store,
    force: forces::Force,
    reference_text: &str,
    public: bool,
) -> ServiceResult<IncidentView> {
    let found = incident_in_force(store, force.id, reference_text).await?;
    let mut conn = store.read().await?;
    let linked = posts::linked(
        &mut conn,
        force.id,
        "incident",
        &found.reference,
        public,
        500,
    )
    .await?;
    let facts = store::updates(&mut conn, found.id).await?;
    let updates = linked
        .into_iter()
        .map(|post| {
            let f = facts
                .iter()
                .find(|u| u.post_id == post.id)
                .map_or(json!([]), |u| u.facts.clone());
            (post, f)
        })
        .collect();
    Ok(IncidentView {
        force,
        incident: found,
        updates,
    })
}

/// The staff view: every update, whatever its state.
pub async fn get(
    store: &Store,
    staff: &Staff,
    reference_text: &str,
) -> ServiceResult<IncidentView> {
    staff.require_scope("read")?;
    staff.authorize(Action::ManageCases)?;
    let force = {
        let mut conn = store.read().await?;
        forces::get(&mut conn, staff.current_force()?).await?
    };
    view(store, force, reference_text, false).await
}

/// The public view: published updates only.
pub async fn public(
    store: &Store,
    code: &str,
    reference_text: &str,
) -> ServiceResult<IncidentView> {
    let force = crate::public::force(store, code).await?;
    let mut found = view(store, force, reference_text, true).await?;
    found
        .updates
        .retain(|(p, _)| p.status == PostStatus::Published);
    Ok(found)
}

/// The newest published update's id: what a live page polls for.
pub async fn newest_public_update(
    store: &Store,
    force: ForceId,
    reference: &str,
) -> ServiceResult<Option<i64>> {
    let mut conn = store.read().await?;
    Ok(
        posts::linked(&mut conn, force, "incident", reference, true, 1)
            .await?
            .first()
            .map(|p| p.id),
    )
}
