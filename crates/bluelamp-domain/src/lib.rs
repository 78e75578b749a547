//! Bluelamp's domain: the rules of forces, staff, roles, public accounts, policy
//! sign-off and the audit chain, as plain Rust.
//!
//! This crate performs no I/O and knows nothing of databases, HTTP or clocks: callers
//! pass in what they read and receive decisions back. That keeps every rule here
//! testable in microseconds and usable from the web layer, the CLI and jobs alike.

pub mod account;
pub mod alert;
pub mod analytics;
pub mod approval;
pub mod audit;
pub mod force;
pub mod ids;
pub mod incident;
pub mod language;
pub mod link_card;
pub mod pacing;
pub mod policy;
pub mod post;
pub mod retry;
pub mod richtext;
pub mod role;
pub mod user;

pub use account::{AccountKind, Handle, MembershipPermissions, Signature};
pub use approval::{ApprovalStep, EscalationBar, GivenApproval};
pub use audit::{AuditDraft, AuditRecord, ChainBreak};
pub use force::{ForceCode, ForceSettings, LogoUrl, PublicDomain, TimeZoneName};
pub use ids::{AccountId, ForceId, PolicyId, UserId};
pub use policy::{may_post, PostingRefusal};
pub use post::{CheckVerdict, PostStatus, WorkflowError};
pub use role::{Action, Refusal, Role};
pub use user::{DisplayName, Password, Username};

/// A value from outside failed validation; the message says what is wrong in
/// words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Invalid {
            field,
            message: message.into(),
        }
    }
}
