//! Fetching remote actors, keys and WebFinger records: safety-checked URL, signed
//! GET when we have a key (servers in "secure mode" require it), a size limit, a
//! timeout, and checks that the document is what it claims to be.

use std::time::SystemTime;

use serde_json::Value;

use crate::limits::{FETCH_TIMEOUT, MAX_REMOTE_DOCUMENT};
use crate::protocol::discovery::{webfinger_url, WebFinger};
use crate::protocol::{parse_document, Document, ParseError, RemoteActor, ACCEPT_ACTIVITY};
use crate::safety::{check_parsed, unsafe_cause, HttpClient, UnsafeUrl};
use crate::signatures::{key_owner, sign_request, Signer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("refused: {0}")]
    Unsafe(#[from] UnsafeUrl),
    #[error("timed out")]
    Timeout,
    #[error("request failed: {0}")]
    Transport(String),
    #[error("server answered {0}")]
    Status(u16),
    #[error("document is over the {0}-byte limit")]
    TooLarge(usize),
    #[error("unreadable document: {0}")]
    Parse(#[from] ParseError),
    #[error("not an actor: {0}")]
    NotAnActor(String),
    #[error("document at {url} claims id {id} on another host")]
    IdMismatch { url: String, id: String },
    #[error("actor has no {0}")]
    Missing(&'static str),
    #[error("no key {0} in the fetched document")]
    KeyNotFound(String),
}

/// A remote key as the inbox needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteKey {
    pub id: String,
    pub owner: String,
    pub pem: String,
}

/// The parts of a remote actor we store.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedActor {
    pub id: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub preferred_username: Option<String>,
    pub public_key: RemoteKey,
    /// Everything else (name, summary as raw HTML, icon...).
    pub actor: RemoteActor,
}

/// GETs `url` (signed if `signer` is given) and returns the final URL after
/// redirects and the body, at most `limit` bytes.
pub async fn fetch_bytes(
    client: &HttpClient,
    url: &str,
    accept: &str,
    signer: Option<&Signer>,
    limit: usize,
) -> Result<(url::Url, Vec<u8>), FetchError> {
    let url = url::Url::parse(url).map_err(|e| UnsafeUrl::Invalid(e.to_string()))?;
    check_parsed(&url, client.allow_loopback)?;
    let mut request = client
        .fetcher
        .get(url.clone())
        .timeout(FETCH_TIMEOUT)
        .header("Accept", accept);
    if let Some(signer) = signer {
        for (name, value) in sign_request("GET", &url, None, signer, SystemTime::now()) {
            request = request.header(name, value);
        }
    }
    let mut response = request.send().await.map_err(|e| transport(&e))?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(FetchError::Status(status));
    }
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(FetchError::TooLarge(limit));
    }
    let final_url = response.url().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(&e))? {
        if body.len() + chunk.len() > limit {
            return Err(FetchError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((final_url, body))
}

fn transport(e: &reqwest::Error) -> FetchError {
    if let Some(refused) = unsafe_cause(e) {
        return FetchError::Unsafe(refused);
    }
    if e.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Transport(e.to_string())
    }
}

fn same_host(a: &url::Url, b: &str) -> bool {
    url::Url::parse(b).is_ok_and(|b| {
        b.host_str().map(str::to_ascii_lowercase) == a.host_str().map(str::to_ascii_lowercase)
            && b.port_or_known_default() == a.port_or_known_default()
    })
}

/// Fetches an actor document. The actor's id must be on the host that served it,
/// and its key must be owned by it, so a server cannot publish actors or keys in
/// another server's name.
pub async fn fetch_actor(
    client: &HttpClient,
    url: &str,
    signer: Option<&Signer>,
) -> Result<FetchedActor, FetchError> {
    let (final_url, body) =
        fetch_bytes(client, url, ACCEPT_ACTIVITY, signer, MAX_REMOTE_DOCUMENT).await?;
    let actor = match parse_document(&body, MAX_REMOTE_DOCUMENT)? {
        Document::Actor(actor) => *actor,
        other => {
            return Err(FetchError::NotAnActor(
                format!("{other:?}").chars().take(80).collect(),
            ))
        }
    };
    actor_from(final_url, actor)
}

/// The checks of [`fetch_actor`] on an already fetched document.
pub fn actor_from(served_from: url::Url, actor: RemoteActor) -> Result<FetchedActor, FetchError> {
    let id = actor.id.clone().ok_or(FetchError::Missing("id"))?;
    if !same_host(&served_from, &id) {
        return Err(FetchError::IdMismatch {
            url: served_from.to_string(),
            id,
        });
    }
    let inbox = actor.inbox.clone().ok_or(FetchError::Missing("inbox"))?;
    let key = actor
        .public_key
        .iter()
        .find(|k| k.owner.as_deref() == Some(id.as_str()) && k.public_key_pem.is_some())
        .ok_or(FetchError::Missing("public key"))?;
    let public_key = RemoteKey {
        id: key.id.clone().ok_or(FetchError::Missing("public key id"))?,
        owner: id.clone(),
        pem: key.public_key_pem.clone().unwrap_or_default(),
    };
    if !same_host(&served_from, &public_key.id) {
        return Err(FetchError::IdMismatch {
            url: served_from.to_string(),
            id: public_key.id,
        });
    }
    Ok(FetchedActor {
        id,
        inbox,
        shared_inbox: actor.shared_inbox().map(str::to_owned),
        preferred_username: actor.preferred_username.clone(),
        public_key,
        actor,
    })
}

/// Fetches the key a `Signature` names. The key id's document is usually the actor
/// (`{actor}#main-key`); GoToSocial serves a key document at its own URL. Check
/// the result with [`crate::signatures::check_key_owner`] against the activity's
/// actor before trusting it.
pub async fn fetch_key(
    client: &HttpClient,
    key_id: &str,
    signer: Option<&Signer>,
) -> Result<RemoteKey, FetchError> {
    let (final_url, body) = fetch_bytes(
        client,
        key_owner(key_id),
        ACCEPT_ACTIVITY,
        signer,
        MAX_REMOTE_DOCUMENT,
    )
    .await?;
    key_from(&final_url, key_id, &body)
}

/// The checks of [`fetch_key`] on an already fetched document.
pub fn key_from(
    served_from: &url::Url,
    key_id: &str,
    body: &[u8],
) -> Result<RemoteKey, FetchError> {
    if body.len() > MAX_REMOTE_DOCUMENT {
        return Err(FetchError::TooLarge(MAX_REMOTE_DOCUMENT));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ParseError::InvalidJson(e.to_string()))?;
    let candidates: Vec<crate::protocol::RemotePublicKey> = if value.get("publicKeyPem").is_some() {
        serde_json::from_value(value).into_iter().collect()
    } else {
        match parse_document(body, MAX_REMOTE_DOCUMENT)? {
            Document::Actor(actor) => actor.public_key,
            other => {
                return Err(FetchError::NotAnActor(
                    format!("{other:?}").chars().take(80).collect(),
                ))
            }
        }
    };
    let key = candidates
        .into_iter()
        .find(|k| k.id.as_deref() == Some(key_id))
        .ok_or_else(|| FetchError::KeyNotFound(key_id.to_owned()))?;
    let owner = key.owner.ok_or(FetchError::Missing("key owner"))?;
    if !same_host(served_from, key_id) || !same_host(served_from, &owner) {
        return Err(FetchError::IdMismatch {
            url: served_from.to_string(),
            id: owner,
        });
    }
    Ok(RemoteKey {
        id: key_id.to_owned(),
        owner,
        pem: key
            .public_key_pem
            .ok_or(FetchError::Missing("publicKeyPem"))?,
    })
}

/// Resolves `user@domain` to an actor id through WebFinger. `scheme` is `https`
/// except in the loopback interop tests.
pub async fn webfinger_lookup(
    client: &HttpClient,
    user: &str,
    domain: &str,
    scheme: &str,
) -> Result<String, FetchError> {
    let url = webfinger_url(user, domain, scheme).map_err(|e| UnsafeUrl::Invalid(e.to_string()))?;
    let (_, body) = fetch_bytes(
        client,
        url.as_str(),
        "application/jrd+json, application/json",
        None,
        MAX_REMOTE_DOCUMENT,
    )
    .await?;
    let jrd: WebFinger =
        serde_json::from_slice(&body).map_err(|e| ParseError::InvalidJson(e.to_string()))?;
    jrd.actor_id()
        .map(str::to_owned)
        .ok_or(FetchError::Missing("ActivityPub self link"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor_json(id: &str, key_id: &str, owner: &str) -> RemoteActor {
        serde_json::from_value(serde_json::json!({
            "id": id, "type": "Person", "inbox": format!("{id}/inbox"),
            "endpoints": {"sharedInbox": "https://a.example/inbox"},
            "publicKey": {"id": key_id, "owner": owner, "publicKeyPem": "PEM"}
        }))
        .unwrap()
    }

    #[test]
    fn actor_checks() {
        let from = url::Url::parse("https://a.example/users/x").unwrap();
        let ok = actor_from(
            from.clone(),
            actor_json(
                "https://a.example/users/x",
                "https://a.example/users/x#main-key",
                "https://a.example/users/x",
            ),
        )
        .unwrap();
        assert_eq!(ok.shared_inbox.as_deref(), Some("https://a.example/inbox"));
        assert_eq!(ok.public_key.id, "https://a.example/users/x#main-key");
        let spoof = actor_from(
            from.clone(),
            actor_json(
                "https://b.example/users/x",
                "https://b.example/users/x#k",
                "https://b.example/users/x",
            ),
        );
        assert!(matches!(spoof, Err(FetchError::IdMismatch { .. })));
        let foreign_key = actor_from(
            from,
            actor_json(
                "https://a.example/users/x",
                "https://a.example/users/x#k",
                "https://a.example/users/y",
            ),
        );
        assert_eq!(foreign_key, Err(FetchError::Missing("public key")));
    }

    #[test]
    fn standalone_key_documents() {
        let from = url::Url::parse("https://g.example/users/x/main-key").unwrap();
        let body = br#"{"id":"https://g.example/users/x/main-key","owner":"https://g.example/users/x","publicKeyPem":"PEM"}"#;
        let key = key_from(&from, "https://g.example/users/x/main-key", body).unwrap();
        assert_eq!(key.owner, "https://g.example/users/x");
        assert!(matches!(
            key_from(&from, "https://g.example/other", body),
            Err(FetchError::KeyNotFound(_))
        ));
    }
}
