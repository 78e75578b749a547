//! Classifying what arrives: [`parse_activity`] for inbox bodies and
//! [`parse_document`] for anything fetched (actors, posts, collections).
//!
//! Both read JSON under a size limit, never panic, and name the reason when a body is
//! not something we act on, so the inbox can answer 400 with that reason.

use serde_json::{Map, Value};

use super::inbound::{RemoteActor, RemoteObject};
use super::lenient::{id_of, ids_of, string_of, type_of};
use crate::limits::MAX_INBOX_BODY;

/// Why a body is not an activity (or document) we can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("body of {size} bytes is over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("not JSON: {0}")]
    InvalidJson(String),
    #[error("not a JSON object")]
    NotAnObject,
    #[error("missing type")]
    MissingType,
    #[error("unsupported type {0}")]
    UnsupportedType(String),
    #[error("{kind} is missing {field}")]
    MissingField { kind: String, field: &'static str },
    #[error("{kind}: {reason}")]
    Invalid { kind: String, reason: String },
}

/// An activity from another server, classified.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundActivity {
    /// Used to process each activity once (replays, loops).
    pub id: String,
    /// Who claims to act; the caller checks it against the signature's key owner.
    pub actor: String,
    pub kind: ActivityKind,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub published: Option<String>,
}

/// What the activity does, with what we need to do it.
#[derive(Debug, Clone, PartialEq)]
pub enum ActivityKind {
    /// A new post (usually a reply or a mention if it reached us).
    Create(Box<RemoteObject>),
    /// An edit of a post, or a profile change.
    Update(Updated),
    /// `object` is the id of what was deleted (the actor's own id for account deletion).
    Delete {
        object: String,
    },
    Follow {
        object: String,
    },
    Accept {
        object: Target,
    },
    Reject {
        object: Target,
    },
    Undo {
        object: Target,
    },
    Like {
        object: String,
    },
    Announce {
        object: String,
    },
    Block {
        object: String,
    },
    /// A report: the reported actor and posts, and the reporter's comment.
    Flag {
        objects: Vec<String>,
        content: Option<String>,
    },
}

impl ActivityKind {
    /// The ActivityStreams type name.
    pub fn name(&self) -> &'static str {
        match self {
            ActivityKind::Create(_) => "Create",
            ActivityKind::Update(_) => "Update",
            ActivityKind::Delete { .. } => "Delete",
            ActivityKind::Follow { .. } => "Follow",
            ActivityKind::Accept { .. } => "Accept",
            ActivityKind::Reject { .. } => "Reject",
            ActivityKind::Undo { .. } => "Undo",
            ActivityKind::Like { .. } => "Like",
            ActivityKind::Announce { .. } => "Announce",
            ActivityKind::Block { .. } => "Block",
            ActivityKind::Flag { .. } => "Flag",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Updated {
    Object(Box<RemoteObject>),
    Actor(Box<RemoteActor>),
}

/// The object of Undo/Accept/Reject: an embedded activity (the usual case) or only
/// its id, which the caller looks up among activities it has stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Id(String),
    Activity {
        /// Embedded activities sometimes come without an id.
        id: Option<String>,
        actor: Option<String>,
        kind: Box<ActivityKind>,
    },
}

impl Target {
    pub fn id(&self) -> Option<&str> {
        match self {
            Target::Id(id) => Some(id),
            Target::Activity { id, .. } => id.as_deref(),
        }
    }
}

/// A fetched document, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    Activity(InboundActivity),
    Actor(Box<RemoteActor>),
    Object(Box<RemoteObject>),
    Tombstone {
        id: Option<String>,
    },
    Collection {
        id: Option<String>,
        kind: String,
        total_items: Option<u64>,
    },
}

pub const ACTOR_TYPES: &[&str] = &["Person", "Organization", "Service", "Application", "Group"];
/// Object types we store as a post when they are created, replied or mentioned.
pub const CONTENT_TYPES: &[&str] = &[
    "Note",
    "Article",
    "Page",
    "Question",
    "Video",
    "Audio",
    "Image",
    "Event",
    "ChatMessage",
];
/// The activities we act on; anything else is "unsupported type".
pub const ACTIVITY_TYPES: &[&str] = &[
    "Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Like", "Announce",
    "Block", "Flag",
];
const COLLECTION_TYPES: &[&str] = &[
    "Collection",
    "OrderedCollection",
    "CollectionPage",
    "OrderedCollectionPage",
];

/// Reads an inbox body: JSON object, ActivityStreams, one of the activity types we
/// act on, with `id` and `actor`.
pub fn parse_activity(body: &[u8]) -> Result<InboundActivity, ParseError> {
    let map = read_object(body, MAX_INBOX_BODY)?;
    let kind = type_name(&map)?;
    if ACTOR_TYPES.contains(&kind.as_str())
        || CONTENT_TYPES.contains(&kind.as_str())
        || COLLECTION_TYPES.contains(&kind.as_str())
        || kind == "Tombstone"
    {
        return Err(ParseError::UnsupportedType(format!(
            "{kind} (an object, not an activity)"
        )));
    }
    activity_from(&map, kind, true)
}

/// Reads any fetched document: an activity, actor, content object, tombstone or
/// collection.
pub fn parse_document(body: &[u8], limit: usize) -> Result<Document, ParseError> {
    let map = read_object(body, limit)?;
    let kind = type_name(&map)?;
    let value = Value::Object(map);
    let invalid = |kind: &str, e: serde_json::Error| ParseError::Invalid {
        kind: kind.to_owned(),
        reason: e.to_string(),
    };
    if ACTOR_TYPES.contains(&kind.as_str()) {
        let actor: RemoteActor = serde_json::from_value(value).map_err(|e| invalid(&kind, e))?;
        return Ok(Document::Actor(Box::new(actor)));
    }
    if CONTENT_TYPES.contains(&kind.as_str()) {
        let object: RemoteObject = serde_json::from_value(value).map_err(|e| invalid(&kind, e))?;
        return Ok(Document::Object(Box::new(object)));
    }
    if kind == "Tombstone" {
        return Ok(Document::Tombstone {
            id: value.get("id").and_then(id_of),
        });
    }
    if COLLECTION_TYPES.contains(&kind.as_str()) {
        return Ok(Document::Collection {
            id: value.get("id").and_then(id_of),
            total_items: value.get("totalItems").and_then(Value::as_u64),
            kind,
        });
    }
    let Value::Object(map) = value else {
        return Err(ParseError::NotAnObject);
    };
    activity_from(&map, kind, true).map(Document::Activity)
}

fn read_object(body: &[u8], limit: usize) -> Result<Map<String, Value>, ParseError> {
    if body.len() > limit {
        return Err(ParseError::TooLarge {
            size: body.len(),
            limit,
        });
    }
    // serde_json stops at 128 levels of nesting, so a deeply nested body is an
    // error, not a stack overflow.
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ParseError::InvalidJson(e.to_string()))?;
    // `@context` is not checked: it may be a server's own context URL that imports
    // ActivityStreams (Mbin's is), which we cannot tell without fetching it. The
    // `type` decides.
    let Value::Object(map) = value else {
        return Err(ParseError::NotAnObject);
    };
    Ok(map)
}

fn type_name(map: &Map<String, Value>) -> Result<String, ParseError> {
    map.get("type")
        .and_then(type_of)
        .ok_or(ParseError::MissingType)
}

fn required_id(
    map: &Map<String, Value>,
    kind: &str,
    field: &'static str,
) -> Result<String, ParseError> {
    map.get(field)
        .and_then(id_of)
        .ok_or_else(|| ParseError::MissingField {
            kind: kind.to_owned(),
            field,
        })
}

fn activity_from(
    map: &Map<String, Value>,
    kind: String,
    top_level: bool,
) -> Result<InboundActivity, ParseError> {
    if !ACTIVITY_TYPES.contains(&kind.as_str()) {
        return Err(ParseError::UnsupportedType(kind));
    }
    let (id, actor) = if top_level {
        (
            required_id(map, &kind, "id")?,
            required_id(map, &kind, "actor")?,
        )
    } else {
        (
            map.get("id").and_then(id_of).unwrap_or_default(),
            map.get("actor").and_then(id_of).unwrap_or_default(),
        )
    };
    let activity_kind = kind_from(map, &kind, top_level)?;
    Ok(InboundActivity {
        id,
        actor,
        kind: activity_kind,
        to: map.get("to").map(ids_of).unwrap_or_default(),
        cc: map.get("cc").map(ids_of).unwrap_or_default(),
        published: map.get("published").and_then(string_of),
    })
}

fn kind_from(
    map: &Map<String, Value>,
    kind: &str,
    top_level: bool,
) -> Result<ActivityKind, ParseError> {
    let object = map.get("object").filter(|v| !v.is_null());
    let object_id = || required_id(map, kind, "object");
    let invalid = |reason: String| ParseError::Invalid {
        kind: kind.to_owned(),
        reason,
    };
    Ok(match kind {
        "Create" | "Update" => {
            let Some(object) = object else {
                return Err(ParseError::MissingField {
                    kind: kind.to_owned(),
                    field: "object",
                });
            };
            let Some(object_kind) = object.get("type").and_then(type_of) else {
                // A bare id would need a fetch; the senders we know embed the object.
                return Err(invalid("object must be embedded, with a type".to_owned()));
            };
            if CONTENT_TYPES.contains(&object_kind.as_str()) {
                let parsed: RemoteObject =
                    serde_json::from_value(object.clone()).map_err(|e| invalid(e.to_string()))?;
                if parsed.id.is_none() {
                    return Err(invalid(format!("embedded {object_kind} has no id")));
                }
                if kind == "Create" {
                    ActivityKind::Create(Box::new(parsed))
                } else {
                    ActivityKind::Update(Updated::Object(Box::new(parsed)))
                }
            } else if kind == "Update" && ACTOR_TYPES.contains(&object_kind.as_str()) {
                let parsed: RemoteActor =
                    serde_json::from_value(object.clone()).map_err(|e| invalid(e.to_string()))?;
                ActivityKind::Update(Updated::Actor(Box::new(parsed)))
            } else {
                return Err(ParseError::UnsupportedType(format!(
                    "{kind} of {object_kind}"
                )));
            }
        }
        "Delete" => ActivityKind::Delete {
            object: object_id()?,
        },
        "Follow" => ActivityKind::Follow {
            object: object_id()?,
        },
        "Like" => ActivityKind::Like {
            object: object_id()?,
        },
        "Announce" => ActivityKind::Announce {
            object: object_id()?,
        },
        "Block" => ActivityKind::Block {
            object: object_id()?,
        },
        "Flag" => {
            let objects = object.map(ids_of).unwrap_or_default();
            if objects.is_empty() {
                return Err(ParseError::MissingField {
                    kind: kind.to_owned(),
                    field: "object",
                });
            }
            ActivityKind::Flag {
                objects,
                content: map.get("content").and_then(string_of),
            }
        }
        "Undo" | "Accept" | "Reject" if top_level => {
            let target = match object {
                Some(Value::Object(inner)) => {
                    let inner_kind = type_name(inner)
                        .map_err(|_| invalid("embedded activity is missing type".to_owned()))?;
                    let parsed = activity_from(inner, inner_kind, false).map_err(|e| match e {
                        ParseError::UnsupportedType(t) => {
                            ParseError::UnsupportedType(format!("{kind} of {t}"))
                        }
                        other => other,
                    })?;
                    Target::Activity {
                        id: Some(parsed.id).filter(|s| !s.is_empty()),
                        actor: Some(parsed.actor).filter(|s| !s.is_empty()),
                        kind: Box::new(parsed.kind),
                    }
                }
                _ => Target::Id(object_id()?),
            };
            match kind {
                "Undo" => ActivityKind::Undo { object: target },
                "Accept" => ActivityKind::Accept { object: target },
                _ => ActivityKind::Reject { object: target },
            }
        }
        other => return Err(ParseError::UnsupportedType(other.to_owned())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> String {
        parse_activity(body.as_bytes())
            .expect_err("should be rejected")
            .to_string()
    }

    #[test]
    fn reasons_are_clear() {
        assert_eq!(err("[1,2]"), "not a JSON object");
        assert_eq!(err(r#"{"id":"x"}"#), "missing type");
        assert_eq!(
            err(r#"{"type":"Dislike","id":"a","actor":"b","object":"c"}"#),
            "unsupported type Dislike"
        );
        assert_eq!(
            err(r#"{"type":"Follow","id":"a","object":"c"}"#),
            "Follow is missing actor"
        );
        assert!(err("{").starts_with("not JSON"));
        assert_eq!(
            err(r#"{"@context":"https://schema.org","type":"Recipe"}"#),
            "unsupported type Recipe"
        );
        let deep = "[".repeat(10_000);
        assert!(err(&deep).starts_with("not JSON"));
    }

    #[test]
    fn undo_of_follow_keeps_the_inner_activity() {
        let body = r#"{"@context":"https://www.w3.org/ns/activitystreams","id":"u","type":"Undo",
            "actor":"https://a/users/x","object":{"id":"f","type":"Follow",
            "actor":"https://a/users/x","object":"https://b/users/y"}}"#;
        let activity = parse_activity(body.as_bytes()).unwrap();
        let ActivityKind::Undo {
            object: Target::Activity { id, kind, .. },
        } = activity.kind
        else {
            panic!("not an undo of an activity: {activity:?}");
        };
        assert_eq!(id.as_deref(), Some("f"));
        assert_eq!(
            *kind,
            ActivityKind::Follow {
                object: "https://b/users/y".into()
            }
        );
    }

    #[test]
    fn size_limit_applies_before_parsing() {
        let body = vec![b' '; MAX_INBOX_BODY + 1];
        assert!(matches!(
            parse_activity(&body),
            Err(ParseError::TooLarge { .. })
        ));
    }
}
