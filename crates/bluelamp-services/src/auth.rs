//! Staff authentication: argon2id passwords, lockout after repeated failures,
//! server-side sessions, TOTP second factor (in [`totp`]) and hashed API tokens.
//!
//! Throttling by client address is the web layer's job (it knows the address);
//! the per-account lockout here is the main control against password guessing.

mod totp;

pub use totp::{
    complete_second_factor, confirm_totp, matching_step, new_totp_secret, totp_code_at,
    totp_code_is_valid, totp_current_code, totp_next_code, totp_uri, TotpEnrolment,
};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use bluelamp_domain::{AuditDraft, Role, UserId};
use bluelamp_store::{audit, forces, format_time, sessions, tokens, users, Store};
use sha2::{Digest, Sha256};

use crate::{ServiceError, ServiceResult, Staff};

/// Failed logins in a row before an account is locked.
pub const LOCKOUT_THRESHOLD: i64 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT_MINUTES: i64 = 15;
/// How long a staff session lasts: a long shift.
pub const SESSION_HOURS: i64 = 12;

/// The one message for every failed login, so it never reveals which usernames exist.
pub const LOGIN_FAILED: &str = "Wrong username or password. After 5 failed attempts in a row an account is locked for 15 minutes.";

pub fn hash_password(password: &str) -> ServiceResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
}

pub(crate) fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash computed once so that a login for an unknown user costs the same time
/// as one for a real user (no timing oracle for usernames).
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not-a-real-password-at-all").unwrap_or_default())
}

/// A random secret, hex encoded.
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    hex::encode(buffer)
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Compare secrets without leaking their common prefix through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    // subtle compares lengths first (not secret here) and then every byte.
    a.ct_eq(b).into()
}

/// Whether the account is inside a lockout period now.
pub(crate) fn is_locked(user: &users::User) -> bool {
    let now = bluelamp_store::now_text();
    user.locked_until
        .as_deref()
        .is_some_and(|until| until > now.as_str())
}

pub(crate) fn later(minutes: i64) -> String {
    format_time(bluelamp_store::clock::now() + time::Duration::minutes(minutes))
}

/// A fresh session: the cookie value (given to the browser, never stored) and
/// the CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie_value: String,
    pub csrf_token: String,
    pub second_factor_pending: bool,
}

/// Check a username and password and open a session. Every failure answers the
/// same message and counts toward the account's lockout.
pub async fn log_in(
    store: &Store,
    username: &str,
    password: &str,
    ip: Option<String>,
) -> ServiceResult<NewSession> {
    let mut tx = store.write().await?;
    let Some(user) = users::by_username(&mut tx, username).await? else {
        // Spend the same time as a real check, then record the attempt.
        let _ = password_matches(password, dummy_hash());
        audit::append(
            &mut tx,
            AuditDraft {
                actor_label: truncate(username, 60),
                action: "login.failed".into(),
                target_type: "user".into(),
                target_id: String::new(),
                after: Some(r#"{"reason":"unknown user"}"#.into()),
                ip,
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        return Err(ServiceError::Unauthenticated(LOGIN_FAILED.into()));
    };
    let locked = is_locked(&user);
    let password_ok = password_matches(password, &user.password_hash);
    let reason = if user.disabled {
        Some("disabled")
    } else if locked {
        Some("locked")
    } else if !password_ok {
        Some("wrong password")
    } else {
        None
    };
    if let Some(reason) = reason {
        let until = later(LOCKOUT_MINUTES);
        let (failures, locked_now) =
            users::record_failed_login(&mut tx, user.id, LOCKOUT_THRESHOLD, &until).await?;
        let lock = locked_now.then_some(until);
        audit::append(
            &mut tx,
            AuditDraft {
                force_id: user.force_id,
                actor_user_id: Some(user.id),
                actor_label: user.username.clone(),
                action: "login.failed".into(),
                target_type: "user".into(),
                target_id: user.id.to_string(),
                after: Some(serde_json::json!({"reason": reason, "failed_in_a_row": failures, "locked_until": lock}).to_string()),
                ip,
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        return Err(ServiceError::Unauthenticated(LOGIN_FAILED.into()));
    }
    let second_factor_pending = user.totp_secret.is_some();
    // Only a finished login clears the failure count: with a second factor to
    // come, the password alone proves too little (else "password, four wrong
    // codes, repeat" would never lock).
    if !second_factor_pending {
        users::reset_failed_logins(&mut tx, user.id).await?;
    }
    let cookie_value = random_token(32);
    let csrf_token = random_token(32);
    sessions::insert(
        &mut tx,
        &sessions::NewSession {
            token_hash: &sha256_hex(&cookie_value),
            user_id: user.id,
            force_id: user.force_id,
            csrf_token: &csrf_token,
            second_factor_pending,
            expires_at: &later(SESSION_HOURS * 60),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        AuditDraft {
            force_id: user.force_id,
            actor_user_id: Some(user.id),
            actor_label: user.username.clone(),
            action: if second_factor_pending {
                "login.password_ok"
            } else {
                "login"
            }
            .into(),
            target_type: "user".into(),
            target_id: user.id.to_string(),
            ip,
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(NewSession {
        cookie_value,
        csrf_token,
        second_factor_pending,
    })
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// Why the API refuses a user whose force requires a second factor they lack.
pub const MUST_ENROL_TOTP: &str =
    "your force requires two-factor login: set it up at /staff/totp before using the API";

/// The user's force requires a second factor and the user has none yet: such a
/// user may only reach the enrolment page, never the API.
async fn must_enrol_totp(
    conn: &mut bluelamp_store::AnyConnection,
    user: &users::User,
) -> ServiceResult<bool> {
    Ok(match (user.totp_secret.is_some(), user.force_id) {
        (false, Some(force)) => forces::get(conn, force).await?.settings.require_totp,
        _ => false,
    })
}

/// A looked-up session and the staff user behind it.
#[derive(Debug, Clone)]
pub struct SessionContext {
    pub session: sessions::Session,
    pub staff: Staff,
    /// The force requires a second factor and this user has not set one up.
    pub must_enrol_totp: bool,
    /// Notifications not yet read: the count in the navigation.
    pub unread_notifications: i64,
}

/// Resolve a session cookie. Disabled users' sessions stop working at once.
pub async fn session(
    store: &Store,
    cookie_value: &str,
    ip: Option<String>,
) -> ServiceResult<SessionContext> {
    let mut conn = store.read().await?;
    let session = sessions::by_token_hash(&mut conn, &sha256_hex(cookie_value))
        .await?
        .ok_or_else(|| {
            ServiceError::Unauthenticated("Your session has ended; please log in.".into())
        })?;
    let user = users::get(&mut conn, session.user_id).await?;
    if user.disabled {
        return Err(ServiceError::Unauthenticated(
            "Your account is disabled.".into(),
        ));
    }
    let must_enrol_totp = must_enrol_totp(&mut conn, &user).await?;
    let unread_notifications =
        bluelamp_store::staff_notifications::unread(&mut conn, user.id).await?;
    let staff = Staff {
        user_id: Some(user.id),
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        force_id: session.force_id,
        scopes: None,
        ip,
        token_id: None,
        app_account: None,
    };
    Ok(SessionContext {
        session,
        staff,
        must_enrol_totp,
        unread_notifications,
    })
}

pub async fn log_out(store: &Store, context: &SessionContext) -> ServiceResult<()> {
    let mut tx = store.write().await?;
    sessions::delete(&mut tx, context.session.id).await?;
    audit::append(
        &mut tx,
        entry(
            &context.staff,
            "logout",
            "user",
            context.staff.user_id.map(|u| u.0).unwrap_or(0),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A minimal audit entry by `staff` about one target.
pub(crate) fn entry(staff: &Staff, action: &str, target_type: &str, target_id: i64) -> AuditDraft {
    AuditDraft {
        force_id: staff.force_id,
        actor_user_id: staff.user_id,
        actor_label: staff.audit_label(),
        action: action.into(),
        target_type: target_type.into(),
        target_id: target_id.to_string(),
        ip: staff.ip.clone(),
        ..Default::default()
    }
}

/// Change one's own password: the old one must be right; other sessions end.
pub async fn change_password(
    store: &Store,
    context: &SessionContext,
    old: &str,
    new: &str,
) -> ServiceResult<()> {
    let user_id = context
        .staff
        .user_id
        .ok_or(ServiceError::NotFound("user"))?;
    let mut tx = store.write().await?;
    let user = users::get(&mut tx, user_id).await?;
    if !password_matches(old, &user.password_hash) {
        return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "current_password",
            "your current password is not right",
        )));
    }
    let username = bluelamp_domain::Username::parse(&user.username)?;
    let password = bluelamp_domain::Password::parse(new, &username)?;
    users::set_password_hash(&mut tx, user.id, &hash_password(password.expose())?).await?;
    sessions::delete_for_user(&mut tx, user.id, Some(context.session.id)).await?;
    audit::append(
        &mut tx,
        entry(&context.staff, "user.password_changed", "user", user.id.0),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Switch the force a session works in (server administrators only; others have one).
pub async fn choose_force(
    store: &Store,
    context: &SessionContext,
    force: bluelamp_domain::ForceId,
) -> ServiceResult<()> {
    if context.staff.role != Role::ServerAdmin && context.staff.force_id != Some(force) {
        return Err(ServiceError::Forbidden(
            "You can only work in your own force.".into(),
        ));
    }
    let mut tx = store.write().await?;
    forces::get(&mut tx, force).await?;
    sessions::set_force(&mut tx, context.session.id, Some(force)).await?;
    tx.commit().await?;
    Ok(())
}

/// The scopes an API token may carry.
/// `inbound` is a connector's scope: it may only deliver messages to the inbox
/// (`POST /api/v1/inbound`) and read nothing.
pub const TOKEN_SCOPES: [&str; 4] = ["read", "write", "admin", "inbound"];

/// Create an API token; the secret is returned once and only its hash is kept.
pub async fn create_api_token(
    store: &Store,
    staff: &Staff,
    name: &str,
    scopes: &[String],
) -> ServiceResult<(String, tokens::ApiToken)> {
    let user_id = staff
        .user_id
        .ok_or_else(|| ServiceError::Forbidden("only staff users hold API tokens".into()))?;
    // A token must not mint tokens: a leaked read-only token would otherwise be
    // a way to a write or admin one. New tokens come from a logged-in session.
    if staff.scopes.is_some() {
        return Err(ServiceError::Forbidden(
            "API tokens are created from a logged-in session (My settings), not with another API token".into(),
        ));
    }
    let name = bluelamp_domain::DisplayName::parse("name", name)?;
    if scopes.is_empty() {
        return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "scopes",
            "give at least one of read, write, admin",
        )));
    }
    if let Some(bad) = scopes.iter().find(|s| !TOKEN_SCOPES.contains(&s.as_str())) {
        return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "scopes",
            format!("unknown scope '{bad}'; use read, write, admin or inbound"),
        )));
    }
    if let Some(beyond) = scopes.iter().find(|s| !staff.role.may_hold_scope(s)) {
        return Err(ServiceError::Forbidden(format!(
            "your role ({}) may not hold a token with the '{beyond}' scope",
            staff.role
        )));
    }
    let secret = format!("bl_{}", random_token(24));
    let mut tx = store.write().await?;
    let token = tokens::insert(
        &mut tx,
        user_id,
        name.as_str(),
        &sha256_hex(&secret),
        scopes,
    )
    .await?;
    let mut draft = entry(staff, "api_token.create", "api_token", token.id);
    draft.after = serde_json::to_string(&token).ok();
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok((secret, token))
}

pub async fn revoke_api_token(store: &Store, staff: &Staff, id: i64) -> ServiceResult<()> {
    staff.require_scope("write")?;
    let user_id = staff.user_id.ok_or(ServiceError::NotFound("API token"))?;
    if staff.token_id == Some(id) {
        // A script revoking the very token it runs with would lock itself out
        // half-way through; a person does it from the settings page.
        return Err(ServiceError::Conflict(
            "This request is authenticated by that token: revoke it from the settings page or with another token.".into(),
        ));
    }
    let mut tx = store.write().await?;
    tokens::revoke(&mut tx, user_id, id).await?;
    audit::append(&mut tx, entry(staff, "api_token.revoke", "api_token", id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Resolve a bearer token to the staff user behind it.
pub async fn bearer(store: &Store, secret: &str, ip: Option<String>) -> ServiceResult<Staff> {
    let invalid =
        || ServiceError::Unauthenticated("the API token is not valid or has been revoked".into());
    let mut conn = store.read().await?;
    let token = tokens::use_token(&mut conn, &sha256_hex(secret.trim()))
        .await?
        .ok_or_else(invalid)?;
    let user = users::get(&mut conn, token.user_id).await?;
    if user.disabled {
        return Err(invalid());
    }
    if must_enrol_totp(&mut conn, &user).await? {
        return Err(ServiceError::Forbidden(MUST_ENROL_TOTP.into()));
    }
    Ok(Staff {
        user_id: Some(user.id),
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        force_id: user.force_id,
        scopes: Some(token.scopes),
        ip,
        token_id: Some(token.id),
        app_account: token.account_id,
    })
}

/// The id a session's user has, for callers that only hold a context.
pub fn user_id(context: &SessionContext) -> ServiceResult<UserId> {
    context.staff.user_id.ok_or(ServiceError::NotFound("user"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches("correct horse battery", &hash));
        assert!(!password_matches("wrong horse battery", &hash));
        assert!(!password_matches("anything", "not a hash"));
    }

    #[test]
    fn totp_codes_check_against_their_secret() {
        let secret = new_totp_secret();
        let code = totp_current_code(&secret).unwrap();
        assert!(totp_code_is_valid(&secret, &code));
        assert!(!totp_code_is_valid(&secret, "000000") || code == "000000");
        assert!(!totp_code_is_valid("not base32!", &code));
        assert!(totp_uri(&secret, "pc.smith", "Dyfed Police")
            .starts_with("otpauth://totp/Dyfed%20Police:pc.smith?secret="));
    }
}
