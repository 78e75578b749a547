//! Whose ids an activity may use, and which hosts a domain block covers. Pure.
//!
//! An actor speaks only for its own server: the ids of the activities it sends
//! and of the objects it creates, edits, deletes or takes back are on the same
//! origin (scheme, host and port) as its actor id. Without this rule a hostile
//! server can send a Create carrying the id another server's actor will use,
//! so that when the real reply arrives it is taken for a replay and vanishes.

use std::net::IpAddr;

use url::Url;

use crate::protocol::{ActivityKind, InboundActivity, Target, Updated};

/// Why an activity's ids were refused; the text is meant for the sender.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("the {field} '{id}' is not a URL")]
    NotUrl { field: &'static str, id: String },
    #[error(
        "the {field} '{id}' is not on the sending actor's origin ({origin}); an actor may only use ids of its own server"
    )]
    Foreign {
        field: &'static str,
        id: String,
        origin: String,
    },
}

/// `scheme://host:port` of a URL, with the port made explicit.
fn origin_of(field: &'static str, id: &str) -> Result<(String, String, u16), OriginError> {
    let not_url = || OriginError::NotUrl {
        field,
        id: id.to_owned(),
    };
    let url = Url::parse(id).map_err(|_| not_url())?;
    let host = url.host_str().ok_or_else(not_url)?.to_ascii_lowercase();
    let port = url.port_or_known_default().ok_or_else(not_url)?;
    Ok((url.scheme().to_owned(), host, port))
}

/// Refuse an activity whose own id, or the id of an object it creates, edits,
/// deletes or undoes, is not on its actor's origin. Objects it merely points at
/// (the post it likes, the actor it follows, what it reports) may be anywhere.
pub fn check_origins(activity: &InboundActivity) -> Result<(), OriginError> {
    let actor = origin_of("actor", &activity.actor)?;
    let same = |field: &'static str, id: &str| -> Result<(), OriginError> {
        if origin_of(field, id)? == actor {
            Ok(())
        } else {
            Err(OriginError::Foreign {
                field,
                id: id.to_owned(),
                origin: format!("{}://{}:{}", actor.0, actor.1, actor.2),
            })
        }
    };
    same("activity id", &activity.id)?;
    match &activity.kind {
        ActivityKind::Create(object) | ActivityKind::Update(Updated::Object(object)) => {
            if let Some(id) = object.id.as_deref() {
                same("object id", id)?;
            }
        }
        ActivityKind::Delete { object } => same("object id", object)?,
        ActivityKind::Undo { object } => {
            if let Some(id) = object.id() {
                same("undone activity id", id)?;
            }
            if let Target::Activity {
                actor: Some(inner), ..
            } = object
            {
                same("undone activity's actor", inner)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Does a block of `blocked` (a domain, optionally with a port) cover `host`
/// (`name` or `name:port`)? A domain covers itself and every subdomain:
/// blocking `example.org` blocks `a.example.org`, so a blocked server cannot
/// come back under a new subdomain. An IP address covers only itself, and a
/// block with a port only that exact host and port.
pub fn domain_covers(blocked: &str, host: &str) -> bool {
    let blocked = blocked.trim().trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if blocked.is_empty() || host.is_empty() {
        return false;
    }
    if host == blocked {
        return true;
    }
    let name = without_port(&host);
    if has_port(&blocked) {
        return false;
    }
    if name == blocked {
        return true;
    }
    let is_ip = name.starts_with('[') || name.parse::<IpAddr>().is_ok();
    !is_ip && name.ends_with(&format!(".{blocked}"))
}

fn has_port(host: &str) -> bool {
    without_port(host).len() != host.len()
}

fn without_port(host: &str) -> &str {
    if host.starts_with('[') {
        // [v6]:port
        return host
            .split_once("]:")
            .map_or(host, |(name, _)| &host[..=name.len()]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_activity;

    fn activity(json: serde_json::Value) -> InboundActivity {
        parse_activity(json.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn ids_on_the_actors_origin_pass() {
        let ok = activity(serde_json::json!({
            "id": "https://a.example/statuses/1/activity", "type": "Create",
            "actor": "https://a.example/users/alice",
            "object": {"id": "https://a.example:443/statuses/1", "type": "Note",
                "attributedTo": "https://a.example/users/alice", "content": "hi"}
        }));
        assert_eq!(check_origins(&ok), Ok(()));
        let like = activity(serde_json::json!({
            "id": "https://a.example/likes/1", "type": "Like",
            "actor": "https://a.example/users/alice",
            "object": "https://police.example/users/pc/posts/1"
        }));
        assert_eq!(check_origins(&like), Ok(()), "the liked post is ours");
    }

    #[test]
    fn a_foreign_activity_or_object_id_is_refused_and_named() {
        let foreign_activity = activity(serde_json::json!({
            "id": "https://b.example/statuses/1/activity", "type": "Create",
            "actor": "https://a.example/users/alice",
            "object": {"id": "https://a.example/statuses/1", "type": "Note", "content": "hi"}
        }));
        let error = check_origins(&foreign_activity).unwrap_err();
        assert!(error.to_string().contains("activity id"), "{error}");
        let foreign_object = activity(serde_json::json!({
            "id": "https://a.example/statuses/1/activity", "type": "Create",
            "actor": "https://a.example/users/alice",
            "object": {"id": "http://a.example/statuses/1", "type": "Note", "content": "hi"}
        }));
        let error = check_origins(&foreign_object).unwrap_err();
        assert!(error.to_string().contains("object id"), "{error}");
        let other_port = activity(serde_json::json!({
            "id": "https://a.example:8443/d/1", "type": "Delete",
            "actor": "https://a.example/users/alice",
            "object": "https://a.example/statuses/1"
        }));
        assert!(
            check_origins(&other_port).is_err(),
            "the port is part of the origin"
        );
        let undo = activity(serde_json::json!({
            "id": "https://a.example/undo/1", "type": "Undo",
            "actor": "https://a.example/users/alice",
            "object": {"id": "https://b.example/likes/1", "type": "Like",
                "actor": "https://a.example/users/alice", "object": "https://p.example/users/x/posts/1"}
        }));
        assert!(check_origins(&undo).is_err());
    }

    #[test]
    fn a_domain_block_covers_subdomains_but_not_lookalikes() {
        assert!(domain_covers("example.org", "example.org"));
        assert!(domain_covers("example.org", "a.example.org"));
        assert!(domain_covers("example.org", "a.b.example.org:8443"));
        assert!(domain_covers("Example.org", "A.EXAMPLE.ORG."));
        assert!(!domain_covers("example.org", "badexample.org"));
        assert!(!domain_covers("example.org", "example.org.evil.net"));
        assert!(domain_covers("127.0.0.1", "127.0.0.1:8080"));
        assert!(
            !domain_covers("0.0.1", "127.0.0.1"),
            "IP addresses have no subdomains"
        );
        assert!(domain_covers("a.example:8080", "a.example:8080"));
        assert!(!domain_covers("a.example:8080", "a.example:9090"));
        assert!(!domain_covers("a.example:8080", "b.a.example:8080"));
        assert!(domain_covers("[::1]", "[::1]:8080"));
    }
}
