//! What happens when a post goes public, inside the publishing transaction: the
//! e-mail subscriptions issue enqueues its messages here, so a crash can neither
//! lose nor double them.

use bluelamp_domain::post::sends_to;
use bluelamp_store::{notify, posts, AnyConnection};

use crate::ServiceResult;

/// Called in the same transaction that makes `post` public: queue one message per
/// confirmed immediate subscriber of its account or force. A repeated call for
/// the same post queues nothing new.
/// Only the channels the author chose are used.
pub async fn on_published(conn: &mut AnyConnection, post: &posts::Post) -> ServiceResult<()> {
    let queued = if sends_to(&post.channels, "email") {
        crate::subscriptions::queue_post_notifications(conn, post).await?
    } else {
        0
    };
    public_changed(conn, post).await?;
    // The author hears of it when someone else's approval or the clock sent it.
    crate::staff_notifications::on_post_status(conn, post).await?;
    // A reply to an inbox message, published at last (after approval or at its
    // time): the message is answered.
    crate::inbox::replies::on_reply_published(conn, post).await?;
    // Federation: queue the post's Create for its followers (fan-out is a job).
    if sends_to(&post.channels, "fediverse") {
        crate::federation::on_published(conn, post).await?;
        crate::incidents::on_update_published(conn, post).await?;
    }
    // Other networks (Bluesky…): a durable job per connected network it names.
    crate::crosspost::on_published(conn, post).await?;
    if queued > 0 {
        tracing::debug!(
            post.id = post.id,
            queued,
            "queued subscriber mail for a new post"
        );
    }
    Ok(())
}

/// What the public sees of `post`'s force changed: every server process drops its
/// cached pages and feeds when this transaction commits (PostgreSQL NOTIFY).
pub async fn public_changed(conn: &mut AnyConnection, post: &posts::Post) -> ServiceResult<()> {
    notify::announce(conn, notify::PUBLIC_CHANGED, &post.force_id.0.to_string()).await?;
    Ok(())
}
