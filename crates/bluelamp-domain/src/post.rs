//! The life of a post: submitted, checked, held for approval or published,
//! scheduled, edited, deleted. Pure decisions; the services apply them.

use serde::{Deserialize, Serialize};

use crate::UserId;

/// Where a post is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    /// Waiting in the account's approval queue.
    Pending,
    /// Approved (or needing none) and waiting for its time.
    Scheduled,
    /// Public.
    Published,
    /// The governance check refused it; it never went out.
    Refused,
    /// A supervisor rejected it, with a reason the author sees.
    Rejected,
    /// Deleted after publishing: a tombstone stays public, the content is kept for
    /// the audit trail and disclosure.
    Deleted,
}

impl PostStatus {
    pub const ALL: [PostStatus; 6] = [
        PostStatus::Pending,
        PostStatus::Scheduled,
        PostStatus::Published,
        PostStatus::Refused,
        PostStatus::Rejected,
        PostStatus::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Pending => "pending",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Published => "published",
            PostStatus::Refused => "refused",
            PostStatus::Rejected => "rejected",
            PostStatus::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<PostStatus> {
        PostStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Every channel a post can name.
pub const CHANNELS: [&str; 5] = ["fediverse", "email", "bluesky", "x", "facebook"];

/// The channels that carry every account's posts: every account is a fediverse
/// actor and can have e-mail subscribers. Bluesky, X and Facebook carry an
/// account's posts once it is connected there.
pub const CONNECTED_CHANNELS: [&str; 2] = ["fediverse", "email"];

/// The channels a submitted post goes to: the ones named (each known and
/// connected for this account, duplicates dropped), or every connected channel
/// when none is named. `networks` are the account's other connected networks.
pub fn choose_channels(
    requested: &[String],
    networks: &[String],
) -> Result<Vec<String>, crate::Invalid> {
    let mut connected: Vec<String> = CONNECTED_CHANNELS.iter().map(|c| c.to_string()).collect();
    connected.extend(
        networks
            .iter()
            .filter(|n| CHANNELS.contains(&n.as_str()))
            .cloned(),
    );
    if requested.is_empty() {
        return Ok(connected);
    }
    let mut chosen: Vec<String> = Vec::new();
    for name in requested {
        let name = name.trim().to_ascii_lowercase();
        if !CHANNELS.contains(&name.as_str()) {
            return Err(crate::Invalid::new(
                "channels",
                format!(
                    "'{name}' is not a channel; choose from {}",
                    connected.join(", ")
                ),
            ));
        }
        if !connected.contains(&name) {
            return Err(crate::Invalid::new(
                "channels",
                format!(
                    "{name} is not connected for this account, so nothing could be sent there; choose from {}",
                    connected.join(", ")
                ),
            ));
        }
        if !chosen.contains(&name) {
            chosen.push(name);
        }
    }
    Ok(chosen)
}

/// Does a post with these stored channels go to `channel`? Posts stored before
/// channels were honoured name none, and went everywhere.
pub fn sends_to(channels: &[String], channel: &str) -> bool {
    channels.is_empty() || channels.iter().any(|c| c == channel)
}

/// The governance check's verdict, as far as the workflow cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckVerdict {
    Publish,
    Hold,
    Refuse,
}

/// Where a freshly submitted post goes. Advice never holds; a member allowed to
/// post without approval publishes (or schedules) advice-only drafts at once;
/// everything held, and everything from other members, waits for approval.
pub fn status_on_submit(
    verdict: CheckVerdict,
    without_approval: bool,
    scheduled: bool,
) -> PostStatus {
    match verdict {
        CheckVerdict::Refuse => PostStatus::Refused,
        CheckVerdict::Hold => PostStatus::Pending,
        CheckVerdict::Publish if !without_approval => PostStatus::Pending,
        CheckVerdict::Publish if scheduled => PostStatus::Scheduled,
        CheckVerdict::Publish => PostStatus::Published,
    }
}

/// Why a workflow step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("Nobody approves their own post: ask another approver on this account.")]
    OwnPost,
    #[error("You are not an approver on this account.")]
    NotApprover,
    #[error(
        "This post is already {0}; only posts waiting for approval can be approved or rejected."
    )]
    AlreadyDecided(&'static str),
    #[error("A {0} post cannot be edited.")]
    NotEditable(&'static str),
    #[error("This post is already {0}.")]
    NotDeletable(&'static str),
    #[error("The edited text was refused by the governance check; nothing was changed.")]
    EditRefused,
    #[error("A rejection needs a reason the author can act on.")]
    ReasonNeeded,
    #[error("No edit of this post is waiting for approval.")]
    NoEditWaiting,
}

/// Approving a pending post: not one's own, by an approver, and only once.
pub fn approve(
    current: PostStatus,
    author: UserId,
    approver: UserId,
    approver_may_approve: bool,
    scheduled_in_future: bool,
) -> Result<PostStatus, WorkflowError> {
    check_reviewable(current, author, approver, approver_may_approve)?;
    Ok(if scheduled_in_future {
        PostStatus::Scheduled
    } else {
        PostStatus::Published
    })
}

/// Rejecting a pending post, with a reason.
pub fn reject(
    current: PostStatus,
    author: UserId,
    reviewer: UserId,
    reviewer_may_approve: bool,
    reason: &str,
) -> Result<PostStatus, WorkflowError> {
    check_reviewable(current, author, reviewer, reviewer_may_approve)?;
    if reason.trim().is_empty() {
        return Err(WorkflowError::ReasonNeeded);
    }
    Ok(PostStatus::Rejected)
}

fn check_reviewable(
    current: PostStatus,
    author: UserId,
    reviewer: UserId,
    may_approve: bool,
) -> Result<(), WorkflowError> {
    if current != PostStatus::Pending {
        return Err(WorkflowError::AlreadyDecided(current.as_str()));
    }
    if author == reviewer {
        return Err(WorkflowError::OwnPost);
    }
    if !may_approve {
        return Err(WorkflowError::NotApprover);
    }
    Ok(())
}

/// Which posts can be edited: anything not yet final, and published posts (their
/// history is kept and shown).
pub fn may_edit(current: PostStatus) -> Result<(), WorkflowError> {
    match current {
        PostStatus::Pending | PostStatus::Scheduled | PostStatus::Published => Ok(()),
        other => Err(WorkflowError::NotEditable(other.as_str())),
    }
}

/// What becomes of an edit that the check did not refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditRoute {
    /// The post's text changes now (and, if public, goes out as an update).
    ApplyNow,
    /// The post keeps its approved text; the edit waits in the approval queue.
    AwaitApproval,
}

/// Where an edit goes. A post still waiting for approval is simply revised (a
/// supervisor will see the new text). An approved post (scheduled or published)
/// changes at once only for a member who may post without approval and whose
/// edit the check lets through; anything else would let unreviewed text out under
/// a supervisor's earlier approval, so it waits for approval like a new post.
pub fn route_edit(
    current: PostStatus,
    verdict: CheckVerdict,
    without_approval: bool,
) -> Result<EditRoute, WorkflowError> {
    may_edit(current)?;
    match (current, verdict) {
        (_, CheckVerdict::Refuse) => Err(WorkflowError::EditRefused),
        (PostStatus::Pending, _) => Ok(EditRoute::ApplyNow),
        (_, CheckVerdict::Publish) if without_approval => Ok(EditRoute::ApplyNow),
        _ => Ok(EditRoute::AwaitApproval),
    }
}

/// Approving (or turning down) an edit waiting on an approved post: by an
/// approver who did not propose it.
pub fn review_edit(
    has_proposal: bool,
    proposer: UserId,
    reviewer: UserId,
    reviewer_may_approve: bool,
) -> Result<(), WorkflowError> {
    if !has_proposal {
        return Err(WorkflowError::NoEditWaiting);
    }
    if proposer == reviewer {
        return Err(WorkflowError::OwnPost);
    }
    if !reviewer_may_approve {
        return Err(WorkflowError::NotApprover);
    }
    Ok(())
}

/// What one staff member may do with a post, for the page that offers it: the
/// same rules the use cases enforce, derived in one place so no page re-derives
/// them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PostActions {
    /// Approve or reject it (it waits, and it is not theirs).
    pub review: bool,
    /// Approve or turn down the edit waiting on it (not their own edit).
    pub review_edit: bool,
    /// Edit it (their own, or as an approver).
    pub edit: bool,
    /// Delete it (their own, as an approver, or as the comms team).
    pub delete: bool,
    /// Write it again and resubmit it (their own, refused or rejected).
    pub write_again: bool,
}

/// Who is looking at a post, and with which rights on its account.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub user: Option<UserId>,
    pub may_approve: bool,
    /// Comms and administrators may delete any post of the force.
    pub moderates: bool,
}

pub fn actions(
    status: PostStatus,
    author: UserId,
    edit_proposed_by: Option<UserId>,
    viewer: Viewer,
) -> PostActions {
    let own = viewer.user == Some(author);
    PostActions {
        review: status == PostStatus::Pending && viewer.may_approve && !own,
        review_edit: edit_proposed_by
            .is_some_and(|proposer| viewer.may_approve && viewer.user != Some(proposer)),
        edit: may_edit(status).is_ok() && (own || viewer.may_approve),
        delete: may_delete(status).is_ok() && (own || viewer.may_approve || viewer.moderates),
        write_again: own && matches!(status, PostStatus::Refused | PostStatus::Rejected),
    }
}

pub fn may_delete(current: PostStatus) -> Result<(), WorkflowError> {
    match current {
        PostStatus::Deleted => Err(WorkflowError::NotDeletable("deleted")),
        // It never went out: kept as the record, and written again rather than deleted.
        PostStatus::Refused => Err(WorkflowError::NotDeletable(
            "refused: it never went out and is kept as the record; write it again instead",
        )),
        PostStatus::Rejected => Err(WorkflowError::NotDeletable(
            "rejected: it never went out and is kept as the record; write it again instead",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: UserId = UserId(1);
    const BOB: UserId = UserId(2);

    #[test]
    fn advice_never_holds_but_members_without_the_right_wait_for_approval() {
        use CheckVerdict::*;
        assert_eq!(
            status_on_submit(Publish, true, false),
            PostStatus::Published
        );
        assert_eq!(status_on_submit(Publish, true, true), PostStatus::Scheduled);
        assert_eq!(status_on_submit(Publish, false, false), PostStatus::Pending);
        assert_eq!(status_on_submit(Hold, true, false), PostStatus::Pending);
        assert_eq!(status_on_submit(Refuse, true, false), PostStatus::Refused);
    }

    #[test]
    fn nobody_approves_their_own_post_and_nothing_is_approved_twice() {
        assert_eq!(
            approve(PostStatus::Pending, ALICE, ALICE, true, false),
            Err(WorkflowError::OwnPost)
        );
        assert_eq!(
            approve(PostStatus::Pending, ALICE, BOB, false, false),
            Err(WorkflowError::NotApprover)
        );
        assert_eq!(
            approve(PostStatus::Pending, ALICE, BOB, true, false),
            Ok(PostStatus::Published)
        );
        assert_eq!(
            approve(PostStatus::Pending, ALICE, BOB, true, true),
            Ok(PostStatus::Scheduled)
        );
        assert_eq!(
            approve(PostStatus::Published, ALICE, BOB, true, false),
            Err(WorkflowError::AlreadyDecided("published"))
        );
        assert_eq!(
            approve(PostStatus::Rejected, ALICE, BOB, true, false),
            Err(WorkflowError::AlreadyDecided("rejected"))
        );
    }

    #[test]
    fn a_rejection_needs_a_reason() {
        assert_eq!(
            reject(PostStatus::Pending, ALICE, BOB, true, "  "),
            Err(WorkflowError::ReasonNeeded)
        );
        assert_eq!(
            reject(PostStatus::Pending, ALICE, BOB, true, "Names a witness"),
            Ok(PostStatus::Rejected)
        );
    }

    #[test]
    fn an_edit_of_an_approved_post_waits_unless_the_editor_may_post_without_approval() {
        use CheckVerdict::*;
        use EditRoute::*;
        for status in [PostStatus::Published, PostStatus::Scheduled] {
            assert_eq!(route_edit(status, Publish, false), Ok(AwaitApproval));
            assert_eq!(route_edit(status, Hold, true), Ok(AwaitApproval));
            assert_eq!(route_edit(status, Publish, true), Ok(ApplyNow));
            assert_eq!(
                route_edit(status, Refuse, true),
                Err(WorkflowError::EditRefused)
            );
        }
        assert_eq!(route_edit(PostStatus::Pending, Hold, false), Ok(ApplyNow));
        assert!(route_edit(PostStatus::Rejected, Publish, true).is_err());
    }

    #[test]
    fn nobody_approves_their_own_edit() {
        assert_eq!(
            review_edit(true, ALICE, ALICE, true),
            Err(WorkflowError::OwnPost)
        );
        assert_eq!(
            review_edit(true, ALICE, BOB, false),
            Err(WorkflowError::NotApprover)
        );
        assert_eq!(
            review_edit(false, ALICE, BOB, true),
            Err(WorkflowError::NoEditWaiting)
        );
        assert_eq!(review_edit(true, ALICE, BOB, true), Ok(()));
    }

    #[test]
    fn only_connected_channels_can_be_chosen_and_none_means_all_connected() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            choose_channels(&[], &[]).unwrap(),
            names(&["fediverse", "email"])
        );
        assert_eq!(
            choose_channels(&names(&["email", "EMAIL"]), &[]).unwrap(),
            names(&["email"])
        );
        assert_eq!(
            choose_channels(&names(&["x"]), &[]).unwrap_err().field,
            "channels"
        );
        assert!(choose_channels(&names(&["myspace"]), &[]).is_err());
        assert_eq!(
            choose_channels(&names(&["bluesky"]), &names(&["bluesky"])).unwrap(),
            names(&["bluesky"])
        );
        assert!(sends_to(&names(&["fediverse"]), "fediverse"));
        assert!(!sends_to(&names(&["fediverse"]), "email"));
        assert!(sends_to(&[], "email"));
    }

    #[test]
    fn the_page_offers_what_the_rules_allow() {
        let approver = Viewer {
            user: Some(BOB),
            may_approve: true,
            moderates: false,
        };
        let author = Viewer {
            user: Some(ALICE),
            may_approve: false,
            moderates: false,
        };
        let waiting = actions(PostStatus::Pending, ALICE, None, approver);
        assert!(waiting.review && waiting.edit && waiting.delete);
        let own = actions(PostStatus::Pending, ALICE, None, author);
        assert!(!own.review && own.edit && own.delete);
        let proposed = actions(PostStatus::Published, ALICE, Some(BOB), approver);
        assert!(!proposed.review_edit, "nobody approves their own edit");
        assert!(actions(PostStatus::Published, ALICE, Some(ALICE), approver).review_edit);
        let gone = actions(PostStatus::Deleted, ALICE, None, approver);
        assert_eq!(gone, PostActions::default());
    }

    #[test]
    fn deleted_and_refused_posts_are_final() {
        assert!(may_edit(PostStatus::Deleted).is_err());
        assert!(may_edit(PostStatus::Refused).is_err());
        assert!(may_edit(PostStatus::Published).is_ok());
        assert!(may_delete(PostStatus::Deleted).is_err());
        assert!(may_delete(PostStatus::Refused).is_err());
        assert!(may_delete(PostStatus::Rejected).is_err());
        assert!(may_delete(PostStatus::Pending).is_ok());
    }
}
