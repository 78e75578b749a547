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
            bluelamp_store::clock::now() + time::Duration::seconds(5),
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

/// When a post is to go out: an RFC 3339 time with its offset (the API's form),
/// or a wall-clock time with none ("2026-12-14T18:00", as a browser's
/// datetime-local field sends it), read in the force's time zone `zone`. It must
/// lie in the future and within [`super::MAX_SCHEDULE_AHEAD_DAYS`]; returned in
/// stored form (UTC).
pub fn parse_schedule(text: &str, zone: &str) -> crate::ServiceResult<String> {
    let at = resolve_schedule(
        text,
        zone,
        jiff::Timestamp::from_second(bluelamp_store::clock::now_unix())
            .unwrap_or_else(|_| jiff::Timestamp::now()),
    )?;
    Ok(bluelamp_store::format_time(
        time::OffsetDateTime::from_unix_timestamp_nanos(at.as_nanosecond())
            .map_err(|_| crate::error::invalid("scheduled_at", "is not a time we can store"))?,
    ))
}

/// [`parse_schedule`] with the present given (the clock is injected for tests).
/// A wall-clock time the clocks skip (going forward in spring) does not exist and
/// is refused with the reason; one they pass twice (going back in autumn) is the
/// first of the two, as people mean it.
pub fn resolve_schedule(
    text: &str,
    zone: &str,
    now: jiff::Timestamp,
) -> crate::ServiceResult<jiff::Timestamp> {
    use jiff::tz::{AmbiguousOffset, TimeZone};
    let text = text.trim();
    let bad = || {
        crate::error::invalid(
            "scheduled_at",
            "must be a date and time such as 2026-12-14T18:00 (the force's local time) or 2026-12-14T18:00:00Z",
        )
    };
    // With an offset (RFC 3339): `time` reads any year, so a far-off date gets
    // "check the year" rather than "not a date".
    let with_offset =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339);
    let at = match with_offset {
        Ok(at)
            if at.unix_timestamp() - now.as_second() > super::MAX_SCHEDULE_AHEAD_DAYS * 86_400 =>
        {
            return Err(too_far());
        }
        Ok(at) => jiff::Timestamp::from_nanosecond(at.unix_timestamp_nanos()).map_err(|_| bad())?,
        Err(_) => {
            let wall: jiff::civil::DateTime = text.parse().map_err(|_| bad())?;
            let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
            let ambiguous = tz.to_ambiguous_zoned(wall);
            if let AmbiguousOffset::Gap { .. } = ambiguous.offset() {
                return Err(crate::error::invalid(
                    "scheduled_at",
                    format!(
                        "{} does not exist in {zone}: the clocks go forward then. Choose a time after the change",
                        wall.strftime("%H:%M on %-d %B %Y")
                    ),
                ));
            }
            ambiguous.earlier().map_err(|_| bad())?.timestamp()
        }
    };
    if at <= now {
        return Err(crate::error::invalid(
            "scheduled_at",
            "is in the past; choose a time from now on, or publish now",
        ));
    }
    if at.as_second() - now.as_second() > super::MAX_SCHEDULE_AHEAD_DAYS * 86_400 {
        return Err(too_far());
    }
    Ok(at)
}

fn too_far() -> crate::ServiceError {
    crate::error::invalid(
        "scheduled_at",
        format!(
            "is more than {} days ahead; check the year",
            super::MAX_SCHEDULE_AHEAD_DAYS
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> jiff::Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn wall_clock_times_are_read_in_the_forces_zone_across_the_clock_changes() {
        let now = at("2026-10-01T12:00:00Z");
        let london = |text: &str| resolve_schedule(text, "Europe/London", now);
        // Summer time (BST, UTC+1) and winter time (GMT).
        assert_eq!(
            london("2026-10-20T18:00").unwrap(),
            at("2026-10-20T17:00:00Z")
        );
        assert_eq!(
            london("2026-12-14T18:00").unwrap(),
            at("2026-12-14T18:00:00Z")
        );
        // The hour the clocks pass twice (25 October 2026, 01:00-02:00): the first.
        assert_eq!(
            london("2026-10-25T01:30").unwrap(),
            at("2026-10-25T00:30:00Z")
        );
        // The hour they skip (28 March 2027, 01:00-02:00) does not exist.
        let gap = london("2027-03-28T01:30").unwrap_err().to_string();
        assert!(
            gap.contains("does not exist") && gap.contains("clocks go forward"),
            "{gap}"
        );
        // An explicit offset is taken as given; the zone does not matter.
        assert_eq!(
            london("2026-12-14T18:00:00+01:00").unwrap(),
            at("2026-12-14T17:00:00Z")
        );
        assert!(london("2026-09-30T18:00")
            .unwrap_err()
            .to_string()
            .contains("past"));
        assert!(london("2028-01-01T00:00")
            .unwrap_err()
            .to_string()
            .contains("check the year"));
        assert!(london("next tuesday").is_err());
        assert!(london("9999-12-31T10:00:00Z")
            .unwrap_err()
            .to_string()
            .contains("check the year"));
    }
}
