//! Scheduled posts: pausing them all, and publishing one when it falls due (the
//! job's work).

use bluelamp_domain::{Action, PostStatus};
use bluelamp_store::{audit, forces, jobs, posts, AnyConnection, Store};
use serde_json::json;

use super::in_future;
use crate::auth::entry;
use crate::runner::JobOutcome;
use crate::{notifications, ServiceResult, Staff};

/// Pause (or resume) every scheduled post of the force, e.g. during a major incident.
pub async fn set_scheduling_paused(
    store: &Store,
    staff: &Staff,
    paused: bool,
) -> ServiceResult<()> {
    staff.authorize(Action::PauseScheduling)?;
    staff.require_scope("write")?;
    let force = staff.current_force()?;
    let mut tx = store.write().await?;
    forces::set_scheduling_paused(&mut tx, force, paused).await?;
    let mut draft = entry(
        staff,
        if paused {
            "scheduling.pause"
        } else {
            "scheduling.resume"
        },
        "force",
        force.0,
    );
    draft.after = Some(json!({"paused": paused}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn scheduling_paused(store: &Store, staff: &Staff) -> ServiceResult<bool> {
    let force = staff.current_force()?;
    let mut conn = store.read().await?;
    Ok(forces::scheduling_paused(&mut conn, force).await?)
}

/// Publish one due scheduled post (the job's work), exactly once: the status change,
/// its side effects and the job's completion commit together.
pub async fn publish_due(conn: &mut AnyConnection, job: &jobs::Job) -> ServiceResult<JobOutcome> {
    let Some(id) = job.payload.get("post_id").and_then(|v| v.as_i64()) else {
        return Ok(JobOutcome::Done);
    };
    let post = posts::get(conn, id).await?;
    if post.status != PostStatus::Scheduled {
        // Edited back to the queue, deleted or already out: nothing to do.
        return Ok(JobOutcome::Done);
    }
    if forces::scheduling_paused(conn, post.force_id).await? {
        return Ok(JobOutcome::Postpone(bluelamp_store::format_time(
            time::OffsetDateTime::now_utc() + time::Duration::seconds(5),
        )));
    }
    if in_future(post.scheduled_at.as_deref()) {
        return Ok(JobOutcome::Postpone(
            post.scheduled_at.clone().unwrap_or_default(),
        ));
    }
    let post = posts::set_status(conn, id, post.version, PostStatus::Published, None, None).await?;
    notifications::on_published(conn, &post).await?;
    audit::append(
        conn,
        bluelamp_domain::AuditDraft {
            force_id: Some(post.force_id),
            actor_user_id: Some(post.author_user_id),
            actor_label: "scheduler".into(),
            action: "post.published".into(),
            target_type: "post".into(),
            target_id: post.id.to_string(),
            after: Some(
                json!({"status": "published", "scheduled_at": post.scheduled_at}).to_string(),
            ),
            ..Default::default()
        },
    )
    .await?;
    Ok(JobOutcome::Done)
}

/// Parse an RFC 3339 time that must lie in the future; returns it in stored form.
pub fn parse_schedule(text: &str) -> crate::ServiceResult<String> {
    let at =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .map_err(|_| {
                crate::error::invalid(
                    "scheduled_at",
                    "must be a date and time such as 2026-11-21T18:00:00Z",
                )
            })?;
    let now = time::OffsetDateTime::now_utc();
    if at <= now {
        return Err(crate::error::invalid(
            "scheduled_at",
            "is in the past; choose a time from now on, or publish now",
        ));
    }
    if at > now + time::Duration::days(super::MAX_SCHEDULE_AHEAD_DAYS) {
        return Err(crate::error::invalid(
            "scheduled_at",
            format!(
                "is more than {} days ahead; check the year",
                super::MAX_SCHEDULE_AHEAD_DAYS
            ),
        ));
    }
    Ok(bluelamp_store::format_time(at))
}
