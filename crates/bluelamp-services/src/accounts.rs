//! Public accounts and their members.

use bluelamp_domain::{
    AccountId, AccountKind, Action, DisplayName, Handle, MembershipPermissions, Signature, UserId,
};
use bluelamp_store::{accounts, audit, users, AnyConnection, Store};
use serde::Deserialize;

use crate::auth::entry;
use crate::{ServiceError, ServiceResult, Staff};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddAccount {
    pub handle: String,
    pub display_name: String,
    #[serde(default)]
    pub bio: String,
    pub kind: String,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

fn parse_bio(bio: &str) -> ServiceResult<String> {
    // The limit counts what was typed, as the API documents it.
    if bio.chars().count() > 500 {
        return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "bio",
            "must be at most 500 characters",
        )));
    }
    Ok(bio.trim().to_string())
}

pub async fn add_account(
    store: &Store,
    staff: &Staff,
    input: &AddAccount,
) -> ServiceResult<accounts::Account> {
    staff.authorize(Action::ManageAccounts)?;
    staff.require_scope("write")?;
    let force_id = staff.current_force()?;
    // An avatar is shown on public pages: the same rule as a force's logo.
    let avatar_url = input
        .avatar_url
        .as_deref()
        .map(|url| bluelamp_domain::force::LogoUrl::parse_field("avatar_url", url))
        .transpose()?
        .map(|url| url.as_str().to_string());
    let new_account = accounts::NewAccount {
        force_id,
        handle: Handle::parse(&input.handle)?,
        display_name: DisplayName::parse("display_name", &input.display_name)?,
        bio: parse_bio(&input.bio)?,
        avatar_url,
        kind: AccountKind::parse(&input.kind)?,
    };
    let mut tx = store.write().await?;
    let account = accounts::insert(&mut tx, &new_account).await?;
    let mut draft = entry(staff, "account.create", "account", account.id.0);
    draft.after = serde_json::to_string(&account).ok();
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(account)
}

pub async fn update_account(
    store: &Store,
    staff: &Staff,
    id: AccountId,
    display_name: &str,
    bio: &str,
) -> ServiceResult<accounts::Account> {
    staff.authorize(Action::ManageAccounts)?;
    staff.require_scope("write")?;
    let display_name = DisplayName::parse("display_name", display_name)?;
    let bio = parse_bio(bio)?;
    let mut tx = store.write().await?;
    let before = account_in_force(&mut tx, staff, id).await?;
    let after = accounts::update_profile(&mut tx, id, &display_name, &bio).await?;
    let mut draft = entry(staff, "account.update", "account", id.0);
    draft.before = serde_json::to_string(&before).ok();
    draft.after = serde_json::to_string(&after).ok();
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(after)
}

/// The longest out-of-hours auto-reply: one short message.
pub const MAX_AWAY_REPLY_CHARS: usize = 500;

/// Set the account's out-of-hours auto-reply (empty removes it). It is sent at
/// once to messages addressed to the account outside the force's office hours,
/// so nobody waits unanswered overnight; emergencies get the 999 reply instead.
pub async fn set_away_reply(
    store: &Store,
    staff: &Staff,
    id: AccountId,
    text: &str,
) -> ServiceResult<Option<String>> {
    staff.authorize(Action::ManageAccounts)?;
    staff.require_scope("write")?;
    if text.chars().count() > MAX_AWAY_REPLY_CHARS {
        return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "text",
            format!("an auto-reply is at most {MAX_AWAY_REPLY_CHARS} characters"),
        )));
    }
    let text = text.trim();
    let body = (!text.is_empty()).then_some(text);
    let mut tx = store.write().await?;
    let account = account_in_force(&mut tx, staff, id).await?;
    accounts::set_away_reply(&mut tx, account.id, body).await?;
    let mut draft = entry(staff, "account.away-reply", "account", id.0);
    draft.after = Some(serde_json::json!({"away_reply": body}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(body.map(str::to_string))
}

/// The account's out-of-hours auto-reply, for its page.
pub async fn away_reply(
    store: &Store,
    staff: &Staff,
    id: AccountId,
) -> ServiceResult<Option<String>> {
    staff.authorize(Action::ViewAccounts)?;
    let mut conn = store.read().await?;
    let account = account_in_force(&mut conn, staff, id).await?;
    Ok(accounts::away_reply(&mut conn, account.id).await?)
}

/// An account of the staff user's current force; others are "not found".
pub(crate) async fn account_in_force(
    conn: &mut AnyConnection,
    staff: &Staff,
    id: AccountId,
) -> ServiceResult<accounts::Account> {
    let account = accounts::get(conn, id).await?;
    if Some(account.force_id) != staff.force_id {
        return Err(ServiceError::NotFound("account"));
    }
    Ok(account)
}

/// The accounts the staff user may post as: what a "post as" choice offers.
pub async fn list_postable(store: &Store, staff: &Staff) -> ServiceResult<Vec<accounts::Account>> {
    let mut conn = store.read().await?;
    crate::membership::postable_accounts(&mut conn, staff).await
}

pub async fn list_accounts(store: &Store, staff: &Staff) -> ServiceResult<Vec<accounts::Account>> {
    staff.authorize(Action::ViewAccounts)?;
    let force = staff.current_force()?;
    let mut conn = store.read().await?;
    Ok(accounts::list(&mut conn, force).await?)
}

pub async fn get_account(
    store: &Store,
    staff: &Staff,
    id: AccountId,
) -> ServiceResult<(accounts::Account, Vec<accounts::Member>)> {
    staff.authorize(Action::ViewAccounts)?;
    let mut conn = store.read().await?;
    let account = account_in_force(&mut conn, staff, id).await?;
    let members = accounts::members(&mut conn, id).await?;
    Ok((account, members))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMember {
    pub username: String,
    #[serde(default)]
    pub post: bool,
    #[serde(default)]
    pub post_without_approval: bool,
    #[serde(default)]
    pub approve: bool,
    #[serde(default)]
    pub signature: Option<String>,
}

/// Add a member to an account, or change what they may do. A collective
/// account's members need a signature ("ACC MJ").
pub async fn set_member(
    store: &Store,
    staff: &Staff,
    account_id: AccountId,
    input: &SetMember,
) -> ServiceResult<accounts::Member> {
    staff.authorize(Action::ManageAccounts)?;
    staff.require_scope("write")?;
    let signature = match input.signature.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(text) => Some(Signature::parse(text)?),
    };
    let permissions = MembershipPermissions {
        post: input.post || input.post_without_approval,
        post_without_approval: input.post_without_approval,
        approve: input.approve,
    };
    let mut tx = store.write().await?;
    let account = account_in_force(&mut tx, staff, account_id).await?;
    if account.kind == AccountKind::Collective && signature.is_none() {
        return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "signature",
            "members of a collective account need a signature, such as \"ACC MJ\"",
        )));
    }
    // The account in the path exists; a name in the body that matches no staff
    // user of this force is a mistake in the input (400 naming the field), and
    // says nothing about users of other forces.
    let unknown = || {
        ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "username",
            "there is no staff user by that name in this force",
        ))
    };
    let user = users::by_username(&mut tx, &input.username)
        .await?
        .ok_or_else(unknown)?;
    if user.force_id != Some(account.force_id) {
        return Err(unknown());
    }
    if user.disabled {
        return Err(ServiceError::Conflict(format!(
            "{} is disabled and cannot be made a member",
            user.username
        )));
    }
    if user.role == bluelamp_domain::Role::Partner {
        return Err(ServiceError::Conflict(
            "Partner-agency users cannot be members of a force account.".into(),
        ));
    }
    let (before, after) = accounts::upsert_member(
        &mut tx,
        account_id,
        user.id,
        permissions,
        signature.as_ref(),
    )
    .await?;
    let mut draft = entry(
        staff,
        if before.is_some() {
            "membership.update"
        } else {
            "membership.add"
        },
        "account",
        account_id.0,
    );
    draft.before = before.as_ref().and_then(|m| serde_json::to_string(m).ok());
    draft.after = serde_json::to_string(&after).ok();
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn remove_member(
    store: &Store,
    staff: &Staff,
    account_id: AccountId,
    user_id: UserId,
) -> ServiceResult<()> {
    staff.authorize(Action::ManageAccounts)?;
    staff.require_scope("write")?;
    let mut tx = store.write().await?;
    account_in_force(&mut tx, staff, account_id).await?;
    let before = accounts::remove_member(&mut tx, account_id, user_id).await?;
    let mut draft = entry(staff, "membership.remove", "account", account_id.0);
    draft.before = serde_json::to_string(&before).ok();
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(())
}
