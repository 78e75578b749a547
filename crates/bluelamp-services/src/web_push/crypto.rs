//! The two standards a Web Push message needs, on `ring` (already in the tree):
//! message encryption for the browser (RFC 8291, `aes128gcm` content coding of
//! RFC 8188) and the server's voluntary identification (VAPID, RFC 8292), an
//! ES256-signed JWT naming the push service's origin.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use ring::{aead, agreement, hkdf};

/// Why a message could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PushError {
    #[error("the browser's key is not a P-256 public key")]
    BadBrowserKey,
    #[error("the browser's auth secret is not 16 bytes")]
    BadAuthSecret,
    #[error("the message is too long for one push record")]
    TooLong,
    #[error("the server's push key is damaged")]
    BadServerKey,
    #[error("the push service address is not a URL")]
    BadEndpoint,
    #[error("the operating system's random source failed")]
    Random,
}

/// One record carries the whole message: the browser's limit is 4096 bytes.
pub const RECORD_SIZE: u32 = 4096;
/// The most plaintext one record holds (16 bytes of tag, 1 delimiter).
pub const MAX_PLAINTEXT: usize = RECORD_SIZE as usize - 17 - 86;

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn expand(prk: &hkdf::Prk, info: &[&[u8]], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    // ring refuses only lengths over 255 hash lengths; ours are 12 to 32.
    if let Ok(okm) = prk.expand(info, Len(len)) {
        let _ = okm.fill(&mut out);
    }
    out
}

/// Decode a base64url value as browsers send it (with or without padding).
pub fn decode_b64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .ok()
}

/// Encrypt `plaintext` for the browser whose subscription keys are `ua_public`
/// (65 bytes, uncompressed P-256) and `auth_secret` (16 bytes): the body of the
/// push request, header and one record.
pub fn encrypt(
    ua_public: &[u8],
    auth_secret: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, PushError> {
    let rng = SystemRandom::new();
    let mut salt = [0u8; 16];
    rng.fill(&mut salt).map_err(|_| PushError::Random)?;
    encrypt_with(ua_public, auth_secret, plaintext, &salt, &rng)
}

fn encrypt_with(
    ua_public: &[u8],
    auth_secret: &[u8],
    plaintext: &[u8],
    salt: &[u8; 16],
    rng: &dyn SecureRandom,
) -> Result<Vec<u8>, PushError> {
    if ua_public.len() != 65 || ua_public[0] != 4 {
        return Err(PushError::BadBrowserKey);
    }
    if auth_secret.len() != 16 {
        return Err(PushError::BadAuthSecret);
    }
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(PushError::TooLong);
    }
    let ephemeral = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, rng)
        .map_err(|_| PushError::Random)?;
    let as_public = ephemeral
        .compute_public_key()
        .map_err(|_| PushError::Random)?
        .as_ref()
        .to_vec();
    let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, ua_public);
    let shared = agreement::agree_ephemeral(ephemeral, &peer, |secret| secret.to_vec())
        .map_err(|_| PushError::BadBrowserKey)?;
    // RFC 8291 §3.3-3.4: the auth secret and both public keys go into the key.
    let prk_key = hkdf::Salt::new(hkdf::HKDF_SHA256, auth_secret).extract(&shared);
    let ikm = expand(&prk_key, &[b"WebPush: info\0", ua_public, &as_public], 32);
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(&ikm);
    let cek = expand(&prk, &[b"Content-Encoding: aes128gcm\0"], 16);
    let nonce = expand(&prk, &[b"Content-Encoding: nonce\0"], 12);
    let key = aead::LessSafeKey::new(
        aead::UnboundKey::new(&aead::AES_128_GCM, &cek).map_err(|_| PushError::Random)?,
    );
    let mut record = plaintext.to_vec();
    record.push(2); // the last (and only) record's delimiter
    let nonce = aead::Nonce::try_assume_unique_for_key(&nonce).map_err(|_| PushError::Random)?;
    key.seal_in_place_append_tag(nonce, aead::Aad::empty(), &mut record)
        .map_err(|_| PushError::TooLong)?;
    // RFC 8188 §2.1 header: salt, record size, key id (the server's public key).
    let mut body = Vec::with_capacity(16 + 4 + 1 + 65 + record.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(as_public.len() as u8);
    body.extend_from_slice(&as_public);
    body.extend_from_slice(&record);
    Ok(body)
}

/// The receiving side, as a browser does it: for tests and push-service
/// stand-ins, proving what was sent can be read with the browser's keys alone.
pub fn decrypt(
    ua: agreement::EphemeralPrivateKey,
    ua_public: &[u8],
    auth_secret: &[u8],
    body: &[u8],
) -> Option<Vec<u8>> {
    let salt = body.get(..16)?;
    let id_len = *body.get(20)? as usize;
    let as_public = body.get(21..21 + id_len)?;
    let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, as_public);
    let shared = agreement::agree_ephemeral(ua, &peer, |s| s.to_vec()).ok()?;
    let prk_key = hkdf::Salt::new(hkdf::HKDF_SHA256, auth_secret).extract(&shared);
    let ikm = expand(&prk_key, &[b"WebPush: info\0", ua_public, as_public], 32);
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(&ikm);
    let cek = expand(&prk, &[b"Content-Encoding: aes128gcm\0"], 16);
    let nonce = expand(&prk, &[b"Content-Encoding: nonce\0"], 12);
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_128_GCM, &cek).ok()?);
    let mut record = body.get(21 + id_len..)?.to_vec();
    let nonce = aead::Nonce::try_assume_unique_for_key(&nonce).ok()?;
    let plain = key
        .open_in_place(nonce, aead::Aad::empty(), &mut record)
        .ok()?;
    // The last record ends with its delimiter, 2.
    match plain.split_last() {
        Some((2, text)) => Some(text.to_vec()),
        _ => None,
    }
}

/// A fresh server key (PKCS#8), base64url for storage.
pub fn new_server_key() -> Result<String, PushError> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| PushError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(pkcs8.as_ref()))
}

fn key_pair(stored: &str) -> Result<EcdsaKeyPair, PushError> {
    let pkcs8 = decode_b64url(stored).ok_or(PushError::BadServerKey)?;
    EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        &pkcs8,
        &SystemRandom::new(),
    )
    .map_err(|_| PushError::BadServerKey)
}

/// The server's public key as browsers take it (`applicationServerKey`).
pub fn public_key(stored: &str) -> Result<String, PushError> {
    Ok(URL_SAFE_NO_PAD.encode(key_pair(stored)?.public_key().as_ref()))
}

/// The push service's origin, which a VAPID token must name as its audience.
pub fn origin(endpoint: &str) -> Result<String, PushError> {
    let (scheme, rest) = endpoint.split_once("://").ok_or(PushError::BadEndpoint)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if !matches!(scheme, "https" | "http") || host.is_empty() {
        return Err(PushError::BadEndpoint);
    }
    Ok(format!("{scheme}://{host}"))
}

/// The `Authorization` header value for a push to `endpoint` (RFC 8292 §3):
/// `vapid t=<ES256 JWT>, k=<public key>`, valid for twelve hours from `now`.
pub fn vapid_authorization(
    stored: &str,
    endpoint: &str,
    subject: &str,
    now: i64,
) -> Result<String, PushError> {
    let pair = key_pair(stored)?;
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims =
        serde_json::json!({"aud": origin(endpoint)?, "exp": now + 12 * 3600, "sub": subject});
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{claims}");
    let signature = pair
        .sign(&SystemRandom::new(), signing_input.as_bytes())
        .map_err(|_| PushError::BadServerKey)?;
    Ok(format!(
        "vapid t={signing_input}.{}, k={}",
        URL_SAFE_NO_PAD.encode(signature.as_ref()),
        URL_SAFE_NO_PAD.encode(pair.public_key().as_ref())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_decrypts_with_the_browsers_keys_and_not_without_them() {
        let rng = SystemRandom::new();
        let ua = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng).unwrap();
        let ua_public = ua.compute_public_key().unwrap().as_ref().to_vec();
        let auth = [7u8; 16];
        let body = encrypt(&ua_public, &auth, b"{\"body\":\"A post waits for you\"}").unwrap();
        assert_eq!(&body[16..20], &4096u32.to_be_bytes());
        assert_eq!(
            decrypt(ua, &ua_public, &auth, &body).unwrap(),
            b"{\"body\":\"A post waits for you\"}"
        );
        assert_eq!(
            encrypt(&ua_public[..64], &auth, b"x"),
            Err(PushError::BadBrowserKey)
        );
        assert_eq!(
            encrypt(&ua_public, &auth[..8], b"x"),
            Err(PushError::BadAuthSecret)
        );
        assert_eq!(
            encrypt(&ua_public, &auth, &vec![b'a'; 5000]),
            Err(PushError::TooLong)
        );
    }

    #[test]
    fn the_vapid_token_names_the_push_services_origin_and_verifies() {
        let stored = new_server_key().unwrap();
        let header = vapid_authorization(
            &stored,
            "https://push.example.net/send/abc?x=1",
            "mailto:comms@example.org",
            1_800_000_000,
        )
        .unwrap();
        let token = header
            .strip_prefix("vapid t=")
            .unwrap()
            .split(", k=")
            .next()
            .unwrap();
        let key = header.split(", k=").nth(1).unwrap();
        assert_eq!(key, public_key(&stored).unwrap());
        let mut parts = token.split('.');
        let (h, c, s) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let claims: serde_json::Value = serde_json::from_slice(&decode_b64url(c).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
        assert_eq!(claims["exp"], 1_800_000_000 + 12 * 3600);
        let verify = ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            decode_b64url(key).unwrap(),
        );
        verify
            .verify(format!("{h}.{c}").as_bytes(), &decode_b64url(s).unwrap())
            .unwrap();
        assert_eq!(origin("ftp://x"), Err(PushError::BadEndpoint));
    }
}
