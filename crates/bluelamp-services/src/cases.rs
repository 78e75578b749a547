//! Cases (story 9): a journal of legal status, not a narrative. A case reference links
//! posts, appeals and tips; its status and people feed the governance check of every
//! post linked to it (contempt rules while proceedings are active, the complainant's
//! anonymity in a sexual-offence case); a status change asks the authors of the linked
//! posts for the follow-up, and stories left hanging are listed.

use crate::error::{invalid, required_text};
use bluelamp_domain::{Action, ForceId};
use bluelamp_governance::{CasePerson, CaseRole};
use bluelamp_store::cases::{self as store, Case, Event, Person};
use bluelamp_store::{audit, posts, AnyConnection, Store};
use serde::Serialize;
use serde_json::json;

use crate::auth::entry;
use crate::{ServiceError, ServiceResult, Staff};

/// The statuses in the order proceedings move through them; the last four are
/// outcomes, all at the same step.
pub const STATUSES: [&str; 8] = [
    "none",
    "arrested",
    "charged",
    "in-court",
    "convicted",
    "acquitted",
    "discontinued",
    "nfa",
];
const MAX_TEXT: usize = 2_000;
/// After this many days an "arrested" story with no outcome is listed as hanging.
pub const HANGING_AFTER_DAYS: i64 = 28;

fn step(status: &str) -> usize {
    STATUSES
        .iter()
        .position(|s| *s == status)
        .unwrap_or(0)
        .min(4)
}

/// The governance check's view of a status: "in court" is still charged (active),
/// a discontinued case has no further action.
fn check_status(status: &str) -> &'static str {
    match status {
        "arrested" => "arrested",
        "charged" | "in-court" => "charged",
        "convicted" => "convicted",
        "acquitted" => "acquitted",
        "discontinued" | "nfa" => "nfa",
        _ => "none",
    }
}

/// A reference as forces write them: letters, digits and `-`, up to 40 (it appears in addresses).
pub fn reference(field: &'static str, value: &str) -> ServiceResult<String> {
    let v = value.trim();
    if v.is_empty() || v.len() > 40 {
        return Err(invalid(field, "a reference is 1 to 40 characters"));
    }
    if !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(invalid(
            field,
            "use letters, digits and - only (e.g. NWP-2026-0412)",
        ));
    }
    Ok(v.to_ascii_uppercase())
}

fn force_of(staff: &Staff) -> ServiceResult<ForceId> {
    staff.current_force()
}

async fn case_in_force(
    conn: &mut AnyConnection,
    force: ForceId,
    reference: &str,
) -> ServiceResult<Case> {
    store::by_reference(conn, force, reference)
        .await?
        .ok_or(ServiceError::NotFound("case"))
}

pub async fn create(
    store: &Store,
    staff: &Staff,
    reference_text: &str,
    title: &str,
    sexual_offence: bool,
) -> ServiceResult<Case> {
    staff.require_scope("write")?;
    staff.authorize(Action::ManageCases)?;
    let force = force_of(staff)?;
    let reference = reference("reference", reference_text)?;
    let title = required_text("title", title, 200)?;
    let mut tx = store.write().await?;
    let case = store::insert(&mut tx, force, &reference, title, sexual_offence)
        .await?
        .ok_or_else(|| {
            ServiceError::Conflict(format!("The force already has a case {reference}."))
        })?;
    let mut e = entry(staff, "case.opened", "case", case.id);
    e.after = Some(json!({"reference": reference, "sexual_offence": sexual_offence}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(case)
}

pub async fn add_person(
    store: &Store,
    staff: &Staff,
    reference_text: &str,
    name: &str,
    role: &str,
    age: Option<i64>,
) -> ServiceResult<i64> {
    staff.require_scope("write")?;
    staff.authorize(Action::ManageCases)?;
    let force = force_of(staff)?;
    let name = required_text("name", name, 120)?;
    if !CaseRole::ALL.iter().any(|r| r.as_str() == role) {
        return Err(invalid("role", "one of: suspect, complainant, witness"));
    }
    if age.is_some_and(|a| !(0..=120).contains(&a)) {
        return Err(invalid("age", "an age from 0 to 120, or blank"));
    }
    let mut tx = store.write().await?;
    let case = case_in_force(&mut tx, force, &reference("reference", reference_text)?).await?;
    let id = store::add_person(&mut tx, case.id, name, role, age).await?;
    // The name itself is personal data: the audit records the part, not the name.
    let mut e = entry(staff, "case.person-added", "case", case.id);
    e.after = Some(json!({"role": role, "age": age}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(id)
}

/// A status change. Forwards needs nothing more; backwards (or sideways between
/// outcomes) needs a reason, which the journal and the audit trail keep.
pub struct StatusChange<'a> {
    pub status: &'a str,
    pub court: Option<&'a str>,
    pub court_date: Option<&'a str>,
    pub reason: &'a str,
}

pub async fn set_status(
    store: &Store,
    staff: &Staff,
    reference_text: &str,
    change: &StatusChange<'_>,
) -> ServiceResult<Case> {
    staff.require_scope("write")?;
    staff.authorize(Action::ManageCases)?;
    let force = force_of(staff)?;
    if !STATUSES.contains(&change.status) {
        return Err(invalid(
            "status",
            format!("one of: {}", STATUSES.join(", ")),
        ));
    }
    if change.court.is_some_and(|c| c.chars().count() > 200) {
        return Err(invalid("court", "at most 200 characters"));
    }
    let court = change.court.map(str::trim).filter(|c| !c.is_empty());
    let court_date = change.court_date.map(str::trim).filter(|c| !c.is_empty());
    if let Some(date) = court_date {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(date, &format)
            .map_err(|_| invalid("court_date", "a date such as 2026-12-14"))?;
    }
    if change.status == "in-court" && court.is_none() {
        return Err(invalid("court", "say which court the case is in"));
    }
    if change.reason.chars().count() > MAX_TEXT {
        return Err(invalid("reason", format!("at most {MAX_TEXT} characters")));
    }
    let reason = change.reason.trim();
    let mut tx = store.write().await?;
    let case = case_in_force(&mut tx, force, &reference("reference", reference_text)?).await?;
    if case.status == change.status {
        return Err(invalid(
            "status",
            format!("the case is already {}", case.status),
        ));
    }
    if step(change.status) <= step(&case.status) && reason.is_empty() {
        return Err(invalid(
            "reason",
            format!(
                "moving a case from {} back to {} needs a reason, which is recorded",
                case.status, change.status
            ),
        ));
    }
    store::set_status(
        &mut tx,
        &case,
        change.status,
        court,
        court_date,
        reason,
        &staff.audit_label(),
    )
    .await?;
    let mut e = entry(staff, "case.status", "case", case.id);
    e.before = Some(json!({"status": case.status}).to_string());
    e.after = Some(
        json!({"status": change.status, "court": court, "court_date": court_date, "reason": reason})
            .to_string(),
    );
    audit::append(&mut tx, e).await?;
    let updated = case_in_force(&mut tx, force, &case.reference).await?;
    tx.commit().await?;
    Ok(updated)
}

/// A case with its people, journal and linked posts, and the follow-up text the
/// authors are asked to publish after the latest status change.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub case: Case,
    pub people: Vec<Person>,
    pub events: Vec<Event>,
    pub posts: Vec<posts::Post>,
    /// Set when the status changed after the newest linked post.
    pub follow_up: Option<String>,
}

pub async fn get(store: &Store, staff: &Staff, reference_text: &str) -> ServiceResult<CaseView> {
    staff.require_scope("read")?;
    staff.authorize(Action::ManageCases)?;
    let force = force_of(staff)?;
    let mut conn = store.read().await?;
    let case = case_in_force(&mut conn, force, &reference("reference", reference_text)?).await?;
    let people = store::people(&mut conn, case.id).await?;
    let events = store::events(&mut conn, case.id).await?;
    let posts = posts::linked(&mut conn, force, "case", &case.reference, false, 200).await?;
    let follow_up = needs_follow_up(&case, &events, &posts).then(|| follow_up_text(&case, &people));
    Ok(CaseView {
        case,
        people,
        events,
        posts,
        follow_up,
    })
}

fn needs_follow_up(case: &Case, events: &[Event], linked: &[posts::Post]) -> bool {
    let (Some(last_change), Some(newest_post)) = (events.last(), linked.first()) else {
        return false;
    };
    case.status != "none" && newest_post.created_at < last_change.created_at
}

/// A pre-filled follow-up limited to releasable facts: the status and the court,
/// never a name (suspects are named by the author, on charge, with the check's say).
pub fn follow_up_text(case: &Case, people: &[Person]) -> String {
    let suspect = people
        .iter()
        .find(|p| p.role == "suspect")
        .and_then(|p| p.age)
        .map_or("The person".to_string(), |age| {
            format!("The {age}-year-old")
        });
    let court = case.court.as_deref().unwrap_or("court");
    let date = case
        .court_date
        .as_deref()
        .map_or(String::new(), |d| format!(" on {d}"));
    let what = match case.status.as_str() {
        "arrested" => "has been arrested and enquiries continue.".to_string(),
        "charged" => "has been charged and remains before the courts. Please do not comment on the case while proceedings are active.".to_string(),
        "in-court" => format!("is due to appear at {court}{date}. Please do not comment on the case while proceedings are active."),
        "convicted" => format!("has been convicted at {court}."),
        "acquitted" => format!("was found not guilty at {court}."),
        "discontinued" => "will face no further proceedings: the case has been discontinued.".to_string(),
        "nfa" => "will face no further action.".to_string(),
        _ => "is no longer under investigation.".to_string(),
    };
    format!(
        "Update ({}): {suspect} arrested in connection with {} {what}",
        case.reference, case.title
    )
}

pub async fn list(store: &Store, staff: &Staff) -> ServiceResult<Vec<Case>> {
    staff.require_scope("read")?;
    staff.authorize(Action::ManageCases)?;
    let force = force_of(staff)?;
    let mut conn = store.read().await?;
    Ok(store::list(&mut conn, force).await?)
}

/// The follow-ups `staff` is asked to publish: each case whose status moved on
/// after the newest post linked to it, where one of those posts is theirs, with
/// the pre-filled text. (The ask reaches the authors on their home page; the
/// case page publishes it.)
pub async fn follow_ups_owed(store: &Store, staff: &Staff) -> ServiceResult<Vec<(Case, String)>> {
    staff.require_scope("read")?;
    let (Some(force), Some(user)) = (staff.force_id, staff.user_id) else {
        return Ok(Vec::new());
    };
    if staff.authorize(Action::ManageCases).is_err() {
        return Ok(Vec::new());
    }
    let mut conn = store.read().await?;
    let mut owed = Vec::new();
    for case in store::list(&mut conn, force).await? {
        let linked = posts::linked(&mut conn, force, "case", &case.reference, false, 200).await?;
        if !linked.iter().any(|p| p.author_user_id == user) {
            continue;
        }
        let events = store::events(&mut conn, case.id).await?;
        if needs_follow_up(&case, &events, &linked) {
            let people = store::people(&mut conn, case.id).await?;
            let text = follow_up_text(&case, &people);
            owed.push((case, text));
        }
    }
    Ok(owed)
}

/// Stories left hanging: cases still at "arrested" with a linked post older than
/// [`HANGING_AFTER_DAYS`], or whose status moved on after the newest linked post.
pub async fn hanging(store: &Store, staff: &Staff) -> ServiceResult<Vec<(Case, String)>> {
    staff.require_scope("read")?;
    staff.authorize(Action::ManageCases)?;
    let force = force_of(staff)?;
    let mut conn = store.read().await?;
    let cutoff = bluelamp_store::format_time(
        time::OffsetDateTime::now_utc() - time::Duration::days(HANGING_AFTER_DAYS),
    );
    let mut out = Vec::new();
    for case in store::list(&mut conn, force).await? {
        let linked = posts::linked(&mut conn, force, "case", &case.reference, false, 200).await?;
        let Some(newest) = linked.first() else {
            continue;
        };
        let events = store::events(&mut conn, case.id).await?;
        if needs_follow_up(&case, &events, &linked) {
            let why = format!(
                "now {}; the public were last told on {}",
                case.status,
                newest.created_at.get(..10).unwrap_or("")
            );
            out.push((case, why));
        } else if case.status == "arrested"
            && linked
                .last()
                .is_some_and(|oldest| oldest.created_at < cutoff)
        {
            out.push((
                case,
                format!("arrested, no outcome after {HANGING_AFTER_DAYS} days"),
            ));
        }
    }
    Ok(out)
}

/// What a post linked to `reference` tells the governance check: the case's status,
/// whether it is a sexual offence and its people. `None` when no such case exists.
pub(crate) async fn check_context(
    conn: &mut AnyConnection,
    force: ForceId,
    reference_text: &str,
) -> ServiceResult<Option<(String, bool, Vec<CasePerson>)>> {
    let Ok(reference) = reference("link", reference_text) else {
        return Ok(None);
    };
    let Some(case) = store::by_reference(conn, force, &reference).await? else {
        return Ok(None);
    };
    let people = store::people(conn, case.id)
        .await?
        .into_iter()
        .filter_map(|p| {
            let role = CaseRole::ALL.into_iter().find(|r| r.as_str() == p.role)?;
            Some(CasePerson {
                name: p.name,
                role,
                age: p.age.and_then(|a| u32::try_from(a).ok()),
            })
        })
        .collect();
    Ok(Some((
        check_status(&case.status).to_string(),
        case.sexual_offence,
        people,
    )))
}
