//! The one error type of the use cases. Each variant maps to one HTTP status and
//! carries a message that is safe to show; the cause of an internal failure is
//! logged, not shown.

use bluelamp_domain::{Invalid, Refusal};
use bluelamp_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input failed validation (400).
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Not logged in, or the credentials were wrong (401).
    #[error("{0}")]
    Unauthenticated(String),
    /// Logged in but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such thing, or not visible to this user (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Clashes with what is already there (409).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts (429).
    #[error("{0}")]
    TooManyAttempts(String),
    /// Something broke on our side (500); the detail goes to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// A field of the input is wrong: the one way use cases say so (400, naming it).
pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(Invalid::new(field, message))
}

/// A required text field: not blank, at most `max` characters as sent (the limit the
/// API documents counts spaces too); returned trimmed.
pub(crate) fn required_text<'a>(
    field: &'static str,
    value: &'a str,
    max: usize,
) -> ServiceResult<&'a str> {
    if value.chars().count() > max {
        return Err(invalid(field, format!("at most {max} characters")));
    }
    let v = value.trim();
    if v.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    Ok(v)
}

/// An optional text field: `None` when absent or blank, else trimmed; at most `max`
/// characters as sent.
pub(crate) fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> ServiceResult<Option<String>> {
    if value.is_some_and(|v| v.chars().count() > max) {
        return Err(invalid(field, format!("at most {max} characters")));
    }
    Ok(value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string))
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ServiceError::NotFound(what),
            StoreError::Conflict(message) => ServiceError::Conflict(message),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

impl From<Refusal> for ServiceError {
    fn from(refusal: Refusal) -> Self {
        ServiceError::Forbidden(refusal.message)
    }
}

impl From<bluelamp_domain::PostingRefusal> for ServiceError {
    fn from(refusal: bluelamp_domain::PostingRefusal) -> Self {
        ServiceError::Forbidden(refusal.to_string())
    }
}
