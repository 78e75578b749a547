//! Safeguarding referrals (story 7): from an inbox message, staff refer a vulnerable
//! person to a partner agency the force has set up, sharing the minimum necessary,
//! with the lawful basis, whether consent was given and why. Partner users see only
//! the referrals made to their agencies (never the inbox, never another agency's),
//! acknowledge and update them. Everything is audited.

use crate::error::invalid;
use bluelamp_domain::{Action, ForceId, Role, UserId};
use bluelamp_store::referrals::{self as store, Agency, NewReferral, Referral, Update};
use bluelamp_store::{audit, inbox, users, AnyConnection, Store};
use serde_json::json;

use crate::auth::entry;
use crate::{ServiceError, ServiceResult, Staff};

/// The lawful bases a referral may cite (UK GDPR Article 6 and the Data Protection
/// Act 2018), in the words staff choose from.
pub const LAWFUL_BASES: [&str; 5] = [
    "vital-interests",
    "public-task",
    "safeguarding-individuals-at-risk",
    "legal-obligation",
    "consent",
];
pub const CONSENT: [&str; 3] = ["given", "refused", "not-asked"];
pub const STATUSES: [&str; 4] = ["sent", "acknowledged", "in-progress", "closed"];
const MAX_TEXT: usize = 4_000;

fn text<'a>(field: &'static str, value: &'a str) -> ServiceResult<&'a str> {
    let v = value.trim();
    if v.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if v.chars().count() > MAX_TEXT {
        return Err(invalid(field, format!("at most {MAX_TEXT} characters")));
    }
    Ok(v)
}

fn force_of(staff: &Staff) -> ServiceResult<ForceId> {
    staff
        .force_id
        .ok_or_else(|| invalid("force", "choose a force first"))
}

/// Adds a partner agency (force administrators).
pub async fn add_agency(
    store: &Store,
    staff: &Staff,
    name: &str,
    contact: &str,
) -> ServiceResult<i64> {
    staff.require_scope("admin")?;
    staff.authorize(Action::ConfigureForce)?;
    let force = force_of(staff)?;
    let name = text("name", name)?;
    let contact = text("contact", contact)?;
    let mut tx = store.write().await?;
    let id = store::add_agency(&mut tx, force, name, contact)
        .await?
        .ok_or_else(|| {
            ServiceError::Conflict(format!("The force already has an agency called {name}."))
        })?;
    let mut e = entry(staff, "referrals.agency-added", "partner_agency", id);
    e.after = Some(json!({"name": name, "contact": contact}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(id)
}

/// Makes a partner user of the force a member of one of its agencies.
pub async fn add_member(
    store: &Store,
    staff: &Staff,
    agency: i64,
    username: &str,
) -> ServiceResult<()> {
    staff.require_scope("admin")?;
    staff.authorize(Action::ConfigureForce)?;
    let force = force_of(staff)?;
    let mut tx = store.write().await?;
    store::agency(&mut tx, agency)
        .await?
        .filter(|a| a.force_id == force)
        .ok_or(ServiceError::NotFound("agency"))?;
    let user = users::by_username(&mut tx, username.trim())
        .await?
        .filter(|u| u.force_id == Some(force))
        // The agency exists; what is wrong is a field of the request.
        .ok_or_else(|| invalid("username", "no user of this force has that username"))?;
    if user.role != Role::Partner {
        return Err(invalid("username", "only partner users join an agency"));
    }
    store::add_member(&mut tx, agency, user.id).await?;
    let mut e = entry(staff, "referrals.member-added", "partner_agency", agency);
    e.after = Some(json!({"user": user.username}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn agencies(store: &Store, staff: &Staff) -> ServiceResult<Vec<Agency>> {
    staff.require_scope("read")?;
    staff.authorize(Action::HandleMessages)?;
    let force = force_of(staff)?;
    let mut conn = store.read().await?;
    Ok(store::agencies(&mut conn, force).await?)
}

/// What a referral says.
pub struct NewReferralInput<'a> {
    pub message_id: i64,
    pub agency_id: i64,
    pub shared: &'a str,
    pub lawful_basis: &'a str,
    pub consent: &'a str,
    pub reasoning: &'a str,
}

pub async fn create(
    store: &Store,
    staff: &Staff,
    input: &NewReferralInput<'_>,
) -> ServiceResult<i64> {
    staff.require_scope("write")?;
    staff.authorize(Action::HandleMessages)?;
    let force = force_of(staff)?;
    let shared = text("shared", input.shared)?;
    let reasoning = text("reasoning", input.reasoning)?;
    if !LAWFUL_BASES.contains(&input.lawful_basis) {
        return Err(invalid(
            "lawful_basis",
            format!("use one of: {}", LAWFUL_BASES.join(", ")),
        ));
    }
    if !CONSENT.contains(&input.consent) {
        return Err(invalid("consent", "use given, refused or not-asked"));
    }
    let mut tx = store.write().await?;
    inbox::get(&mut tx, input.message_id)
        .await?
        .filter(|m| m.force_id == force)
        .ok_or(ServiceError::NotFound("message"))?;
    store::agency(&mut tx, input.agency_id)
        .await?
        .filter(|a| a.force_id == force)
        .ok_or_else(|| invalid("agency_id", "choose one of the force's partner agencies"))?;
    let id = store::insert(
        &mut tx,
        &NewReferral {
            force_id: force,
            agency_id: input.agency_id,
            message_id: input.message_id,
            shared,
            lawful_basis: input.lawful_basis,
            consent: input.consent,
            reasoning,
            created_by: staff.user_id,
            created_by_label: &staff.audit_label(),
        },
    )
    .await?;
    if let Some(message) = inbox::get(&mut tx, input.message_id).await? {
        inbox::add_event(
            &mut tx,
            &message,
            "referred",
            &json!({"referral": id, "agency": input.agency_id}),
            staff.user_id,
            &staff.audit_label(),
        )
        .await?;
    }
    let mut e = entry(staff, "referrals.created", "referral", id);
    e.after = Some(json!({"agency": input.agency_id, "message": input.message_id, "lawful_basis": input.lawful_basis, "consent": input.consent}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(id)
}

/// A partner's agencies, or `None` for force staff (who see every referral).
async fn visible_agencies(
    conn: &mut AnyConnection,
    staff: &Staff,
) -> ServiceResult<Option<Vec<i64>>> {
    if staff.role == Role::Partner {
        let me = staff.user_id.ok_or(ServiceError::NotFound("referral"))?;
        Ok(Some(store::agencies_of(conn, me).await?))
    } else {
        staff.authorize(Action::HandleMessages)?;
        Ok(None)
    }
}

fn for_viewer(mut r: Referral, partner: bool) -> Referral {
    if partner {
        r.message_id = None;
    }
    r
}

pub async fn list(store: &Store, staff: &Staff) -> ServiceResult<Vec<Referral>> {
    staff.require_scope("read")?;
    staff.authorize(Action::ViewReferrals)?;
    let force = force_of(staff)?;
    let mut conn = store.read().await?;
    let agencies = visible_agencies(&mut conn, staff).await?;
    let partner = agencies.is_some();
    Ok(store::list(&mut conn, force, agencies.as_deref())
        .await?
        .into_iter()
        .map(|r| for_viewer(r, partner))
        .collect())
}

async fn visible(conn: &mut AnyConnection, staff: &Staff, id: i64) -> ServiceResult<Referral> {
    staff.authorize(Action::ViewReferrals)?;
    let force = force_of(staff)?;
    let agencies = visible_agencies(conn, staff).await?;
    let r = store::get(conn, id)
        .await?
        .filter(|r| r.force_id == force)
        .filter(|r| agencies.as_ref().is_none_or(|a| a.contains(&r.agency_id)))
        .ok_or(ServiceError::NotFound("referral"))?;
    Ok(for_viewer(r, agencies.is_some()))
}

pub async fn get(store: &Store, staff: &Staff, id: i64) -> ServiceResult<(Referral, Vec<Update>)> {
    staff.require_scope("read")?;
    let mut conn = store.read().await?;
    let r = visible(&mut conn, staff, id).await?;
    let updates = store::updates(&mut conn, id).await?;
    Ok((r, updates))
}

/// A partner acknowledges or updates a referral made to them (or force staff do).
pub async fn update(
    store: &Store,
    staff: &Staff,
    id: i64,
    status: &str,
    note: &str,
) -> ServiceResult<()> {
    if !STATUSES.contains(&status) {
        return Err(invalid(
            "status",
            "use sent, acknowledged, in-progress or closed",
        ));
    }
    if note.chars().count() > MAX_TEXT {
        return Err(invalid("note", format!("at most {MAX_TEXT} characters")));
    }
    let mut tx = store.write().await?;
    let r = visible(&mut tx, staff, id).await?;
    store::update(
        &mut tx,
        r.id,
        status,
        note.trim(),
        staff.user_id,
        &staff.audit_label(),
    )
    .await?;
    let mut e = entry(staff, "referrals.updated", "referral", r.id);
    e.after = Some(json!({"status": status, "note": note.trim()}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(())
}

/// For tests and the demo: the id of a user by name (partners are users).
pub async fn user_id(store: &Store, username: &str) -> ServiceResult<UserId> {
    let mut conn = store.read().await?;
    users::by_username(&mut conn, username)
        .await?
        .map(|u| u.id)
        .ok_or(ServiceError::NotFound("user"))
}
