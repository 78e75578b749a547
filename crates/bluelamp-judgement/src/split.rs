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
}
