//! Our ActivityPub documents, from store rows: actors, Notes and the bodies of
//! queued outbound activities. Builders are in `bluelamp_federation::build`.

use bluelamp_federation::build::{
    accept_activity, actor_document, actor_type_for, announce_activity, create_activity,
    delete_activity, note_object, undo_announce_activity, update_activity, ActorInfo, ActorUrls,
    AttachmentInfo, ImageInfo, NoteInfo,
};
use bluelamp_federation::html::{Mention, RenderContext};
use bluelamp_federation::protocol::outbound::Activity;
use bluelamp_federation::protocol::outbound::{ActorDocument, NoteDocument};
use bluelamp_store::federation as fed;
use bluelamp_store::{accounts, forces, media, posts, AnyConnection};

use super::{actor_key, base_url, internal};
use crate::error::WebError;
use crate::AppState;

/// Where an account's documents live; the HTML profile is the public page.
pub fn actor_urls(base: &str, force: &forces::Force, account: &accounts::Account) -> ActorUrls {
    let mut urls = ActorUrls::new(base, &account.handle);
    urls.profile = format!("{base}/forces/{}/accounts/{}", force.code, account.handle);
    urls
}

pub async fn actor(
    state: &AppState,
    force: &forces::Force,
    account: &accounts::Account,
) -> Result<ActorDocument, WebError> {
    let base = base_url(state, force);
    let key = actor_key(state, account.id).await?;
    let info = ActorInfo {
        urls: actor_urls(&base, force, account),
        handle: account.handle.clone(),
        display_name: account.display_name.clone(),
        summary: account.bio.clone(),
        kind: actor_type_for(account.kind.as_str(), false),
        avatar: account.avatar_url.clone().map(|url| ImageInfo {
            url,
            media_type: None,
        }),
        // Accounts have no banner of their own: the force's logo brands them all.
        header: force.logo_url.clone().map(|url| ImageInfo {
            url,
            media_type: None,
        }),
        website: Some(base.clone()),
        // The force's own domain is the verification: the account can only be
        // served from it by the force.
        fields: vec![(
            "Verified".to_owned(),
            format!(
                "An official account of {}, served from the force's own domain {}",
                force.name, force.domain
            ),
        )],
        public_key_pem: key.public_pem.clone(),
        published: Some(account.created_at.clone()),
        local_domain: force.domain.clone(),
    };
    Ok(actor_document(&info))
}

/// Where a force's hashtag links point: its public tag pages, `/tags/{tag}` on
/// the force's own domain (served by `public::tag_page`).
pub fn hashtag_base(base: &str) -> String {
    format!("{base}/tags/")
}

/// The stored (resolved) mentions of a post, as the renderer links them.
pub async fn mentions_of(conn: &mut AnyConnection, post_id: i64) -> Result<Vec<Mention>, WebError> {
    Ok(fed::post_mentions(conn, post_id)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|m| Mention {
            acct: m.acct,
            href: m.actor_id,
        })
        .collect())
}

/// The remote note a reply from the inbox answers, so it threads under it.
async fn reply_target(
    conn: &mut AnyConnection,
    post: &posts::Post,
) -> Result<Option<String>, WebError> {
    if post.link_kind.as_deref() != Some(bluelamp_services::inbox::replies::LINK_KIND) {
        return Ok(None);
    }
    let Some(id) = post.link_ref.as_deref().and_then(|r| r.parse::<i64>().ok()) else {
        return Ok(None);
    };
    let message = bluelamp_store::inbox::get(conn, id)
        .await
        .map_err(internal)?;
    Ok(message
        .filter(|m| m.force_id == post.force_id && m.channel == "fediverse")
        .map(|m| m.external_id)
        .filter(|id| id.starts_with("https://") || id.starts_with("http://")))
}

/// A published post as a Note. Mentions come from `post_mentions` (resolved once,
/// when the post went out), so the delivered Note and the served one agree.
pub async fn note(
    conn: &mut AnyConnection,
    base: &str,
    force: &forces::Force,
    account: &accounts::Account,
    post: &posts::Post,
) -> Result<NoteDocument, WebError> {
    let urls = actor_urls(base, force, account);
    let attachments: Vec<AttachmentInfo> = media::for_post(conn, post.id)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|m| AttachmentInfo {
            url: format!("{base}/media/{}", m.id),
            media_type: m.content_type,
            alt: Some(m.alt).filter(|a| !a.is_empty()),
            width: m.width.and_then(|w| u32::try_from(w).ok()),
            height: m.height.and_then(|h| u32::try_from(h).ok()),
            blurhash: None,
        })
        .collect();
    let post_id = post.id.to_string();
    let hashtags = hashtag_base(base);
    let mentions = mentions_of(conn, post.id).await?;
    let url = format!("{base}/forces/{}/posts/{}", force.code, post.id);
    let edited = (post.version > 1)
        .then_some(())
        .and(post.updated_at.as_deref());
    let in_reply_to = reply_target(conn, post).await?;
    Ok(note_object(&NoteInfo {
        urls: &urls,
        post_id: &post_id,
        text: &post.body,
        content_warning: post.content_warning.as_deref(),
        published: post.public_date(),
        updated: edited,
        url: &url,
        in_reply_to: in_reply_to.as_deref(),
        attachments: &attachments,
        language: Some("en"),
        render: RenderContext {
            local_domain: &force.domain,
            hashtag_base: &hashtags,
            mentions: &mentions,
        },
    }))
}

/// The JSON of a queued outbound activity, built from the rows as they are now.
pub async fn outbound_body(state: &AppState, outbound: &fed::Outbound) -> Result<String, WebError> {
    let mut conn = state.store.read().await.map_err(internal)?;
    let account = accounts::get(&mut conn, outbound.account_id)
        .await
        .map_err(internal)?;
    let force = forces::get(&mut conn, account.force_id)
        .await
        .map_err(internal)?;
    let base = base_url(state, &force);
    let urls = actor_urls(&base, &force, &account);
    let json = match (outbound.kind.as_str(), outbound.post_id) {
        ("Create" | "Update", Some(post_id)) => {
            let post = posts::get(&mut conn, post_id).await.map_err(internal)?;
            let mut note = note(&mut conn, &base, &force, &account, &post).await?;
            if outbound.kind == "Update" && note.updated.is_none() {
                // Mastodon ignores an Update whose Note carries no `updated`.
                note.updated = Some(
                    post.updated_at
                        .clone()
                        .unwrap_or_else(bluelamp_store::now_text),
                );
            }
            if outbound.kind == "Create" {
                serde_json::to_string(&create_activity(&urls, &post_id.to_string(), note))
            } else {
                let version = outbound
                    .post_version
                    .and_then(|v| u64::try_from(v).ok())
                    .unwrap_or(1);
                serde_json::to_string(&update_activity(&urls, &post_id.to_string(), version, note))
            }
        }
        ("Delete", Some(post_id)) => {
            // Those the post mentioned were sent it; they are told it is gone too.
            let mentioned: Vec<String> = fed::post_mentions(&mut conn, post_id)
                .await
                .map_err(internal)?
                .into_iter()
                .filter(|m| m.inbox.is_some())
                .map(|m| m.actor_id)
                .collect();
            serde_json::to_string(&delete_activity(&urls, &post_id.to_string(), &mentioned))
        }
        ("Announce" | "UndoAnnounce", Some(post_id)) => {
            let announce = announce(&mut conn, &base, &force, &urls, outbound, post_id).await?;
            if outbound.kind == "Announce" {
                serde_json::to_string(&announce)
            } else {
                serde_json::to_string(&undo_announce_activity(&urls, announce))
            }
        }
        ("Accept", _) => {
            let follow = outbound.follow_id.as_deref().unwrap_or_default();
            let follower = outbound.target_actor.as_deref().unwrap_or_default();
            serde_json::to_string(&accept_activity(&urls, follow, follower))
        }
        (other, _) => return Err(internal(format!("cannot build outbound kind {other}"))),
    };
    json.map_err(internal)
}

/// The Announce of a shared post: its id comes from the share's row, so an
/// Announce and its Undo name the same activity, and a later re-share is new.
async fn announce(
    conn: &mut AnyConnection,
    base: &str,
    force: &forces::Force,
    urls: &ActorUrls,
    outbound: &fed::Outbound,
    post_id: i64,
) -> Result<Activity<String>, WebError> {
    let share_id = outbound
        .share_id
        .ok_or_else(|| internal(format!("outbound {} names no share", outbound.id)))?;
    let share = fed::share(conn, share_id).await.map_err(internal)?;
    let post = posts::get(conn, post_id).await.map_err(internal)?;
    let author = accounts::get(conn, post.account_id)
        .await
        .map_err(internal)?;
    let author_urls = actor_urls(base, force, &author);
    Ok(announce_activity(
        urls,
        &share.id.to_string(),
        &author_urls.note_id(&post.id.to_string()),
        Some(&author_urls.id),
        &share.created_at,
    ))
}
