//! Where media bytes live. The trait is deliberately small (put, get,
//! delete) so an object store can implement it later; the local filesystem
//! implementation is the default.

use std::{
    future::Future,
    io,
    path::{Path, PathBuf},
    pin::Pin,
    sync::atomic::{AtomicU64, Ordering},
};

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

/// A validated storage key: 64 lower-case hex digits (a SHA-256), optionally
/// followed by a dot and a short lower-case extension, e.g.
/// `3a7b...e9.jpg`. The alphabet leaves no way to spell `/`, `\`, `..` or
/// a drive letter, so a key can never name a path outside the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaKey(String);

impl MediaKey {
    /// Parse a key from untrusted text (a URL segment, a database row).
    pub fn parse(s: &str) -> Result<Self, StoreError> {
        let invalid = |reason: &str| StoreError::InvalidKey {
            reason: format!("{reason}: {:?}", s.chars().take(80).collect::<String>()),
        };
        let (hash, ext) = match s.split_once('.') {
            Some((hash, ext)) => (hash, Some(ext)),
            None => (s, None),
        };
        if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(invalid("a media key starts with 64 lower-case hex digits"));
        }
        if let Some(ext) = ext {
            if ext.is_empty()
                || ext.len() > 8
                || !ext
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                return Err(invalid(
                    "a media key extension is 1-8 lower-case letters or digits",
                ));
            }
        }
        Ok(Self(s.to_owned()))
    }

    /// The content-addressed key for bytes whose SHA-256 hex is `sha256`,
    /// e.g. `MediaKey::for_content(&img.sha256, img.format.extension())`.
    pub fn for_content(sha256: &str, extension: &str) -> Result<Self, StoreError> {
        if extension.is_empty() {
            Self::parse(sha256)
        } else {
            Self::parse(&format!("{sha256}.{extension}"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Two levels of fan-out (`ab/cd/abcd...`) keep directories small.
    fn relative_path(&self) -> PathBuf {
        let mut p = PathBuf::from(&self.0[0..2]);
        p.push(&self.0[2..4]);
        p.push(&self.0);
        p
    }
}

impl std::fmt::Display for MediaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for MediaKey {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<MediaKey> for String {
    fn from(k: MediaKey) -> Self {
        k.0
    }
}

impl std::str::FromStr for MediaKey {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Storage failures. These are operator problems (disk, permissions), not
/// the uploader's, except `NotFound` and `InvalidKey` which map to 404/400.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("Invalid media key ({reason}).")]
    InvalidKey { reason: String },
    #[error("Media {key} was not found.")]
    NotFound { key: MediaKey },
    #[error("Could not {op} media {key}: {source}")]
    Io {
        op: &'static str,
        key: MediaKey,
        #[source]
        source: io::Error,
    },
}

/// A boxed future, so `MediaStore` can be used as `Arc<dyn MediaStore>` in
/// the web layer's state without an extra macro crate.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Somewhere to keep media bytes by key.
pub trait MediaStore: Send + Sync {
    /// Store `bytes` under `key`, replacing any previous value atomically:
    /// readers see the old bytes or the new, never a partial file.
    fn put<'a>(
        &'a self,
        key: &'a MediaKey,
        bytes: &'a [u8],
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// The bytes under `key`, or `StoreError::NotFound`.
    fn get<'a>(&'a self, key: &'a MediaKey) -> BoxFuture<'a, Result<Vec<u8>, StoreError>>;
    /// Remove `key`. `Ok(false)` if it was not there (deleting is idempotent).
    fn delete<'a>(&'a self, key: &'a MediaKey) -> BoxFuture<'a, Result<bool, StoreError>>;
}

/// Media as files under a root directory, at `root/ab/cd/<key>`.
#[derive(Debug, Clone)]
pub struct LocalMediaStore {
    root: PathBuf,
}

impl LocalMediaStore {
    /// Does not touch the disk; directories are created on first `put`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `key` lives on disk, for serving with a file-streaming response
    /// (large videos should not be read whole into memory).
    pub fn path_of(&self, key: &MediaKey) -> PathBuf {
        self.root.join(key.relative_path())
    }

    async fn put_inner(&self, key: &MediaKey, bytes: &[u8]) -> Result<(), StoreError> {
        let io_err = |op: &'static str| {
            let key = key.clone();
            move |source: io::Error| StoreError::Io { op, key, source }
        };
        let path = self.path_of(key);
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(io_err("create the directory for"))?;
        // Temp file in the same directory, so the rename cannot cross
        // filesystems; its name cannot collide with a key (keys have no '-').
        let tmp = dir.join(format!(
            ".tmp-{}-{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed),
            key
        ));
        let written = async {
            let mut file = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .await?;
            file.write_all(bytes).await?;
            file.flush().await?;
            // Data on disk before the rename makes it visible; otherwise a
            // crash could leave a complete-looking name with empty content.
            file.sync_all().await?;
            tokio::fs::rename(&tmp, &path).await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(io_err("write")(e));
        }
        // Make the rename itself durable. Best effort: not every platform
        // lets a directory be opened and synced.
        if let Ok(d) = tokio::fs::File::open(&dir).await {
            let _ = d.sync_all().await;
        }
        Ok(())
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl MediaStore for LocalMediaStore {
    fn put<'a>(
        &'a self,
        key: &'a MediaKey,
        bytes: &'a [u8],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.put_inner(key, bytes))
    }

    fn get<'a>(&'a self, key: &'a MediaKey) -> BoxFuture<'a, Result<Vec<u8>, StoreError>> {
        Box::pin(async move {
            tokio::fs::read(self.path_of(key)).await.map_err(|source| {
                if source.kind() == io::ErrorKind::NotFound {
                    StoreError::NotFound { key: key.clone() }
                } else {
                    StoreError::Io {
                        op: "read",
                        key: key.clone(),
                        source,
                    }
                }
            })
        })
    }

    fn delete<'a>(&'a self, key: &'a MediaKey) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path_of(key)).await {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                Err(source) => Err(StoreError::Io {
                    op: "delete",
                    key: key.clone(),
                    source,
                }),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn keys_cannot_spell_a_path() {
        assert!(MediaKey::parse(HASH).is_ok());
        assert!(MediaKey::parse(&format!("{HASH}.jpg")).is_ok());
        for bad in [
            "",
            "../../etc/passwd",
            &format!("../{HASH}"),
            &format!("{HASH}/../x"),
            &format!("{HASH}.."),
            &format!("{HASH}./"),
            &format!("{HASH}.j/g"),
            &format!("{HASH}.JPG"),
            &HASH.to_uppercase(),
            &HASH[..63],
            &format!("{HASH}.jpg.exe"),
            &format!("{HASH}\0"),
        ] {
            assert!(MediaKey::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn key_fans_out_under_root() {
        let store = LocalMediaStore::new("/srv/media");
        let key = MediaKey::for_content(HASH, "png").unwrap();
        assert_eq!(
            store.path_of(&key),
            PathBuf::from(format!("/srv/media/9f/86/{HASH}.png"))
        );
    }
}
