//! Signed checkpoints of the audit chain heads, kept outside the database.
//!
//! An Ed25519 key that lives in a file (never in the database) signs every
//! chain's head at a moment; the signed line is appended to a JSON Lines file in
//! a folder outside the database. `verify_with_checkpoints` then holds the
//! database to every earlier checkpoint, which catches what the hash chain alone
//! cannot: an entry rewritten with every later hash recomputed, the newest
//! entries dropped with the head fixed up, and a chain deleted with its head
//! (see `bluelamp_domain::audit::checkpoint`). The server writes one on a timer
//! through the durable job table ([`CHECKPOINT_JOB`]); `bluelamp audit
//! checkpoint` writes one at once.
//!
//! Files here are small and written rarely, so they are written synchronously.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bluelamp_domain::audit::checkpoint::{
    check_checkpoints, Checkpoint, CheckpointHead, CheckpointReport, SignedCheckpoint, StoredChain,
    CHECKPOINT_VERSION,
};
use bluelamp_store::audit as store_audit;
use bluelamp_store::{jobs, Store, StoreError};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};

use crate::runner::JobOutcome;
use crate::{ServiceError, ServiceResult};

/// The job kind that writes a checkpoint and reschedules itself.
pub const CHECKPOINT_JOB: &str = "audit_checkpoint";
/// One recurring checkpoint job at a time, however many servers start.
const CHECKPOINT_DEDUPE: &str = "audit_checkpoint";
/// The file the checkpoints are appended to, inside the checkpoint folder.
pub const CHECKPOINT_FILE: &str = "checkpoints.jsonl";

/// Where the signing key and the checkpoints live, and how often to write one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointSettings {
    /// The Ed25519 private key (PKCS#8, DER), created with mode 0600 on first use.
    pub key_file: PathBuf,
    /// The folder the checkpoint file is appended in.
    pub dir: PathBuf,
    /// Seconds between checkpoints the server writes.
    pub every_seconds: i64,
}

impl CheckpointSettings {
    pub fn file(&self) -> PathBuf {
        self.dir.join(CHECKPOINT_FILE)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot use the audit signing key {path}: {source}")]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the audit signing key {0} is not an Ed25519 PKCS#8 key")]
    KeyInvalid(PathBuf),
    #[error("cannot generate an audit signing key")]
    KeyGeneration,
    #[error("cannot write or read the checkpoint file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} line {line}: not a checkpoint ({reason})")]
    Line {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("refusing to sign a checkpoint: the audit trail disagrees with the last one: {0}")]
    Disagrees(String),
    #[error("public key: expected 64 hex digits (an Ed25519 public key)")]
    PublicKey,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CheckpointError> for ServiceError {
    fn from(error: CheckpointError) -> Self {
        match error {
            CheckpointError::Store(store) => store.into(),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

type Result<T> = std::result::Result<T, CheckpointError>;

/// The signing key at `path`, created (mode 0600) if there is none yet.
pub fn signing_key(path: &Path) -> Result<Ed25519KeyPair> {
    let key_error = |source| CheckpointError::KeyFile {
        path: path.to_path_buf(),
        source,
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            create_key(path).map_err(key_error)?;
            std::fs::read(path).map_err(key_error)?
        }
        Err(error) => return Err(key_error(error)),
    };
    warn_if_readable_by_others(path);
    Ed25519KeyPair::from_pkcs8(&bytes).map_err(|_| CheckpointError::KeyInvalid(path.to_path_buf()))
}

fn create_key(path: &Path) -> std::io::Result<()> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| std::io::Error::other("the system random source failed"))?;
    create_secret_file(path, pkcs8.as_ref(), "the audit signing key")
}

/// Write a new secret beside `path` (mode 0600) and link it into place, so two
/// processes starting at once never see a half-written file and never replace
/// each other's: the link fails if one appeared meanwhile, and that one is used.
pub(crate) fn create_secret_file(path: &Path, secret: &[u8], what: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(secret)?;
        file.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
        Ok(()) => {
            tracing::info!(key = %path.display(), "created {what} {}", path.display());
            Ok(())
        }
    }
}

pub(crate) fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(
                    key = %path.display(),
                    "the audit signing key {} can be read by others; chmod 600 it",
                    path.display()
                );
            }
        }
    }
}

/// The public half of the signing key, as 64 hex digits (created on first use).
pub fn public_key_hex(key_file: &Path) -> Result<String> {
    Ok(hex::encode(signing_key(key_file)?.public_key().as_ref()))
}

/// Parse a public key given as 64 hex digits.
pub fn parse_public_key(text: &str) -> Result<Vec<u8>> {
    match hex::decode(text.trim()) {
        Ok(bytes) if bytes.len() == 32 => Ok(bytes),
        _ => Err(CheckpointError::PublicKey),
    }
}

/// Sign every chain's current head and append the checkpoint to the file.
/// Refuses ([`CheckpointError::Disagrees`]) when the database no longer agrees
/// with the last checkpoint in the file, so tampering is raised when the next
/// checkpoint is due instead of being signed over.
pub async fn write_checkpoint(
    store: &Store,
    settings: &CheckpointSettings,
) -> Result<SignedCheckpoint> {
    let key = signing_key(&settings.key_file)?;
    let heads = {
        let mut conn = store.read().await?;
        store_audit::heads(&mut conn).await?
    };
    if let Some(previous) = last_checkpoint(&settings.file())? {
        check_against_previous(store, &key, &previous, &heads).await?;
    }
    let checkpoint = Checkpoint::new(bluelamp_store::now_text(), heads);
    let signature = key.sign(&checkpoint.signing_bytes());
    let signed = SignedCheckpoint {
        v: CHECKPOINT_VERSION,
        at: checkpoint.at,
        heads: checkpoint.heads,
        key: hex::encode(key.public_key().as_ref()),
        signature: hex::encode(signature.as_ref()),
    };
    let path = settings.file();
    let file_error = |source| CheckpointError::File {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(&settings.dir).map_err(file_error)?;
    // One write of one whole line to a file opened for appending, so lines from
    // two writers never interleave; synced because an anchor that a crash can
    // lose anchors nothing.
    let mut line = serde_json::to_string(&signed).unwrap_or_default();
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(file_error)?;
    file.write_all(line.as_bytes()).map_err(file_error)?;
    file.sync_data().map_err(file_error)?;
    Ok(signed)
}

/// Hold the heads about to be signed to the previous checkpoint: every chain it
/// pinned must still hold its pinned entry unchanged. Cheap (one row per
/// chain), unlike a full verification.
async fn check_against_previous(
    store: &Store,
    key: &Ed25519KeyPair,
    previous: &SignedCheckpoint,
    heads: &[CheckpointHead],
) -> Result<()> {
    let ours = hex::encode(key.public_key().as_ref());
    if previous.key != ours {
        // The key was replaced on purpose; the old lines stay verifiable with
        // the old public key, and this one starts a new run.
        tracing::warn!(
            "the last audit checkpoint was signed with another key ({}); not comparing with it",
            previous.key
        );
        return Ok(());
    }
    let checkpoint = previous.checkpoint();
    let signature = hex::decode(&previous.signature).unwrap_or_default();
    if UnparsedPublicKey::new(&ED25519, key.public_key().as_ref())
        .verify(&checkpoint.signing_bytes(), &signature)
        .is_err()
    {
        return Err(CheckpointError::Disagrees(format!(
            "the last checkpoint ({}) does not verify with this key; the checkpoint file was altered",
            previous.at
        )));
    }
    let mut stored = BTreeMap::new();
    let mut conn = store.read().await?;
    for pinned in checkpoint.heads.iter().filter(|h| h.seq > 0) {
        let length = heads
            .iter()
            .find(|h| h.chain == pinned.chain)
            .map_or(0, |h| h.seq);
        let link = store_audit::link_at(&mut conn, &pinned.chain, pinned.seq).await?;
        stored.insert(
            pinned.chain.clone(),
            StoredChain {
                length,
                links: link.into_iter().collect(),
            },
        );
    }
    match check_checkpoints(&[checkpoint], &stored) {
        Ok(_) => Ok(()),
        Err(broken) => Err(CheckpointError::Disagrees(broken.to_string())),
    }
}

/// The last checkpoint in the file, read from its end (the file grows for
/// ever, and only its last line is needed here); `None` when there is none.
fn last_checkpoint(path: &Path) -> Result<Option<SignedCheckpoint>> {
    let file_error = |source| CheckpointError::File {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(file_error(error)),
    };
    let size = file.metadata().map_err(file_error)?.len();
    let mut window: u64 = 16 * 1024;
    loop {
        let start = size.saturating_sub(window);
        file.seek(SeekFrom::Start(start)).map_err(file_error)?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).map_err(file_error)?;
        let text = String::from_utf8_lossy(&tail);
        let trimmed = text.trim_end();
        let line = match trimmed.rfind('\n') {
            Some(newline) => &trimmed[newline + 1..],
            // The whole window is one line: it may start before the window.
            None if start > 0 => {
                window *= 4;
                continue;
            }
            None => trimmed,
        };
        if line.trim().is_empty() {
            return Ok(None);
        }
        return serde_json::from_str(line)
            .map(Some)
            .map_err(|error| CheckpointError::Line {
                path: path.to_path_buf(),
                line: 0,
                reason: format!("the last line: {error}"),
            });
    }
}

/// Every checkpoint in a file, oldest first; a line that is not one is an error
/// naming it. Blank lines are skipped.
pub fn read_checkpoints(path: &Path) -> Result<Vec<(usize, SignedCheckpoint)>> {
    let text = std::fs::read_to_string(path).map_err(|source| CheckpointError::File {
        path: path.to_path_buf(),
        source,
    })?;
    let mut checkpoints = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let signed: SignedCheckpoint =
            serde_json::from_str(line).map_err(|error| CheckpointError::Line {
                path: path.to_path_buf(),
                line: index + 1,
                reason: error.to_string(),
            })?;
        checkpoints.push((index + 1, signed));
    }
    Ok(checkpoints)
}

/// The outcome of holding the database to its checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointVerdict {
    /// Every checkpoint is signed by the trusted key and the database agrees.
    Consistent(CheckpointReport),
    /// What is wrong, in words (names the chain and entry, or the file line).
    Tampered(String),
}

/// Check each checkpoint's signature against `trusted_key`, then the database's
/// chains against all of them. Call after the chains verified on their own.
pub async fn verify_with_checkpoints(
    store: &Store,
    checkpoints: &[(usize, SignedCheckpoint)],
    trusted_key: &[u8],
) -> Result<CheckpointVerdict> {
    let trusted_hex = hex::encode(trusted_key);
    let verifier = UnparsedPublicKey::new(&ED25519, trusted_key);
    let mut checked = Vec::with_capacity(checkpoints.len());
    for (line, signed) in checkpoints {
        let signature = hex::decode(&signed.signature).unwrap_or_default();
        let checkpoint = signed.checkpoint();
        let genuine = signed.v == CHECKPOINT_VERSION
            && verifier
                .verify(&checkpoint.signing_bytes(), &signature)
                .is_ok();
        if !genuine {
            return Ok(CheckpointVerdict::Tampered(format!(
                "checkpoint on line {line} (of {}) is not signed by the trusted key {trusted_hex}; \
                 the checkpoint file was altered or signed with another key",
                signed.at
            )));
        }
        checked.push(checkpoint);
    }
    let mut stored = BTreeMap::new();
    let mut conn = store.read().await?;
    for checkpoint in &checked {
        for head in &checkpoint.heads {
            if !stored.contains_key(&head.chain) {
                let links = store_audit::chain_links(&mut conn, &head.chain).await?;
                stored.insert(head.chain.clone(), StoredChain::whole(links));
            }
        }
    }
    stored.retain(|_, chain: &mut StoredChain| chain.length > 0);
    Ok(match check_checkpoints(&checked, &stored) {
        Ok(report) => CheckpointVerdict::Consistent(report),
        Err(broken) => CheckpointVerdict::Tampered(broken.to_string()),
    })
}

/// Make sure the recurring checkpoint job exists (a no-op while it does). The
/// server calls this at start; the job then reschedules itself.
pub async fn schedule(store: &Store) -> ServiceResult<()> {
    let mut tx = store.write().await?;
    jobs::enqueue(
        &mut tx,
        CHECKPOINT_JOB,
        &serde_json::json!({}),
        &bluelamp_store::now_text(),
        Some(CHECKPOINT_DEDUPE),
        // Failures (a full disk) retry with backoff; successes do not count.
        100,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Run the checkpoint job: write one, then come back after the interval. A
/// runner without settings (a process that does not write checkpoints) leaves
/// the job for one that does.
pub async fn run_job(
    store: &Store,
    settings: Option<&CheckpointSettings>,
) -> ServiceResult<JobOutcome> {
    let every = settings.map_or(60, |s| s.every_seconds.max(1));
    if let Some(settings) = settings {
        let written = match write_checkpoint(store, settings).await {
            Ok(written) => written,
            Err(error) => {
                // Loud: this is how tampering between checkpoints surfaces.
                tracing::error!("audit checkpoint not written: {error}");
                return Err(error.into());
            }
        };
        tracing::info!(
            at = %written.at,
            chains = written.heads.len(),
            "wrote an audit checkpoint of {} chains to {}",
            written.heads.len(),
            settings.file().display()
        );
    }
    Ok(JobOutcome::Postpone(bluelamp_store::format_time(
        time::OffsetDateTime::now_utc() + time::Duration::seconds(every),
    )))
}
