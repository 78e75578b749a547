//! HTTP Message Signatures (RFC 9421), as newer fediverse software (Fedify and
//! what is built on it) sends them first: `Signature-Input` names the covered
//! components and parameters, `Signature` carries the value, and the body is
//! vouched for by `Content-Digest` (RFC 9530).
//!
//! Inbound verification only, for RSA keys with `rsa-v1_5-sha256` (what those
//! servers use with the RSA keys actors publish). We still sign with
//! draft-cavage (see [`crate::signatures`]), which every server accepts; a peer
//! that gets a 401 for an RFC 9421 signature we cannot check retries with
//! draft-cavage, so supporting it here saves that round trip rather than
//! deciding whether we interoperate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::signatures::{check_digest, header_value, PublicKey, SignatureError, MAX_FUTURE_SKEW};

/// One signature from `Signature-Input` and `Signature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSignature {
    pub label: String,
    /// Covered components in order, lower-case (`@method`, `content-digest`...).
    pub components: Vec<String>,
    pub key_id: String,
    pub algorithm: Option<String>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
    /// The member's value exactly as received: the `@signature-params` line.
    pub params: String,
    pub signature: Vec<u8>,
}

/// What the verifier must know about the request beyond its headers.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// `https` or `http`: how the sender reached us.
    pub scheme: &'a str,
    pub path_and_query: &'a str,
    pub body: Option<&'a [u8]>,
}

/// True when the request carries an RFC 9421 signature.
pub fn is_message_signature(headers: &HeaderMap) -> bool {
    headers.contains_key("signature-input")
}

/// The first signature of `Signature-Input` and its value from `Signature`.
pub fn message_signature_of(headers: &HeaderMap) -> Result<MessageSignature, SignatureError> {
    let input = headers
        .get("signature-input")
        .ok_or_else(|| SignatureError::MissingHeader("Signature-Input".into()))?
        .to_str()
        .map_err(|_| SignatureError::Malformed("Signature-Input is not ASCII".into()))?;
    let mut parsed = parse_signature_input(input)?;
    let values = headers
        .get("signature")
        .ok_or_else(|| SignatureError::MissingHeader("Signature".into()))?
        .to_str()
        .map_err(|_| SignatureError::Malformed("Signature is not ASCII".into()))?;
    parsed.signature = signature_value(values, &parsed.label)?;
    Ok(parsed)
}

/// Parses the first member of a `Signature-Input` dictionary:
/// `label=("@method" "@target-uri" ...);created=1;keyid="...";alg="..."`.
pub fn parse_signature_input(input: &str) -> Result<MessageSignature, SignatureError> {
    let malformed = |why: &str| SignatureError::Malformed(format!("Signature-Input: {why}"));
    let (label, rest) = input
        .trim()
        .split_once('=')
        .ok_or_else(|| malformed("expected label=(...)"))?;
    let label = label.trim();
    if label.is_empty()
        || !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.*".contains(&b))
    {
        return Err(malformed("bad label"));
    }
    let rest = rest.trim_start();
    let inner = rest
        .strip_prefix('(')
        .ok_or_else(|| malformed("expected an inner list"))?;
    let close = inner
        .find(')')
        .ok_or_else(|| malformed("unterminated inner list"))?;
    let mut components = Vec::new();
    for item in inner[..close].split_whitespace() {
        let name = item
            .strip_prefix('"')
            .and_then(|i| i.strip_suffix('"'))
            .ok_or_else(|| malformed("components must be quoted strings without parameters"))?;
        components.push(name.to_ascii_lowercase());
    }
    // Parameters run to the next top-level comma (another signature) or the end.
    let after = &inner[close + 1..];
    let mut end = after.len();
    let mut quoted = false;
    for (i, c) in after.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let params_text = &after[..end];
    let mut signature = MessageSignature {
        label: label.to_owned(),
        components,
        key_id: String::new(),
        algorithm: None,
        created: None,
        expires: None,
        params: format!("({}){}", &inner[..close], params_text.trim_end()),
        signature: Vec::new(),
    };
    for param in params_text.split(';').skip(1) {
        let (name, value) = param
            .split_once('=')
            .ok_or_else(|| malformed("parameter without a value"))?;
        let text = value.trim().trim_matches('"').to_owned();
        let number = || text.parse::<i64>().map_err(|_| malformed("not a number"));
        match name.trim() {
            "keyid" => signature.key_id = text.clone(),
            "alg" => signature.algorithm = Some(text.clone()),
            "created" => signature.created = Some(number()?),
            "expires" => signature.expires = Some(number()?),
            _ => {}
        }
    }
    if signature.key_id.is_empty() {
        return Err(malformed("no keyid"));
    }
    Ok(signature)
}

/// `label=:base64:` from the `Signature` dictionary.
fn signature_value(header: &str, label: &str) -> Result<Vec<u8>, SignatureError> {
    for member in header.split(',') {
        let Some((name, value)) = member.trim().split_once('=') else {
            continue;
        };
        if name.trim() != label {
            continue;
        }
        let bytes = value
            .trim()
            .strip_prefix(':')
            .and_then(|v| v.strip_suffix(':'))
            .ok_or_else(|| SignatureError::Malformed("Signature is not a byte sequence".into()))?;
        return B64
            .decode(bytes)
            .map_err(|_| SignatureError::Malformed("Signature is not base64".into()));
    }
    Err(SignatureError::Malformed(format!(
        "Signature has no value labelled {label}"
    )))
}

/// The checks, in order: algorithm, covered components, `created`/`expires`,
/// `Content-Digest` against the body, then the RSA signature over the base.
pub fn verify_message_signature(
    sig: &MessageSignature,
    request: &RequestParts<'_>,
    headers: &HeaderMap,
    key: &PublicKey,
    now: SystemTime,
    max_skew: Duration,
) -> Result<(), SignatureError> {
    match sig.algorithm.as_deref() {
        None | Some("rsa-v1_5-sha256") => {}
        Some(other) => return Err(SignatureError::UnsupportedAlgorithm(other.to_owned())),
    }
    let covers = |name: &str| sig.components.iter().any(|c| c == name);
    if !covers("@method") {
        return Err(SignatureError::HeaderNotSigned("@method".into()));
    }
    if !(covers("@target-uri") || covers("@path") || covers("@request-target")) {
        return Err(SignatureError::HeaderNotSigned("@target-uri".into()));
    }
    if !(covers("@target-uri") || covers("@authority") || covers("host")) {
        return Err(SignatureError::HeaderNotSigned("@authority".into()));
    }
    let now_secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let created = sig
        .created
        .ok_or_else(|| SignatureError::Malformed("Signature-Input has no created".into()))?;
    let past = max_skew.as_secs() as i64;
    let future = max_skew.min(MAX_FUTURE_SKEW).as_secs() as i64;
    if created < now_secs - past || created > now_secs + future {
        return Err(SignatureError::DateOutOfWindow(format!(
            "created {created}"
        )));
    }
    if sig.expires.is_some_and(|at| at < now_secs) {
        return Err(SignatureError::Expired);
    }
    let body = request.body.or_else(|| {
        request
            .method
            .eq_ignore_ascii_case("post")
            .then_some(&[][..])
    });
    if let Some(body) = body {
        if !covers("content-digest") {
            return Err(SignatureError::HeaderNotSigned("content-digest".into()));
        }
        check_content_digest(&header_value(headers, "content-digest")?, body)?;
    }
    let base = signature_base(sig, request, headers)?;
    key.verify_pkcs1_sha256(base.as_bytes(), &sig.signature)
}

/// The signature base (RFC 9421 §2.5): one `"name": value` line per covered
/// component, then the `@signature-params` line.
pub fn signature_base(
    sig: &MessageSignature,
    request: &RequestParts<'_>,
    headers: &HeaderMap,
) -> Result<String, SignatureError> {
    let authority = header_value(headers, "host")?.to_ascii_lowercase();
    let (path, query) = match request.path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (request.path_and_query, None),
    };
    let mut base = String::new();
    for component in &sig.components {
        let value = match component.as_str() {
            "@method" => request.method.to_ascii_uppercase(),
            "@target-uri" => format!("{}://{authority}{}", request.scheme, request.path_and_query),
            "@authority" => authority.clone(),
            "@scheme" => request.scheme.to_owned(),
            "@path" => path.to_owned(),
            "@query" => format!("?{}", query.unwrap_or_default()),
            "@request-target" => request.path_and_query.to_owned(),
            derived if derived.starts_with('@') => {
                return Err(SignatureError::Malformed(format!(
                    "unsupported component {derived}"
                )))
            }
            field => header_value(headers, field)?,
        };
        base.push_str(&format!("\"{component}\": {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {}", sig.params));
    Ok(base)
}

/// `Content-Digest: sha-256=:…:, sha-512=:…:` (RFC 9530 byte sequences) is the
/// old `Digest` header in new clothes: check it the same way.
fn check_content_digest(header: &str, body: &[u8]) -> Result<(), SignatureError> {
    let as_digest: Vec<String> = header
        .split(',')
        .map(|member| member.trim().replace(":", ""))
        .collect();
    check_digest(&as_digest.join(","), body)
}

/// `Content-Digest` value for a body (for senders and tests).
pub fn content_digest_header(body: &[u8]) -> String {
    format!("sha-256=:{}:", B64.encode(Sha256::digest(body)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::signatures::{generate_keypair, Signer, MAX_CLOCK_SKEW};

    const ACTOR_KEY: &str = "https://remote.example/users/alice#main-key";

    /// Signs a POST as a Fedify-style sender would, returning the headers.
    fn signed_post(signer: &Signer, body: &[u8], created: i64) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("host", "police.example".parse().unwrap());
        headers.insert(
            "content-digest",
            content_digest_header(body).parse().unwrap(),
        );
        let params = format!(
            "(\"@method\" \"@target-uri\" \"@authority\" \"content-digest\");created={created};keyid=\"{ACTOR_KEY}\";alg=\"rsa-v1_5-sha256\""
        );
        headers.insert("signature-input", format!("sig1={params}").parse().unwrap());
        let sig = parse_signature_input(headers["signature-input"].to_str().unwrap()).unwrap();
        let request = RequestParts {
            method: "POST",
            scheme: "https",
            path_and_query: "/inbox",
            body: Some(body),
        };
        let base = signature_base(&sig, &request, &headers).unwrap();
        assert!(
            base.starts_with("\"@method\": POST\n\"@target-uri\": https://police.example/inbox\n"),
            "{base}"
        );
        let value = signer.sign_base64(base.as_bytes());
        headers.insert("signature", format!("sig1=:{value}:").parse().unwrap());
        headers
    }

    fn now_secs() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    fn keys() -> (Signer, PublicKey) {
        let (private, public) = generate_keypair().unwrap();
        (
            Signer::from_pem(ACTOR_KEY, &private).unwrap(),
            PublicKey::from_pem(&public).unwrap(),
        )
    }

    fn verify(headers: &HeaderMap, body: &[u8], key: &PublicKey) -> Result<(), SignatureError> {
        let sig = message_signature_of(headers)?;
        let request = RequestParts {
            method: "POST",
            scheme: "https",
            path_and_query: "/inbox",
            body: Some(body),
        };
        verify_message_signature(
            &sig,
            &request,
            headers,
            key,
            SystemTime::now(),
            MAX_CLOCK_SKEW,
        )
    }

    #[test]
    fn a_well_signed_request_verifies_and_every_tampering_is_caught() {
        let (signer, key) = keys();
        let body = br#"{"type":"Create"}"#;
        let headers = signed_post(&signer, body, now_secs());
        assert_eq!(message_signature_of(&headers).unwrap().key_id, ACTOR_KEY);
        verify(&headers, body, &key).unwrap();

        assert_eq!(
            verify(&headers, br#"{"type":"Delete"}"#, &key),
            Err(SignatureError::DigestMismatch)
        );
        let mut moved = headers.clone();
        moved.insert("host", "elsewhere.example".parse().unwrap());
        assert_eq!(
            verify(&moved, body, &key),
            Err(SignatureError::BadSignature)
        );
        let (_, other_key) = keys();
        assert_eq!(
            verify(&headers, body, &other_key),
            Err(SignatureError::BadSignature)
        );
        let old = signed_post(&signer, body, now_secs() - 13 * 3600);
        assert!(matches!(
            verify(&old, body, &key),
            Err(SignatureError::DateOutOfWindow(_))
        ));
    }

    #[test]
    fn malformed_inputs_are_refused_with_a_reason() {
        for input in [
            "",
            "sig1",
            "sig1=\"@method\"",
            "sig1=(\"@method\"",
            "sig1=(@method);keyid=\"k\"",
            "sig1=(\"@method\");created=1",
            "sig1=(\"@method\");keyid=\"k\";created=soon",
        ] {
            assert!(
                matches!(
                    parse_signature_input(input),
                    Err(SignatureError::Malformed(_))
                ),
                "{input:?}"
            );
        }
        let parsed =
            parse_signature_input("sig1=(\"@method\" \"content-digest\");created=5;keyid=\"k\", sig2=(\"@path\");keyid=\"x\"")
                .unwrap();
        assert_eq!(parsed.components, ["@method", "content-digest"]);
        assert_eq!(
            parsed.params,
            "(\"@method\" \"content-digest\");created=5;keyid=\"k\""
        );
    }

    #[test]
    fn a_signature_that_leaves_out_the_body_or_the_target_is_refused() {
        let (signer, key) = keys();
        let body = b"{}";
        let mut headers = signed_post(&signer, body, now_secs());
        headers.insert(
            "signature-input",
            format!(
                "sig1=(\"@method\" \"@target-uri\");created={};keyid=\"{ACTOR_KEY}\"",
                now_secs()
            )
            .parse()
            .unwrap(),
        );
        assert_eq!(
            verify(&headers, body, &key),
            Err(SignatureError::HeaderNotSigned("content-digest".into()))
        );
        headers.insert(
            "signature-input",
            format!(
                "sig1=(\"@method\" \"content-digest\");created={};keyid=\"{ACTOR_KEY}\"",
                now_secs()
            )
            .parse()
            .unwrap(),
        );
        assert_eq!(
            verify(&headers, body, &key),
            Err(SignatureError::HeaderNotSigned("@target-uri".into()))
        );
    }
}
