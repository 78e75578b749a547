//! Edits: of a post still waiting (simply revised), and of an approved one, which
//! either changes at once or waits for a supervisor as a proposed edit.

use bluelamp_domain::post as workflow;
use bluelamp_governance::Decision;
use bluelamp_store::{audit, posts};
use serde_json::json;

use super::{
    body_for_author, edit_refused, findings_json, in_future, may_approve_on, post_in_force,
    posting_member, recheck, schedule_job, stale, validate_text, verdict, workflow_error,
    ForceEngines,
};
use crate::auth::entry;
use crate::{notifications, ServiceError, ServiceResult, Staff};
use bluelamp_store::Store;

/// Edit a post (its author, or an approver on its account), who must still be a
/// member allowed to post there. The edit is re-checked; the previous text is kept
/// and shown as history. An approved post edited by a member who may not post
/// without approval (or into wording the check holds) keeps its approved text: the
/// edit waits in the approval queue (`proposed_edit`) until a supervisor approves it.
pub async fn edit(
    store: &Store,
    engine: &ForceEngines,
    staff: &Staff,
    id: i64,
    expected_version: i64,
    text: &str,
) -> ServiceResult<posts::Post> {
    staff.require_scope("write")?;
    let text = validate_text(text)?;
    let mut tx = store.write().await?;
    let post = post_in_force(&mut tx, staff, id).await?;
    workflow::may_edit(post.status).map_err(workflow_error)?;
    let (_, member) = posting_member(&mut tx, staff, post.account_id).await?;
    let editor = member.user_id;
    if post.author_user_id != editor && !member.permissions.approve {
        return Err(ServiceError::Forbidden(
            "Only the author or an approver on this account may edit this post.".into(),
        ));
    }
    if post.version != expected_version {
        return Err(stale(id));
    }
    let (account, body) = body_for_author(&mut tx, &post, text).await?;
    let report = recheck(&mut tx, engine, &post, &account, &body).await?;
    let route = workflow::route_edit(
        post.status,
        verdict(report.decision),
        member.permissions.post_without_approval,
    )
    .map_err(|error| match error {
        workflow::WorkflowError::EditRefused => edit_refused(&report),
        other => workflow_error(other),
    })?;
    let before = post.body.clone();
    let post = match route {
        workflow::EditRoute::ApplyNow => {
            let post = posts::edit(
                &mut tx,
                id,
                expected_version,
                text,
                &body,
                report.decision.as_str(),
                &findings_json(&report),
                editor,
                "edited",
            )
            .await?;
            let mut draft = entry(staff, "post.edit", "post", id);
            draft.before = Some(json!({"body": before}).to_string());
            draft.after = Some(json!({"body": post.body, "version": post.version}).to_string());
            // Federation: an edit of a public post goes to followers as an Update.
            crate::federation::on_edited(&mut tx, &post).await?;
            crate::crosspost::on_edited(&mut tx, &post).await?;
            notifications::public_changed(&mut tx, &post).await?;
            audit::append(&mut tx, draft).await?;
            post
        }
        workflow::EditRoute::AwaitApproval => {
            let post = posts::propose_edit(
                &mut tx,
                id,
                expected_version,
                text,
                &body,
                report.decision.as_str(),
                &findings_json(&report),
                editor,
            )
            .await?;
            let mut draft = entry(staff, "post.edit_proposed", "post", id);
            draft.before = Some(json!({"body": before}).to_string());
            draft.after = Some(
                json!({"proposed_body": body, "decision": report.decision, "version": post.version})
                    .to_string(),
            );
            audit::append(&mut tx, draft).await?;
            post
        }
    };
    tx.commit().await?;
    Ok(post)
}

/// A refused or rejected post, written again by its author: the new text is
/// checked afresh and the post goes where a new one would (published, scheduled,
/// waiting for approval, or refused again, saying why), its earlier text kept as
/// history. Nothing has to be typed twice.
pub async fn resubmit(
    store: &Store,
    engine: &ForceEngines,
    staff: &Staff,
    id: i64,
    expected_version: i64,
    text: &str,
) -> ServiceResult<super::Submitted> {
    staff.require_scope("write")?;
    let text = validate_text(text)?;
    let mut tx = store.write().await?;
    let post = post_in_force(&mut tx, staff, id).await?;
    let (_, member) = posting_member(&mut tx, staff, post.account_id).await?;
    if post.author_user_id != member.user_id {
        return Err(ServiceError::Forbidden(
            "Only its author may write a refused or rejected post again.".into(),
        ));
    }
    if !matches!(
        post.status,
        bluelamp_domain::PostStatus::Refused | bluelamp_domain::PostStatus::Rejected
    ) {
        return Err(ServiceError::Conflict(format!(
            "This post is {}: only a refused or rejected post is written again; edit it instead.",
            post.status.as_str()
        )));
    }
    if post.version != expected_version {
        return Err(stale(id));
    }
    let (account, body) = body_for_author(&mut tx, &post, text).await?;
    let report = recheck(&mut tx, engine, &post, &account, &body).await?;
    let next = workflow::status_on_submit(
        verdict(report.decision),
        member.permissions.post_without_approval,
        in_future(post.scheduled_at.as_deref()),
    );
    let before = post.clone();
    let post = posts::edit(
        &mut tx,
        id,
        expected_version,
        text,
        &body,
        report.decision.as_str(),
        &findings_json(&report),
        member.user_id,
        "written again",
    )
    .await?;
    let post = posts::set_status(&mut tx, id, post.version, next, None, None).await?;
    match next {
        bluelamp_domain::PostStatus::Scheduled => schedule_job(&mut tx, &post).await?,
        bluelamp_domain::PostStatus::Published => {
            notifications::on_published(&mut tx, &post).await?
        }
        _ => {}
    }
    crate::staff_notifications::on_post_status(&mut tx, &post).await?;
    let mut draft = entry(staff, "post.resubmit", "post", id);
    draft.before = Some(json!({"status": before.status, "body": before.body}).to_string());
    draft.after = Some(
        json!({"status": post.status, "body": post.body, "decision": report.decision}).to_string(),
    );
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(super::Submitted { post, report })
}

/// Approve the edit waiting on an approved post (optionally amended by the
/// approver, which is checked again): the post's text changes and, if public, goes
/// out as an update.
pub(super) async fn approve_edit(
    mut tx: bluelamp_store::WriteTx,
    engine: &ForceEngines,
    staff: &Staff,
    post: posts::Post,
    expected_version: i64,
    amended_text: Option<&str>,
) -> ServiceResult<posts::Post> {
    let approver = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    let may_approve = may_approve_on(&mut tx, staff, &post).await?;
    let proposal = post.proposed_edit.clone();
    workflow::review_edit(
        proposal.is_some(),
        proposal.as_ref().map_or(approver, |p| p.proposed_by),
        approver,
        may_approve,
    )
    .map_err(workflow_error)?;
    let Some(proposal) = proposal else {
        return Err(workflow_error(workflow::WorkflowError::NoEditWaiting));
    };
    if post.version != expected_version {
        return Err(stale(post.id));
    }
    let text = match amended_text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => validate_text(text)?.to_string(),
        None => proposal.text.clone(),
    };
    let (account, body) = body_for_author(&mut tx, &post, &text).await?;
    // Checked again: the rules (or the force's settings) may have changed since.
    let report = recheck(&mut tx, engine, &post, &account, &body).await?;
    if report.decision == Decision::Refuse {
        return Err(edit_refused(&report));
    }
    let before = post.body.clone();
    let post = posts::edit(
        &mut tx,
        post.id,
        post.version,
        &text,
        &body,
        report.decision.as_str(),
        &findings_json(&report),
        proposal.proposed_by,
        "edit approved",
    )
    .await?;
    crate::federation::on_edited(&mut tx, &post).await?;
    crate::crosspost::on_edited(&mut tx, &post).await?;
    notifications::public_changed(&mut tx, &post).await?;
    let mut draft = entry(staff, "post.edit_approve", "post", post.id);
    draft.before = Some(json!({"body": before}).to_string());
    draft.after = Some(
        json!({"body": post.body, "version": post.version, "proposed_by": proposal.proposed_by})
            .to_string(),
    );
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(post)
}

/// Turn down the edit waiting on an approved post, with a reason the editor sees;
/// the approved text stays.
pub(super) async fn reject_edit(
    mut tx: bluelamp_store::WriteTx,
    staff: &Staff,
    post: posts::Post,
    expected_version: i64,
    reason: &str,
) -> ServiceResult<posts::Post> {
    let reviewer = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    let may_approve = may_approve_on(&mut tx, staff, &post).await?;
    let proposal = post.proposed_edit.as_ref();
    workflow::review_edit(
        proposal.is_some(),
        proposal.map_or(reviewer, |p| p.proposed_by),
        reviewer,
        may_approve,
    )
    .map_err(workflow_error)?;
    if reason.trim().is_empty() {
        return Err(workflow_error(workflow::WorkflowError::ReasonNeeded));
    }
    let rejected = proposal.map(|p| p.body.clone());
    let post =
        posts::discard_proposed_edit(&mut tx, post.id, expected_version, reviewer, reason.trim())
            .await?;
    let mut draft = entry(staff, "post.edit_reject", "post", post.id);
    draft.after = Some(json!({"rejected_body": rejected, "reason": reason.trim()}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(post)
}
