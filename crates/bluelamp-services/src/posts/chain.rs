//! Approval chains: which step a waiting post is at and who may give it, and the
//! administrator's setting of an account's steps. An account with no chain of its
//! own has one step, its members who may approve; a step nobody in it can give
//! (everyone disabled, or only the author) falls to the force's supervisors, comms
//! team and administrators, so that nothing waits for ever.

use bluelamp_domain::approval::{self, ApprovalStep};
use bluelamp_domain::{AccountId, Action, UserId};
use bluelamp_store::{accounts, approvals, audit, users, AnyConnection, Store};
use serde::Serialize;
use serde_json::json;

use crate::auth::entry;
use crate::{ServiceResult, Staff};

/// Where a waiting post is in its chain.
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    /// 0-based.
    pub step: usize,
    pub steps: usize,
    pub name: String,
    /// Who may approve it now (none of them has approved it yet).
    pub approvers: Vec<UserId>,
    /// `true` when the step's own approvers cannot, and the fallback roles are asked.
    pub fallback: bool,
}

impl Waiting {
    /// "Step 2 of 2: Corporate comms", or just the name for a one-step chain.
    pub fn describe(&self) -> String {
        if self.steps > 1 {
            format!("step {} of {}: {}", self.step + 1, self.steps, self.name)
        } else {
            self.name.clone()
        }
    }
}

/// The account's chain as it stands, with disabled staff taken out.
async fn chain_for(
    conn: &mut AnyConnection,
    account: AccountId,
) -> ServiceResult<Vec<ApprovalStep>> {
    let mut steps = approvals::steps(conn, account).await?;
    if steps.is_empty() {
        let approvers = accounts::members(conn, account)
            .await?
            .into_iter()
            .filter(|m| m.permissions.approve)
            .map(|m| m.user_id)
            .collect();
        steps.push(ApprovalStep {
            name: "an approver on the account".into(),
            needs_all: false,
            approvers,
        });
    }
    for step in &mut steps {
        let mut enabled = Vec::with_capacity(step.approvers.len());
        for user in &step.approvers {
            if users::get(conn, *user).await.is_ok_and(|u| !u.disabled) {
                enabled.push(*user);
            }
        }
        step.approvers = enabled;
    }
    Ok(steps)
}

/// Where `post` waits, or `None` when its chain is complete.
pub(crate) async fn waiting(
    conn: &mut AnyConnection,
    post: &bluelamp_store::posts::Post,
) -> ServiceResult<Option<Waiting>> {
    let steps = chain_for(conn, post.account_id).await?;
    let given = approvals::given(conn, post.id).await?;
    let given_now: Vec<_> = given.iter().map(approvals::Approval::as_given).collect();
    let Some(step) = approval::waiting_step(&steps, &given_now, post.author_user_id) else {
        return Ok(None);
    };
    let already = |u: &UserId| given.iter().any(|g| g.user_id == *u);
    let mut approvers: Vec<UserId> = approval::eligible(&steps[step], post.author_user_id)
        .into_iter()
        .filter(|u| !already(u))
        .collect();
    let fallback = approval::eligible(&steps[step], post.author_user_id).is_empty();
    if fallback {
        approvers = users::list(conn, Some(post.force_id))
            .await?
            .into_iter()
            .filter(|u| {
                !u.disabled
                    && u.id != post.author_user_id
                    && super::fallback_approver(u.role)
                    && !already(&u.id)
            })
            .map(|u| u.id)
            .collect();
    }
    Ok(Some(Waiting {
        step,
        steps: steps.len(),
        name: steps[step].name.clone(),
        approvers,
        fallback,
    }))
}

/// One step as staff name it: approvers by username.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub name: String,
    #[serde(default)]
    pub needs_all: bool,
    pub approvers: Vec<String>,
}

async fn named(
    conn: &mut AnyConnection,
    steps: Vec<ApprovalStep>,
) -> ServiceResult<Vec<StepInput>> {
    let mut out = Vec::with_capacity(steps.len());
    for step in steps {
        let mut approvers = Vec::with_capacity(step.approvers.len());
        for user in step.approvers {
            approvers.push(users::get(conn, user).await?.username);
        }
        out.push(StepInput {
            name: step.name,
            needs_all: step.needs_all,
            approvers,
        });
    }
    Ok(out)
}

/// An account's chain as configured (empty: the account's own approvers).
pub async fn steps(
    store: &Store,
    staff: &Staff,
    account: AccountId,
) -> ServiceResult<Vec<StepInput>> {
    staff.authorize(Action::ViewAccounts)?;
    let mut conn = store.read().await?;
    crate::accounts::account_in_force(&mut conn, staff, account).await?;
    let steps = approvals::steps(&mut conn, account).await?;
    named(&mut conn, steps).await
}

/// Set an account's approval chain (an empty list goes back to the account's own
/// approvers). Every approver must be an enabled member of staff of the force.
pub async fn set_steps(
    store: &Store,
    staff: &Staff,
    account: AccountId,
    input: &[StepInput],
) -> ServiceResult<Vec<StepInput>> {
    staff.authorize(Action::ManageAccounts)?;
    staff.require_scope("write")?;
    if input.len() > approval::MAX_STEPS {
        return Err(crate::error::invalid(
            "steps",
            format!(
                "an account may have at most {} approval steps",
                approval::MAX_STEPS
            ),
        ));
    }
    let mut tx = store.write().await?;
    let found = crate::accounts::account_in_force(&mut tx, staff, account).await?;
    let mut steps = Vec::with_capacity(input.len());
    for (index, step) in input.iter().enumerate() {
        if step.approvers.len() > approval::MAX_APPROVERS {
            return Err(crate::error::invalid(
                "approvers",
                format!(
                    "a step may have at most {} approvers",
                    approval::MAX_APPROVERS
                ),
            ));
        }
        let mut approvers = Vec::with_capacity(step.approvers.len());
        for username in step
            .approvers
            .iter()
            .map(|u| u.trim())
            .filter(|u| !u.is_empty())
        {
            let person = users::by_username(&mut tx, username).await?;
            match person {
                Some(p) if p.force_id == Some(found.force_id) && !p.disabled => {
                    approvers.push(p.id)
                }
                _ => {
                    return Err(crate::error::invalid(
                        "approvers",
                        format!(
                        "step {}: there is no active member of this force's staff called \"{}\"",
                        index + 1,
                        username.chars().take(60).collect::<String>()
                    ),
                    ))
                }
            }
        }
        steps.push(ApprovalStep {
            name: step.name.trim().to_string(),
            needs_all: step.needs_all,
            approvers,
        });
    }
    approval::validate_steps(&steps)?;
    let before = approvals::steps(&mut tx, account).await?;
    let before = named(&mut tx, before).await?;
    approvals::replace_steps(&mut tx, account, &steps).await?;
    let saved = approvals::steps(&mut tx, account).await?;
    let saved = named(&mut tx, saved).await?;
    let mut draft = entry(staff, "account.approval-steps", "account", account.0);
    draft.before = Some(json!(before).to_string());
    draft.after = Some(json!(saved).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(saved)
}
