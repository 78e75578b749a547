//! A short-lived cache of rendered public documents (feeds, profile pages).
//!
//! The appeals feed must keep answering when a whole county refreshes it, so the
//! hot path is a hash lookup and a copy of shared bytes. Entries live for
//! [`FRESH_FOR`]; after that, one request rebuilds while the others are served the
//! previous copy, so a burst never stampedes the database. A change drops every
//! entry at once: in this process directly, and in every other server process on
//! the same PostgreSQL through a notification ([`listen_for_changes`]); otherwise
//! (a lost notification, the CLI on SQLite) it shows when the entry expires.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::http::{header, HeaderName, HeaderValue};
use bytes::Bytes;

/// How long a rendered document is served before it is rebuilt.
pub const FRESH_FOR: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub struct Cached {
    pub body: Bytes,
    pub content_type: &'static str,
    pub etag: String,
    pub last_modified: String,
    /// The same three, ready to put in a response without parsing on the hot path.
    pub headers: [(HeaderName, HeaderValue); 3],
    built: Instant,
    rebuilding: AtomicBool,
}

impl Cached {
    pub fn new(body: Bytes, content_type: &'static str, last_modified: String) -> Cached {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(&body);
        let etag = format!("\"{}\"", hex::encode(&digest[..12]));
        let value =
            |text: &str| HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(""));
        let headers = [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::ETAG, value(&etag)),
            (header::LAST_MODIFIED, value(&last_modified)),
        ];
        Cached {
            etag,
            body,
            content_type,
            last_modified,
            headers,
            built: Instant::now(),
            rebuilding: AtomicBool::new(false),
        }
    }
}

pub struct PublicCache {
    entries: RwLock<HashMap<String, Arc<Cached>>>,
    fresh_for: Duration,
}

impl Default for PublicCache {
    fn default() -> Self {
        PublicCache::new(FRESH_FOR)
    }
}

/// What the cache says about a key.
pub enum Lookup {
    /// Serve this.
    Fresh(Arc<Cached>),
    /// This caller should rebuild; serve the stale copy if the rebuild fails.
    Rebuild(Option<Arc<Cached>>),
}

impl PublicCache {
    /// A cache whose entries are served for `fresh_for` before a rebuild.
    pub fn new(fresh_for: Duration) -> PublicCache {
        PublicCache {
            entries: RwLock::default(),
            fresh_for,
        }
    }

    pub fn lookup(&self, key: &str) -> Lookup {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some(entry) if entry.built.elapsed() < self.fresh_for => Lookup::Fresh(entry.clone()),
            Some(entry) => {
                // Only the first caller past expiry rebuilds; the rest get the old copy.
                if entry.rebuilding.swap(true, Ordering::AcqRel) {
                    Lookup::Fresh(entry.clone())
                } else {
                    Lookup::Rebuild(Some(entry.clone()))
                }
            }
            None => Lookup::Rebuild(None),
        }
    }

    pub fn store(&self, key: String, value: Cached) -> Arc<Cached> {
        let value = Arc::new(value);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        // Bound memory: a crawler walking every page must not grow the map forever.
        if entries.len() > 10_000 {
            entries.retain(|_, v| v.built.elapsed() < self.fresh_for);
        }
        entries.insert(key, value.clone());
        value
    }

    /// Drop everything (after a change the publisher wants seen at once).
    pub fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// Drop this process's cached pages whenever another process (or this one) says
/// something public changed, until the task is aborted. Only on PostgreSQL.
pub fn listen_for_changes(
    store: bluelamp_store::Store,
    cache: Arc<PublicCache>,
) -> Option<tokio::task::JoinHandle<()>> {
    use bluelamp_store::notify::PUBLIC_CHANGED;
    if store.backend() != bluelamp_store::Backend::Postgres {
        return None;
    }
    Some(tokio::spawn(async move {
        loop {
            match store.listen(&[PUBLIC_CHANGED]).await {
                Ok(Some(mut listener)) => loop {
                    match listener.recv().await {
                        Ok(_) => cache.clear(),
                        Err(error) => {
                            tracing::warn!("public-change notifications interrupted: {error}");
                            break;
                        }
                    }
                },
                Ok(None) => return,
                Err(error) => tracing::warn!("cannot listen for public changes: {error}"),
            }
            // Whatever was announced while we were not listening is unknown.
            cache.clear();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_caller_rebuilds_a_stale_entry_while_others_get_the_old_copy() {
        let cache = PublicCache::default();
        assert!(matches!(cache.lookup("k"), Lookup::Rebuild(None)));
        cache.store(
            "k".into(),
            Cached::new(Bytes::from_static(b"v1"), "text/plain", String::new()),
        );
        assert!(matches!(cache.lookup("k"), Lookup::Fresh(_)));
        std::thread::sleep(FRESH_FOR + Duration::from_millis(20));
        assert!(matches!(cache.lookup("k"), Lookup::Rebuild(Some(_))));
        assert!(
            matches!(cache.lookup("k"), Lookup::Fresh(_)),
            "the second caller gets the stale copy"
        );
    }
}
