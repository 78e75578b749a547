//! HTTP Signatures as the fediverse uses them: draft-cavage-http-signatures-12 with
//! RSA PKCS#1 v1.5 over SHA-256 (`rsa-sha256`, or `hs2019` with an RSA key), and a
//! `Digest: SHA-256=…` header for the body.
//!
//! We sign `(request-target) host date digest` (only `(request-target) host date`
//! for a GET), exactly what Mastodon signs. We verify any header list the sender
//! chose as long as it covers `(request-target)`, `host`, `date` or `(created)`,
//! and `digest` whenever there is a body.
//!
//! Clock skew: a `Date` may be up to [`MAX_CLOCK_SKEW`] (12 h, Mastodon's window)
//! in the past, so a sender that signs once and queues is still accepted; at most
//! [`MAX_FUTURE_SKEW`] (1 h) in the future. Replays inside the window are caught
//! by the activity-id deduplication, not here.
//!
//! RSA note: the `rsa` crate is subject to RUSTSEC-2023-0071 (Marvin, a timing
//! side channel in PKCS#1 v1.5 *decryption*). We never decrypt; we sign (with
//! blinding, via `RandomizedSigner`) and verify public data.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use http::HeaderMap;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256, Sha512};

/// How old a signed `Date` may be.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(12 * 3600);
/// How far in the future a signed `Date` may be.
pub const MAX_FUTURE_SKEW: Duration = Duration::from_secs(3600);
/// Key size for new actors: what Mastodon and everyone else use.
pub const KEY_BITS: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing {0} header")]
    MissingHeader(String),
    #[error("malformed Signature header: {0}")]
    Malformed(String),
    #[error("unsupported signature algorithm {0}")]
    UnsupportedAlgorithm(String),
    #[error("the signature does not cover {0}")]
    HeaderNotSigned(String),
    #[error("unsupported Digest algorithm: {0}")]
    UnsupportedDigest(String),
    #[error("Digest does not match the body")]
    DigestMismatch,
    #[error("signed date {0} is outside the accepted clock-skew window")]
    DateOutOfWindow(String),
    #[error("signature has expired")]
    Expired,
    #[error("signature does not verify")]
    BadSignature,
    #[error("unusable key: {0}")]
    BadKey(String),
    #[error("key {key_id} does not belong to actor {actor}")]
    ActorMismatch { key_id: String, actor: String },
}

/// Our private key, parsed once and reused for every delivery.
///
/// Signing and verifying go through `ring` (its RSA is several times faster than
/// the pure-Rust `rsa` crate, which matters at thousands of deliveries and inbound
/// activities a second); `rsa` stays for PEM parsing, PKCS#1 keys and generating
/// keys, which `ring` does not do. Keys `ring` refuses (under 2048 bits) fall back
/// to `rsa`, so an old peer's small key still verifies.
#[derive(Clone)]
pub struct Signer {
    key_id: String,
    key: SigningBackend,
}

#[derive(Clone)]
enum SigningBackend {
    /// The `rsa` key is kept beside ring's for the (never seen) case ring fails.
    Ring(
        std::sync::Arc<ring::signature::RsaKeyPair>,
        SigningKey<Sha256>,
    ),
    RustCrypto(SigningKey<Sha256>),
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// `private_pem` may be PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`, as older Mastodon exports are).
    pub fn from_pem(key_id: &str, private_pem: &str) -> Result<Signer, SignatureError> {
        let key = RsaPrivateKey::from_pkcs8_pem(private_pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(private_pem))
            .map_err(|e| SignatureError::BadKey(e.to_string()))?;
        let ring_key = key
            .to_pkcs8_der()
            .ok()
            .and_then(|der| ring::signature::RsaKeyPair::from_pkcs8(der.as_bytes()).ok());
        let key = match ring_key {
            Some(pair) => SigningBackend::Ring(std::sync::Arc::new(pair), SigningKey::new(key)),
            None => SigningBackend::RustCrypto(SigningKey::new(key)),
        };
        Ok(Signer {
            key_id: key_id.to_owned(),
            key,
        })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// RSASSA-PKCS1-v1_5 / SHA-256 over `data`, base64.
    pub fn sign_base64(&self, data: &[u8]) -> String {
        let fallback = match &self.key {
            SigningBackend::Ring(pair, fallback) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                let rng = ring::rand::SystemRandom::new();
                // ring fails only on a wrong-sized buffer (sized above) or a broken
                // system RNG; then sign with the other implementation rather than panic.
                if pair
                    .sign(
                        &ring::signature::RSA_PKCS1_SHA256,
                        &rng,
                        data,
                        &mut signature,
                    )
                    .is_ok()
                {
                    return B64.encode(signature);
                }
                fallback
            }
            SigningBackend::RustCrypto(key) => key,
        };
        let signature = fallback.sign_with_rng(&mut rsa::rand_core::OsRng, data);
        B64.encode(signature.to_bytes())
    }
}

/// A remote (or our own) public key, parsed once; cache these per key id.
#[derive(Debug, Clone)]
pub struct PublicKey(VerifyingBackend);

#[derive(Debug, Clone)]
enum VerifyingBackend {
    Ring(ring::signature::RsaPublicKeyComponents<Vec<u8>>),
    RustCrypto(VerifyingKey<Sha256>),
}

impl PublicKey {
    /// SPKI (`BEGIN PUBLIC KEY`, what actors publish) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).
    pub fn from_pem(pem: &str) -> Result<PublicKey, SignatureError> {
        let pem = pem.trim();
        let key = RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .map_err(|e| SignatureError::BadKey(e.to_string()))?;
        use rsa::traits::PublicKeyParts;
        // ring's PKCS#1 verifier takes 2048 to 8192-bit moduli.
        let bits = key.n().bits();
        if (2048..=8192).contains(&bits) {
            return Ok(PublicKey(VerifyingBackend::Ring(
                ring::signature::RsaPublicKeyComponents {
                    n: key.n().to_bytes_be(),
                    e: key.e().to_bytes_be(),
                },
            )));
        }
        Ok(PublicKey(VerifyingBackend::RustCrypto(VerifyingKey::new(
            key,
        ))))
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    pub fn verify_pkcs1_sha256(
        &self,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        match &self.0 {
            VerifyingBackend::Ring(components) => components
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    message,
                    signature,
                )
                .map_err(|_| SignatureError::BadSignature),
            VerifyingBackend::RustCrypto(key) => {
                let signature =
                    Signature::try_from(signature).map_err(|_| SignatureError::BadSignature)?;
                key.verify(message, &signature)
                    .map_err(|_| SignatureError::BadSignature)
            }
        }
    }
}

/// A new RSA-2048 key pair as `(private PKCS#8 PEM, public SPKI PEM)`.
pub fn generate_keypair() -> Result<(String, String), SignatureError> {
    let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, KEY_BITS)
        .map_err(|e| SignatureError::BadKey(e.to_string()))?;
    let private_pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| SignatureError::BadKey(e.to_string()))?;
    let public_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| SignatureError::BadKey(e.to_string()))?;
    Ok((private_pem.to_string(), public_pem))
}

/// `Digest` header value for a body.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", B64.encode(Sha256::digest(body)))
}

/// The `Host` value for a URL: host, plus the port when it is not the scheme's
/// default (the same rule HTTP clients use, so it matches what goes on the wire).
pub fn host_header(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// The path and query as the request target.
pub fn request_target(url: &url::Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Headers to add to an outgoing request: `Host`, `Date`, `Digest` (when there is a
/// body) and `Signature`. Send them exactly as returned.
pub fn sign_request(
    method: &str,
    url: &url::Url,
    body: Option<&[u8]>,
    signer: &Signer,
    now: SystemTime,
) -> Vec<(&'static str, String)> {
    let host = host_header(url);
    let date = httpdate::fmt_http_date(now);
    let method = method.to_ascii_lowercase();
    let mut lines = vec![
        format!("(request-target): {method} {}", request_target(url)),
        format!("host: {host}"),
        format!("date: {date}"),
    ];
    let mut names = "(request-target) host date".to_owned();
    let mut out = vec![("Host", host), ("Date", date)];
    if let Some(body) = body {
        let digest = digest_header(body);
        lines.push(format!("digest: {digest}"));
        names.push_str(" digest");
        out.push(("Digest", digest));
    }
    let signature = signer.sign_base64(lines.join("\n").as_bytes());
    out.push((
        "Signature",
        format!(
            "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"{names}\",signature=\"{signature}\"",
            signer.key_id
        ),
    ));
    out
}

/// A parsed `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub key_id: String,
    pub algorithm: Option<String>,
    /// Lower-case names in signing order; `date` alone when the sender omitted it.
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
    pub created: Option<String>,
    pub expires: Option<String>,
}

/// Parses `keyId="…",algorithm="…",headers="…",signature="…"` (any order, optional
/// spaces, `created`/`expires` unquoted numbers). Accepts the value of a
/// `Signature` header or of `Authorization: Signature …`.
pub fn parse_signature_header(value: &str) -> Result<SignatureHeader, SignatureError> {
    let value = value.trim();
    let value = value.strip_prefix("Signature ").unwrap_or(value);
    let mut params: Vec<(String, String)> = Vec::new();
    let mut rest = value;
    while !rest.trim().is_empty() {
        let trimmed = rest.trim_start_matches([' ', ',']);
        let (name, after) = trimmed
            .split_once('=')
            .ok_or_else(|| SignatureError::Malformed("expected name=value".into()))?;
        let (val, after) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| SignatureError::Malformed(format!("unterminated {name}")))?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        params.push((name.trim().to_ascii_lowercase(), val.to_owned()));
        rest = after;
    }
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let key_id = get("keyid").ok_or_else(|| SignatureError::Malformed("no keyId".into()))?;
    let signature =
        get("signature").ok_or_else(|| SignatureError::Malformed("no signature".into()))?;
    let signature = B64
        .decode(signature.as_bytes())
        .map_err(|_| SignatureError::Malformed("signature is not base64".into()))?;
    let headers = get("headers")
        .map(|h| h.split_whitespace().map(str::to_ascii_lowercase).collect())
        // The spec's default when `headers` is absent.
        .unwrap_or_else(|| vec!["date".to_owned()]);
    Ok(SignatureHeader {
        key_id,
        algorithm: get("algorithm"),
        headers,
        signature,
        created: get("created"),
        expires: get("expires"),
    })
}

/// The signature header of a request, from `Signature` or `Authorization`.
pub fn signature_of(headers: &HeaderMap) -> Result<SignatureHeader, SignatureError> {
    if let Some(v) = headers.get("signature") {
        return parse_signature_header(
            v.to_str()
                .map_err(|_| SignatureError::Malformed("not ASCII".into()))?,
        );
    }
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(v) if v.starts_with("Signature ") => parse_signature_header(v),
        _ => Err(SignatureError::MissingHeader("Signature".into())),
    }
}

/// Verifies a request against a PEM public key. See [`verify_parsed`] to reuse a
/// parsed header and a cached key.
pub fn verify_request(
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    public_key_pem: &str,
    now: SystemTime,
    max_skew: Duration,
) -> Result<SignatureHeader, SignatureError> {
    let parsed = signature_of(headers)?;
    let key = PublicKey::from_pem(public_key_pem)?;
    verify_parsed(
        &parsed,
        method,
        path_and_query,
        headers,
        body,
        &key,
        now,
        max_skew,
    )?;
    Ok(parsed)
}

/// The checks, in order: algorithm, which headers are covered, Date/created window,
/// Digest against the body, then the RSA signature over the signing string.
#[allow(clippy::too_many_arguments)]
pub fn verify_parsed(
    sig: &SignatureHeader,
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    key: &PublicKey,
    now: SystemTime,
    max_skew: Duration,
) -> Result<(), SignatureError> {
    match sig
        .algorithm
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("hs2019") | Some("rsa-sha256") => {}
        Some(other) => return Err(SignatureError::UnsupportedAlgorithm(other.to_owned())),
    }
    let covers = |name: &str| sig.headers.iter().any(|h| h == name);
    for required in ["(request-target)", "host"] {
        if !covers(required) {
            return Err(SignatureError::HeaderNotSigned(required.to_owned()));
        }
    }
    if !covers("date") && !covers("(created)") {
        return Err(SignatureError::HeaderNotSigned("date".to_owned()));
    }
    let now_secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let past = max_skew.as_secs() as i64;
    let future = max_skew.min(MAX_FUTURE_SKEW).as_secs() as i64;
    let in_window = |t: i64| t >= now_secs - past && t <= now_secs + future;
    if covers("date") {
        let date = header_value(headers, "date")?;
        let at = httpdate::parse_http_date(&date)
            .map_err(|_| SignatureError::DateOutOfWindow(date.clone()))?
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()) as i64;
        if !in_window(at) {
            return Err(SignatureError::DateOutOfWindow(date));
        }
    }
    if covers("(created)") {
        let created = sig.created.as_deref().unwrap_or_default();
        let at: i64 = created
            .parse()
            .map_err(|_| SignatureError::Malformed("created is not a number".into()))?;
        if !in_window(at) {
            return Err(SignatureError::DateOutOfWindow(format!(
                "(created) {created}"
            )));
        }
    }
    if let Some(expires) = &sig.expires {
        let at: i64 = expires
            .parse()
            .map_err(|_| SignatureError::Malformed("expires is not a number".into()))?;
        if at < now_secs {
            return Err(SignatureError::Expired);
        }
    }
    // A POST always has a body to vouch for, even if the caller passed none.
    let body = body.or_else(|| method.eq_ignore_ascii_case("post").then_some(&[][..]));
    if let Some(body) = body {
        if !covers("digest") {
            return Err(SignatureError::HeaderNotSigned("digest".to_owned()));
        }
        check_digest(&header_value(headers, "digest")?, body)?;
    }
    let mut lines = Vec::with_capacity(sig.headers.len());
    for name in &sig.headers {
        let value = match name.as_str() {
            "(request-target)" => format!("{} {path_and_query}", method.to_ascii_lowercase()),
            "(created)" => sig.created.clone().unwrap_or_default(),
            "(expires)" => sig.expires.clone().unwrap_or_default(),
            other => header_value(headers, other)?,
        };
        lines.push(format!("{name}: {value}"));
    }
    key.verify_pkcs1_sha256(lines.join("\n").as_bytes(), &sig.signature)
}

/// A header's value for the signing string: several instances joined with `, `.
pub(crate) fn header_value(headers: &HeaderMap, name: &str) -> Result<String, SignatureError> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .collect();
    if values.is_empty() {
        return Err(SignatureError::MissingHeader(name.to_owned()));
    }
    Ok(values.join(", "))
}

/// `Digest` may list several algorithms (`SHA-256=…,SHA-512=…`); every one we know
/// must match, and at least one must be known.
pub(crate) fn check_digest(header: &str, body: &[u8]) -> Result<(), SignatureError> {
    let mut checked = false;
    for part in header.split(',') {
        let Some((algorithm, value)) = part.trim().split_once('=') else {
            continue;
        };
        let expected = match algorithm.to_ascii_lowercase().as_str() {
            "sha-256" => B64.encode(Sha256::digest(body)),
            "sha-512" => B64.encode(Sha512::digest(body)),
            _ => continue,
        };
        if expected != value.trim() {
            return Err(SignatureError::DigestMismatch);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::UnsupportedDigest(header.to_owned()))
    }
}

/// The actor document a key id points into: the key id without its `#fragment`.
pub fn key_owner(key_id: &str) -> &str {
    key_id.split_once('#').map_or(key_id, |(doc, _)| doc)
}

/// A remote actor cannot act for another: the key that signed the request must
/// belong to the activity's actor. With the fetched key's `owner` we compare that
/// (and require it on the key's own host); without, the key id must be a fragment
/// of the actor's document (`{actor}#main-key`).
pub fn check_key_owner(
    key_id: &str,
    fetched_owner: Option<&str>,
    actor: &str,
) -> Result<(), SignatureError> {
    let mismatch = || SignatureError::ActorMismatch {
        key_id: key_id.to_owned(),
        actor: actor.to_owned(),
    };
    match fetched_owner {
        Some(owner) => {
            let host = |u: &str| {
                url::Url::parse(u)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            };
            if owner == actor && host(owner).is_some() && host(owner) == host(key_id) {
                Ok(())
            } else {
                Err(mismatch())
            }
        }
        None if key_owner(key_id) == actor => Ok(()),
        None => Err(mismatch()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parsing_is_order_and_space_tolerant() {
        let h = parse_signature_header(
            r#"signature="AAEC", headers="(request-target) Host date", keyId="https://a/u#k",algorithm="hs2019",created=1402170695"#,
        )
        .unwrap();
        assert_eq!(h.key_id, "https://a/u#k");
        assert_eq!(h.headers, vec!["(request-target)", "host", "date"]);
        assert_eq!(h.signature, vec![0, 1, 2]);
        assert_eq!(h.created.as_deref(), Some("1402170695"));
        assert!(matches!(
            parse_signature_header("keyId=\"x\""),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            parse_signature_header("garbage"),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            parse_signature_header("keyId=\"x"),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn digests() {
        let body = b"{}";
        assert!(check_digest(&digest_header(body), body).is_ok());
        assert_eq!(
            check_digest(&digest_header(b"x"), body),
            Err(SignatureError::DigestMismatch)
        );
        assert!(matches!(
            check_digest("MD5=abc", body),
            Err(SignatureError::UnsupportedDigest(_))
        ));
        let both = format!(
            "{},SHA-512={}",
            digest_header(body),
            B64.encode(Sha512::digest(body))
        );
        assert!(check_digest(&both, body).is_ok());
    }

    #[test]
    fn key_owner_rules() {
        assert!(check_key_owner(
            "https://a.example/users/x#main-key",
            None,
            "https://a.example/users/x"
        )
        .is_ok());
        assert!(check_key_owner(
            "https://a.example/users/x#main-key",
            None,
            "https://a.example/users/y"
        )
        .is_err());
        // GoToSocial-style key URL without a fragment: needs the fetched owner.
        let key = "https://g.example/users/x/main-key";
        assert!(check_key_owner(key, None, "https://g.example/users/x").is_err());
        assert!(check_key_owner(
            key,
            Some("https://g.example/users/x"),
            "https://g.example/users/x"
        )
        .is_ok());
        // An owner on another host than the key cannot vouch for it.
        assert!(check_key_owner(
            key,
            Some("https://evil.example/users/x"),
            "https://evil.example/users/x"
        )
        .is_err());
    }
}
