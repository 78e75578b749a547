//! The supervisor's side of the approval queue: approve (optionally editing, with
//! a reason when the check held the post) or reject with a reason the author sees.

use super::*;

/// Approve a pending post, optionally editing it first (the edit is re-checked and
/// the original kept as a revision). Approving a post the check held needs a reason:
/// it is audited and recorded as a labelled example for the check's next training.
pub async fn approve(
    store: &Store,
    engine: &ForceEngines,
    staff: &Staff,
    id: i64,
    expected_version: i64,
    edited_text: Option<&str>,
    reason: Option<&str>,
) -> ServiceResult<posts::Post> {
    staff.require_scope("write")?;
    let approver = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    let mut tx = store.write().await?;
    let mut post = post_in_force(&mut tx, staff, id).await?;
    if post.status != PostStatus::Pending && post.proposed_edit.is_some() {
        return approve_edit(tx, engine, staff, post, expected_version, edited_text).await;
    }
    // An approver answers for the policy too: one who has not acknowledged the
    // current version may not approve until they have.
    crate::membership::require_policy(&mut tx, staff).await?;
    let may_approve = may_approve_on(&mut tx, staff, &post).await?;
    let waiting = super::waiting(&mut tx, &post).await?;
    let scheduled = in_future(post.scheduled_at.as_deref());
    let next = workflow::approve(
        post.status,
        post.author_user_id,
        approver,
        may_approve,
        scheduled,
    )
    .map_err(workflow_error)?;
    if post.version != expected_version {
        return Err(stale(id));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(reason) = reason {
        if reason.chars().count() > super::MAX_REASON_CHARS {
            return Err(invalid(
                "reason",
                format!(
                    "a rationale is at most {} characters",
                    super::MAX_REASON_CHARS
                ),
            ));
        }
    }
    if let Some(text) = edited_text
        .map(str::trim)
        .filter(|t| !t.is_empty() && *t != post.text)
    {
        let text = validate_text(text)?;
        let (account, body) = body_for_author(&mut tx, &post, text).await?;
        let report = recheck(&mut tx, engine, &post, &account, &body).await?;
        if report.decision == Decision::Refuse {
            return Err(edit_refused(&report));
        }
        post = posts::edit(
            &mut tx,
            id,
            post.version,
            text,
            &body,
            report.decision.as_str(),
            &findings_json(&report),
            approver,
            "edited on approval",
        )
        .await?;
    }
    if post.decision == Decision::Refuse.as_str() {
        approve_refusal(&post, reason)?;
    }
    if post.decision == Decision::Hold.as_str() {
        let Some(reason) = reason else {
            return Err(invalid(
                "reason",
                "The governance check held this post: say why it may go out. The reason is recorded and helps the check learn.",
            ));
        };
        crate::governance_feedback::record_held_approval(&mut tx, staff, &post, reason).await?;
    }
    // This approval satisfies the step the post waits at; a chain with more steps
    // keeps it waiting for the next one, whose approvers are told.
    let step = waiting.map_or(0, |w| w.step);
    bluelamp_store::approvals::record(&mut tx, id, step, approver, reason).await?;
    if let Some(next_step) = super::waiting(&mut tx, &post).await? {
        let post =
            posts::set_status(&mut tx, id, post.version, PostStatus::Pending, None, None).await?;
        crate::staff_notifications::on_post_status(&mut tx, &post).await?;
        let mut draft = entry(staff, "post.approve-step", "post", id);
        draft.after = Some(
            json!({"step": step + 1, "next": next_step.describe(), "reason": reason}).to_string(),
        );
        audit::append(&mut tx, draft).await?;
        tx.commit().await?;
        return Ok(post);
    }
    let before = post.clone();
    let post = posts::set_status(&mut tx, id, post.version, next, Some(approver), reason).await?;
    if next == PostStatus::Scheduled {
        schedule_job(&mut tx, &post).await?;
        crate::staff_notifications::on_post_status(&mut tx, &post).await?;
    } else {
        notifications::on_published(&mut tx, &post).await?;
    }
    let mut draft = entry(staff, "post.approve", "post", id);
    draft.before = Some(json!({"status": before.status, "body": before.body}).to_string());
    draft.after = Some(
        json!({"status": post.status, "body": post.body, "author_user_id": post.author_user_id,
            "reason": reason})
        .to_string(),
    );
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(post)
}

/// An escalated refusal may be approved only with a rationale, never when it does
/// not fit a network, and for lifelong anonymity or a child's identity only with
/// the documented waiver or court order its author referenced.
fn approve_refusal(post: &posts::Post, reason: Option<&str>) -> ServiceResult<()> {
    if post.escalation_reason.is_none() {
        return Err(ServiceError::Conflict(
            "The governance check refused this post and its author has not escalated it.".into(),
        ));
    }
    match super::escalation::bar(post) {
        bluelamp_domain::EscalationBar::Never(why) => {
            return Err(ServiceError::Conflict(why.into()))
        }
        bluelamp_domain::EscalationBar::Waiver if post.waiver_reference.is_none() => {
            return Err(ServiceError::Conflict(
                "The law keeps this person anonymous: it can be approved only with a documented waiver or court order, and none is referenced.".into(),
            ))
        }
        _ => {}
    }
    if reason.is_none() {
        return Err(invalid(
            "reason",
            "The check refused this post: record your rationale for approving it (it is audited).",
        ));
    }
    Ok(())
}

/// Reject a pending post with a reason the author sees.
pub async fn reject(
    store: &Store,
    staff: &Staff,
    id: i64,
    expected_version: i64,
    reason: &str,
) -> ServiceResult<posts::Post> {
    staff.require_scope("write")?;
    let reviewer = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    let mut tx = store.write().await?;
    let post = post_in_force(&mut tx, staff, id).await?;
    if post.status != PostStatus::Pending && post.proposed_edit.is_some() {
        return reject_edit(tx, staff, post, expected_version, reason).await;
    }
    let may_approve = may_approve_on(&mut tx, staff, &post).await?;
    workflow::reject(
        post.status,
        post.author_user_id,
        reviewer,
        may_approve,
        reason,
    )
    .map_err(workflow_error)?;
    let post = posts::set_status(
        &mut tx,
        id,
        expected_version,
        PostStatus::Rejected,
        Some(reviewer),
        Some(reason.trim()),
    )
    .await?;
    crate::staff_notifications::on_post_status(&mut tx, &post).await?;
    let mut draft = entry(staff, "post.reject", "post", id);
    draft.after = Some(json!({"status": post.status, "reason": reason.trim()}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(post)
}
