//! Appeals for information (story 5): the appeal's words, place, time, photos and how
//! to respond, published as a post linked to it through the normal pipeline; a public
//! page and a force-wide "latest appeals" feed; when solved or withdrawn, the suspect
//! images come down from every channel that can delete them, on confirmation.

use crate::error::{invalid, required_text};
use bluelamp_domain::{AccountId, Action, PostStatus};
use bluelamp_store::appeals::{self as store, Appeal, NewAppeal};
use bluelamp_store::{audit, cases, forces, media, posts, Store};
use serde::Serialize;
use serde_json::json;

use crate::auth::entry;
use crate::cases::reference;
use crate::force_rules::ForceEngines;
use crate::posts::{Compose, Link, MediaRef, Submitted};
use crate::{ServiceError, ServiceResult, Staff};

pub const RESPOND: [&str; 4] = ["999", "101", "online", "crimestoppers"];
pub const STATUSES: [&str; 3] = ["open", "solved", "withdrawn"];

pub struct NewAppealInput<'a> {
    pub reference: &'a str,
    pub title: &'a str,
    pub what_happened: &'a str,
    /// When it happened, as the force writes it ("Saturday 21 November, about 11pm").
    pub happened_at: Option<&'a str>,
    pub place: &'a str,
    pub respond: &'a [String],
    pub account_id: AccountId,
    pub case_reference: Option<&'a str>,
    pub channels: &'a [String],
    pub media: &'a [MediaRef],
    /// Postcode districts it concerns: area alerts reach their subscribers.
    pub districts: &'a str,
}

/// How the public may respond, as a sentence.
fn respond_sentence(respond: &[String], reference: &str) -> String {
    let ways: Vec<&str> = respond
        .iter()
        .map(|r| match r.as_str() {
            "101" => "call 101",
            "online" => "reply through our appeal page, where you can send photos or video",
            "crimestoppers" => "contact Crimestoppers anonymously on 0800 555 111",
            _ => "call 999 if you see them now",
        })
        .collect();
    format!(
        "If you can help, {}. Please quote {reference}.",
        ways.join(", or ")
    )
}

/// The appeal's post text: readable on any channel without the page.
pub fn appeal_text(input: &NewAppealInput<'_>, reference: &str) -> String {
    let mut text = format!(
        "{}\n{}\nWhere: {}.",
        input.title.trim(),
        input.what_happened.trim(),
        input.place.trim()
    );
    if let Some(when) = input.happened_at.map(str::trim).filter(|w| !w.is_empty()) {
        text.push_str(&format!(" When: {when}."));
    }
    text.push('\n');
    text.push_str(&respond_sentence(input.respond, reference));
    text
}

pub async fn create(
    store: &Store,
    engines: &ForceEngines,
    staff: &Staff,
    input: &NewAppealInput<'_>,
) -> ServiceResult<(Appeal, Submitted)> {
    staff.require_scope("write")?;
    staff.authorize(Action::ManageCases)?;
    let force = staff.current_force()?;
    let reference = reference("reference", input.reference)?;
    let title = required_text("title", input.title, 200)?;
    let what = required_text("what_happened", input.what_happened, 2_000)?;
    let place = required_text("place", input.place, 200)?;
    let happened_at = input.happened_at.map(str::trim).filter(|w| !w.is_empty());
    if happened_at.is_some_and(|w| w.chars().count() > 100) {
        return Err(invalid("happened_at", "at most 100 characters"));
    }
    if input.respond.is_empty() || input.respond.iter().any(|r| !RESPOND.contains(&r.as_str())) {
        return Err(invalid(
            "respond",
            format!("choose one or more of: {}", RESPOND.join(", ")),
        ));
    }
    let case_reference = match input
        .case_reference
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(text) => {
            let case = crate::cases::reference("case_reference", text)?;
            let mut conn = store.read().await?;
            cases::by_reference(&mut conn, force, &case)
                .await?
                .ok_or_else(|| {
                    invalid("case_reference", format!("the force has no case {case}"))
                })?;
            Some(case)
        }
    };
    let districts = bluelamp_domain::incident::parse_districts(input.districts)
        .map_err(ServiceError::Invalid)?
        .join(",");
    let mut tx = store.write().await?;
    crate::membership::posting_member(&mut tx, staff, input.account_id).await?;
    let appeal = store::insert(
        &mut tx,
        &NewAppeal {
            force_id: force,
            reference: &reference,
            title,
            what_happened: what,
            happened_at,
            place,
            respond: input.respond,
            account_id: input.account_id,
            case_reference: case_reference.as_deref(),
            districts: &districts,
        },
    )
    .await?
    .ok_or_else(|| {
        ServiceError::Conflict(format!(
            "The force already has an appeal {reference}; use a new reference."
        ))
    })?;
    let mut e = entry(staff, "appeal.opened", "appeal", appeal.id);
    e.after =
        Some(json!({"reference": reference, "title": title, "case": case_reference}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    let submitted = crate::posts::compose(
        store,
        engines,
        staff,
        input.account_id,
        &Compose {
            text: appeal_text(input, &reference),
            kind: Some("appeal".into()),
            channels: input.channels.to_vec(),
            link: Some(Link {
                kind: "appeal".into(),
                reference: reference.clone(),
            }),
            media: input.media.to_vec(),
            ..Compose::default()
        },
    )
    .await;
    let submitted = match submitted {
        Ok(s) => s,
        Err(error) => {
            // Nothing half-made: an appeal whose post could not be written goes.
            let mut tx = store.write().await?;
            store::delete_unpublished(&mut tx, appeal.id).await?;
            tx.commit().await?;
            return Err(error);
        }
    };
    let mut tx = store.write().await?;
    store::set_post(&mut tx, appeal.id, submitted.post.id).await?;
    tx.commit().await?;
    let appeal = Appeal {
        post_id: Some(submitted.post.id),
        ..appeal
    };
    Ok((appeal, submitted))
}

/// Where the appeal's images stand on each channel after it is solved or withdrawn.
#[derive(Debug, Clone, Serialize)]
pub struct Removal {
    pub channel: String,
    /// "pending" (awaiting confirmation), "removed", or "cannot" (e-mail already sent).
    pub state: String,
    pub detail: String,
}

/// An appeal with its post and photos, and (once closed) where removal stands.
#[derive(Debug, Clone, Serialize)]
pub struct AppealView {
    pub force: forces::Force,
    pub appeal: Appeal,
    pub post: Option<posts::Post>,
    pub media: Vec<media::Media>,
    pub removals: Vec<Removal>,
}

fn removals(appeal: &Appeal, post: Option<&posts::Post>) -> Vec<Removal> {
    let Some(post) = post.filter(|_| appeal.status != "open") else {
        return Vec::new();
    };
    let removed = post.status == PostStatus::Deleted;
    post.channels
        .iter()
        .map(|channel| {
            let (state, detail) = match (channel.as_str(), removed) {
                ("email", _) => ("cannot", "E-mail already delivered cannot be recalled; the link in it now shows the appeal is closed."),
                ("fediverse", true) => ("removed", "A Delete was sent to every server that follows the account."),
                ("bluesky" | "x" | "facebook", true) => ("removed", "Deleted there by the network's connector (the post's page shows when it went)."),
                (_, true) => ("removed", "Removed from the public pages and feeds."),
                ("fediverse", false) | ("bluesky", false) | ("x", false) | ("facebook", false) => {
                    ("pending", "Still showing: confirm removal of the images.")
                }
                _ => ("pending", "Still showing: confirm removal."),
            };
            Removal { channel: channel.clone(), state: state.into(), detail: detail.into() }
        })
        .collect()
}

async fn view(
    store: &Store,
    force: forces::Force,
    reference_text: &str,
    public: bool,
) -> ServiceResult<AppealView> {
    let mut conn = store.read().await?;
    let appeal = store::by_reference(
        &mut conn,
        force.id,
        &reference("reference", reference_text)?,
    )
    .await?
    .ok_or(ServiceError::NotFound("appeal"))?;
    let post = match appeal.post_id {
        Some(id) => Some(posts::get(&mut conn, id).await?),
        None => None,
    };
    let visible = post
        .as_ref()
        .filter(|p| !public || p.status == PostStatus::Published);
    if public && visible.is_none() && appeal.status == "open" {
        // Not yet public (held for approval, scheduled or refused).
        return Err(ServiceError::NotFound("appeal"));
    }
    let media = match visible {
        Some(p) => media::for_post(&mut conn, p.id).await?,
        None => Vec::new(),
    };
    let removals = removals(&appeal, post.as_ref());
    Ok(AppealView {
        force,
        post: visible.cloned(),
        appeal,
        media,
        removals,
    })
}

pub async fn get(store: &Store, staff: &Staff, reference_text: &str) -> ServiceResult<AppealView> {
    staff.require_scope("read")?;
    staff.authorize(Action::ManageCases)?;
    let force = {
        let mut conn = store.read().await?;
        forces::get(&mut conn, staff.current_force()?).await?
    };
    view(store, force, reference_text, false).await
}

pub async fn public(store: &Store, code: &str, reference_text: &str) -> ServiceResult<AppealView> {
    let force = crate::public::force(store, code).await?;
    view(store, force, reference_text, true).await
}

pub async fn list(store: &Store, staff: &Staff) -> ServiceResult<Vec<Appeal>> {
    staff.require_scope("read")?;
    staff.authorize(Action::ManageCases)?;
    let force = staff.current_force()?;
    let mut conn = store.read().await?;
    Ok(store::list(&mut conn, force, None, 500).await?)
}

/// The open appeals' published posts, newest first: what the "latest appeals" feed
/// and page carry.
pub async fn latest(
    store: &Store,
    code: &str,
    limit: i64,
) -> ServiceResult<crate::public::Listing> {
    let force = crate::public::force(store, code).await?;
    let mut conn = store.read().await?;
    let open = store::list(&mut conn, force.id, Some("open"), limit).await?;
    let mut found = Vec::new();
    for appeal in &open {
        if let Some(id) = appeal.post_id {
            let post = posts::get(&mut conn, id).await?;
            if post.status == PostStatus::Published {
                found.push(post);
            }
        }
    }
    drop(conn);
    crate::public::listing_of(store, force, found).await
}

/// Solved, withdrawn or reopened. Closing asks for the images' removal (see
/// [`remove_images`]); it does not remove them by itself, so a mistaken click
/// takes nothing down.
pub async fn set_status(
    store: &Store,
    staff: &Staff,
    reference_text: &str,
    status: &str,
) -> ServiceResult<Appeal> {
    staff.require_scope("write")?;
    staff.authorize(Action::ManageCases)?;
    let force = staff.current_force()?;
    if !STATUSES.contains(&status) {
        return Err(invalid(
            "status",
            format!("one of: {}", STATUSES.join(", ")),
        ));
    }
    let mut tx = store.write().await?;
    let appeal = store::by_reference(&mut tx, force, &reference("reference", reference_text)?)
        .await?
        .ok_or(ServiceError::NotFound("appeal"))?;
    store::set_status(&mut tx, appeal.id, status).await?;
    let mut e = entry(staff, "appeal.status", "appeal", appeal.id);
    e.before = Some(json!({"status": appeal.status}).to_string());
    e.after = Some(json!({"status": status}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(Appeal {
        status: status.into(),
        ..appeal
    })
}

/// On confirmation, take the appeal's post (and its suspect images) down from every
/// channel that can delete: the public pages and feeds at once, the fediverse by a
/// Delete to followers' servers.
pub async fn remove_images(
    store: &Store,
    staff: &Staff,
    reference_text: &str,
) -> ServiceResult<Vec<Removal>> {
    let found = get(store, staff, reference_text).await?;
    if found.appeal.status == "open" {
        return Err(ServiceError::Conflict(
            "Mark the appeal solved or withdrawn before removing its images.".into(),
        ));
    }
    let Some(post) = found.post else {
        return Ok(Vec::new());
    };
    let post = if post.status == PostStatus::Published {
        let reason = format!(
            "appeal {} {}: suspect images removed",
            found.appeal.reference, found.appeal.status
        );
        crate::posts::delete(store, staff, post.id, post.version, &reason).await?
    } else {
        post
    };
    Ok(removals(&found.appeal, Some(&post)))
}
