//! The TOTP second factor (RFC 6238, SHA-1, six digits, 30-second steps):
//! checking a code, finishing a half-done login, and enrolling.
//!
//! Every accepted code moves the user's `totp_last_step` forward and a code for
//! that step or an earlier one is refused, so a code works once. Wrong codes
//! count toward the same lockout as wrong passwords, and a correct password does
//! not clear that count while the code is still to come, so "password, four
//! wrong codes, repeat" locks the account like five wrong passwords would.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use bluelamp_store::{audit, sessions, users, WriteTx};

use super::{entry, is_locked, later, password_matches, SessionContext};
use super::{LOCKOUT_MINUTES, LOCKOUT_THRESHOLD};
use crate::{ServiceError, ServiceResult};

/// Seconds per TOTP step.
const STEP_SECONDS: u64 = 30;

fn totp_for(secret_base32: &str) -> Option<totp_rs::TOTP> {
    let secret = totp_rs::Secret::Encoded(secret_base32.to_string())
        .to_bytes()
        .ok()?;
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, STEP_SECONDS, secret).ok()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The time step (Unix time / 30) whose code `code` is, looking one step either
/// side of `now` for clock skew; `None` when it matches none of them.
pub fn matching_step(secret_base32: &str, code: &str, now: u64) -> Option<i64> {
    let totp = totp_for(secret_base32)?;
    let code = code.trim();
    let current = now / STEP_SECONDS;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| {
            let expected = totp.generate(step * STEP_SECONDS);
            crate::auth::constant_time_eq(expected.as_bytes(), code.as_bytes())
        })
        .and_then(|step| i64::try_from(step).ok())
}

/// Check a 6-digit TOTP code against a base32 secret (one step of clock skew
/// allowed). This says nothing about replay; logins use [`matching_step`].
pub fn totp_code_is_valid(secret_base32: &str, code: &str) -> bool {
    matching_step(secret_base32, code, unix_now()).is_some()
}

/// The code for a secret at Unix time `at` (for tests and the demo).
pub fn totp_code_at(secret_base32: &str, at: u64) -> ServiceResult<String> {
    totp_for(secret_base32)
        .map(|totp| totp.generate(at))
        .ok_or_else(|| ServiceError::Internal("bad TOTP secret".into()))
}

/// The current code for a secret (for tests and the demo).
pub fn totp_current_code(secret_base32: &str) -> ServiceResult<String> {
    totp_code_at(secret_base32, unix_now())
}

/// The code for the next time step: accepted (clock skew) when the current
/// step's code has already been used. For tests.
pub fn totp_next_code(secret_base32: &str) -> ServiceResult<String> {
    totp_code_at(secret_base32, unix_now() + STEP_SECONDS)
}

/// Accept `code` for this user once: it must match their secret and be for a
/// later step than any code accepted before. Writes the step when it does.
async fn accept_code(
    tx: &mut WriteTx,
    user: &users::User,
    secret: &str,
    code: &str,
) -> ServiceResult<bool> {
    let Some(step) = matching_step(secret, code, unix_now()) else {
        return Ok(false);
    };
    Ok(users::accept_totp_step(tx, user.id, step).await?)
}

/// Count a failed attempt toward lockout; returns the count in a row and
/// whether this attempt locked the account.
async fn count_failure(tx: &mut WriteTx, user: &users::User) -> ServiceResult<(i64, bool)> {
    let until = later(LOCKOUT_MINUTES);
    Ok(users::record_failed_login(tx, user.id, LOCKOUT_THRESHOLD, &until).await?)
}

/// Finish a login that waits for its second factor. A wrong or replayed code
/// counts toward lockout; a locked or disabled account cannot finish at all
/// (its half-done session ends).
pub async fn complete_second_factor(
    store: &bluelamp_store::Store,
    context: &SessionContext,
    code: &str,
) -> ServiceResult<()> {
    let mut tx = store.write().await?;
    let user_id = context
        .staff
        .user_id
        .ok_or(ServiceError::NotFound("user"))?;
    let user = users::get(&mut tx, user_id).await?;
    if user.disabled || is_locked(&user) {
        sessions::delete(&mut tx, context.session.id).await?;
        let mut draft = entry(
            &context.staff,
            "login.second_factor_failed",
            "user",
            user.id.0,
        );
        draft.after = Some(r#"{"reason":"locked or disabled"}"#.into());
        audit::append(&mut tx, draft).await?;
        tx.commit().await?;
        return Err(ServiceError::Unauthenticated(
            "This account is locked after repeated failed attempts (or disabled). Log in again later."
                .into(),
        ));
    }
    let secret = user.totp_secret.clone().unwrap_or_default();
    if !accept_code(&mut tx, &user, &secret, code).await? {
        let (failures, locked) = count_failure(&mut tx, &user).await?;
        // At the threshold the half-done login ends: back to the password.
        if failures >= LOCKOUT_THRESHOLD {
            sessions::delete(&mut tx, context.session.id).await?;
        }
        let mut draft = entry(
            &context.staff,
            "login.second_factor_failed",
            "user",
            user.id.0,
        );
        draft.after =
            Some(serde_json::json!({"failed_in_a_row": failures, "locked": locked}).to_string());
        audit::append(&mut tx, draft).await?;
        tx.commit().await?;
        return Err(ServiceError::Unauthenticated(
            "That code is not right, or has been used already; codes change every 30 seconds."
                .into(),
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

/// What enrolling (or replacing) a second factor needs: proof of the password,
/// a code from the current factor when there is one, and a code from the new one.
pub struct TotpEnrolment<'a> {
    pub current_password: &'a str,
    /// A code from the authenticator already set up; ignored when none is.
    pub current_code: &'a str,
    pub secret: &'a str,
    pub code: &'a str,
}

/// Turn on (or replace) two-factor login. A session alone is not enough: whoever
/// holds a stolen session cookie must not be able to swap the second factor for
/// their own, so the password (and the current code, when enrolled) is asked
/// again, and wrong answers count toward lockout.
pub async fn confirm_totp(
    store: &bluelamp_store::Store,
    context: &SessionContext,
    enrolment: &TotpEnrolment<'_>,
) -> ServiceResult<()> {
    let staff = &context.staff;
    let user_id = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    let mut tx = store.write().await?;
    let user = users::get(&mut tx, user_id).await?;
    let refusal = if !password_matches(enrolment.current_password, &user.password_hash) {
        Some(("current_password", "your current password is not right"))
    } else {
        match &user.totp_secret {
            Some(current)
                if !accept_code(&mut tx, &user, current, enrolment.current_code).await? =>
            {
                Some((
                    "current_code",
                    "the code from your current authenticator is not right (or was used already)",
                ))
            }
            _ => None,
        }
    };
    if let Some((field, message)) = refusal {
        let (_, locked) = count_failure(&mut tx, &user).await?;
        let mut draft = entry(staff, "user.totp_change_refused", "user", user_id.0);
        draft.after = Some(serde_json::json!({"field": field, "locked": locked}).to_string());
        audit::append(&mut tx, draft).await?;
        tx.commit().await?;
        return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
            field, message,
        )));
    }
    let Some(step) = matching_step(enrolment.secret, enrolment.code, unix_now()) else {
        return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "code",
            "that code does not match the secret; check the clock on your phone and try again",
        )));
    };
    // The confirming code's step is recorded, so that code cannot then log in.
    users::set_totp_secret(&mut tx, user_id, Some(enrolment.secret), Some(step)).await?;
    let action = if user.totp_secret.is_some() {
        "user.totp_replaced"
    } else {
        "user.totp_enabled"
    };
    audit::append(&mut tx, entry(staff, action, "user", user_id.0)).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_matched_to_its_step_with_one_step_of_skew() {
        let secret = new_totp_secret();
        let now = 1_800_000_000;
        let code = totp_code_at(&secret, now).unwrap();
        let step = i64::try_from(now / 30).unwrap();
        assert_eq!(matching_step(&secret, &code, now), Some(step));
        assert_eq!(matching_step(&secret, &code, now + 30), Some(step));
        assert_eq!(matching_step(&secret, &code, now + 90), None);
        assert_eq!(matching_step("not base32!", &code, now), None);
    }
}
