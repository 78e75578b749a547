//! Escalation: a draft the governance check refused is not always wrong (a
//! suspect named after charge where the check saw a name; a victim who has waived
//! anonymity in writing). Its author may send it to a supervisor with a reason; a
//! supervisor, the comms team or a force administrator may then approve it with a
//! recorded rationale, where the law allows. It never allows a draft that does not
//! fit a network, and the lifelong-anonymity and child-identity refusals only with
//! the documented waiver or court order referenced.

use bluelamp_domain::approval::{self, EscalationBar};
use bluelamp_domain::PostStatus;
use bluelamp_store::{audit, posts, Store};
use serde_json::json;

use super::{post_in_force, posting_member, stale};
use crate::auth::entry;
use crate::error::required_text;
use crate::{ServiceError, ServiceResult, Staff};

/// The longest escalation reason or approval rationale.
pub const MAX_REASON_CHARS: usize = 2000;

/// The categories of the findings that refused `post`.
pub(crate) fn refusing_categories(post: &posts::Post) -> Vec<String> {
    post.findings
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["severity"].as_str() == Some("refuse"))
        .filter_map(|f| f["category"].as_str().map(str::to_string))
        .collect()
}

/// The bar a refused `post` must clear to be approved.
pub(crate) fn bar(post: &posts::Post) -> EscalationBar {
    let categories = refusing_categories(post);
    approval::escalation_bar(categories.iter().map(String::as_str))
}

/// Send a refused post to a supervisor with the author's reason (and, for the
/// lifelong-anonymity and child-identity refusals, the waiver or court order).
pub async fn escalate(
    store: &Store,
    staff: &Staff,
    id: i64,
    expected_version: i64,
    reason: &str,
    waiver: Option<&str>,
) -> ServiceResult<posts::Post> {
    staff.require_scope("write")?;
    let reason = required_text("reason", reason, MAX_REASON_CHARS)?;
    let mut tx = store.write().await?;
    let post = post_in_force(&mut tx, staff, id).await?;
    let (_, member) = posting_member(&mut tx, staff, post.account_id).await?;
    if post.author_user_id != member.user_id {
        return Err(ServiceError::Forbidden(
            "Only its author may escalate a refused post.".into(),
        ));
    }
    if post.status != PostStatus::Refused {
        return Err(ServiceError::Conflict(format!(
            "This post is {}: only a post the check refused is escalated.",
            post.status.as_str()
        )));
    }
    if post.version != expected_version {
        return Err(stale(id));
    }
    let waiver = match bar(&post) {
        EscalationBar::Never(why) => return Err(ServiceError::Conflict(why.into())),
        EscalationBar::Waiver => Some(approval::validate_waiver(waiver.unwrap_or_default())?),
        EscalationBar::Rationale => waiver.map(str::trim).filter(|w| !w.is_empty()),
    };
    let post = posts::escalate(&mut tx, id, expected_version, reason, waiver).await?;
    crate::staff_notifications::on_post_status(&mut tx, &post).await?;
    let mut draft = entry(staff, "post.escalate", "post", id);
    draft.after = Some(
        json!({"status": post.status, "reason": reason, "waiver_reference": waiver,
            "refused_for": refusing_categories(&post)})
        .to_string(),
    );
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(post)
}
