//! Builders for our own documents: actors, notes and the activities around them.
//!
//! Every id is derived from stable inputs (actor, post id, version), never from a
//! clock or a random number, so a retried or re-queued delivery after a crash
//! always sends the same activity id and receivers deduplicate it.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::html::{escape, render_text, RenderContext};
use crate::protocol::outbound::{
    actor_context, object_context, Activity, ActorDocument, ActorType, AttachmentDocument,
    Endpoints, FollowDocument, ImageDocument, NoteDocument, PropertyValue, PublicKeyDocument,
    TagDocument, Tombstone,
};
use crate::protocol::PUBLIC;

/// Where an account's documents live. [`ActorUrls::new`] lays them out as Mastodon
/// does (`/users/{handle}`), which interop tools assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorUrls {
    pub id: String,
    pub key_id: String,
    pub inbox: String,
    pub shared_inbox: String,
    pub outbox: String,
    pub followers: String,
    pub following: String,
    /// The HTML profile page (same URL as `id`, negotiated, unless the site has
    /// another public profile path).
    pub profile: String,
}

impl ActorUrls {
    /// `base` is the scheme and authority, e.g. `https://police.example`.
    pub fn new(base: &str, handle: &str) -> ActorUrls {
        let base = base.trim_end_matches('/');
        let id = format!("{base}/users/{handle}");
        ActorUrls {
            key_id: format!("{id}#main-key"),
            inbox: format!("{id}/inbox"),
            shared_inbox: format!("{base}/inbox"),
            outbox: format!("{id}/outbox"),
            followers: format!("{id}/followers"),
            following: format!("{id}/following"),
            profile: format!("{base}/@{handle}"),
            id,
        }
    }

    /// The id of a post's Note.
    pub fn note_id(&self, post_id: &str) -> String {
        format!("{}/posts/{post_id}", self.id)
    }
    pub fn create_id(&self, post_id: &str) -> String {
        format!("{}/activity", self.note_id(post_id))
    }
    /// One id per edit: `version` is the post's edit counter.
    pub fn update_id(&self, post_id: &str, version: u64) -> String {
        format!("{}/update/{version}", self.note_id(post_id))
    }
    pub fn delete_id(&self, post_id: &str) -> String {
        format!("{}/delete", self.note_id(post_id))
    }
    /// One id per accepted Follow, from the Follow's own id.
    pub fn accept_id(&self, follow_id: &str) -> String {
        format!("{}/accepts/{}", self.id, short_hash(follow_id))
    }
    /// One id per boost: `share_key` is our stable id for the boost.
    pub fn announce_id(&self, share_key: &str) -> String {
        format!("{}/announces/{share_key}", self.id)
    }
    pub fn actor_update_id(&self, version: u64) -> String {
        format!("{}/updates/{version}", self.id)
    }
}

fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// Which actor type an account kind publishes as. Corporate, unit and collective
/// accounts are staffed by people, so they are `Organization`, not `Service`:
/// Mastodon badges `Service` as a bot. `Service` is for an account that only posts
/// automatically.
pub fn actor_type_for(account_kind: &str, automated: bool) -> ActorType {
    match (account_kind, automated) {
        (_, true) => ActorType::Service,
        ("personal", false) => ActorType::Person,
        _ => ActorType::Organization,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    pub url: String,
    pub media_type: Option<String>,
}

/// What an actor document says about an account.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorInfo {
    pub urls: ActorUrls,
    pub handle: String,
    pub display_name: String,
    /// Plain text; rendered with links like a post.
    pub summary: String,
    pub kind: ActorType,
    pub avatar: Option<ImageInfo>,
    pub header: Option<ImageInfo>,
    /// The force's website: shown as a "Website" profile field with `rel="me"`, so
    /// Mastodon can verify the link if the site links back.
    pub website: Option<String>,
    /// More profile fields, plain text label and value (values are linkified).
    /// The force's own domain is the account's verification: put a field saying so.
    pub fields: Vec<(String, String)>,
    pub public_key_pem: String,
    /// RFC 3339.
    pub published: Option<String>,
    pub local_domain: String,
}

pub fn actor_document(info: &ActorInfo) -> ActorDocument {
    let render = |text: &str| {
        let tags = format!("{}/tags/", base_of(&info.urls.id));
        render_text(
            text,
            &RenderContext {
                local_domain: &info.local_domain,
                hashtag_base: &tags,
                mentions: &[],
            },
        )
        .html
    };
    let mut attachment = Vec::new();
    if let Some(site) = &info.website {
        attachment.push(PropertyValue {
            kind: "PropertyValue".to_owned(),
            name: "Website".to_owned(),
            value: format!(
                "<a href=\"{0}\" target=\"_blank\" rel=\"nofollow noopener noreferrer me\" translate=\"no\">{0}</a>",
                escape(site)
            ),
        });
    }
    for (name, value) in &info.fields {
        let html = render(value);
        // A field value is one line: drop the paragraph wrapper Mastodon does not use.
        let html = html
            .strip_prefix("<p>")
            .and_then(|h| h.strip_suffix("</p>"))
            .unwrap_or(&html)
            .to_owned();
        attachment.push(PropertyValue {
            kind: "PropertyValue".to_owned(),
            name: name.clone(),
            value: html,
        });
    }
    let image = |img: &Option<ImageInfo>| {
        img.as_ref().map(|i| ImageDocument {
            kind: "Image".to_owned(),
            url: i.url.clone(),
            media_type: i.media_type.clone(),
        })
    };
    ActorDocument {
        context: actor_context(),
        id: info.urls.id.clone(),
        kind: info.kind,
        preferred_username: info.handle.clone(),
        name: info.display_name.clone(),
        summary: render(&info.summary),
        url: info.urls.profile.clone(),
        inbox: info.urls.inbox.clone(),
        outbox: info.urls.outbox.clone(),
        followers: info.urls.followers.clone(),
        following: info.urls.following.clone(),
        endpoints: Endpoints {
            shared_inbox: info.urls.shared_inbox.clone(),
        },
        public_key: PublicKeyDocument {
            id: info.urls.key_id.clone(),
            owner: info.urls.id.clone(),
            public_key_pem: info.public_key_pem.clone(),
        },
        icon: image(&info.avatar),
        image: image(&info.header),
        attachment,
        manually_approves_followers: false,
        discoverable: true,
        indexable: true,
        published: info.published.clone(),
    }
}

fn base_of(actor_id: &str) -> &str {
    actor_id
        .find("/users/")
        .map_or(actor_id, |i| &actor_id[..i])
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub url: String,
    pub media_type: String,
    pub alt: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub blurhash: Option<String>,
}

/// One of our posts, as the Note builder needs it.
#[derive(Debug, Clone, Copy)]
pub struct NoteInfo<'a> {
    pub urls: &'a ActorUrls,
    pub post_id: &'a str,
    /// Plain text as the officer wrote it.
    pub text: &'a str,
    pub content_warning: Option<&'a str>,
    /// RFC 3339.
    pub published: &'a str,
    /// RFC 3339; set on edits (Mastodon ignores an Update whose Note has no `updated`).
    pub updated: Option<&'a str>,
    /// The public HTML page of the post.
    pub url: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub attachments: &'a [AttachmentInfo],
    /// BCP 47 code for `contentMap`, e.g. `en` or `cy`.
    pub language: Option<&'a str>,
    pub render: RenderContext<'a>,
}

/// The Note for a post: public, copied to followers and to mentioned actors.
pub fn note_object(note: &NoteInfo<'_>) -> NoteDocument {
    let rendered = render_text(note.text, &note.render);
    let mut tag: Vec<TagDocument> = rendered
        .mentions
        .iter()
        .map(|m| TagDocument {
            kind: "Mention".to_owned(),
            href: m.href.clone(),
            name: format!("@{}", m.acct),
        })
        .collect();
    tag.extend(rendered.hashtags.iter().map(|t| TagDocument {
        kind: "Hashtag".to_owned(),
        href: format!("{}{}", note.render.hashtag_base, t.to_lowercase()),
        name: format!("#{t}"),
    }));
    let mut cc = vec![note.urls.followers.clone()];
    cc.extend(rendered.mentions.iter().map(|m| m.href.clone()));
    let warning = note.content_warning.filter(|w| !w.trim().is_empty());
    let content_map = note
        .language
        .map(|lang| BTreeMap::from([(lang.to_owned(), rendered.html.clone())]))
        .unwrap_or_default();
    NoteDocument {
        context: Some(object_context()),
        id: note.urls.note_id(note.post_id),
        kind: "Note".to_owned(),
        attributed_to: note.urls.id.clone(),
        content: rendered.html,
        content_map,
        summary: warning.map(str::to_owned),
        sensitive: warning.is_some(),
        published: note.published.to_owned(),
        updated: note.updated.map(str::to_owned),
        url: note.url.to_owned(),
        to: vec![PUBLIC.to_owned()],
        cc,
        in_reply_to: note.in_reply_to.map(str::to_owned),
        attachment: note
            .attachments
            .iter()
            .map(|a| AttachmentDocument {
                kind: if a.media_type.starts_with("image/") {
                    "Image".to_owned()
                } else {
                    "Document".to_owned()
                },
                media_type: a.media_type.clone(),
                url: a.url.clone(),
                name: a.alt.clone().filter(|s| !s.is_empty()),
                width: a.width,
                height: a.height,
                blurhash: a.blurhash.clone(),
            })
            .collect(),
        tag,
    }
}

fn wrap<O>(
    kind: &str,
    id: String,
    actor: &ActorUrls,
    published: Option<&str>,
    to: Vec<String>,
    cc: Vec<String>,
    object: O,
) -> Activity<O> {
    Activity {
        context: object_context(),
        id,
        kind: kind.to_owned(),
        actor: actor.id.clone(),
        published: published.map(str::to_owned),
        to,
        cc,
        object,
    }
}

fn embedded(mut note: NoteDocument) -> NoteDocument {
    note.context = None;
    note
}

/// `Create` of a post's Note; id `{note}/activity`.
pub fn create_activity(
    urls: &ActorUrls,
    post_id: &str,
    note: NoteDocument,
) -> Activity<NoteDocument> {
    let (to, cc, published) = (note.to.clone(), note.cc.clone(), note.published.clone());
    wrap(
        "Create",
        urls.create_id(post_id),
        urls,
        Some(&published),
        to,
        cc,
        embedded(note),
    )
}

/// `Update` of an edited Note; id `{note}/update/{version}`. The Note must carry
/// `updated` for Mastodon to apply the edit.
pub fn update_activity(
    urls: &ActorUrls,
    post_id: &str,
    version: u64,
    note: NoteDocument,
) -> Activity<NoteDocument> {
    let (to, cc) = (note.to.clone(), note.cc.clone());
    let published = note.updated.clone();
    wrap(
        "Update",
        urls.update_id(post_id, version),
        urls,
        published.as_deref(),
        to,
        cc,
        embedded(note),
    )
}

/// `Delete` of a post, with a `Tombstone`; id `{note}/delete`.
pub fn delete_activity(
    urls: &ActorUrls,
    post_id: &str,
    extra_cc: &[String],
) -> Activity<Tombstone> {
    let mut cc = vec![urls.followers.clone()];
    cc.extend(extra_cc.iter().cloned());
    wrap(
        "Delete",
        urls.delete_id(post_id),
        urls,
        None,
        vec![PUBLIC.to_owned()],
        cc,
        Tombstone {
            id: urls.note_id(post_id),
            kind: "Tombstone".to_owned(),
        },
    )
}

/// `Accept` of a `Follow` (we accept every follow automatically), embedding the
/// Follow as received so the follower's server can match it.
pub fn accept_activity(
    urls: &ActorUrls,
    follow_id: &str,
    follower: &str,
) -> Activity<FollowDocument> {
    wrap(
        "Accept",
        urls.accept_id(follow_id),
        urls,
        None,
        vec![follower.to_owned()],
        Vec::new(),
        FollowDocument {
            id: follow_id.to_owned(),
            kind: "Follow".to_owned(),
            actor: follower.to_owned(),
            object: urls.id.clone(),
        },
    )
}

/// `Announce` (boost) of `object`; `author` (the object's actor) is copied so it
/// learns of the boost.
pub fn announce_activity(
    urls: &ActorUrls,
    share_key: &str,
    object: &str,
    author: Option<&str>,
    published: &str,
) -> Activity<String> {
    let mut cc = vec![urls.followers.clone()];
    cc.extend(author.map(str::to_owned));
    wrap(
        "Announce",
        urls.announce_id(share_key),
        urls,
        Some(published),
        vec![PUBLIC.to_owned()],
        cc,
        object.to_owned(),
    )
}

/// `Undo` of one of our boosts; id `{announce}/undo`. The Announce is embedded
/// whole, as Mastodon sends it, so the receiver can match it without a fetch.
pub fn undo_announce_activity(
    urls: &ActorUrls,
    announce: Activity<String>,
) -> Activity<Activity<String>> {
    let (to, cc) = (announce.to.clone(), announce.cc.clone());
    let mut announce = announce;
    announce.published = None;
    wrap(
        "Undo",
        format!("{}/undo", announce.id),
        urls,
        None,
        to,
        cc,
        announce,
    )
}

/// `Update` of our actor after a profile change; `version` counts profile edits.
pub fn update_actor_activity(
    urls: &ActorUrls,
    version: u64,
    actor: ActorDocument,
) -> Activity<ActorDocument> {
    wrap(
        "Update",
        urls.actor_update_id(version),
        urls,
        None,
        vec![PUBLIC.to_owned()],
        vec![urls.followers.clone()],
        actor,
    )
}
