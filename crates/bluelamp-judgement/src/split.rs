//! The blind split. Which examples are blind is decided by a keyed hash of the example's
//! id alone: the same id always lands on the same side, whoever runs the split and in
//! whatever order batches arrive, and nobody can move an example by looking at it.

use crate::features::hash_bytes;

/// The share of every batch that goes blind, in per cent. With batches of ~420 drafts
/// from eight writers, 28% gives well over the 800 blind drafts the floors need.
pub const DEFAULT_BLIND_PERCENT: u32 = 28;

/// True when the example with this id belongs to the blind split of corpus `salt`.
pub fn is_blind(salt: &str, id: &str, percent: u32) -> bool {
    let mut key = Vec::with_capacity(salt.len() + id.len() + 1);
    key.extend_from_slice(salt.as_bytes());
    key.push(0);
    key.extend_from_slice(id.as_bytes());
    (hash_bytes(0x5eed_b11d, &key) % 100) < u64::from(percent.min(100))
}

/// Deterministic k-fold assignment for cross-validation on the training split.
pub fn fold_of(id: &str, folds: u32) -> u32 {
    (hash_bytes(0xf01d, id.as_bytes()) % u64::from(folds.max(1))) as u32
}

/// The writer's batch an id belongs to: the id without its trailing `-NNNN` number
/// (`riot-0004` belongs to `riot`). Every batch is one writer's work.
pub fn group_of(id: &str) -> &str {
    match id.rsplit_once('-') {
        Some((group, n)) if !group.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => group,
        _ => id,
    }
}

/// How cross-validation assigns examples to folds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FoldBy {
    /// By a hash of each id: every fold holds some of every writer's examples, like the
    /// blind split (which takes a share of every batch).
    #[default]
    Id,
    /// By writer ([`group_of`]): a held-out fold holds only writers the fold's model
    /// never saw, the harder test of whether a method generalises to new writers.
    Writer,
}

/// The fold of every id, in order. By writer, the writers (sorted by a hash of their
/// name, so the order does not follow the alphabet) are dealt round-robin into the
/// folds, which keeps folds the same size when batches are.
pub fn folds_of(ids: &[&str], folds: u32, by: FoldBy) -> Vec<u32> {
    let folds = folds.max(1);
    match by {
        FoldBy::Id => ids.iter().map(|id| fold_of(id, folds)).collect(),
        FoldBy::Writer => {
            let mut groups: Vec<&str> = ids.iter().map(|id| group_of(id)).collect();
            groups.sort_by_key(|g| (hash_bytes(0xf01d, g.as_bytes()), *g));
            groups.dedup();
            ids.iter()
                .map(|id| {
                    let g = group_of(id);
                    let at = groups.iter().position(|x| *x == g).unwrap_or(0);
                    (at as u32) % folds
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_is_stable_and_near_its_share() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("w-{i:05}")).collect();
        let blind = ids
            .iter()
            .filter(|id| is_blind("governance", id, 28))
            .count();
        assert!((2_600..3_000).contains(&blind), "{blind}");
        for id in &ids[..100] {
            assert_eq!(
                is_blind("governance", id, 28),
                is_blind("governance", id, 28)
            );
        }
        // A different corpus (salt) gives a different split.
        let same = ids
            .iter()
            .filter(|id| is_blind("governance", id, 28) == is_blind("triage", id, 28))
            .count();
        assert!(same < 9_000, "{same}");
        assert!(ids.iter().all(|id| !is_blind("g", id, 0)));
    }

    #[test]
    fn writer_folds_keep_a_writer_together() {
        assert_eq!(group_of("riot-0004"), "riot");
        assert_eq!(group_of("a-b-12"), "a-b");
        assert_eq!(group_of("odd"), "odd");
        assert_eq!(group_of("x-1a"), "x-1a");
        let ids = ["a-1", "a-2", "b-1", "c-1", "b-2", "d-9"];
        let f = folds_of(&ids, 3, FoldBy::Writer);
        assert_eq!(f[0], f[1]);
        assert_eq!(f[2], f[4]);
        assert!(f.iter().all(|k| *k < 3));
        let distinct: std::collections::BTreeSet<u32> = f.iter().copied().collect();
        assert_eq!(distinct.len(), 3, "four writers fill three folds");
    }
}
