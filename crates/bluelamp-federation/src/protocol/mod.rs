//! ActivityStreams on the wire.
//!
//! - [`outbound`]: the documents we publish, as plain `Serialize` structs (they also
//!   `Deserialize`, so tests can read back what we send).
//! - [`inbound`] and [`activity`]: what others send, read leniently and classified.
//! - [`discovery`]: WebFinger, NodeInfo and host-meta.
//!
//! We use plain serde rather than JSON-LD processing, as Mastodon and most servers
//! do: terms are matched by their compact names in the ActivityStreams context.

pub mod activity;
pub mod discovery;
pub mod inbound;
pub mod lenient;
pub mod outbound;

pub use activity::{
    parse_activity, parse_document, ActivityKind, Document, InboundActivity, ParseError, Target,
    Updated,
};
pub use inbound::{RemoteActor, RemoteAttachment, RemoteObject, RemotePublicKey, RemoteTag};

pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
pub const SECURITY_CONTEXT: &str = "https://w3id.org/security/v1";
/// The public collection; `as:Public` and `Public` are accepted spellings too.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The media type we serve and send ActivityPub documents as.
pub const ACTIVITY_JSON: &str = "application/activity+json";
/// The other media type the spec allows; servers send either in `Accept`.
pub const LD_JSON_AS: &str =
    "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
/// What we put in `Accept` when fetching.
pub const ACCEPT_ACTIVITY: &str =
    "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// Is this address the public collection, in any of its spellings?
pub fn is_public(address: &str) -> bool {
    matches!(address, PUBLIC | "as:Public" | "Public")
}

/// Content negotiation for actor and post URLs: does this `Accept` header ask for
/// ActivityPub JSON rather than the HTML page? Browsers send `text/html` first;
/// fediverse servers send one of the two ActivityStreams types.
pub fn wants_activity_json(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let media = part.trim().to_ascii_lowercase();
        media.starts_with(ACTIVITY_JSON)
            || (media.starts_with("application/ld+json") && media.contains("activitystreams"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert!(wants_activity_json("application/activity+json"));
        assert!(wants_activity_json(ACCEPT_ACTIVITY));
        assert!(wants_activity_json(
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        ));
        assert!(!wants_activity_json(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        ));
        assert!(!wants_activity_json("application/ld+json"));
    }
}
