//! Checkpoints: the chain heads as they stood at a moment, signed and kept
//! outside the database.
//!
//! The hash chain alone cannot resist someone with write access to the database:
//! the hashes are unkeyed and the heads live beside the entries, so a rewritten
//! entry can have every later hash recomputed, the newest entries can be dropped
//! with the head fixed up, and a whole chain can go with its head. A checkpoint
//! that was signed with a key the database never held, and written somewhere the
//! database cannot reach, pins each chain's entry at `seq` to `hash`: any later
//! change to an entry at or before that point, any truncation below it and any
//! deleted chain disagree with it. This module holds the format, the bytes that
//! are signed, and the comparison; signing and files are the caller's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ChainBreak;

/// The format version, part of the signed bytes so an old signature can never be
/// read under a newer meaning.
pub const CHECKPOINT_VERSION: u32 = 1;

/// Prefixed to the signed bytes so a checkpoint signature cannot be mistaken for
/// a signature over anything else the key might ever sign.
const SIGNING_CONTEXT: &[u8] = b"bluelamp audit checkpoint v1\n";

/// One chain's head at checkpoint time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointHead {
    pub chain: String,
    pub seq: i64,
    pub hash: String,
}

/// Every chain's head at one moment (`at`, stored-time text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub at: String,
    pub heads: Vec<CheckpointHead>,
}

impl Checkpoint {
    /// A checkpoint with its heads in chain order, so the same heads always
    /// give the same signed bytes.
    pub fn new(at: String, mut heads: Vec<CheckpointHead>) -> Checkpoint {
        heads.sort_by(|a, b| a.chain.cmp(&b.chain));
        Checkpoint { at, heads }
    }

    /// The exact bytes that are signed: a context string, then the checkpoint as
    /// compact JSON with its fields in a fixed order (heads as given, so a
    /// verifier checks the signature over exactly what was written).
    pub fn signing_bytes(&self) -> Vec<u8> {
        // Serialising strings and integers cannot fail.
        let body = serde_json::to_vec(self).unwrap_or_default();
        let mut bytes = SIGNING_CONTEXT.to_vec();
        bytes.extend_from_slice(&body);
        bytes
    }
}

/// One line of a checkpoint file (JSON Lines): the checkpoint, the public key
/// that signed it and the Ed25519 signature over [`Checkpoint::signing_bytes`],
/// both hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    pub v: u32,
    pub at: String,
    pub heads: Vec<CheckpointHead>,
    pub key: String,
    pub signature: String,
}

impl SignedCheckpoint {
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            at: self.at.clone(),
            heads: self.heads.clone(),
        }
    }
}

/// What the database holds of one entry, enough to compare with a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    pub id: i64,
    pub seq: i64,
    pub hash: String,
}

/// What the database holds of one chain: how many entries it has, and the
/// entries at (at least) every sequence number a checkpoint pins, in sequence
/// order. A whole chain serves; so do just the pinned entries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredChain {
    pub length: i64,
    pub links: Vec<ChainLink>,
}

impl StoredChain {
    /// A chain read whole, in sequence order.
    pub fn whole(links: Vec<ChainLink>) -> StoredChain {
        StoredChain {
            length: links.last().map_or(0, |l| l.seq),
            links,
        }
    }

    fn at(&self, seq: i64) -> Option<&ChainLink> {
        self.links
            .binary_search_by_key(&seq, |l| l.seq)
            .ok()
            .and_then(|i| self.links.get(i))
    }
}

/// How much the checkpoints vouched for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckpointReport {
    pub checkpoints: usize,
    pub newest_at: Option<String>,
    /// Per chain, the highest sequence number a checkpoint pins.
    pub pinned: BTreeMap<String, i64>,
}

/// Compare the stored chains with checkpoints whose signatures the caller has
/// already checked. `stored` maps each chain the database still has to what it
/// holds of it, and must already have passed [`super::verify_chain`]: an intact
/// chain whose entry at `seq` still carries the checkpointed hash cannot have
/// changed at or before `seq`.
///
/// Heads are compared per chain from the lowest `seq` up, so a rewrite is placed
/// between the last checkpoint that still agrees and the first that does not.
pub fn check_checkpoints(
    checkpoints: &[Checkpoint],
    stored: &BTreeMap<String, StoredChain>,
) -> Result<CheckpointReport, ChainBreak> {
    let mut report = CheckpointReport {
        checkpoints: checkpoints.len(),
        ..Default::default()
    };
    // chain -> (seq, hash, checkpoint time), lowest seq first.
    let mut pins: BTreeMap<&str, Vec<(i64, &str, &str)>> = BTreeMap::new();
    for checkpoint in checkpoints {
        if report.newest_at.as_deref() < Some(checkpoint.at.as_str()) {
            report.newest_at = Some(checkpoint.at.clone());
        }
        for head in checkpoint.heads.iter().filter(|h| h.seq > 0) {
            pins.entry(&head.chain)
                .or_default()
                .push((head.seq, &head.hash, &checkpoint.at));
        }
    }
    for (chain, mut heads) in pins {
        heads.sort();
        let empty = StoredChain::default();
        let held = stored.get(chain).unwrap_or(&empty);
        let mut agreed = 0;
        for (seq, hash, at) in heads {
            let broken = |entry_id: i64, reason: String| ChainBreak {
                chain: chain.to_string(),
                entry_id,
                seq,
                reason,
            };
            if held.length == 0 {
                return Err(broken(
                    0,
                    format!(
                        "the signed checkpoint of {at} records {seq} entries in this chain but the \
                         database has none; the chain and its head were deleted"
                    ),
                ));
            }
            if seq > held.length {
                let last = held.links.last().map_or(0, |l| l.id);
                return Err(broken(
                    last,
                    format!(
                        "the signed checkpoint of {at} records {seq} entries but only {} remain; \
                         the newest entries were removed and the chain head fixed up",
                        held.length
                    ),
                ));
            }
            let Some(link) = held.at(seq) else {
                return Err(broken(
                    0,
                    format!("the entry the signed checkpoint of {at} pins was removed"),
                ));
            };
            if link.seq != seq || link.hash != hash {
                return Err(broken(
                    link.id,
                    format!(
                        "its hash differs from the one the signed checkpoint of {at} recorded; \
                         an entry between seq {} and {seq} was rewritten and the hashes after it \
                         recomputed",
                        agreed + 1
                    ),
                ));
            }
            agreed = seq;
        }
        report.pinned.insert(chain.to_string(), agreed);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(hashes: &[&str]) -> Vec<ChainLink> {
        hashes
            .iter()
            .enumerate()
            .map(|(i, hash)| ChainLink {
                id: 100 + i as i64,
                seq: i as i64 + 1,
                hash: hash.to_string(),
            })
            .collect()
    }

    fn checkpoint(at: &str, heads: &[(&str, i64, &str)]) -> Checkpoint {
        Checkpoint::new(
            at.into(),
            heads
                .iter()
                .map(|(chain, seq, hash)| CheckpointHead {
                    chain: chain.to_string(),
                    seq: *seq,
                    hash: hash.to_string(),
                })
                .collect(),
        )
    }

    fn stored(chains: &[(&str, &[&str])]) -> BTreeMap<String, StoredChain> {
        chains
            .iter()
            .map(|(chain, hashes)| (chain.to_string(), StoredChain::whole(links(hashes))))
            .collect()
    }

    #[test]
    fn a_chain_that_only_grew_agrees_with_every_checkpoint() {
        let checkpoints = [
            checkpoint("t1", &[("server", 1, "a")]),
            checkpoint("t2", &[("server", 2, "b"), ("force:1", 1, "x")]),
        ];
        let db = stored(&[("server", &["a", "b", "c"]), ("force:1", &["x"])]);
        let report = check_checkpoints(&checkpoints, &db).unwrap();
        assert_eq!(report.checkpoints, 2);
        assert_eq!(report.newest_at.as_deref(), Some("t2"));
        assert_eq!(report.pinned["server"], 2);
    }

    #[test]
    fn a_rewritten_entry_is_placed_between_the_checkpoints() {
        let checkpoints = [
            checkpoint("t1", &[("server", 1, "a")]),
            checkpoint("t2", &[("server", 3, "c")]),
        ];
        let db = stored(&[("server", &["a", "B", "C"])]);
        let err = check_checkpoints(&checkpoints, &db).unwrap_err();
        assert_eq!(err.entry_id, 102);
        assert!(err.reason.contains("between seq 2 and 3"), "{}", err.reason);
        assert!(err.reason.contains("rewritten"));
    }

    #[test]
    fn a_truncation_below_a_checkpoint_is_caught() {
        let checkpoints = [checkpoint("t1", &[("server", 3, "c")])];
        let db = stored(&[("server", &["a", "b"])]);
        let err = check_checkpoints(&checkpoints, &db).unwrap_err();
        assert!(err.reason.contains("only 2 remain"), "{}", err.reason);
    }

    #[test]
    fn the_pinned_entries_alone_are_enough() {
        let checkpoints = [checkpoint("t1", &[("server", 2, "b")])];
        let mut db = stored(&[("server", &["a", "b", "c"])]);
        db.get_mut("server").unwrap().links.retain(|l| l.seq == 2);
        assert!(check_checkpoints(&checkpoints, &db).is_ok());
        db.get_mut("server").unwrap().links[0].hash = "B".into();
        assert!(check_checkpoints(&checkpoints, &db).is_err());
    }

    #[test]
    fn a_deleted_chain_is_caught() {
        let checkpoints = [checkpoint("t1", &[("force:2", 4, "d")])];
        let err = check_checkpoints(&checkpoints, &stored(&[])).unwrap_err();
        assert_eq!(err.chain, "force:2");
        assert!(err.reason.contains("deleted"), "{}", err.reason);
    }

    #[test]
    fn signed_bytes_do_not_depend_on_the_order_heads_were_read() {
        let one = checkpoint("t", &[("b", 1, "x"), ("a", 2, "y")]);
        let two = checkpoint("t", &[("a", 2, "y"), ("b", 1, "x")]);
        assert_eq!(one.signing_bytes(), two.signing_bytes());
        assert!(one.signing_bytes().starts_with(SIGNING_CONTEXT));
    }
}
