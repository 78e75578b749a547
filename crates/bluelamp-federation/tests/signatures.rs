#![allow(clippy::unwrap_used)]
//! HTTP Signatures: our signer against our verifier, every way a request can be
//! wrong, and — to show `verify_request` follows draft-cavage-12 rather than only
//! agreeing with our own signer — signatures built independently: a signing string
//! assembled by hand per the spec and signed with the `rsa` crate directly, and
//! one signed by the OpenSSL command line when it is installed.
//!
//! The keys in tests/keys/ were generated with OpenSSL for these tests only
//! (`test_a` is PKCS#8, `test_b` PKCS#1 "traditional").

use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bluelamp_federation::signatures::{
    digest_header, generate_keypair, parse_signature_header, request_target, sign_request,
    verify_parsed, verify_request, PublicKey, SignatureError, Signer, MAX_CLOCK_SKEW,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer as _};
use sha2::Sha256;

const KEY_A: &str = include_str!("keys/test_a.pem");
const PUB_A: &str = include_str!("keys/test_a.pub.pem");
const KEY_B: &str = include_str!("keys/test_b.pem");
const PUB_B: &str = include_str!("keys/test_b.pub.pem");
const KEY_ID: &str = "https://police.example/users/news#main-key";
const BODY: &[u8] =
    br#"{"type":"Create","id":"https://police.example/users/news/posts/1/activity"}"#;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000)
}

fn url() -> url::Url {
    url::Url::parse("https://social.example/users/alice/inbox?x=1").unwrap()
}

fn headers_from(pairs: &[(&str, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

fn signed(body: &[u8], signer: &Signer) -> HeaderMap {
    let pairs = sign_request("POST", &url(), Some(body), signer, now());
    headers_from(&pairs)
}

fn verify(headers: &HeaderMap, body: &[u8], public: &str) -> Result<(), SignatureError> {
    verify_request(
        "POST",
        &request_target(&url()),
        headers,
        Some(body),
        public,
        now(),
        MAX_CLOCK_SKEW,
    )
    .map(|_| ())
}

#[test]
fn round_trip_with_both_key_formats() {
    let a = Signer::from_pem(KEY_ID, KEY_A).unwrap();
    let headers = signed(BODY, &a);
    assert_eq!(headers["host"], "social.example");
    assert_eq!(headers["digest"], digest_header(BODY).as_str());
    let parsed = verify_request(
        "POST",
        "/users/alice/inbox?x=1",
        &headers,
        Some(BODY),
        PUB_A,
        now(),
        MAX_CLOCK_SKEW,
    )
    .unwrap();
    assert_eq!(parsed.key_id, KEY_ID);
    assert_eq!(
        parsed.headers,
        vec!["(request-target)", "host", "date", "digest"]
    );

    let b = Signer::from_pem(KEY_ID, KEY_B).unwrap();
    assert_eq!(verify(&signed(BODY, &b), BODY, PUB_B), Ok(()));
}

#[test]
fn tampering_is_caught() {
    let signer = Signer::from_pem(KEY_ID, KEY_A).unwrap();
    let headers = signed(BODY, &signer);

    // Body changed after signing: the Digest no longer matches.
    assert_eq!(
        verify(&headers, b"{\"type\":\"Delete\"}", PUB_A),
        Err(SignatureError::DigestMismatch)
    );

    // Digest recomputed for the new body, but the signature covers the old Digest.
    let mut forged = headers.clone();
    forged.insert(
        "digest",
        HeaderValue::from_str(&digest_header(b"{}")).unwrap(),
    );
    assert_eq!(
        verify(&forged, b"{}", PUB_A),
        Err(SignatureError::BadSignature)
    );

    // A signed header changed.
    let mut other_host = headers.clone();
    other_host.insert("host", HeaderValue::from_static("evil.example"));
    assert_eq!(
        verify(&other_host, BODY, PUB_A),
        Err(SignatureError::BadSignature)
    );

    // Replayed to another path.
    let moved = verify_request(
        "POST",
        "/inbox",
        &headers,
        Some(BODY),
        PUB_A,
        now(),
        MAX_CLOCK_SKEW,
    );
    assert_eq!(moved.map(|_| ()), Err(SignatureError::BadSignature));

    // Someone else's key.
    assert_eq!(
        verify(&headers, BODY, PUB_B),
        Err(SignatureError::BadSignature)
    );

    // Missing pieces.
    let mut no_sig = headers.clone();
    no_sig.remove("signature");
    assert_eq!(
        verify(&no_sig, BODY, PUB_A),
        Err(SignatureError::MissingHeader("Signature".into()))
    );
    let mut no_digest = headers.clone();
    no_digest.remove("digest");
    assert_eq!(
        verify(&no_digest, BODY, PUB_A),
        Err(SignatureError::MissingHeader("digest".into()))
    );
}

#[test]
fn dates_outside_the_window_are_refused() {
    let signer = Signer::from_pem(KEY_ID, KEY_A).unwrap();
    let headers = signed(BODY, &signer);
    let check = |at: SystemTime| {
        verify_request(
            "POST",
            "/users/alice/inbox?x=1",
            &headers,
            Some(BODY),
            PUB_A,
            at,
            MAX_CLOCK_SKEW,
        )
        .map(|_| ())
    };
    assert_eq!(check(now() + Duration::from_secs(11 * 3600)), Ok(()));
    assert!(matches!(
        check(now() + Duration::from_secs(13 * 3600)),
        Err(SignatureError::DateOutOfWindow(_))
    ));
    // Signed two hours "in the future" relative to the verifier's clock.
    assert!(matches!(
        check(now() - Duration::from_secs(2 * 3600)),
        Err(SignatureError::DateOutOfWindow(_))
    ));
    assert_eq!(check(now() - Duration::from_secs(30 * 60)), Ok(()));
}

#[test]
fn weak_header_lists_and_algorithms_are_refused() {
    let signer = Signer::from_pem(KEY_ID, KEY_A).unwrap();
    let mut headers = signed(BODY, &signer);
    let sig = headers["signature"].to_str().unwrap().to_owned();

    let without_target = sig.replace("(request-target) ", "");
    headers.insert("signature", HeaderValue::from_str(&without_target).unwrap());
    assert_eq!(
        verify(&headers, BODY, PUB_A),
        Err(SignatureError::HeaderNotSigned("(request-target)".into()))
    );

    let without_digest = sig.replace(" digest", "");
    headers.insert("signature", HeaderValue::from_str(&without_digest).unwrap());
    assert_eq!(
        verify(&headers, BODY, PUB_A),
        Err(SignatureError::HeaderNotSigned("digest".into()))
    );

    let other_algorithm = sig.replace("rsa-sha256", "ed25519");
    headers.insert(
        "signature",
        HeaderValue::from_str(&other_algorithm).unwrap(),
    );
    assert_eq!(
        verify(&headers, BODY, PUB_A),
        Err(SignatureError::UnsupportedAlgorithm("ed25519".into()))
    );
}

/// The signing string built by hand from draft-cavage-12 §2.3, signed with the
/// `rsa` crate's PKCS#1 v1.5 directly (no code from our signer), in the shape
/// other servers use: `hs2019`, parameters in another order, `content-type`
/// covered, header names in mixed case, a `Digest` listing two algorithms.
#[test]
fn verifies_a_signature_built_independently_from_the_spec() {
    let body = BODY;
    let date = "Mon, 21 Sep 2026 14:13:20 GMT";
    let at = httpdate::parse_http_date(date).unwrap();
    let digest = format!(
        "SHA-256={},SHA-512={}",
        B64.encode(<Sha256 as sha2::Digest>::digest(body)),
        B64.encode(<sha2::Sha512 as sha2::Digest>::digest(body))
    );
    let signing_string = format!(
        "(request-target): post /users/alice/inbox\nhost: social.example\ndate: {date}\ndigest: {digest}\ncontent-type: application/activity+json"
    );
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(KEY_A).unwrap();
    let raw = SigningKey::<Sha256>::new(key)
        .sign(signing_string.as_bytes())
        .to_bytes();
    let signature = format!(
        "algorithm=\"hs2019\",keyId=\"https://social.example/users/alice#main-key\",signature=\"{}\",headers=\"(request-target) Host Date Digest Content-Type\"",
        B64.encode(raw)
    );
    let headers = headers_from(&[
        ("Host", "social.example".into()),
        ("Date", date.into()),
        ("Digest", digest),
        ("Content-Type", "application/activity+json".into()),
        ("Signature", signature),
    ]);
    let parsed = verify_request(
        "POST",
        "/users/alice/inbox",
        &headers,
        Some(body),
        PUB_A,
        at,
        MAX_CLOCK_SKEW,
    )
    .unwrap();
    assert_eq!(parsed.key_id, "https://social.example/users/alice#main-key");

    // `(created)` instead of Date, as hs2019 senders may do.
    let created = at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    let signing_string =
        format!("(request-target): get /users/news\nhost: police.example\n(created): {created}");
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(KEY_A).unwrap();
    let raw = SigningKey::<Sha256>::new(key)
        .sign(signing_string.as_bytes())
        .to_bytes();
    let header = format!(
        "keyId=\"k\",algorithm=\"hs2019\",created={created},headers=\"(request-target) host (created)\",signature=\"{}\"",
        B64.encode(raw)
    );
    let headers = headers_from(&[("Host", "police.example".into()), ("Signature", header)]);
    let sig = parse_signature_header(headers["signature"].to_str().unwrap()).unwrap();
    let key = PublicKey::from_pem(PUB_A).unwrap();
    assert_eq!(
        verify_parsed(
            &sig,
            "GET",
            "/users/news",
            &headers,
            None,
            &key,
            at,
            MAX_CLOCK_SKEW
        ),
        Ok(())
    );
}

/// The same, signed by OpenSSL (`openssl dgst -sha256 -sign`), an implementation
/// that shares nothing with ours. Skipped, with a note, where `openssl` is absent.
#[test]
fn verifies_a_signature_made_by_openssl() {
    let dir = std::env::temp_dir().join(format!("bluelamp-fed-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let date = "Mon, 21 Sep 2026 14:13:20 GMT";
    let digest = digest_header(BODY);
    let signing_string = format!(
        "(request-target): post /inbox\nhost: police.example\ndate: {date}\ndigest: {digest}"
    );
    std::fs::write(dir.join("string"), &signing_string).unwrap();
    let key_path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/test_b.pem");
    let output = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-sign", key_path])
        .arg(dir.join("string"))
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let output = match output {
        Ok(o) if o.status.success() => o.stdout,
        _ => {
            println!("openssl not available: skipping the OpenSSL cross-check");
            return;
        }
    };
    let header = format!(
        "keyId=\"https://other.example/actor#key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{}\"",
        B64.encode(output)
    );
    let headers = headers_from(&[
        ("Host", "police.example".into()),
        ("Date", date.into()),
        ("Digest", digest),
        ("Signature", header),
    ]);
    let at = httpdate::parse_http_date(date).unwrap();
    assert!(verify_request(
        "POST",
        "/inbox",
        &headers,
        Some(BODY),
        PUB_B,
        at,
        MAX_CLOCK_SKEW
    )
    .is_ok());
}

#[test]
fn generated_keys_sign_and_verify() {
    let (private_pem, public_pem) = generate_keypair().unwrap();
    assert!(private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    let signer = Signer::from_pem(KEY_ID, &private_pem).unwrap();
    assert_eq!(verify(&signed(BODY, &signer), BODY, &public_pem), Ok(()));
    assert!(!format!("{signer:?}").contains("PRIVATE"));
    assert!(matches!(
        Signer::from_pem(KEY_ID, "not a key"),
        Err(SignatureError::BadKey(_))
    ));
    assert!(matches!(
        PublicKey::from_pem("junk"),
        Err(SignatureError::BadKey(_))
    ));
}
