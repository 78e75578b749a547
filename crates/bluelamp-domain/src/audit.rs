//! The audit trail as a hash chain.
//!
//! Each entry's hash covers its own fields and the previous entry's hash, so
//! editing any stored entry, or removing one, breaks every link after it. The
//! store appends entries in the same transaction as the change they record; this
//! module only computes and checks hashes.

pub mod checkpoint;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash that precedes the first entry of every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain an entry belongs to: one per force, and one for server-wide events.
pub fn chain_for_force(force_id: Option<crate::ForceId>) -> String {
    match force_id {
        Some(id) => format!("force:{id}"),
        None => "server".to_string(),
    }
}

/// An entry before it is placed in its chain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditDraft {
    pub force_id: Option<crate::ForceId>,
    pub actor_user_id: Option<crate::UserId>,
    /// Who acted, in words: a username, "system", or the name a failed login tried.
    pub actor_label: String,
    /// What happened, as a dotted verb such as `user.create` or `login.failed`.
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// The state before the change, as JSON text (absent for creations).
    pub before: Option<String>,
    /// The state after the change, as JSON text (absent for deletions).
    pub after: Option<String>,
    pub ip: Option<String>,
}

/// A stored entry, exactly as it is hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    pub chain: String,
    pub seq: i64,
    pub at: String,
    pub actor_user_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub ip: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The fields a hash covers, in a fixed order. The row id is left out on purpose:
/// it is assigned by the database and may differ after a backup is restored.
#[derive(Serialize)]
struct Hashed<'a> {
    chain: &'a str,
    seq: i64,
    at: &'a str,
    actor_user_id: Option<i64>,
    actor_label: &'a str,
    action: &'a str,
    target_type: &'a str,
    target_id: &'a str,
    before: Option<&'a str>,
    after: Option<&'a str>,
    ip: Option<&'a str>,
}

impl AuditRecord {
    /// The hash this record should carry, given its own `prev_hash`.
    pub fn compute_hash(&self) -> String {
        let hashed = Hashed {
            chain: &self.chain,
            seq: self.seq,
            at: &self.at,
            actor_user_id: self.actor_user_id,
            actor_label: &self.actor_label,
            action: &self.action,
            target_type: &self.target_type,
            target_id: &self.target_id,
            before: self.before.as_deref(),
            after: self.after.as_deref(),
            ip: self.ip.as_deref(),
        };
        // Serialising a struct of strings and integers cannot fail.
        let body = serde_json::to_vec(&hashed).unwrap_or_default();
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(&body);
        hex::encode(hasher.finalize())
    }
}

/// Where and how a chain was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain '{chain}' is broken at entry id {entry_id} (seq {seq}): {reason}")]
pub struct ChainBreak {
    pub chain: String,
    pub entry_id: i64,
    pub seq: i64,
    pub reason: String,
}

/// Check one chain's records, in sequence order, against each other and against
/// the chain head the store keeps (which catches removal of the newest entries).
/// Returns the number of entries checked.
pub fn verify_chain(
    chain: &str,
    records: &[AuditRecord],
    head: Option<(i64, &str)>,
) -> Result<usize, ChainBreak> {
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut expected_seq = 1;
    for record in records {
        let broken = |reason: String| ChainBreak {
            chain: chain.to_string(),
            entry_id: record.id,
            seq: record.seq,
            reason,
        };
        if record.seq != expected_seq {
            return Err(broken(format!(
                "expected sequence number {expected_seq}; entries before it were removed"
            )));
        }
        if record.prev_hash != prev_hash {
            return Err(broken(
                "its link to the previous entry does not match; the previous entry was altered or removed".into(),
            ));
        }
        if record.compute_hash() != record.hash {
            return Err(broken(
                "its content does not match its hash; this entry was altered".into(),
            ));
        }
        prev_hash = record.hash.clone();
        expected_seq += 1;
    }
    if let Some((head_seq, head_hash)) = head {
        if head_seq != expected_seq - 1 || head_hash != prev_hash {
            let last = records.last();
            return Err(ChainBreak {
                chain: chain.to_string(),
                entry_id: last.map_or(0, |r| r.id),
                seq: expected_seq,
                reason: format!(
                    "the chain head records {head_seq} entries but {} remain; the newest entries were removed or altered",
                    expected_seq - 1
                ),
            });
        }
    }
    Ok(records.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain_of(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let mut record = AuditRecord {
                    id: seq * 10,
                    chain: "force:1".into(),
                    seq,
                    at: format!("2026-11-21T10:00:0{seq}Z"),
                    actor_user_id: Some(1),
                    actor_label: "admin".into(),
                    action: "user.create".into(),
                    target_type: "user".into(),
                    target_id: seq.to_string(),
                    before: None,
                    after: Some(format!("{{\"n\":{seq}}}")),
                    ip: None,
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                record.hash = record.compute_hash();
                prev = record.hash.clone();
                record
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let records = chain_of(3);
        let head = (3, records[2].hash.as_str());
        assert_eq!(verify_chain("force:1", &records, Some(head)), Ok(3));
    }

    #[test]
    fn an_edited_entry_is_named() {
        let mut records = chain_of(3);
        records[1].after = Some("{\"n\":99}".into());
        let head = (3, records[2].hash.clone());
        let err = verify_chain("force:1", &records, Some((head.0, &head.1))).unwrap_err();
        assert_eq!(err.entry_id, 20);
        assert!(err.reason.contains("altered"));
    }

    #[test]
    fn a_removed_entry_is_noticed() {
        let mut records = chain_of(4);
        records.remove(1);
        let err = verify_chain("force:1", &records, None).unwrap_err();
        assert_eq!(err.entry_id, 30);
        let mut records = chain_of(4);
        let head = (4, records[3].hash.clone());
        records.pop();
        let err = verify_chain("force:1", &records, Some((head.0, &head.1))).unwrap_err();
        assert!(err.reason.contains("newest entries"));
    }
}
