//! Bluelamp's ActivityPub layer: everything needed to be a fediverse actor, except
//! storage and the HTTP server, which the caller provides.
//!
//! | module | what |
//! |---|---|
//! | [`protocol`] | wire types; lenient [`parse_activity`]/[`parse_document`]; WebFinger, NodeInfo, host-meta |
//! | [`build`] | our actor, Note and activity documents, with stable ids |
//! | [`html`] | plain text → Mastodon-style HTML; sanitising remote HTML |
//! | [`signatures`] | HTTP Signatures (draft-cavage-12, RSA-SHA256) sign/verify, key pairs, key-owner check |
//! | [`safety`] | refusing every special-purpose address (IANA registries, built in from `data/`); the guarded HTTP client |
//! | [`origin`] | an actor uses only ids of its own origin; which hosts a domain block covers |
//! | [`delivery`] | one signed POST to an inbox, classified retryable or permanent; backoff; shared-inbox dedupe |
//! | [`fetch`] | signed or unsigned GET of actors, keys and WebFinger under size/time limits |
//!
//! Why in-house rather than `activitypub_federation`: that crate brings actix-web,
//! axum, moka and its own in-memory queue, which we would have to bypass anyway
//! (deliveries must survive restarts). What we need from it is a few hundred
//! lines of protocol, written here against the specifications.
//!
//! TLS: outbound HTTPS comes from the default `rustls` feature (reqwest's rustls
//! with the webpki root store; no OpenSSL). `default-features = false` gives a
//! plain-HTTP-only build.
//!
//! Wiring, in short: the inbox handler limits the body to
//! [`limits::MAX_INBOX_BODY`] (413), calls [`parse_activity`] (400 with the
//! error's text), [`signatures::signature_of`] for the key id, looks the key up in
//! its cache or [`fetch::fetch_key`] (refetching once on a bad signature, for key
//! rotation), [`signatures::verify_parsed`] (401), then
//! [`signatures::check_key_owner`] against the activity's actor (401), dedupes on
//! the activity id, and stores. Outbound, a post's activity is built once with
//! [`build`], fanned out to [`delivery::dedupe_inboxes`], and each queue row is
//! sent with [`delivery::deliver`], rescheduled with [`delivery::backoff`] when
//! the error is retryable.
//!
//! No I/O outside [`delivery`], [`fetch`] and [`safety::resolve_checked`]; no clock
//! reads outside the same (the time is a parameter elsewhere).

pub mod build;
pub mod delivery;
pub mod fetch;
pub mod html;
pub mod limits;
pub mod message_signatures;
pub mod origin;
pub mod protocol;
pub mod safety;
pub mod signatures;

pub use protocol::{
    parse_activity, parse_document, ActivityKind, Document, InboundActivity, ParseError,
};
pub use safety::{check_remote_url, ClientOptions, HttpClient, UnsafeUrl};
pub use signatures::{
    generate_keypair, sign_request, verify_request, PublicKey, SignatureError, Signer,
};
