//! AT Protocol record keys ("TIDs"): 13 characters of base32-sortable text for a
//! 64-bit number, 53 bits of microseconds and 10 of a clock id. Ours are derived
//! from the post (when it was published, and its id), so sending the same post
//! twice names the same record: a retry after a crash finds the first copy.

const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// The record key for a post published at `micros` (since the epoch) with `post_id`.
pub fn for_post(micros: i64, post_id: i64) -> String {
    let value: u64 =
        ((micros.max(0) as u64) & ((1 << 53) - 1)) << 10 | (post_id.rem_euclid(1024) as u64);
    let mut out = [0u8; 13];
    for (i, slot) in out.iter_mut().enumerate() {
        let shift = 60 - 5 * i as u32;
        *slot = ALPHABET[((value >> shift) & 31) as usize];
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_thirteen_sortable_characters_fixed_by_the_post() {
        let a = super::for_post(1_764_570_000_000_000, 7);
        assert_eq!(a.len(), 13);
        assert!(a.starts_with(|c: char| ('2'..='7').contains(&c) || ('a'..='j').contains(&c)));
        assert_eq!(a, super::for_post(1_764_570_000_000_000, 7));
        assert_ne!(a, super::for_post(1_764_570_000_000_000, 8));
        assert!(
            super::for_post(1_764_570_000_000_001, 7) > a,
            "later sorts after"
        );
    }
}
