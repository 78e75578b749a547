//! Staff authentication: argon2id passwords, lockout after repeated failures,
//! server-side sessions, TOTP second factor and hashed API tokens.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

fn password_matches(password: &str, stored: &str) -> bool {
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

fn later(minutes: i64) -> String {
    format_time(time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes))
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
    let now = bluelamp_store::now_text();
    let locked = user
        .locked_until
        .as_deref()
        .is_some_and(|until| until > now.as_str());
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
        let failures = user.failed_logins + 1;
        let lock = (failures >= LOCKOUT_THRESHOLD && !locked).then(|| later(LOCKOUT_MINUTES));
        users::record_failed_login(&mut tx, user.id, lock.as_deref()).await?;
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
    users::reset_failed_logins(&mut tx, user.id).await?;
    let cookie_value = random_token(32);
    let csrf_token = random_token(32);
    let second_factor_pending = user.totp_secret.is_some();
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

/// A looked-up session and the staff user behind it.
#[derive(Debug, Clone)]
pub struct SessionContext {
    pub session: sessions::Session,
    pub staff: Staff,
    /// The force requires a second factor and this user has not set one up.
    pub must_enrol_totp: bool,
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
    let must_enrol_totp = match (user.totp_secret.is_some(), user.force_id) {
        (false, Some(force)) => forces::get(&mut conn, force).await?.settings.require_totp,
        _ => false,
    };
    let staff = Staff {
        user_id: Some(user.id),
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        force_id: session.force_id,
        scopes: None,
        ip,
    };
    Ok(SessionContext {
        session,
        staff,
        must_enrol_totp,
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

/// Check a 6-digit TOTP code against a base32 secret (one step of clock skew allowed).
pub fn totp_code_is_valid(secret_base32: &str, code: &str) -> bool {
    let Ok(secret) = totp_rs::Secret::Encoded(secret_base32.to_string()).to_bytes() else {
        return false;
    };
    let Ok(totp) = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret) else {
        return false;
    };
    totp.check_current(code.trim()).unwrap_or(false)
}

/// The current code for a secret (for tests and the demo).
pub fn totp_current_code(secret_base32: &str) -> ServiceResult<String> {
    let secret = totp_rs::Secret::Encoded(secret_base32.to_string())
        .to_bytes()
        .map_err(|e| ServiceError::Internal(format!("bad TOTP secret: {e:?}")))?;
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    totp.generate_current()
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

/// Finish a login that waits for its second factor. A wrong code counts toward lockout.
pub async fn complete_second_factor(
    store: &Store,
    context: &SessionContext,
    code: &str,
) -> ServiceResult<()> {
    let mut tx = store.write().await?;
    let user_id = context
        .staff
        .user_id
        .ok_or(ServiceError::NotFound("user"))?;
    let user = users::get(&mut tx, user_id).await?;
    let secret = user.totp_secret.clone().unwrap_or_default();
    if !totp_code_is_valid(&secret, code) {
        let failures = user.failed_logins + 1;
        let lock = (failures >= LOCKOUT_THRESHOLD).then(|| later(LOCKOUT_MINUTES));
        users::record_failed_login(&mut tx, user.id, lock.as_deref()).await?;
        if lock.is_some() {
            sessions::delete(&mut tx, context.session.id).await?;
        }
        audit::append(
            &mut tx,
            entry(
                &context.staff,
                "login.second_factor_failed",
                "user",
                user.id.0,
            ),
        )
        .await?;
        tx.commit().await?;
        return Err(ServiceError::Unauthenticated(
            "That code is not right; codes change every 30 seconds.".into(),
        ));
    }
    users::reset_failed_logins(&mut tx, user.id).await?;
    sessions::complete_second_factor(&mut tx, context.session.id).await?;
    audit::append(&mut tx, entry(&context.staff, "login", "user", user.id.0)).await?;
    tx.commit().await?;
    Ok(())
}

/// Start TOTP enrolment: a new secret, shown once; it takes effect only once a
/// code from it is confirmed with [`confirm_totp`].
pub fn new_totp_secret() -> String {
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    totp_rs::Secret::Raw(bytes.to_vec())
        .to_encoded()
        .to_string()
}

/// The `otpauth://` URI an authenticator app reads.
pub fn totp_uri(secret: &str, username: &str, issuer: &str) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period=30",
        encode(issuer),
        encode(username),
        encode(issuer)
    )
}

pub async fn confirm_totp(
    store: &Store,
    staff: &Staff,
    secret: &str,
    code: &str,
) -> ServiceResult<()> {
    if !totp_code_is_valid(secret, code) {
        return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "code",
            "that code does not match the secret; check the clock on your phone and try again",
        )));
    }
    let user_id = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    let mut tx = store.write().await?;
    users::set_totp_secret(&mut tx, user_id, Some(secret)).await?;
    audit::append(
        &mut tx,
        entry(staff, "user.totp_enabled", "user", user_id.0),
    )
    .await?;
    tx.commit().await?;
    Ok(())
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
pub const TOKEN_SCOPES: [&str; 3] = ["read", "write", "admin"];

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
            format!("unknown scope '{bad}'; use read, write or admin"),
        )));
    }
    if scopes.iter().any(|s| s == "admin")
        && !matches!(staff.role, Role::ForceAdmin | Role::ServerAdmin)
    {
        return Err(ServiceError::Forbidden(
            "only administrators may hold an admin-scoped token".into(),
        ));
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
    let user_id = staff.user_id.ok_or(ServiceError::NotFound("API token"))?;
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
    Ok(Staff {
        user_id: Some(user.id),
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        force_id: user.force_id,
        scopes: Some(token.scopes),
        ip,
    })
}

/// Per-address login throttle, in memory: a burst of attempts from one address
/// (password spraying across many usernames) is slowed down before any account
/// locks. Per-account lockout lives in the database.
pub struct LoginThrottle {
    attempts: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    limit: u32,
    window: Duration,
}

impl LoginThrottle {
    pub fn new(limit: u32, window: Duration) -> Self {
        LoginThrottle {
            attempts: Mutex::new(HashMap::new()),
            limit,
            window,
        }
    }

    /// Count an attempt; refuse when the address has used up its window.
    pub fn check(&self, ip: IpAddr) -> ServiceResult<()> {
        let now = Instant::now();
        let mut attempts = self
            .attempts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if attempts.len() > 100_000 {
            attempts.retain(|_, (_, start)| now.duration_since(*start) < self.window);
        }
        let slot = attempts.entry(ip).or_insert((0, now));
        if now.duration_since(slot.1) >= self.window {
            *slot = (0, now);
        }
        slot.0 += 1;
        if slot.0 > self.limit {
            return Err(ServiceError::TooManyAttempts(
                "Too many login attempts from your network; wait a few minutes and try again."
                    .into(),
            ));
        }
        Ok(())
    }
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

    #[test]
    fn the_throttle_refuses_a_burst_from_one_address() {
        let throttle = LoginThrottle::new(3, Duration::from_secs(60));
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(throttle.check(ip).is_ok());
        }
        assert!(throttle.check(ip).is_err());
        assert!(throttle.check([10, 0, 0, 2].into()).is_ok());
    }
}
