//! Size and time limits on everything remote. One place, so the router's body
//! limit and the fetcher agree.

use std::time::Duration;

/// Largest inbox body we parse (the router should answer 413 above it). Mastodon's
/// largest Create with a long post and many tags is a few tens of KiB.
pub const MAX_INBOX_BODY: usize = 1024 * 1024;
/// Largest remote document (actor, note, key, WebFinger) we read.
pub const MAX_REMOTE_DOCUMENT: usize = 1024 * 1024;
/// How much of a delivery's response we read (to reuse the connection and to
/// quote in error messages); the rest is dropped.
pub const MAX_DELIVERY_RESPONSE: usize = 64 * 1024;
/// Whole-request limit for a fetch, body included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Whole-request limit for one delivery; the queue retries later.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Redirects followed on a fetch (never on a delivery).
pub const MAX_REDIRECTS: usize = 3;
