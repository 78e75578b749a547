//! Approval chains and escalation, as the commercial suites have them: an account
//! may need one or more approval steps (a supervisor, then the comms team for the
//! corporate account), each satisfied by any one or by all of its approvers; and a
//! draft the governance check refused may be escalated to a supervisor, who may
//! approve it with a recorded rationale only where the law allows.

use serde::{Deserialize, Serialize};

use crate::{Invalid, UserId};

/// At most this many steps in a chain: more would leave posts waiting for days.
pub const MAX_STEPS: usize = 5;
/// At most this many approvers in one step.
pub const MAX_APPROVERS: usize = 50;

/// One step of an account's approval chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalStep {
    /// Shown to staff: "Duty sergeant", "Corporate comms".
    pub name: String,
    /// `true`: every approver of the step must approve; `false`: any one will do.
    #[serde(default)]
    pub needs_all: bool,
    pub approvers: Vec<UserId>,
}

/// One approval already given on a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GivenApproval {
    pub step: usize,
    pub user: UserId,
}

/// Check a chain as an administrator set it.
pub fn validate_steps(steps: &[ApprovalStep]) -> Result<(), Invalid> {
    if steps.len() > MAX_STEPS {
        return Err(Invalid::new(
            "steps",
            format!("an account may have at most {MAX_STEPS} approval steps"),
        ));
    }
    for (index, step) in steps.iter().enumerate() {
        let name = step.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(Invalid::new(
                "name",
                format!("step {} needs a name of 1 to 60 characters", index + 1),
            ));
        }
        if step.approvers.is_empty() {
            return Err(Invalid::new(
                "approvers",
                format!(
                    "step {} (\"{name}\") needs at least one approver",
                    index + 1
                ),
            ));
        }
        if step.approvers.len() > MAX_APPROVERS {
            return Err(Invalid::new(
                "approvers",
                format!("a step may have at most {MAX_APPROVERS} approvers"),
            ));
        }
        let mut seen = step.approvers.clone();
        seen.sort_by_key(|u| u.0);
        seen.dedup();
        if seen.len() != step.approvers.len() {
            return Err(Invalid::new(
                "approvers",
                format!("step {} (\"{name}\") names an approver twice", index + 1),
            ));
        }
    }
    Ok(())
}

/// Who may approve `step` of a post by `author`: its approvers, never the author.
/// Empty means nobody of the step can: the force's fallback approvers are asked,
/// so that a post never waits for ever.
pub fn eligible(step: &ApprovalStep, author: UserId) -> Vec<UserId> {
    step.approvers
        .iter()
        .copied()
        .filter(|u| *u != author)
        .collect()
}

fn satisfied(
    steps: &[ApprovalStep],
    index: usize,
    given: &[GivenApproval],
    author: UserId,
) -> bool {
    let at_step: Vec<UserId> = given
        .iter()
        .filter(|g| g.step == index)
        .map(|g| g.user)
        .collect();
    let step = &steps[index];
    let eligible = eligible(step, author);
    if step.needs_all && !eligible.is_empty() {
        eligible.iter().all(|u| at_step.contains(u))
    } else {
        !at_step.is_empty()
    }
}

/// The step a post waits at: the first one not yet satisfied; `None` when the
/// chain is complete.
pub fn waiting_step(
    steps: &[ApprovalStep],
    given: &[GivenApproval],
    author: UserId,
) -> Option<usize> {
    (0..steps.len()).find(|&index| !satisfied(steps, index, given, author))
}

/// What escalating a refused draft needs, from the categories that refused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscalationBar {
    /// A supervisor may approve it with a recorded rationale.
    Rationale,
    /// Lifelong anonymity or a child's identity: only with a documented waiver
    /// (the complainant's written consent) or a court order, referenced.
    Waiver,
    /// Nobody can approve it as written (it does not fit a network).
    Never(&'static str),
}

/// The bar for escalating a draft refused for `categories`.
pub fn escalation_bar<'a>(categories: impl IntoIterator<Item = &'a str>) -> EscalationBar {
    let mut bar = EscalationBar::Rationale;
    for category in categories {
        match category {
            "length" => {
                return EscalationBar::Never(
                    "It is too long for a network it is going to; no approval makes it fit. Shorten it or choose other channels.",
                )
            }
            "victim-identity" | "child-identity" => bar = EscalationBar::Waiver,
            _ => {}
        }
    }
    bar
}

/// A waiver or court-order reference: something a reviewer can look up later.
pub fn validate_waiver(reference: &str) -> Result<&str, Invalid> {
    let reference = reference.trim();
    if reference.chars().count() < 6 || reference.chars().count() > 200 {
        return Err(Invalid::new(
            "waiver",
            "give the reference of the written waiver or court order (6 to 200 characters), so it can be found later",
        ));
    }
    Ok(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &str, needs_all: bool, approvers: &[i64]) -> ApprovalStep {
        ApprovalStep {
            name: name.into(),
            needs_all,
            approvers: approvers.iter().map(|u| UserId(*u)).collect(),
        }
    }

    fn given(step: usize, user: i64) -> GivenApproval {
        GivenApproval {
            step,
            user: UserId(user),
        }
    }

    #[test]
    fn a_chain_waits_at_its_first_unsatisfied_step() {
        let steps = [
            step("Sergeant", false, &[2, 3]),
            step("Comms", true, &[4, 5]),
        ];
        let author = UserId(1);
        assert_eq!(waiting_step(&steps, &[], author), Some(0));
        assert_eq!(waiting_step(&steps, &[given(0, 3)], author), Some(1));
        assert_eq!(
            waiting_step(&steps, &[given(0, 3), given(1, 4)], author),
            Some(1)
        );
        assert_eq!(
            waiting_step(&steps, &[given(0, 3), given(1, 4), given(1, 5)], author),
            None
        );
        // A later step approved first still waits for the earlier one.
        assert_eq!(
            waiting_step(&steps, &[given(1, 4), given(1, 5)], author),
            Some(0)
        );
    }

    #[test]
    fn the_author_never_counts_and_an_all_step_of_only_the_author_takes_one_fallback() {
        let steps = [step("Comms", true, &[1, 4])];
        assert_eq!(eligible(&steps[0], UserId(1)), vec![UserId(4)]);
        assert_eq!(waiting_step(&steps, &[given(0, 4)], UserId(1)), None);
        let alone = [step("Comms", true, &[1])];
        assert!(eligible(&alone[0], UserId(1)).is_empty());
        assert_eq!(waiting_step(&alone, &[given(0, 9)], UserId(1)), None);
    }

    #[test]
    fn chains_are_validated() {
        assert!(validate_steps(&[]).is_ok());
        assert_eq!(
            validate_steps(&[step(" ", false, &[2])]).unwrap_err().field,
            "name"
        );
        assert_eq!(
            validate_steps(&[step("A", false, &[])]).unwrap_err().field,
            "approvers"
        );
        assert_eq!(
            validate_steps(&[step("A", false, &[2, 2])])
                .unwrap_err()
                .field,
            "approvers"
        );
        let six: Vec<ApprovalStep> = (0..6).map(|_| step("A", false, &[2])).collect();
        assert_eq!(validate_steps(&six).unwrap_err().field, "steps");
    }

    #[test]
    fn lifelong_anonymity_and_children_need_a_waiver_and_length_can_never_be_approved() {
        assert_eq!(
            escalation_bar(["tone", "operational"]),
            EscalationBar::Rationale
        );
        assert_eq!(
            escalation_bar(["tone", "victim-identity"]),
            EscalationBar::Waiver
        );
        assert_eq!(escalation_bar(["child-identity"]), EscalationBar::Waiver);
        assert!(matches!(
            escalation_bar(["victim-identity", "length"]),
            EscalationBar::Never(_)
        ));
        assert!(validate_waiver("consent").is_ok());
        assert!(validate_waiver(" ok ").is_err());
    }
}
