//! Social-media policy sign-off: nobody posts until they have read and
//! acknowledged the force's current policy version.

use crate::ids::PolicyId;

/// Why a user may not post yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostingRefusal {
    #[error("You must read and acknowledge the force's social-media policy (version {current_version}) before you can post.")]
    PolicyNotAcknowledged { current_version: i64 },
    #[error("Your force has not published a social-media policy yet, so nobody can post; ask a force administrator to publish one.")]
    NoPolicyPublished,
}

/// The current policy of a force, as far as posting is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentPolicy {
    pub id: PolicyId,
    pub version: i64,
}

/// Decide whether a user may post, given the force's current policy and whether
/// this user has acknowledged exactly that version. A new version asks everyone
/// again because an acknowledgement of an older version does not count.
pub fn may_post(
    current: Option<CurrentPolicy>,
    acknowledged_current: bool,
) -> Result<(), PostingRefusal> {
    match current {
        None => Err(PostingRefusal::NoPolicyPublished),
        Some(policy) if !acknowledged_current => Err(PostingRefusal::PolicyNotAcknowledged {
            current_version: policy.version,
        }),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posting_needs_the_current_version_acknowledged() {
        let current = Some(CurrentPolicy {
            id: PolicyId(7),
            version: 2,
        });
        assert_eq!(
            may_post(current, false),
            Err(PostingRefusal::PolicyNotAcknowledged { current_version: 2 })
        );
        assert_eq!(may_post(current, true), Ok(()));
        assert_eq!(may_post(None, true), Err(PostingRefusal::NoPolicyPublished));
    }
}
