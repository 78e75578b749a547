//! Our ActivityPub documents, from store rows: actors, Notes and the bodies of
//! queued outbound activities. Builders are in `bluelamp_federation::build`.

use bluelamp_federation::build::{
    accept_activity, actor_document, actor_type_for, create_activity, delete_activity, note_object,
    update_activity, ActorInfo, ActorUrls, AttachmentInfo, ImageInfo, NoteInfo,
};
use bluelamp_federation::html::RenderContext;
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
        header: None,
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

/// A published post as a Note.
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
    let hashtags = format!("{base}/tags/");
    let url = format!("{base}/forces/{}/posts/{}", force.code, post.id);
    let edited = (post.version > 1)
        .then_some(())
        .and(post.updated_at.as_deref());
    Ok(note_object(&NoteInfo {
        urls: &urls,
        post_id: &post_id,
        text: &post.body,
        content_warning: None,
        published: post.public_date(),
        updated: edited,
        url: &url,
        in_reply_to: None,
        attachments: &attachments,
        language: Some("en"),
        render: RenderContext {
            local_domain: &force.domain,
            hashtag_base: &hashtags,
            mentions: &[],
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
            serde_json::to_string(&delete_activity(&urls, &post_id.to_string(), &[]))
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
