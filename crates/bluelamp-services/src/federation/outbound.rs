//! Outbound hooks, called inside the transaction that changes a post, and the
//! fan-out job that turns one outbound activity into one delivery per inbox.

use bluelamp_domain::PostStatus;
use bluelamp_federation::origin::domain_covers;
use bluelamp_store::federation::NewOutbound;
use bluelamp_store::{accounts, federation as fed, jobs, posts, AnyConnection};
use serde_json::json;

use crate::runner::JobOutcome;
use crate::ServiceResult;

use super::urls::host_of;
use super::FANOUT_JOB;

async fn queue_post_activity(
    conn: &mut AnyConnection,
    post: &posts::Post,
    kind: &str,
    dedupe_key: String,
) -> ServiceResult<()> {
    // No followers and no one mentioned: nobody to tell, so no row and no job (a
    // later follower is not sent old posts, as on Mastodon). A post that names
    // someone goes out even without followers: the mentioned actor is told.
    let mentions_someone = match kind {
        "Delete" => fed::post_mentions(conn, post.id)
            .await?
            .iter()
            .any(|m| m.inbox.is_some()),
        _ => !bluelamp_federation::html::extract_mentions(&post.body).is_empty(),
    };
    if !mentions_someone && fed::follower_count(conn, post.account_id).await? == 0 {
        return Ok(());
    }
    let outbound = fed::insert_outbound(
        conn,
        &NewOutbound {
            account_id: post.account_id,
            kind,
            post_id: Some(post.id),
            post_version: Some(post.version),
            follow_id: None,
            target_actor: None,
            dedupe_key: &dedupe_key,
        },
    )
    .await?;
    if let Some(id) = outbound {
        enqueue_fanout(conn, id).await?;
    }
    Ok(())
}

pub(super) async fn enqueue_fanout(
    conn: &mut AnyConnection,
    outbound_id: i64,
) -> ServiceResult<()> {
    // The fan-out runs as a job, not here: an account with 10,000 followers
    // must not hold the publishing transaction open for 10,000 inserts, and
    // mentions are resolved over the network before it, outside any transaction.
    jobs::enqueue(
        conn,
        FANOUT_JOB,
        &json!({ "outbound_id": outbound_id }),
        &bluelamp_store::now_text(),
        Some(&format!("fanout:{outbound_id}")),
        10,
    )
    .await?;
    Ok(())
}

/// A post became public: queue its `Create`.
pub async fn on_published(conn: &mut AnyConnection, post: &posts::Post) -> ServiceResult<()> {
    queue_post_activity(conn, post, "Create", format!("create:{}", post.id)).await
}

/// A public post was edited: queue an `Update` for this version.
pub async fn on_edited(conn: &mut AnyConnection, post: &posts::Post) -> ServiceResult<()> {
    if post.status != PostStatus::Published
        || !bluelamp_domain::post::sends_to(&post.channels, "fediverse")
    {
        return Ok(());
    }
    let key = format!("update:{}:{}", post.id, post.version);
    queue_post_activity(conn, post, "Update", key).await
}

/// A public post was deleted: queue its `Delete`.
pub async fn on_deleted(conn: &mut AnyConnection, post: &posts::Post) -> ServiceResult<()> {
    if !bluelamp_domain::post::sends_to(&post.channels, "fediverse") {
        return Ok(());
    }
    queue_post_activity(conn, post, "Delete", format!("delete:{}", post.id)).await
}

/// The fan-out job: one delivery row per distinct inbox of the account's
/// followers (shared inboxes first), plus the own inbox of each remote actor the
/// post mentions (as Mastodon does), skipping blocked domains. Idempotent.
pub async fn fan_out(conn: &mut AnyConnection, job: &jobs::Job) -> ServiceResult<JobOutcome> {
    let Some(id) = job.payload.get("outbound_id").and_then(|v| v.as_i64()) else {
        return Ok(JobOutcome::Done);
    };
    let outbound = fed::outbound(conn, id).await?;
    let account = accounts::get(conn, outbound.account_id).await?;
    let blocked = fed::blocked_domains(conn, account.force_id).await?;
    let mut inboxes = fed::delivery_targets(conn, outbound.account_id).await?;
    // An Announce's post is another account's: its mentions were told by its Create.
    if let ("Create" | "Update" | "Delete", Some(post_id)) =
        (outbound.kind.as_str(), outbound.post_id)
    {
        for mention in fed::post_mentions(conn, post_id).await? {
            if let Some(inbox) = mention.inbox {
                if !inboxes.contains(&inbox) {
                    inboxes.push(inbox);
                }
            }
        }
    }
    for inbox in inboxes {
        let host = host_of(&inbox).to_ascii_lowercase();
        // A blocked domain covers its subdomains (a.example.org for example.org).
        if blocked.iter().any(|b| domain_covers(b, &host)) {
            continue;
        }
        fed::enqueue_delivery(conn, id, &inbox, &host).await?;
    }
    Ok(JobOutcome::Done)
}
