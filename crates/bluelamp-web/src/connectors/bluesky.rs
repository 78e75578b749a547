//! Bluesky (the AT Protocol) over XRPC: a session from an app password, images
//! uploaded as blobs within the network's limits with their alt text, facets for
//! links, mentions and hashtags, a record key fixed by the post (never sent
//! twice), deletion, and the account's notifications for the inbox.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bluelamp_domain::richtext::{self, SpanKind};
use bluelamp_media::LocalMediaStore;
use bluelamp_services::crosspost::{
    Credentials, Fut, Identity, InboundPage, Incoming, NetError, Network, Outgoing, Remote,
};
use serde_json::{json, Value};

/// The PDS refuses an image embed over this (app.bsky.embed.images).
pub const MAX_IMAGE_BYTES: i64 = 2_000_000;
/// A post's text may be at most this many graphemes (checked before sending by
/// the governance check's per-network length too).
pub const MAX_GRAPHEMES: usize = 300;
const POST: &str = "app.bsky.feed.post";
const TIMEOUT: Duration = Duration::from_secs(20);
/// App-password sessions last two hours; by default we renew well before.
pub const SESSION_REUSE: Duration = Duration::from_secs(90 * 60);

struct Session {
    access: String,
    did: String,
    handle: String,
    made: Instant,
}

pub struct Bluesky {
    client: reqwest::Client,
    cards: super::cards::CardFetcher,
    media: LocalMediaStore,
    sessions: Mutex<HashMap<(String, String), Session>>,
    /// How long a session is reused before signing in again.
    reuse: Duration,
}

impl Bluesky {
    pub fn new(
        media_dir: std::path::PathBuf,
        reuse: Duration,
        cards: super::cards::CardFetcher,
    ) -> Bluesky {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "Bluelamp/",
                env!("CARGO_PKG_VERSION"),
                " (bluesky)"
            ))
            .build()
            .unwrap_or_default();
        Bluesky {
            client,
            cards,
            media: LocalMediaStore::new(media_dir),
            sessions: Mutex::new(HashMap::new()),
            reuse,
        }
    }

    fn url(service: &str, method: &str) -> String {
        format!("{}/xrpc/{method}", service.trim_end_matches('/'))
    }

    /// An XRPC answer as JSON, or the network's refusal sorted into its kind.
    async fn answer(
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<Value, NetError> {
        let response =
            response.map_err(|e| NetError::Unavailable(e.without_url().to_string(), None))?;
        let status = response.status().as_u16();
        let reset = response
            .headers()
            .get("ratelimit-reset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok());
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let error = body["error"].as_str().unwrap_or_default().to_string();
        let message = body["message"].as_str().unwrap_or(&error).to_string();
        match status {
            200..=299 => Ok(body),
            401 => Err(NetError::Auth(message)),
            400 if matches!(
                error.as_str(),
                "ExpiredToken" | "InvalidToken" | "AuthenticationRequired"
            ) =>
            {
                Err(NetError::Auth(message))
            }
            429 => Err(NetError::Unavailable(
                format!("rate limited: {message}"),
                reset,
            )),
            500..=599 => Err(NetError::Unavailable(format!("{status}: {message}"), None)),
            _ => Err(NetError::Refused(format!("{status} {error}: {message}"))),
        }
    }

    async fn sign_in(&self, credentials: &Credentials) -> Result<Session, NetError> {
        let body = Self::answer(
            self.client
                .post(Self::url(
                    &credentials.service_url,
                    "com.atproto.server.createSession",
                ))
                .json(
                    &json!({"identifier": credentials.identifier, "password": credentials.secret}),
                )
                .send()
                .await,
        )
        .await
        .map_err(|e| match e {
            NetError::Refused(why) => NetError::Auth(why),
            other => other,
        })?;
        let text = |key: &str| body[key].as_str().unwrap_or_default().to_string();
        if text("accessJwt").is_empty() || !text("did").starts_with("did:") {
            return Err(NetError::Refused(
                "the server's answer to sign-in was not a session".into(),
            ));
        }
        Ok(Session {
            access: text("accessJwt"),
            did: text("did"),
            handle: text("handle"),
            made: Instant::now(),
        })
    }

    /// A live access token for `credentials` (kept for an hour and a half).
    async fn token(&self, credentials: &Credentials) -> Result<(String, String), NetError> {
        let key = (
            credentials.service_url.clone(),
            credentials.identifier.clone(),
        );
        if let Ok(sessions) = self.sessions.lock() {
            if let Some(s) = sessions.get(&key).filter(|s| s.made.elapsed() < self.reuse) {
                return Ok((s.access.clone(), s.did.clone()));
            }
        }
        let session = self.sign_in(credentials).await?;
        let out = (session.access.clone(), session.did.clone());
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.insert(key, session);
        }
        Ok(out)
    }

    fn forget(&self, credentials: &Credentials) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(&(
                credentials.service_url.clone(),
                credentials.identifier.clone(),
            ));
        }
    }

    async fn get(
        &self,
        credentials: &Credentials,
        method: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, NetError> {
        let (token, _) = self.token(credentials).await?;
        let result = Self::answer(
            self.client
                .get(Self::url(&credentials.service_url, method))
                .bearer_auth(&token)
                .query(query)
                .send()
                .await,
        )
        .await;
        if matches!(result, Err(NetError::Auth(_))) {
            self.forget(credentials);
        }
        result
    }

    async fn post_json(
        &self,
        credentials: &Credentials,
        method: &str,
        body: &Value,
    ) -> Result<Value, NetError> {
        let (token, _) = self.token(credentials).await?;
        let result = Self::answer(
            self.client
                .post(Self::url(&credentials.service_url, method))
                .bearer_auth(&token)
                .json(body)
                .send()
                .await,
        )
        .await;
        if matches!(result, Err(NetError::Auth(_))) {
            self.forget(credentials);
        }
        result
    }

    async fn upload(
        &self,
        credentials: &Credentials,
        image: &bluelamp_services::crosspost::OutImage,
    ) -> Result<Value, NetError> {
        let bytes = super::image_bytes(&self.media, image, MAX_IMAGE_BYTES, "Bluesky").await?;
        self.upload_bytes(credentials, bytes, &image.content_type)
            .await
    }

    async fn upload_bytes(
        &self,
        credentials: &Credentials,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<Value, NetError> {
        let (token, _) = self.token(credentials).await?;
        let body = Self::answer(
            self.client
                .post(Self::url(
                    &credentials.service_url,
                    "com.atproto.repo.uploadBlob",
                ))
                .bearer_auth(&token)
                .header("content-type", content_type)
                .body(bytes)
                .send()
                .await,
        )
        .await?;
        Ok(body["blob"].clone())
    }

    /// Facets for the text: links and hashtags as they are; mentions of handles
    /// that resolve (one that does not stays plain text).
    async fn facets(&self, credentials: &Credentials, text: &str) -> Vec<Value> {
        let mut facets = Vec::new();
        for span in richtext::spans(text) {
            let feature = match span.kind {
                SpanKind::Link(uri) => json!({"$type": "app.bsky.richtext.facet#link", "uri": uri}),
                SpanKind::Tag(tag) => json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag}),
                SpanKind::Mention(handle) => {
                    match self
                        .get(
                            credentials,
                            "com.atproto.identity.resolveHandle",
                            &[("handle", &handle)],
                        )
                        .await
                    {
                        Ok(found)
                            if found["did"].as_str().is_some_and(|d| d.starts_with("did:")) =>
                        {
                            json!({"$type": "app.bsky.richtext.facet#mention", "did": found["did"]})
                        }
                        _ => continue,
                    }
                }
            };
            facets.push(json!({"index": {"byteStart": span.byte_start, "byteEnd": span.byte_end}, "features": [feature]}));
        }
        facets
    }

    /// A link card for the post's first link (`app.bsky.embed.external`), its
    /// picture uploaded as a blob; `None` when the text has no link or the page
    /// offers no card. A picture Bluesky refuses costs only the picture.
    async fn card(&self, credentials: &Credentials, text: &str) -> Option<Value> {
        let link = richtext::spans(text)
            .into_iter()
            .find_map(|s| match s.kind {
                SpanKind::Link(uri) => Some(uri),
                _ => None,
            })?;
        let found = self.cards.fetch(&link).await?;
        let mut external = json!({
            "uri": link,
            "title": found.card.title,
            "description": found.card.description,
        });
        if let Some((bytes, kind)) = found.thumb {
            if let Ok(blob) = self.upload_bytes(credentials, bytes, kind).await {
                external["thumb"] = blob;
            }
        }
        Some(json!({"$type": "app.bsky.embed.external", "external": external}))
    }

    fn web_url(did: &str, uri: &str) -> String {
        let rkey = uri.rsplit('/').next().unwrap_or_default();
        format!("https://bsky.app/profile/{did}/post/{rkey}")
    }
}

fn micros(rfc3339: &str) -> i64 {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1000) as i64)
        .unwrap_or_default()
}

impl Network for Bluesky {
    fn verify<'a>(&'a self, credentials: &'a Credentials) -> Fut<'a, Identity> {
        Box::pin(async move {
            // Not kept: the first job signs in afresh with the stored credential,
            // so a credential that stopped working shows at once.
            self.forget(credentials);
            let session = self.sign_in(credentials).await?;
            Ok(Identity {
                remote_id: session.did,
                name: session.handle,
            })
        })
    }

    fn publish<'a>(
        &'a self,
        credentials: &'a Credentials,
        remote_id: &'a str,
        post: &'a Outgoing,
    ) -> Fut<'a, Remote> {
        Box::pin(async move {
            let graphemes = post
                .text
                .chars()
                .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
                .count();
            if graphemes > MAX_GRAPHEMES {
                return Err(NetError::Refused(format!(
                    "{graphemes} characters is over Bluesky's {MAX_GRAPHEMES}"
                )));
            }
            let rkey =
                super::tid::for_post(micros(&post.created_at) + post.key_offset, post.post_id);
            // Already there (a retry after a crash, or a lost answer): the first copy stands.
            if let Ok(found) = self
                .get(
                    credentials,
                    "com.atproto.repo.getRecord",
                    &[("repo", remote_id), ("collection", POST), ("rkey", &rkey)],
                )
                .await
            {
                let uri = found["uri"].as_str().unwrap_or_default().to_string();
                let cid = found["cid"].as_str().unwrap_or_default().to_string();
                return Ok(Remote {
                    url: Self::web_url(remote_id, &uri),
                    uri,
                    cid,
                });
            }
            // A correction is written now; the post itself when it was published here.
            let created_at = if post.key_offset > 0 {
                bluelamp_store::now_text()
            } else {
                post.created_at.clone()
            };
            let mut record = json!({
                "$type": POST,
                "text": post.text,
                "createdAt": created_at,
                "langs": post.langs,
            });
            if let Some((root, parent)) = &post.reply {
                record["reply"] = json!({
                    "root": {"uri": root.uri, "cid": root.cid},
                    "parent": {"uri": parent.uri, "cid": parent.cid},
                });
            }
            let facets = self.facets(credentials, &post.text).await;
            if !facets.is_empty() {
                record["facets"] = Value::Array(facets);
            }
            if !post.images.is_empty() {
                let mut images = Vec::new();
                for image in post.images.iter().take(4) {
                    let blob = self.upload(credentials, image).await?;
                    let mut entry = json!({"image": blob, "alt": image.alt});
                    if let (Some(w), Some(h)) = (image.width, image.height) {
                        entry["aspectRatio"] = json!({"width": w, "height": h});
                    }
                    images.push(entry);
                }
                record["embed"] = json!({"$type": "app.bsky.embed.images", "images": images});
            } else if let Some(card) = self.card(credentials, &post.text).await {
                // One embed per post: photos win over a card.
                record["embed"] = card;
            }
            let created = self
                .post_json(
                    credentials,
                    "com.atproto.repo.createRecord",
                    &json!({"repo": remote_id, "collection": POST, "rkey": rkey, "record": record}),
                )
                .await?;
            let uri = created["uri"].as_str().unwrap_or_default().to_string();
            let cid = created["cid"].as_str().unwrap_or_default().to_string();
            Ok(Remote {
                url: Self::web_url(remote_id, &uri),
                uri,
                cid,
            })
        })
    }

    fn delete<'a>(
        &'a self,
        credentials: &'a Credentials,
        remote_id: &'a str,
        uri: &'a str,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let rkey = uri.rsplit('/').next().unwrap_or_default();
            self.post_json(
                credentials,
                "com.atproto.repo.deleteRecord",
                &json!({"repo": remote_id, "collection": POST, "rkey": rkey}),
            )
            .await?;
            Ok(())
        })
    }

    fn followers<'a>(
        &'a self,
        credentials: &'a Credentials,
        remote_id: &'a str,
    ) -> Fut<'a, Option<i64>> {
        Box::pin(async move {
            let profile = self
                .get(
                    credentials,
                    "app.bsky.actor.getProfile",
                    &[("actor", remote_id)],
                )
                .await?;
            Ok(profile["followersCount"].as_i64())
        })
    }

    fn inbound<'a>(
        &'a self,
        credentials: &'a Credentials,
        cursor: Option<&'a str>,
    ) -> Fut<'a, InboundPage> {
        Box::pin(async move {
            // Notifications come newest first; our cursor is the newest time we
            // have taken. Read back until we reach it (at most five pages).
            let mut items = Vec::new();
            let mut newest: Option<String> = None;
            let mut page: Option<String> = None;
            'pages: for _ in 0..5 {
                let mut query = vec![("limit", "50")];
                if let Some(p) = &page {
                    query.push(("cursor", p.as_str()));
                }
                let body = self
                    .get(
                        credentials,
                        "app.bsky.notification.listNotifications",
                        &query,
                    )
                    .await?;
                for n in body["notifications"].as_array().into_iter().flatten() {
                    let at = n["indexedAt"].as_str().unwrap_or_default().to_string();
                    if cursor.is_some_and(|c| at.as_str() <= c) {
                        break 'pages;
                    }
                    if newest.as_ref().is_none_or(|x| at > *x) {
                        newest = Some(at.clone());
                    }
                    if !matches!(n["reason"].as_str(), Some("reply" | "mention" | "quote")) {
                        continue;
                    }
                    let record = &n["record"];
                    let handle = n["author"]["handle"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    items.push(Incoming {
                        uri: n["uri"].as_str().unwrap_or_default().to_string(),
                        author_url: Some(format!("https://bsky.app/profile/{handle}")),
                        author_name: n["author"]["displayName"].as_str().map(str::to_string),
                        author_handle: handle,
                        text: record["text"].as_str().unwrap_or_default().to_string(),
                        reply_to: record["reply"]["parent"]["uri"]
                            .as_str()
                            .map(str::to_string),
                        root: record["reply"]["root"]["uri"].as_str().map(str::to_string),
                        sent_at: record["createdAt"]
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or(at),
                    });
                }
                match body["cursor"].as_str() {
                    Some(next) if cursor.is_some() => page = Some(next.to_string()),
                    _ => break,
                }
            }
            items.reverse();
            Ok(InboundPage {
                items,
                cursor: newest.or_else(|| cursor.map(str::to_string)),
            })
        })
    }
}
