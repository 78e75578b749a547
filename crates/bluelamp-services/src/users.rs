//! Managing staff users: add, list, change role, disable, reset a password.

use bluelamp_domain::{Action, DisplayName, ForceId, Password, Role, UserId, Username};
use bluelamp_store::{audit, forces, sessions, users, Store};
use serde::Deserialize;

use crate::auth::{entry, hash_password};
use crate::{ServiceError, ServiceResult, Staff};

/// What an administrator fills in to add a user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddUser {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password: String,
    /// Server administrators may add a user to any force by its code; everyone
    /// else adds to their own force.
    #[serde(default)]
    pub force: Option<String>,
}

pub async fn add_user(store: &Store, staff: &Staff, input: &AddUser) -> ServiceResult<users::User> {
    staff.authorize(Action::ManageUsers)?;
    staff.require_scope("admin")?;
    let username = Username::parse(&input.username)?;
    let display_name = DisplayName::parse("display_name", &input.display_name)?;
    let role = Role::parse(&input.role)?;
    let password = Password::parse(&input.password, &username)?;
    if role == Role::ServerAdmin && staff.role != Role::ServerAdmin {
        return Err(ServiceError::Forbidden(
            "Only a server administrator can create another server administrator.".into(),
        ));
    }
    let mut tx = store.write().await?;
    let force_id: Option<ForceId> = match (&input.force, staff.role) {
        (_, _) if role == Role::ServerAdmin => None,
        (Some(code), Role::ServerAdmin) => Some(forces::by_code(&mut tx, code).await?.id),
        (None, _) => Some(staff.current_force()?),
        (Some(code), _) => {
            let force = forces::by_code(&mut tx, code).await?;
            Some(staff.force_in_scope(force.id)?)
        }
    };
    let hash = hash_password(password.expose())?;
    let user = users::insert(
        &mut tx,
        &users::NewUser {
            force_id,
            username,
            display_name,
            role,
            password_hash: hash,
        },
    )
    .await?;
    let mut draft = entry(staff, "user.create", "user", user.id.0);
    draft.force_id = force_id;
    draft.after = serde_json::to_string(&user).ok();
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(user)
}

/// Users visible to this administrator: their force's, or everyone's for a server administrator.
pub async fn list_users(store: &Store, staff: &Staff) -> ServiceResult<Vec<users::User>> {
    staff.authorize(Action::ManageUsers)?;
    let mut conn = store.read().await?;
    let scope = match staff.role {
        Role::ServerAdmin => staff.force_id,
        _ => Some(staff.current_force()?),
    };
    Ok(users::list(&mut conn, scope).await?)
}

/// Load a user the administrator may manage; other forces' users are "not found".
async fn manageable(
    conn: &mut bluelamp_store::AnyConnection,
    staff: &Staff,
    id: UserId,
) -> ServiceResult<users::User> {
    staff.authorize(Action::ManageUsers)?;
    let user = users::get(conn, id).await?;
    if staff.role != Role::ServerAdmin {
        match user.force_id {
            Some(force) if Some(force) == staff.force_id => {}
            _ => return Err(ServiceError::NotFound("user")),
        }
        if user.role == Role::ServerAdmin {
            return Err(ServiceError::NotFound("user"));
        }
    }
    Ok(user)
}

/// Disable (or re-enable) a user. Their sessions end at once; their history stays.
pub async fn set_disabled(
    store: &Store,
    staff: &Staff,
    id: UserId,
    disabled: bool,
) -> ServiceResult<users::User> {
    staff.require_scope("admin")?;
    if staff.user_id == Some(id) && disabled {
        return Err(ServiceError::Conflict(
            "You cannot disable your own account.".into(),
        ));
    }
    let mut tx = store.write().await?;
    let before = manageable(&mut tx, staff, id).await?;
    users::set_disabled(&mut tx, id, disabled).await?;
    if disabled {
        sessions::delete_for_user(&mut tx, id, None).await?;
    }
    let after = users::get(&mut tx, id).await?;
    let mut draft = entry(
        staff,
        if disabled {
            "user.disable"
        } else {
            "user.enable"
        },
        "user",
        id.0,
    );
    draft.force_id = before.force_id;
    draft.before = serde_json::to_string(&before).ok();
    draft.after = serde_json::to_string(&after).ok();
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn set_role(
    store: &Store,
    staff: &Staff,
    id: UserId,
    role: &str,
) -> ServiceResult<users::User> {
    staff.require_scope("admin")?;
    let role = Role::parse(role)?;
    if role == Role::ServerAdmin && staff.role != Role::ServerAdmin {
        return Err(ServiceError::Forbidden(
            "Only a server administrator can grant that role.".into(),
        ));
    }
    let mut tx = store.write().await?;
    let before = manageable(&mut tx, staff, id).await?;
    users::set_role(&mut tx, id, role).await?;
    let after = users::get(&mut tx, id).await?;
    let mut draft = entry(staff, "user.role", "user", id.0);
    draft.force_id = before.force_id;
    draft.before = serde_json::to_string(&before).ok();
    draft.after = serde_json::to_string(&after).ok();
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(after)
}

/// Mark a user as trained in safeguarding (or not): safeguarding messages from
/// the public are routed to the trained. An administrator's decision, audited.
pub async fn set_safeguarding_trained(
    store: &Store,
    staff: &Staff,
    id: UserId,
    trained: bool,
) -> ServiceResult<users::User> {
    staff.require_scope("admin")?;
    let mut tx = store.write().await?;
    let before = manageable(&mut tx, staff, id).await?;
    users::set_safeguarding_trained(&mut tx, id, trained).await?;
    let after = users::get(&mut tx, id).await?;
    let mut draft = entry(staff, "user.safeguarding-trained", "user", id.0);
    draft.force_id = before.force_id;
    draft.before =
        Some(serde_json::json!({"safeguarding_trained": before.safeguarding_trained}).to_string());
    draft.after = Some(serde_json::json!({"safeguarding_trained": trained}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(after)
}

/// Whether the signed-in person is on duty (a token without a person never is).
pub async fn on_duty(store: &Store, staff: &Staff) -> ServiceResult<bool> {
    let Some(me) = staff.user_id else {
        return Ok(false);
    };
    let mut conn = store.read().await?;
    Ok(users::get(&mut conn, me).await?.on_duty)
}

/// The signed-in person goes on or off duty: on duty, they are told at once of
/// an emergency from the public. Going off duty with open messages is what
/// hand-over is for (the inbox offers both together).
pub async fn set_on_duty(
    store: &Store,
    staff: &Staff,
    on_duty: bool,
) -> ServiceResult<users::User> {
    staff.require_scope("write")?;
    staff.authorize(bluelamp_domain::Action::HandleMessages)?;
    let me = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    let mut tx = store.write().await?;
    users::set_on_duty(&mut tx, me, on_duty).await?;
    let after = users::get(&mut tx, me).await?;
    let draft = entry(
        staff,
        if on_duty {
            "user.on-duty"
        } else {
            "user.off-duty"
        },
        "user",
        me.0,
    );
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(after)
}

/// Set a user's password (an administrator's reset, or `bluelamp user passwd`).
/// Every session of that user ends.
pub async fn reset_password(
    store: &Store,
    staff: &Staff,
    username: &str,
    new_password: &str,
) -> ServiceResult<()> {
    staff.require_scope("admin")?;
    let mut tx = store.write().await?;
    let user = users::by_username(&mut tx, username)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    let user = manageable(&mut tx, staff, user.id).await?;
    let parsed = Username::parse(&user.username)?;
    let password = Password::parse(new_password, &parsed)?;
    users::set_password_hash(&mut tx, user.id, &hash_password(password.expose())?).await?;
    users::reset_failed_logins(&mut tx, user.id).await?;
    sessions::delete_for_user(&mut tx, user.id, None).await?;
    let mut draft = entry(staff, "user.password_reset", "user", user.id.0);
    draft.force_id = user.force_id;
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(())
}

/// Look a user up by name, within what this administrator may manage.
pub async fn find_by_username(
    store: &Store,
    staff: &Staff,
    username: &str,
) -> ServiceResult<users::User> {
    let mut conn = store.read().await?;
    let user = users::by_username(&mut conn, username)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    manageable(&mut conn, staff, user.id).await
}
