//! Client apps: the use cases behind the Mastodon-compatible client API, so
//! officers post from the apps already on their phones. OAuth consent chooses
//! the account an app acts as; every status goes through the same compose use
//! case (and so the same governance check and approval) as the web page.

pub mod oauth;
pub mod reading;
pub mod statuses;
pub mod views;

pub use views::{StatusView, MESSAGE_ID_BASE};
