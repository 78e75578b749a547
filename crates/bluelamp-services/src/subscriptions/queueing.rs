//! Queueing mail when a post is published, and the daily digests.

use std::collections::hash_map::Entry;

use bluelamp_domain::alert::{self, Follows, Place};
use bluelamp_domain::{incident, AccountId};
use bluelamp_store::{accounts, forces, format_time, subscriptions as subs, AnyConnection, Store};
use time::OffsetDateTime;

use crate::ServiceResult;

use super::messages::{
    escape_html, footer_html, footer_text, html_document, html_paragraphs, unsubscribe_path,
    Rendered,
};
use super::subscribing::queue;
use super::{scope_label, unsubscribe_token, write_key, Mode, BASE_URL, DIGEST_SETTLE_SECONDS};

/// Queue one message per confirmed immediate subscriber of the post's account or
/// force, in the caller's transaction. The dedupe key (subscriber and post)
/// means a retried publish never mails anyone twice.
pub async fn queue_post_notifications(
    conn: &mut AnyConnection,
    post: &bluelamp_store::posts::Post,
) -> ServiceResult<usize> {
    let mut recipients = subs::immediate_recipients(conn, post.force_id, post.account_id).await?;
    // Area alerts: a subscriber who chose topics, districts or a drawn area gets
    // only the posts about them.
    let place = post_place(
        conn,
        post.force_id,
        post.link_kind.as_deref(),
        post.link_ref.as_deref(),
    )
    .await?;
    recipients.retain(|s| follows(s).wants(&place));
    if recipients.is_empty() {
        return Ok(0);
    }
    let force = forces::get(conn, post.force_id).await?;
    let account = accounts::get(conn, post.account_id).await?;
    let key = write_key(conn).await?;
    let profile = format!("{BASE_URL}/forces/{}/posts/{}", force.code, post.id);
    let subject = format!("{} (@{}): new post", account.display_name, account.handle);
    let mut queued = 0;
    for subscriber in &recipients {
        let scope = match subscriber.account_id {
            Some(_) => format!(
                "{} (@{}) at {}",
                account.display_name, account.handle, force.name
            ),
            None => format!("all accounts of {}", force.name),
        };
        let unsubscribe = unsubscribe_path(&unsubscribe_token(&key, subscriber.id));
        let text = format!(
            "{} (@{}) posted:\n\n{}\n\nSee it online: {profile}{}",
            account.display_name,
            account.handle,
            post.body,
            footer_text(&scope, &unsubscribe)
        );
        let html = html_document(
            &subject,
            &format!(
                "<h1>{} <small>@{}</small></h1>{}<p><a href=\"{}\">See it online</a></p>{}",
                escape_html(&account.display_name),
                escape_html(&account.handle),
                html_paragraphs(&post.body),
                escape_html(&profile),
                footer_html(&scope, &unsubscribe)
            ),
        );
        let rendered = Rendered {
            subject: subject.clone(),
            text,
            html,
        };
        let dedupe = format!("post:{}:subscriber:{}", post.id, subscriber.id);
        if queue(
            conn,
            subscriber,
            "post",
            &rendered,
            Some(&unsubscribe),
            Some(&dedupe),
        )
        .await?
        .is_some()
        {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Queue each due digest subscriber's posts since their last digest as one
/// message. A subscriber is due once a day (20 hours after their last digest,
/// so a late run one day does not skip the next). Returns how many were queued.
pub async fn queue_digests(store: &Store, now: OffsetDateTime) -> ServiceResult<usize> {
    // A digest covers posts up to a minute ago: a post whose publishing
    // transaction is still committing (stamped a moment before it becomes
    // visible) then falls in the next digest instead of between two.
    let until = format_time(now - time::Duration::seconds(DIGEST_SETTLE_SECONDS));
    let due = {
        let mut conn = store.read().await?;
        subs::digest_due(&mut conn, &format_time(now - time::Duration::hours(20))).await?
    };
    let mut queued = 0;
    for subscriber in due {
        let mut tx = store.write().await?;
        // Re-read inside the transaction: it may have changed since the list.
        let Some(subscriber) = subs::get(&mut tx, subscriber.id).await? else {
            continue;
        };
        if subscriber.status != subs::CONFIRMED || subscriber.mode != Mode::Digest.as_str() {
            continue;
        }
        let since = subscriber
            .last_digest_at
            .clone()
            .or_else(|| subscriber.confirmed_at.clone())
            .unwrap_or_else(|| subscriber.created_at.clone());
        let posts = subs::published_between(
            &mut tx,
            subscriber.force_id,
            subscriber.account_id,
            &since,
            &until,
            200,
        )
        .await?;
        subs::set_last_digest(&mut tx, subscriber.id, &until).await?;
        let wanted = follows(&subscriber);
        let mut kept = Vec::with_capacity(posts.len());
        for post in posts {
            let place = post_place(
                &mut tx,
                subscriber.force_id,
                post.link_kind.as_deref(),
                post.link_ref.as_deref(),
            )
            .await?;
            if wanted.wants(&place) {
                kept.push(post);
            }
        }
        let posts = kept;
        if posts.is_empty() {
            tx.commit().await?;
            continue;
        }
        let force = forces::get(&mut tx, subscriber.force_id).await?;
        let key = write_key(&mut tx).await?;
        let scope = scope_label(&mut tx, &subscriber).await?;
        let unsubscribe = unsubscribe_path(&unsubscribe_token(&key, subscriber.id));
        let mut names = std::collections::HashMap::<AccountId, (String, String)>::new();
        let mut text = format!(
            "Posts from {scope} since your last digest ({}):\n",
            posts.len()
        );
        let mut html = format!(
            "<h1>Your daily digest</h1><p>Posts from {} since your last digest ({}):</p>",
            escape_html(&scope),
            posts.len()
        );
        for post in &posts {
            if let Entry::Vacant(slot) = names.entry(post.account_id) {
                let account = accounts::get(&mut tx, post.account_id).await?;
                slot.insert((account.display_name, account.handle));
            }
            let (name, handle) = names.get(&post.account_id).cloned().unwrap_or_default();
            let link = format!("{BASE_URL}/forces/{}/posts/{}", force.code, post.id);
            text.push_str(&format!(
                "\n{name} (@{handle}), {}:\n{}\n{link}\n",
                post.published_at, post.body
            ));
            html.push_str(&format!(
                "<h2>{} <small>@{}</small></h2><p><small>{}</small></p>{}<p><a href=\"{}\">See it online</a></p>",
                escape_html(&name),
                escape_html(&handle),
                escape_html(&post.published_at),
                html_paragraphs(&post.body),
                escape_html(&link)
            ));
        }
        text.push_str(&footer_text(&scope, &unsubscribe));
        html.push_str(&footer_html(&scope, &unsubscribe));
        let subject = format!("{}: your daily digest ({} new)", force.name, posts.len());
        let rendered = Rendered {
            html: html_document(&subject, &html),
            subject,
            text,
        };
        let dedupe = format!("digest:{}:{}", subscriber.id, until);
        queue(
            &mut tx,
            &subscriber,
            "digest",
            &rendered,
            Some(&unsubscribe),
            Some(&dedupe),
        )
        .await?;
        tx.commit().await?;
        queued += 1;
    }
    Ok(queued)
}

/// What a subscriber's row says they follow.
fn follows(subscriber: &subs::Subscriber) -> Follows {
    Follows::from_columns(
        subscriber.areas.as_deref(),
        subscriber.topics.as_deref(),
        subscriber.area_geojson.as_deref(),
    )
}

/// Where a post is about: its topic, and its incident's or appeal's districts
/// and drawn area (none for a post linked to neither).
async fn post_place(
    conn: &mut AnyConnection,
    force: bluelamp_domain::ForceId,
    link_kind: Option<&str>,
    link_ref: Option<&str>,
) -> ServiceResult<Place> {
    let topic = alert::topic_of(link_kind);
    let (Some(kind), Some(reference)) = (link_kind, link_ref) else {
        return Ok(Place {
            topic,
            ..Place::default()
        });
    };
    let (districts, area) = match kind {
        "incident" => bluelamp_store::incidents::by_reference(conn, force, reference)
            .await?
            .map(|i| (i.districts, i.area_geojson))
            .unwrap_or_default(),
        "appeal" => bluelamp_store::appeals::by_reference(conn, force, reference)
            .await?
            .map(|a| (a.districts, None))
            .unwrap_or_default(),
        _ => Default::default(),
    };
    Ok(Place {
        topic,
        districts: districts
            .split(',')
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect(),
        area: area
            .and_then(|a| serde_json::from_str(&a).ok())
            .and_then(|a| incident::polygon(&a).ok())
            .unwrap_or_default(),
    })
}
