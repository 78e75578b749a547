//! Network credentials sealed at rest: AES-256-GCM under a key kept outside the
//! database (a file beside the data, mode 0600), so a stolen database or backup
//! holds no usable password. Never shown again once stored.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::aead;
use ring::rand::{SecureRandom, SystemRandom};

/// The key that seals credentials (32 random bytes).
#[derive(Clone)]
pub struct SealingKey([u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl SealingKey {
    pub fn from_bytes(bytes: [u8; 32]) -> SealingKey {
        SealingKey(bytes)
    }

    /// A fresh random key.
    pub fn generate() -> Option<SealingKey> {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).ok()?;
        Some(SealingKey(bytes))
    }

    /// The key in `path`, made there (mode 0600) on first use. Keep the file out
    /// of the database's backups: it is what makes a stolen backup useless.
    pub fn load_or_create(path: &std::path::Path) -> std::io::Result<SealingKey> {
        if !path.exists() {
            let fresh = SealingKey::generate()
                .ok_or_else(|| std::io::Error::other("the system random source failed"))?;
            crate::audit::checkpoints::create_secret_file(path, &fresh.0, "the connector key")?;
        }
        crate::audit::checkpoints::warn_if_readable_by_others(path);
        let bytes = std::fs::read(path)?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            std::io::Error::other(format!("{} is not a 32-byte key", path.display()))
        })?;
        Ok(SealingKey(key))
    }

    fn key(&self) -> Option<aead::LessSafeKey> {
        Some(aead::LessSafeKey::new(
            aead::UnboundKey::new(&aead::AES_256_GCM, &self.0).ok()?,
        ))
    }

    /// Seal `secret`: base64 of a random nonce and the ciphertext with its tag.
    pub fn seal(&self, secret: &str) -> Option<String> {
        let mut nonce = [0u8; 12];
        SystemRandom::new().fill(&mut nonce).ok()?;
        let mut sealed = secret.as_bytes().to_vec();
        self.key()?
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(b"bluelamp-connection"),
                &mut sealed,
            )
            .ok()?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Some(STANDARD.encode(out))
    }

    /// Open what [`SealingKey::seal`] made; `None` for another key's or a damaged value.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let raw = STANDARD.decode(sealed).ok()?;
        if raw.len() < 12 + 16 {
            return None;
        }
        let (nonce, body) = raw.split_at(12);
        let mut body = body.to_vec();
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let plain = self
            .key()?
            .open_in_place(nonce, aead::Aad::from(b"bluelamp-connection"), &mut body)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key() {
        let key = SealingKey::generate().unwrap();
        let sealed = key.seal("abcd-efgh-ijkl-mnop").unwrap();
        assert!(!sealed.contains("abcd"));
        assert_eq!(key.open(&sealed).as_deref(), Some("abcd-efgh-ijkl-mnop"));
        assert_ne!(
            key.seal("abcd-efgh-ijkl-mnop").unwrap(),
            sealed,
            "a fresh nonce each time"
        );
        assert_eq!(SealingKey::generate().unwrap().open(&sealed), None);
        assert_eq!(key.open("bm90IHNlYWxlZA=="), None);
    }
}
