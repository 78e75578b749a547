//! The documents we publish. Field names follow Mastodon's output, because every
//! other server is tested against Mastodon first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{AS_CONTEXT, SECURITY_CONTEXT};

/// The `@context` for actor documents: ActivityStreams, the security vocabulary
/// (for `publicKey`), and the extension terms Mastodon reads.
pub fn actor_context() -> Value {
    json!([
        AS_CONTEXT,
        SECURITY_CONTEXT,
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value"
        }
    ])
}

/// The `@context` for activities and notes.
pub fn object_context() -> Value {
    json!([
        AS_CONTEXT,
        {
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "toot": "http://joinmastodon.org/ns#",
            "blurhash": "toot:blurhash"
        }
    ])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActorType {
    Person,
    Organization,
    /// Mastodon shows `Service` and `Application` as "automated" (a bot badge).
    Service,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorDocument {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: ActorType,
    pub preferred_username: String,
    pub name: String,
    /// HTML.
    pub summary: String,
    /// The HTML profile page.
    pub url: String,
    pub inbox: String,
    pub outbox: String,
    pub followers: String,
    pub following: String,
    pub endpoints: Endpoints,
    pub public_key: PublicKeyDocument,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<ImageDocument>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageDocument>,
    /// Profile fields (`PropertyValue`).
    #[serde(default)]
    pub attachment: Vec<PropertyValue>,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    pub indexable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyDocument {
    pub id: String,
    pub owner: String,
    pub public_key_pem: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageDocument {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// A profile field; `value` is HTML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyValue {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteDocument {
    /// Only on a Note served on its own, not when embedded in an activity.
    #[serde(rename = "@context", default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub attributed_to: String,
    /// Sanitised HTML.
    pub content: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub content_map: BTreeMap<String, String>,
    /// The content warning when `sensitive`.
    #[serde(default)]
    pub summary: Option<String>,
    pub sensitive: bool,
    pub published: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    pub url: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    #[serde(default)]
    pub in_reply_to: Option<String>,
    #[serde(default)]
    pub attachment: Vec<AttachmentDocument>,
    #[serde(default)]
    pub tag: Vec<TagDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentDocument {
    #[serde(rename = "type")]
    pub kind: String,
    pub media_type: String,
    pub url: String,
    /// Alt text.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blurhash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagDocument {
    /// `Mention` or `Hashtag`.
    #[serde(rename = "type")]
    pub kind: String,
    pub href: String,
    /// `@user@domain` or `#tag`.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tombstone {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// The embedded `Follow` inside our `Accept`: Mastodon matches the request by it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowDocument {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: String,
    pub object: String,
}

/// Any activity we send; `O` is the object (a note, a tombstone, an id...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity<O> {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    pub object: O,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollection {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub total_items: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollectionPage<T> {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub part_of: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    pub ordered_items: Vec<T>,
}

/// A collection that shows its size and where its first page is (Mastodon hides
/// follower lists this way by publishing only `totalItems`).
pub fn ordered_collection(id: &str, total_items: u64, first: Option<&str>) -> OrderedCollection {
    OrderedCollection {
        context: Value::String(AS_CONTEXT.to_owned()),
        id: id.to_owned(),
        kind: "OrderedCollection".to_owned(),
        total_items,
        first: first.map(str::to_owned),
        last: None,
    }
}

/// One page of a collection (the outbox pages hold `Create` activities).
pub fn ordered_collection_page<T>(
    id: &str,
    part_of: &str,
    items: Vec<T>,
    next: Option<&str>,
    prev: Option<&str>,
) -> OrderedCollectionPage<T> {
    OrderedCollectionPage {
        context: Value::String(AS_CONTEXT.to_owned()),
        id: id.to_owned(),
        kind: "OrderedCollectionPage".to_owned(),
        part_of: part_of.to_owned(),
        next: next.map(str::to_owned),
        prev: prev.map(str::to_owned),
        ordered_items: items,
    }
}
