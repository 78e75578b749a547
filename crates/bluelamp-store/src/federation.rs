//! Federation rows: actor keys, remote followers, inbound activities and
//! messages, the outbound activities and their durable delivery queue, blocks,
//! reports and reaction counts. Plain SQL over both backends, like the rest.

use bluelamp_domain::{AccountId, ForceId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Backend, Result};

// ---- keys -------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct ActorKey {
    pub account_id: AccountId,
    pub private_pem: String,
    pub public_pem: String,
    pub created_at: String,
}

pub async fn actor_key(conn: &mut AnyConnection, account: AccountId) -> Result<Option<ActorKey>> {
    let row = sqlx::query(
        "SELECT account_id, private_pem, public_pem, created_at FROM actor_keys WHERE account_id = $1",
    )
    .bind(account.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(ActorKey {
            account_id: AccountId(r.try_get("account_id")?),
            private_pem: r.try_get("private_pem")?,
            public_pem: r.try_get("public_pem")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// Store a key pair unless the account already has one (two first requests may
/// race; the first stored wins and both callers read it back).
pub async fn insert_actor_key(
    conn: &mut AnyConnection,
    account: AccountId,
    private_pem: &str,
    public_pem: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO actor_keys (account_id, private_pem, public_pem, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account.0)
    .bind(private_pem)
    .bind(public_pem)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---- forces by domain -------------------------------------------------------

/// The force whose public domain (host, with a port when not the default) is
/// `domain`, compared case-insensitively.
pub async fn force_id_by_domain(conn: &mut AnyConnection, domain: &str) -> Result<Option<ForceId>> {
    let row = sqlx::query("SELECT id FROM forces WHERE LOWER(domain) = LOWER($1)")
        .bind(domain)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?.map(ForceId))
}

/// Change a force's public domain (the CLI and the tests use it; actor ids are
/// derived from it).
pub async fn set_force_domain(
    conn: &mut AnyConnection,
    force: ForceId,
    domain: &str,
) -> Result<()> {
    sqlx::query("UPDATE forces SET domain = $1 WHERE id = $2")
        .bind(domain)
        .bind(force.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---- followers --------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Follower {
    pub account_id: AccountId,
    pub actor_id: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub follow_id: String,
    pub created_at: String,
}

/// Add or refresh a follower (a repeated Follow updates the inboxes and id).
pub async fn upsert_follower(
    conn: &mut AnyConnection,
    account: AccountId,
    actor_id: &str,
    inbox: &str,
    shared_inbox: Option<&str>,
    follow_id: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO followers (account_id, actor_id, inbox, shared_inbox, follow_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, actor_id) DO UPDATE SET \
         inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, follow_id = excluded.follow_id",
    )
    .bind(account.0)
    .bind(actor_id)
    .bind(inbox)
    .bind(shared_inbox)
    .bind(follow_id)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Remove `actor_id` as a follower of `account` (or of every account with `None`).
pub async fn remove_follower(
    conn: &mut AnyConnection,
    account: Option<AccountId>,
    actor_id: &str,
) -> Result<u64> {
    let done = match account {
        Some(account) => {
            sqlx::query("DELETE FROM followers WHERE account_id = $1 AND actor_id = $2")
                .bind(account.0)
                .bind(actor_id)
                .execute(&mut *conn)
                .await?
        }
        None => {
            sqlx::query("DELETE FROM followers WHERE actor_id = $1")
                .bind(actor_id)
                .execute(&mut *conn)
                .await?
        }
    };
    Ok(done.rows_affected())
}

/// Every remote follower of the force's accounts, as `(account, actor id)`.
pub async fn force_followers(
    conn: &mut AnyConnection,
    force: ForceId,
) -> Result<Vec<(AccountId, String)>> {
    let rows = sqlx::query(
        "SELECT account_id, actor_id FROM followers \
         WHERE account_id IN (SELECT id FROM accounts WHERE force_id = $1) ORDER BY id",
    )
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((AccountId(r.try_get("account_id")?), r.try_get("actor_id")?)))
        .collect()
}

pub async fn followers(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<Follower>> {
    let rows = sqlx::query(
        "SELECT account_id, actor_id, inbox, shared_inbox, follow_id, created_at FROM followers \
         WHERE account_id = $1 ORDER BY id",
    )
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Follower {
                account_id: AccountId(r.try_get("account_id")?),
                actor_id: r.try_get("actor_id")?,
                inbox: r.try_get("inbox")?,
                shared_inbox: r.try_get("shared_inbox")?,
                follow_id: r.try_get("follow_id")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

pub async fn follower_count(conn: &mut AnyConnection, account: AccountId) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM followers WHERE account_id = $1")
        .bind(account.0)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

// ---- inbound ----------------------------------------------------------------

/// Record an activity id for a force; `false` when that force already saw it (a
/// replay). Per force: the same activity addressed to two forces reaches both.
pub async fn record_inbound(
    conn: &mut AnyConnection,
    force: ForceId,
    activity_id: &str,
    actor_id: &str,
    kind: &str,
) -> Result<bool> {
    let row = sqlx::query(
        "INSERT INTO inbound_activities (force_id, activity_id, actor_id, kind, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (force_id, activity_id) DO NOTHING \
         RETURNING activity_id",
    )
    .bind(force.0)
    .bind(activity_id)
    .bind(actor_id)
    .bind(kind)
    .bind(now_text())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

#[derive(Debug, Clone, Serialize)]
pub struct InboundMessage {
    pub id: i64,
    pub force_id: ForceId,
    pub account_id: Option<AccountId>,
    pub object_id: String,
    pub actor_id: String,
    pub author_name: Option<String>,
    pub in_reply_to: Option<String>,
    pub content_html: String,
    pub content_warning: Option<String>,
    pub attachments: serde_json::Value,
    pub url: Option<String>,
    pub published: Option<String>,
    pub received_at: String,
    pub updated_at: Option<String>,
    pub deleted_at: Option<String>,
}

/// What a new inbound message holds; `content_html` must already be sanitised.
pub struct NewInboundMessage<'a> {
    pub force_id: ForceId,
    pub account_id: Option<AccountId>,
    pub object_id: &'a str,
    pub actor_id: &'a str,
    pub author_name: Option<&'a str>,
    pub in_reply_to: Option<&'a str>,
    pub content_html: &'a str,
    pub content_warning: Option<&'a str>,
    pub attachments: &'a serde_json::Value,
    pub url: Option<&'a str>,
    pub published: Option<&'a str>,
}

const MESSAGE_COLUMNS: &str = "id, force_id, account_id, object_id, actor_id, author_name, \
    in_reply_to, content_html, content_warning, attachments, url, published, received_at, \
    updated_at, deleted_at";

fn message_from(r: &AnyRow) -> Result<InboundMessage> {
    let attachments: String = r.try_get("attachments")?;
    Ok(InboundMessage {
        id: r.try_get("id")?,
        force_id: ForceId(r.try_get("force_id")?),
        account_id: r.try_get::<Option<i64>, _>("account_id")?.map(AccountId),
        object_id: r.try_get("object_id")?,
        actor_id: r.try_get("actor_id")?,
        author_name: r.try_get("author_name")?,
        in_reply_to: r.try_get("in_reply_to")?,
        content_html: r.try_get("content_html")?,
        content_warning: r.try_get("content_warning")?,
        attachments: serde_json::from_str(&attachments).unwrap_or(serde_json::Value::Null),
        url: r.try_get("url")?,
        published: r.try_get("published")?,
        received_at: r.try_get("received_at")?,
        updated_at: r.try_get("updated_at")?,
        deleted_at: r.try_get("deleted_at")?,
    })
}

/// Store a message once per force and object id; `false` if it was already there.
pub async fn insert_message(conn: &mut AnyConnection, m: &NewInboundMessage<'_>) -> Result<bool> {
    let row = sqlx::query(
        "INSERT INTO inbound_messages (force_id, account_id, object_id, actor_id, author_name, \
         in_reply_to, content_html, content_warning, attachments, url, published, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (force_id, object_id) DO NOTHING RETURNING id",
    )
    .bind(m.force_id.0)
    .bind(m.account_id.map(|a| a.0))
    .bind(m.object_id)
    .bind(m.actor_id)
    .bind(m.author_name)
    .bind(m.in_reply_to)
    .bind(m.content_html)
    .bind(m.content_warning)
    .bind(m.attachments.to_string())
    .bind(m.url)
    .bind(m.published)
    .bind(now_text())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Apply a remote edit; only the author's own object changes.
pub async fn update_message(
    conn: &mut AnyConnection,
    object_id: &str,
    actor_id: &str,
    content_html: &str,
    content_warning: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE inbound_messages SET content_html = $1, content_warning = $2, updated_at = $3 \
         WHERE object_id = $4 AND actor_id = $5 AND deleted_at IS NULL",
    )
    .bind(content_html)
    .bind(content_warning)
    .bind(now_text())
    .bind(object_id)
    .bind(actor_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A remote Delete: the message is marked deleted and its content cleared, as
/// the author asked; only the author's own object is touched.
pub async fn delete_message(
    conn: &mut AnyConnection,
    object_id: &str,
    actor_id: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE inbound_messages SET deleted_at = $1, content_html = '', attachments = '[]' \
         WHERE object_id = $2 AND actor_id = $3 AND deleted_at IS NULL",
    )
    .bind(now_text())
    .bind(object_id)
    .bind(actor_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn messages(
    conn: &mut AnyConnection,
    force: ForceId,
    limit: i64,
) -> Result<Vec<InboundMessage>> {
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM inbound_messages WHERE force_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(force.0)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(message_from).collect()
}

// ---- reactions and reports --------------------------------------------------

/// Count a like or boost; `false` when it was already counted, by this activity
/// id or because this actor already reacted so to this post (one each, however
/// many activity ids it sends).
pub async fn add_reaction(
    conn: &mut AnyConnection,
    activity_id: &str,
    post_id: i64,
    actor_id: &str,
    kind: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO post_reactions (activity_id, post_id, actor_id, kind, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(activity_id)
    .bind(post_id)
    .bind(actor_id)
    .bind(kind)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Undo of a Like or Announce named by what it was about: the actor's reaction
/// of that kind to that post, whichever activity id counted it.
pub async fn remove_reaction_to(
    conn: &mut AnyConnection,
    post_id: i64,
    actor_id: &str,
    kind: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM post_reactions WHERE post_id = $1 AND actor_id = $2 AND kind = $3")
        .bind(post_id)
        .bind(actor_id)
        .bind(kind)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Undo of a Like or Announce, by the activity's id and its actor.
pub async fn remove_reaction(
    conn: &mut AnyConnection,
    activity_id: &str,
    actor_id: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM post_reactions WHERE activity_id = $1 AND actor_id = $2")
        .bind(activity_id)
        .bind(actor_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// `(likes, boosts)` of a post.
pub async fn reaction_counts(conn: &mut AnyConnection, post_id: i64) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN kind = 'like' THEN 1 ELSE 0 END), 0) AS likes, \
         COALESCE(SUM(CASE WHEN kind = 'announce' THEN 1 ELSE 0 END), 0) AS boosts \
         FROM post_reactions WHERE post_id = $1",
    )
    .bind(post_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.try_get("likes")?, row.try_get("boosts")?))
}

pub async fn insert_report(
    conn: &mut AnyConnection,
    force: ForceId,
    actor_id: &str,
    activity_id: &str,
    objects: &[String],
    content: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO remote_reports (force_id, actor_id, activity_id, objects, content, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(force.0)
    .bind(actor_id)
    .bind(activity_id)
    .bind(serde_json::to_string(objects).unwrap_or_else(|_| "[]".into()))
    .bind(content)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub actor_id: String,
    pub objects: Vec<String>,
    pub content: Option<String>,
    pub received_at: String,
}

pub async fn reports(conn: &mut AnyConnection, force: ForceId, limit: i64) -> Result<Vec<Report>> {
    let rows = sqlx::query(
        "SELECT actor_id, objects, content, received_at FROM remote_reports WHERE force_id = $1 \
         ORDER BY id DESC LIMIT $2",
    )
    .bind(force.0)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let objects: String = r.try_get("objects")?;
            Ok(Report {
                actor_id: r.try_get("actor_id")?,
                objects: serde_json::from_str(&objects).unwrap_or_default(),
                content: r.try_get("content")?,
                received_at: r.try_get("received_at")?,
            })
        })
        .collect()
}

// ---- blocks -----------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Block {
    pub kind: String,
    pub target: String,
    pub created_at: String,
}

pub async fn insert_block(
    conn: &mut AnyConnection,
    force: ForceId,
    kind: &str,
    target: &str,
    by: Option<UserId>,
) -> Result<bool> {
    let row = sqlx::query(
        "INSERT INTO remote_blocks (force_id, kind, target, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (force_id, target) DO NOTHING RETURNING id",
    )
    .bind(force.0)
    .bind(kind)
    .bind(target)
    .bind(by.map(|u| u.0))
    .bind(now_text())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

pub async fn blocks(conn: &mut AnyConnection, force: ForceId) -> Result<Vec<Block>> {
    let rows = sqlx::query(
        "SELECT kind, target, created_at FROM remote_blocks WHERE force_id = $1 ORDER BY id",
    )
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Block {
                kind: r.try_get("kind")?,
                target: r.try_get("target")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Is `actor_id` blocked by the force by name? (Domain blocks also cover
/// subdomains; the caller matches [`blocks`] of kind `domain` for those.)
pub async fn is_actor_blocked(
    conn: &mut AnyConnection,
    force: ForceId,
    actor_id: &str,
) -> Result<bool> {
    let row = sqlx::query(
        "SELECT 1 AS hit FROM remote_blocks WHERE force_id = $1 AND kind = 'actor' AND target = $2 \
         LIMIT 1",
    )
    .bind(force.0)
    .bind(actor_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// The force's blocked domains (lower case).
pub async fn blocked_domains(conn: &mut AnyConnection, force: ForceId) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT LOWER(target) AS target FROM remote_blocks WHERE force_id = $1 AND kind = 'domain'",
    )
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("target")?)).collect()
}

// ---- outbound and deliveries ------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Outbound {
    pub id: i64,
    pub account_id: AccountId,
    pub kind: String,
    pub post_id: Option<i64>,
    pub post_version: Option<i64>,
    pub follow_id: Option<String>,
    pub target_actor: Option<String>,
    pub body: Option<String>,
    /// For an Announce or its Undo: the share it is about.
    pub share_id: Option<i64>,
}

pub struct NewOutbound<'a> {
    pub account_id: AccountId,
    pub kind: &'a str,
    pub post_id: Option<i64>,
    pub post_version: Option<i64>,
    pub follow_id: Option<&'a str>,
    pub target_actor: Option<&'a str>,
    /// One row per key: a repeated hook call adds nothing.
    pub dedupe_key: &'a str,
}

/// Add an outbound activity; `None` if its dedupe key was already used.
pub async fn insert_outbound(conn: &mut AnyConnection, o: &NewOutbound<'_>) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO outbound_activities (account_id, kind, post_id, post_version, follow_id, \
         target_actor, dedupe_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(o.account_id.0)
    .bind(o.kind)
    .bind(o.post_id)
    .bind(o.post_version)
    .bind(o.follow_id)
    .bind(o.target_actor)
    .bind(o.dedupe_key)
    .bind(now_text())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

pub async fn outbound(conn: &mut AnyConnection, id: i64) -> Result<Outbound> {
    let r = sqlx::query(
        "SELECT id, account_id, kind, post_id, post_version, follow_id, target_actor, body, \
         share_id FROM outbound_activities WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(crate::StoreError::NotFound("outbound activity"))?;
    Ok(Outbound {
        id: r.try_get("id")?,
        account_id: AccountId(r.try_get("account_id")?),
        kind: r.try_get("kind")?,
        post_id: r.try_get("post_id")?,
        post_version: r.try_get("post_version")?,
        follow_id: r.try_get("follow_id")?,
        target_actor: r.try_get("target_actor")?,
        body: r.try_get("body")?,
        share_id: r.try_get("share_id")?,
    })
}

/// Name the share an Announce (or Undo) outbound row is about, in the same
/// transaction that inserted it.
pub async fn set_outbound_share(conn: &mut AnyConnection, id: i64, share_id: i64) -> Result<()> {
    sqlx::query("UPDATE outbound_activities SET share_id = $1 WHERE id = $2")
        .bind(share_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Store the built body once; whoever stored first wins (read it back).
pub async fn set_outbound_body(conn: &mut AnyConnection, id: i64, body: &str) -> Result<()> {
    sqlx::query("UPDATE outbound_activities SET body = $1 WHERE id = $2 AND body IS NULL")
        .bind(body)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Where an account's activities go: each follower's shared inbox when it has
/// one, else its own inbox, once each.
pub async fn delivery_targets(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT COALESCE(NULLIF(shared_inbox, ''), inbox) AS target FROM followers \
         WHERE account_id = $1 ORDER BY target",
    )
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("target")?)).collect()
}

/// Queue one delivery; a second row for the same (activity, inbox) is ignored.
pub async fn enqueue_delivery(
    conn: &mut AnyConnection,
    outbound_id: i64,
    inbox: &str,
    host: &str,
) -> Result<()> {
    let now = now_text();
    sqlx::query(
        "INSERT INTO deliveries (outbound_id, inbox, host, run_at, created_at) \
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (outbound_id, inbox) DO NOTHING",
    )
    .bind(outbound_id)
    .bind(inbox)
    .bind(host)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub outbound_id: i64,
    pub account_id: AccountId,
    pub inbox: String,
    pub host: String,
    pub attempts: i64,
    pub status: String,
    pub last_error: Option<String>,
}

fn delivery_from(r: &AnyRow) -> Result<Delivery> {
    Ok(Delivery {
        id: r.try_get("id")?,
        outbound_id: r.try_get("outbound_id")?,
        account_id: AccountId(r.try_get("account_id")?),
        inbox: r.try_get("inbox")?,
        host: r.try_get("host")?,
        attempts: r.try_get("attempts")?,
        status: r.try_get("status")?,
        last_error: r.try_get("last_error")?,
    })
}

/// Claim up to `limit` due deliveries for `lease_seconds`; each claim counts an
/// attempt. A worker that dies leaves its rows to be claimed again when the lease
/// ends, so a delivery survives a crash (at-least-once; receivers dedupe by id).
pub async fn claim_deliveries(
    conn: &mut AnyConnection,
    backend: Backend,
    limit: i64,
    lease_seconds: i64,
) -> Result<Vec<Delivery>> {
    let queue = crate::leased_queue::Queue {
        table: "deliveries",
        pending: "status = 'queued'",
        returning: "id, outbound_id, inbox, host, attempts, status, last_error, \
            (SELECT account_id FROM outbound_activities o WHERE o.id = deliveries.outbound_id) AS account_id",
    };
    let rows = crate::leased_queue::claim(conn, backend, &queue, limit, lease_seconds).await?;
    rows.iter().map(delivery_from).collect()
}

/// Free every delivery lease. Only for a store one process owns (embedded
/// SQLite) when that process starts: any lease still held is a dead worker's.
pub async fn release_delivery_leases(conn: &mut AnyConnection) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE deliveries SET locked_until = NULL          WHERE status = 'queued' AND locked_until IS NOT NULL",
    )
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// What happened to one claimed delivery.
#[derive(Debug, Clone)]
pub enum DeliveryResult {
    Delivered {
        status: i64,
    },
    /// Try again at `run_at`; `counted: false` puts it back without using an
    /// attempt (the host's circuit breaker was open).
    Retry {
        run_at: String,
        status: Option<i64>,
        error: String,
        counted: bool,
    },
    Failed {
        status: Option<i64>,
        error: String,
    },
}

pub async fn record_delivery(
    conn: &mut AnyConnection,
    id: i64,
    result: &DeliveryResult,
) -> Result<()> {
    match result {
        DeliveryResult::Delivered { status } => {
            sqlx::query(
                "UPDATE deliveries SET status = 'delivered', delivered_at = $1, last_status = $2, \
                 locked_until = NULL WHERE id = $3",
            )
            .bind(now_text())
            .bind(*status)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        DeliveryResult::Retry {
            run_at,
            status,
            error,
            counted,
        } => {
            sqlx::query(
                "UPDATE deliveries SET run_at = $1, last_status = $2, last_error = $3, \
                 locked_until = NULL, attempts = attempts - $4 WHERE id = $5",
            )
            .bind(run_at)
            .bind(*status)
            .bind(error)
            .bind(if *counted { 0i64 } else { 1i64 })
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        DeliveryResult::Failed { status, error } => {
            sqlx::query(
                "UPDATE deliveries SET status = 'failed', last_status = $1, last_error = $2, \
                 locked_until = NULL WHERE id = $3",
            )
            .bind(*status)
            .bind(error)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Deliveries of one outbound activity, for tests and the operations page.
pub async fn deliveries_of(conn: &mut AnyConnection, outbound_id: i64) -> Result<Vec<Delivery>> {
    let rows = sqlx::query(
        "SELECT d.id, d.outbound_id, o.account_id, d.inbox, d.host, d.attempts, d.status, \
         d.last_error FROM deliveries d JOIN outbound_activities o ON o.id = d.outbound_id \
         WHERE d.outbound_id = $1 ORDER BY d.id",
    )
    .bind(outbound_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(delivery_from).collect()
}

/// `(queued, delivered, failed)` over all deliveries.
pub async fn delivery_counts(conn: &mut AnyConnection) -> Result<(i64, i64, i64)> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0) AS q, \
         COALESCE(SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END), 0) AS d, \
         COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS f FROM deliveries",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.try_get("q")?, row.try_get("d")?, row.try_get("f")?))
}

/// Undo of a Follow named only by its id: only the actor's own follow goes.
pub async fn remove_follow_by_id(
    conn: &mut AnyConnection,
    follow_id: &str,
    actor_id: &str,
) -> Result<u64> {
    let done = sqlx::query("DELETE FROM followers WHERE follow_id = $1 AND actor_id = $2")
        .bind(follow_id)
        .bind(actor_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

// ---- mentions of our posts ----------------------------------------------------

/// A mention in one of our posts that resolved to an actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostMention {
    /// `user@domain`, lower case.
    pub acct: String,
    pub actor_id: String,
    /// `None` for our own accounts: nothing to deliver.
    pub inbox: Option<String>,
}

/// Keep a resolved mention (the first resolution wins, so the Note does not
/// change between its deliveries and its served copy).
pub async fn insert_post_mention(
    conn: &mut AnyConnection,
    post_id: i64,
    mention: &PostMention,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO post_mentions (post_id, acct, actor_id, inbox, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (post_id, acct) DO NOTHING",
    )
    .bind(post_id)
    .bind(mention.acct.to_lowercase())
    .bind(&mention.actor_id)
    .bind(mention.inbox.as_deref())
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn post_mentions(conn: &mut AnyConnection, post_id: i64) -> Result<Vec<PostMention>> {
    let rows = sqlx::query(
        "SELECT acct, actor_id, inbox FROM post_mentions WHERE post_id = $1 ORDER BY acct",
    )
    .bind(post_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PostMention {
                acct: r.try_get("acct")?,
                actor_id: r.try_get("actor_id")?,
                inbox: r.try_get("inbox")?,
            })
        })
        .collect()
}

// ---- shares (boosts) by our accounts ------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Share {
    pub id: i64,
    pub account_id: AccountId,
    pub post_id: i64,
    pub shared_by: Option<UserId>,
    pub created_at: String,
    pub undone_at: Option<String>,
}

fn share_from(r: &AnyRow) -> Result<Share> {
    Ok(Share {
        id: r.try_get("id")?,
        account_id: AccountId(r.try_get("account_id")?),
        post_id: r.try_get("post_id")?,
        shared_by: r.try_get::<Option<i64>, _>("shared_by")?.map(UserId),
        created_at: r.try_get("created_at")?,
        undone_at: r.try_get("undone_at")?,
    })
}

const SHARE_COLUMNS: &str = "id, account_id, post_id, shared_by, created_at, undone_at";

/// The share of `post` by `account` in effect, if any.
pub async fn active_share(
    conn: &mut AnyConnection,
    account: AccountId,
    post_id: i64,
) -> Result<Option<Share>> {
    let row = sqlx::query(&format!(
        "SELECT {SHARE_COLUMNS} FROM post_shares WHERE account_id = $1 AND post_id = $2 \
         AND undone_at IS NULL"
    ))
    .bind(account.0)
    .bind(post_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(share_from).transpose()
}

pub async fn share(conn: &mut AnyConnection, id: i64) -> Result<Share> {
    let row = sqlx::query(&format!(
        "SELECT {SHARE_COLUMNS} FROM post_shares WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(crate::StoreError::NotFound("share"))?;
    share_from(&row)
}

/// Record a share; a concurrent second share of the same post by the same
/// account hits the unique index and answers a conflict.
pub async fn insert_share(
    conn: &mut AnyConnection,
    account: AccountId,
    post_id: i64,
    by: Option<UserId>,
) -> Result<Share> {
    let row = sqlx::query(&format!(
        "INSERT INTO post_shares (account_id, post_id, shared_by, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING {SHARE_COLUMNS}"
    ))
    .bind(account.0)
    .bind(post_id)
    .bind(by.map(|u| u.0))
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| crate::StoreError::conflict_if_unique(e, "This post is already shared."))?;
    share_from(&row)
}

pub async fn undo_share(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE post_shares SET undone_at = $1 WHERE id = $2 AND undone_at IS NULL")
            .bind(now_text())
            .bind(id)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// The force accounts currently sharing a post.
pub async fn shares_of_post(conn: &mut AnyConnection, post_id: i64) -> Result<Vec<Share>> {
    let rows = sqlx::query(&format!(
        "SELECT {SHARE_COLUMNS} FROM post_shares WHERE post_id = $1 AND undone_at IS NULL \
         ORDER BY id"
    ))
    .bind(post_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(share_from).collect()
}
