//! Bluelamp's use cases. Each public function is one thing a person does (log in,
//! add a user, publish a policy, post), checks who may do it, changes the store
//! and appends the audit entry in the same transaction.
//!
//! The web handlers, the JSON API and the CLI all call these functions and none of
//! them writes SQL. This crate knows nothing of HTTP.

pub mod accounts;
pub mod analytics;
pub mod appeals;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod client_apps;
pub mod crosspost;
pub mod demo;
mod demo_analytics;
pub mod demo_casework;
pub mod error;
pub mod federation;
pub mod force_rules;
pub mod forces;
pub mod governance_feedback;
pub mod inbox;
pub mod incidents;
pub mod jobs;
pub mod media;
pub(crate) mod membership;
pub mod notifications;
pub mod policy;
pub mod posts;
pub mod public;
pub mod referrals;
pub mod runner;
pub mod staff;
pub mod staff_notifications;
pub mod subscriptions;
pub mod tips;
pub mod uploads;
pub mod users;
pub mod web_push;
pub mod webhooks;

pub use error::{ServiceError, ServiceResult};
pub use staff::Staff;
