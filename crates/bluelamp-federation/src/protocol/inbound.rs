//! What other servers send us, read leniently (see [`super::lenient`]).
//!
//! These structs keep remote HTML exactly as received: call
//! [`crate::html::sanitize`] (or the `*_sanitized` helpers) before storing or
//! showing it.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::lenient::de;

/// A content object: `Note` in the common case, but also `Article`, `Page`,
/// `Question`, `Video`, `Event`, `ChatMessage`... Everything a reply or a mention
/// can arrive as, with the fields we store.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteObject {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    /// The ActivityStreams type, e.g. `Note`.
    #[serde(default, rename = "type", deserialize_with = "de::opt_type")]
    pub kind: Option<String>,
    /// Authors' ids (PeerTube lists the account and the channel).
    #[serde(default, deserialize_with = "de::ids")]
    pub attributed_to: Vec<String>,
    /// Raw remote HTML: unsafe until sanitised.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub content: Option<String>,
    #[serde(default, deserialize_with = "de::lang_map")]
    pub content_map: BTreeMap<String, String>,
    /// A title (`Article`, `Page`, `Event`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// On a `Note` with `sensitive`, Mastodon's content warning.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "de::flag")]
    pub sensitive: bool,
    #[serde(default, deserialize_with = "de::opt_id")]
    pub in_reply_to: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub published: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub updated: Option<String>,
    /// The human-readable page.
    #[serde(default, deserialize_with = "de::opt_url")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "de::ids")]
    pub to: Vec<String>,
    #[serde(default, deserialize_with = "de::ids")]
    pub cc: Vec<String>,
    #[serde(default, rename = "attachment", deserialize_with = "de::list")]
    pub attachments: Vec<RemoteAttachment>,
    #[serde(default, rename = "tag", deserialize_with = "de::list")]
    pub tags: Vec<RemoteTag>,
}

impl RemoteObject {
    /// The HTML to show: `content`, else the first `contentMap` entry (some servers
    /// send only the map).
    pub fn html(&self) -> Option<&str> {
        self.content
            .as_deref()
            .or_else(|| self.content_map.values().next().map(String::as_str))
    }

    /// The content as safe HTML.
    pub fn html_sanitized(&self) -> String {
        self.html().map(crate::html::sanitize).unwrap_or_default()
    }

    /// The content warning, if the author set one.
    pub fn content_warning(&self) -> Option<&str> {
        self.summary
            .as_deref()
            .filter(|s| !s.trim().is_empty() && self.kind.as_deref() == Some("Note"))
    }

    /// Is the object addressed to the public (in `to` or `cc`)?
    pub fn is_public(&self) -> bool {
        self.to.iter().chain(&self.cc).any(|a| super::is_public(a))
    }

    /// Ids of actors mentioned by `Mention` tags.
    pub fn mentioned(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().filter_map(|t| match t {
            RemoteTag::Mention { href: Some(h), .. } => Some(h.as_str()),
            _ => None,
        })
    }
}

/// A file attached to a post; `name` is the alt text.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteAttachment {
    #[serde(default, rename = "type", deserialize_with = "de::opt_type")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "de::opt_url")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub media_type: Option<String>,
    /// Alt text (Mastodon, Pleroma) or a profile field's label (`PropertyValue`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// A profile field's value (`PropertyValue`), HTML.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub value: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub blurhash: Option<String>,
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub width: Option<u32>,
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub height: Option<u32>,
}

/// A `tag` entry. Unknown tag types are kept as `Other` so the list still parses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type")]
pub enum RemoteTag {
    Mention {
        #[serde(default, deserialize_with = "de::opt_string")]
        href: Option<String>,
        #[serde(default, deserialize_with = "de::opt_string")]
        name: Option<String>,
    },
    Hashtag {
        #[serde(default, deserialize_with = "de::opt_string")]
        href: Option<String>,
        #[serde(default, deserialize_with = "de::opt_string")]
        name: Option<String>,
    },
    Emoji {
        #[serde(default, deserialize_with = "de::opt_string")]
        name: Option<String>,
        #[serde(default, deserialize_with = "de::opt_url")]
        icon: Option<String>,
    },
    #[serde(other)]
    Other,
}

/// An actor document (`Person`, `Group`, `Organization`, `Service`, `Application`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteActor {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "de::opt_type")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub preferred_username: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// Raw remote HTML.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "de::opt_id")]
    pub inbox: Option<String>,
    #[serde(default, deserialize_with = "de::opt_id")]
    pub outbox: Option<String>,
    #[serde(default, deserialize_with = "de::opt_id")]
    pub followers: Option<String>,
    #[serde(default, deserialize_with = "de::opt_id")]
    pub following: Option<String>,
    #[serde(default)]
    pub endpoints: Option<RemoteEndpoints>,
    #[serde(default, deserialize_with = "de::opt_url")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "de::opt_url")]
    pub icon: Option<String>,
    #[serde(default, deserialize_with = "de::opt_url")]
    pub image: Option<String>,
    #[serde(default, deserialize_with = "de::flag")]
    pub manually_approves_followers: bool,
    /// Usually one key; a few servers send a list.
    #[serde(default, deserialize_with = "de::list")]
    pub public_key: Vec<RemotePublicKey>,
    #[serde(default, rename = "attachment", deserialize_with = "de::list")]
    pub attachments: Vec<RemoteAttachment>,
}

impl RemoteActor {
    /// Where to deliver: the shared inbox if the actor offers one.
    pub fn preferred_inbox(&self) -> Option<&str> {
        self.shared_inbox().or(self.inbox.as_deref())
    }

    pub fn shared_inbox(&self) -> Option<&str> {
        self.endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.as_deref())
    }

    /// The key with this id, or the only key when the id is not listed.
    pub fn key(&self, key_id: &str) -> Option<&RemotePublicKey> {
        self.public_key
            .iter()
            .find(|k| k.id.as_deref() == Some(key_id))
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteEndpoints {
    #[serde(default, deserialize_with = "de::opt_id")]
    pub shared_inbox: Option<String>,
}

/// `publicKey` on an actor, or a standalone key document (GoToSocial serves the key
/// at its own URL).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemotePublicKey {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_id")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub public_key_pem: Option<String>,
}
