//! The governance check learning from use. Two things are recorded, audited and
//! exported as labelled examples in the corpus format (`corpus/governance/`):
//! a supervisor approving a post the check held (with their reason), and anyone in
//! the force reporting a published post the check should have stopped.

use crate::error::invalid;
use bluelamp_domain::{PostStatus, Role};
use bluelamp_governance::corpus::LABELLED;
use bluelamp_store::feedback::{self, FeedbackKind, NewFeedback};
use bluelamp_store::{audit, forces, posts, AnyConnection, Store};
use serde_json::{json, Value};

use crate::auth::entry;
use crate::{ServiceError, ServiceResult, Staff};

/// The longest reason kept (a paragraph, not a document).
pub const MAX_REASON_CHARS: usize = 2_000;

fn checked_reason(reason: &str) -> ServiceResult<&str> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid("reason", "say why, in a sentence or two"));
    }
    let n = reason.chars().count();
    if n > MAX_REASON_CHARS {
        return Err(invalid(
            "reason",
            format!("is {n} characters long; at most {MAX_REASON_CHARS}"),
        ));
    }
    Ok(reason)
}

/// Called inside the approval's transaction when the approved post was held.
pub(crate) async fn record_held_approval(
    conn: &mut AnyConnection,
    staff: &Staff,
    post: &posts::Post,
    reason: &str,
) -> ServiceResult<()> {
    let reason = checked_reason(reason)?;
    let draft = crate::posts::stored_draft(conn, post).await?;
    feedback::insert(
        conn,
        NewFeedback {
            force_id: post.force_id,
            post_id: post.id,
            kind: FeedbackKind::ApprovedHeld,
            reason,
            categories: &[],
            check_decision: &post.decision,
            draft: &draft,
            user_id: staff.user_id,
            user_label: &staff.audit_label(),
        },
    )
    .await?;
    Ok(())
}

/// Reports a published post the check should have stopped. Any staff member of the
/// post's force may (partner agencies aside); `categories` (optional) are the check's category ids the
/// reporter thinks apply. Returns the feedback's id.
pub async fn report(
    store: &Store,
    staff: &Staff,
    post_id: i64,
    reason: &str,
    categories: &[String],
) -> ServiceResult<i64> {
    staff.require_scope("write")?;
    if staff.role == Role::Partner {
        return Err(ServiceError::Forbidden(
            "Partner agencies see only their referrals; they cannot report posts.".into(),
        ));
    }
    let reason = checked_reason(reason)?;
    if categories.len() > LABELLED.len() {
        return Err(invalid(
            "categories",
            format!("at most {} categories, each once", LABELLED.len()),
        ));
    }
    let mut seen = Vec::new();
    for c in categories {
        if !LABELLED.iter().any(|l| l.as_str() == c) {
            return Err(invalid(
                "categories",
                format!(
                    "`{c}` is not a category; use: {}",
                    LABELLED.map(|l| l.as_str()).join(", ")
                ),
            ));
        }
        if !seen.contains(c) {
            seen.push(c.clone());
        }
    }
    let mut tx = store.write().await?;
    let post = posts::get(&mut tx, post_id).await?;
    if Some(post.force_id) != staff.force_id {
        return Err(ServiceError::NotFound("post"));
    }
    if post.status != PostStatus::Published {
        return Err(ServiceError::Conflict(
            "Only a published post can be reported; a post that waits can be rejected instead."
                .into(),
        ));
    }
    let draft = crate::posts::stored_draft(&mut tx, &post).await?;
    let id = feedback::insert(
        &mut tx,
        NewFeedback {
            force_id: post.force_id,
            post_id: post.id,
            kind: FeedbackKind::Reported,
            reason,
            categories: &seen,
            check_decision: &post.decision,
            draft: &draft,
            user_id: staff.user_id,
            user_label: &staff.audit_label(),
        },
    )
    .await?;
    let mut entry = entry(staff, "governance.report", "post", post.id);
    entry.after = Some(json!({"feedback": id, "reason": reason, "categories": seen}).to_string());
    audit::append(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(id)
}

/// Every piece of feedback (one force's when `force_code` is given) as corpus
/// records: an approved held post is labelled publish with no category; a reported
/// post is labelled hold with the reporter's categories. Both keep the reason as the
/// record's note, for a labeller to confirm before the next training round.
pub async fn export(store: &Store, force_code: Option<&str>) -> ServiceResult<Vec<Value>> {
    let mut conn = store.read().await?;
    let force = match force_code {
        Some(code) => Some(forces::by_code(&mut conn, code).await?.id),
        None => None,
    };
    let mut out = Vec::new();
    for f in feedback::list(&mut conn, force).await? {
        let mut record = f.draft.clone();
        if !record.is_object() {
            continue;
        }
        let (decision, categories) = match f.kind {
            FeedbackKind::ApprovedHeld => ("publish", Vec::new()),
            FeedbackKind::Reported => ("hold", f.categories.clone()),
        };
        record["id"] = json!(format!("feedback-{}-{}", f.force_id.0, f.id));
        record["expect"] = json!({"decision": decision, "categories": categories});
        record["note"] = json!(format!("{}: {}", f.kind.as_str(), f.reason));
        record["source"] = json!({
            "kind": f.kind,
            "post_id": f.post_id,
            "check_decision": f.check_decision,
            "by": f.user_label,
            "at": f.created_at,
        });
        out.push(record);
    }
    Ok(out)
}
