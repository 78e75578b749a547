//! The inbox: everything the public says, on every channel, in one place.
//!
//! - [`ingest`]: the one internal path by which every channel (the fediverse inbox,
//!   connectors through `POST /api/v1/inbound`, the public web contact form) delivers
//!   messages: validated, triaged, stored once per channel and external id, committed
//!   before anything is acknowledged.
//! - [`handling`]: what staff do with a message: read, assign, hand over, change its
//!   status, add notes, hide and restore (never delete), overrule the triage.
//! - [`sla`]: response-time targets per category, paused out of office hours
//!   when the force sets them, and the force's local time.
//! - [`replies`]: answering a message through the publishing path, and canned
//!   replies with variables.

pub mod handling;
pub mod ingest;
pub mod replies;
pub mod rumours;
pub mod sla;

use std::sync::OnceLock;

use bluelamp_triage::Triager;

use crate::{ServiceError, ServiceResult};

/// The triage model built into the binary, decoded once.
pub fn triager() -> ServiceResult<&'static Triager> {
    static TRIAGER: OnceLock<Result<Triager, String>> = OnceLock::new();
    TRIAGER
        .get_or_init(|| Triager::builtin().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| ServiceError::Internal(format!("the triage model: {e}")))
}

/// The statuses a message moves through.
pub const STATUSES: [&str; 5] = ["new", "assigned", "waiting", "answered", "closed"];

/// What an emergency gets at once, on its own channel (until a force sets its own).
pub const EMERGENCY_REPLY: &str = "If you or someone else is in danger right now, please call 999 \
(deaf or speech-impaired: text 999 if registered, or use 18000). This account is not watched \
every minute. For anything else call 101 or report online.";
