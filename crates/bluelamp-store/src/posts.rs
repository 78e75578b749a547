//! Posts: every state a post passes through, its revisions, and the public
//! listings. Every change bumps `version`; writers pass the version they read so a
//! second writer gets a clear conflict instead of silently overwriting.

use bluelamp_domain::{AccountId, ForceId, PostStatus, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct Post {
    pub id: i64,
    pub force_id: ForceId,
    pub account_id: AccountId,
    pub author_user_id: UserId,
    /// What the author wrote.
    pub text: String,
    /// What the public sees (with a collective account's signature).
    pub body: String,
    pub status: PostStatus,
    pub version: i64,
    pub kind: String,
    pub channels: Vec<String>,
    pub reply_to_post_id: Option<i64>,
    pub link_kind: Option<String>,
    pub link_ref: Option<String>,
    pub decision: String,
    /// The governance findings as JSON (an array).
    pub findings: serde_json::Value,
    pub scheduled_at: Option<String>,
    pub published_at: Option<String>,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub deleted_at: Option<String>,
    pub reviewed_by: Option<UserId>,
    pub review_note: Option<String>,
    /// Shown before the text; the Note's `summary` (with `sensitive`).
    pub content_warning: Option<String>,
    /// An edit of this approved post waiting for a supervisor; the public keeps
    /// seeing `body` until it is approved.
    pub proposed_edit: Option<ProposedEdit>,
    /// Set when the author escalated a refused draft to a supervisor: why.
    pub escalation_reason: Option<String>,
    /// The documented waiver or court order an escalation relies on.
    pub waiver_reference: Option<String>,
}

/// An edit waiting for approval on a post that is already approved.
#[derive(Debug, Clone, Serialize)]
pub struct ProposedEdit {
    pub text: String,
    pub body: String,
    pub proposed_by: UserId,
    pub decision: String,
    pub findings: serde_json::Value,
    pub proposed_at: String,
}

impl Post {
    /// The date the public sees: when it was published, else when it was written.
    pub fn public_date(&self) -> &str {
        self.published_at.as_deref().unwrap_or(&self.created_at)
    }
}

const COLUMNS: &str = "id, force_id, account_id, author_user_id, text, body, status, version, \
    kind, channels, reply_to_post_id, link_kind, link_ref, decision, findings, scheduled_at, \
    published_at, created_at, updated_at, deleted_at, reviewed_by, review_note, content_warning, \
    proposed_text, proposed_body, proposed_by, proposed_decision, proposed_findings, proposed_at, escalation_reason, waiver_reference";

fn post_from(row: &AnyRow) -> Result<Post> {
    let status: String = row.try_get("status")?;
    let channels: String = row.try_get("channels")?;
    let findings: String = row.try_get("findings")?;
    Ok(Post {
        id: row.try_get("id")?,
        force_id: ForceId(row.try_get("force_id")?),
        account_id: AccountId(row.try_get("account_id")?),
        author_user_id: UserId(row.try_get("author_user_id")?),
        text: row.try_get("text")?,
        body: row.try_get("body")?,
        status: PostStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown post status '{status}'")))?,
        version: row.try_get("version")?,
        kind: row.try_get("kind")?,
        channels: serde_json::from_str(&channels).unwrap_or_default(),
        reply_to_post_id: row.try_get("reply_to_post_id")?,
        link_kind: row.try_get("link_kind")?,
        link_ref: row.try_get("link_ref")?,
        decision: row.try_get("decision")?,
        findings: serde_json::from_str(&findings).unwrap_or(serde_json::Value::Null),
        scheduled_at: row.try_get("scheduled_at")?,
        published_at: row.try_get("published_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
        reviewed_by: row.try_get::<Option<i64>, _>("reviewed_by")?.map(UserId),
        review_note: row.try_get("review_note")?,
        content_warning: row.try_get("content_warning")?,
        proposed_edit: proposed_from(row)?,
        escalation_reason: row.try_get("escalation_reason")?,
        waiver_reference: row.try_get("waiver_reference")?,
    })
}

fn proposed_from(row: &AnyRow) -> Result<Option<ProposedEdit>> {
    let Some(text) = row.try_get::<Option<String>, _>("proposed_text")? else {
        return Ok(None);
    };
    let findings: Option<String> = row.try_get("proposed_findings")?;
    Ok(Some(ProposedEdit {
        text,
        body: row
            .try_get::<Option<String>, _>("proposed_body")?
            .unwrap_or_default(),
        proposed_by: UserId(
            row.try_get::<Option<i64>, _>("proposed_by")?
                .ok_or_else(|| StoreError::Corrupt("a proposed edit without its author".into()))?,
        ),
        decision: row
            .try_get::<Option<String>, _>("proposed_decision")?
            .unwrap_or_default(),
        findings: findings
            .and_then(|f| serde_json::from_str(&f).ok())
            .unwrap_or(serde_json::Value::Null),
        proposed_at: row
            .try_get::<Option<String>, _>("proposed_at")?
            .unwrap_or_default(),
    }))
}

/// A post as submitted.
pub struct NewPost<'a> {
    pub force_id: ForceId,
    pub account_id: AccountId,
    pub author: UserId,
    pub text: &'a str,
    pub body: &'a str,
    pub status: PostStatus,
    pub kind: &'a str,
    pub channels: &'a [String],
    pub reply_to_post_id: Option<i64>,
    pub link_kind: Option<&'a str>,
    pub link_ref: Option<&'a str>,
    pub decision: &'a str,
    pub findings: &'a serde_json::Value,
    pub scheduled_at: Option<&'a str>,
    pub content_warning: Option<&'a str>,
}

pub async fn insert(conn: &mut AnyConnection, post: &NewPost<'_>) -> Result<Post> {
    let now = now_text();
    let published_at = (post.status == PostStatus::Published).then(|| now.clone());
    let row = sqlx::query(&format!(
        "INSERT INTO posts (force_id, account_id, author_user_id, text, body, status, version, kind, \
         channels, reply_to_post_id, link_kind, link_ref, decision, findings, scheduled_at, \
         published_at, created_at, content_warning) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         RETURNING {COLUMNS}"
    ))
    .bind(post.force_id.0)
    .bind(post.account_id.0)
    .bind(post.author.0)
    .bind(post.text)
    .bind(post.body)
    .bind(post.status.as_str())
    .bind(post.kind)
    .bind(serde_json::to_string(post.channels).unwrap_or_else(|_| "[]".into()))
    .bind(post.reply_to_post_id)
    .bind(post.link_kind)
    .bind(post.link_ref)
    .bind(post.decision)
    .bind(post.findings.to_string())
    .bind(post.scheduled_at)
    .bind(published_at)
    .bind(now)
    .bind(post.content_warning)
    .fetch_one(&mut *conn)
    .await?;
    post_from(&row)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Post> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM posts WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("post"))?;
    post_from(&row)
}

/// The row an `UPDATE … WHERE version = $n RETURNING` gave back; none means the
/// post has moved on (409) or does not exist (404).
async fn updated_or_stale(conn: &mut AnyConnection, id: i64, row: Option<AnyRow>) -> Result<Post> {
    match row {
        Some(row) => post_from(&row),
        None => {
            get(conn, id).await?;
            Err(stale(id))
        }
    }
}

fn stale(id: i64) -> StoreError {
    StoreError::Conflict(format!(
        "Post {id} was changed by someone else while you were working on it. Reload it to see the current version, then try again."
    ))
}

/// Move a post to `status` if it is still at `expected_version`.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    expected_version: i64,
    status: PostStatus,
    reviewed_by: Option<UserId>,
    review_note: Option<&str>,
) -> Result<Post> {
    let now = now_text();
    let published_at = (status == PostStatus::Published).then(|| now.clone());
    let deleted_at = (status == PostStatus::Deleted).then(|| now.clone());
    let row = sqlx::query(&format!(
        "UPDATE posts SET status = $1, version = version + 1, updated_at = $2, \
         published_at = COALESCE($3, published_at), deleted_at = COALESCE($4, deleted_at), \
         reviewed_by = COALESCE($5, reviewed_by), review_note = COALESCE($6, review_note) \
         WHERE id = $7 AND version = $8 RETURNING {COLUMNS}"
    ))
    .bind(status.as_str())
    .bind(now)
    .bind(published_at)
    .bind(deleted_at)
    .bind(reviewed_by.map(|u| u.0))
    .bind(review_note)
    .bind(id)
    .bind(expected_version)
    .fetch_optional(&mut *conn)
    .await?;
    updated_or_stale(conn, id, row).await
}

/// Send a refused post to the approval queue with the author's reason for
/// escalating it (and the waiver or court order it relies on), if it is still at
/// `expected_version`.
pub async fn escalate(
    conn: &mut AnyConnection,
    id: i64,
    expected_version: i64,
    reason: &str,
    waiver_reference: Option<&str>,
) -> Result<Post> {
    let row = sqlx::query(&format!(
        "UPDATE posts SET status = $1, version = version + 1, updated_at = $2, \
         escalation_reason = $3, waiver_reference = $4 \
         WHERE id = $5 AND version = $6 RETURNING {COLUMNS}"
    ))
    .bind(PostStatus::Pending.as_str())
    .bind(now_text())
    .bind(reason)
    .bind(waiver_reference)
    .bind(id)
    .bind(expected_version)
    .fetch_optional(&mut *conn)
    .await?;
    updated_or_stale(conn, id, row).await
}

/// Replace a post's text (keeping the old text as a revision) if it is still at
/// `expected_version`.
#[allow(clippy::too_many_arguments)]
pub async fn edit(
    conn: &mut AnyConnection,
    id: i64,
    expected_version: i64,
    text: &str,
    body: &str,
    decision: &str,
    findings: &serde_json::Value,
    editor: UserId,
    reason: &str,
) -> Result<Post> {
    let before = get(conn, id).await?;
    if before.version != expected_version {
        return Err(stale(id));
    }
    sqlx::query(
        "INSERT INTO post_revisions (post_id, version, body, edited_by, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(before.version)
    .bind(&before.body)
    .bind(editor.0)
    .bind(reason)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    // An approval is of the words approved: new words on a post still in the
    // queue start its approval chain again (a published post keeps its record).
    if before.status != PostStatus::Published {
        crate::approvals::clear(conn, id).await?;
    }
    let row = sqlx::query(&format!(
        "UPDATE posts SET text = $1, body = $2, decision = $3, findings = $4, version = version + 1, \
         updated_at = $5, proposed_text = NULL, proposed_body = NULL, proposed_by = NULL, \
         proposed_decision = NULL, proposed_findings = NULL, proposed_at = NULL, \
         escalation_reason = NULL, waiver_reference = NULL \
         WHERE id = $6 AND version = $7 RETURNING {COLUMNS}"
    ))
    .bind(text)
    .bind(body)
    .bind(decision)
    .bind(findings.to_string())
    .bind(now_text())
    .bind(id)
    .bind(expected_version)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => post_from(&row),
        None => Err(stale(id)),
    }
}

/// Record (or replace) the edit waiting for approval on an approved post, if the
/// post is still at `expected_version`. The public text does not change.
#[allow(clippy::too_many_arguments)]
pub async fn propose_edit(
    conn: &mut AnyConnection,
    id: i64,
    expected_version: i64,
    text: &str,
    body: &str,
    decision: &str,
    findings: &serde_json::Value,
    proposed_by: UserId,
) -> Result<Post> {
    let now = now_text();
    let row = sqlx::query(&format!(
        "UPDATE posts SET proposed_text = $1, proposed_body = $2, proposed_by = $3, \
         proposed_decision = $4, proposed_findings = $5, proposed_at = $6, \
         version = version + 1, updated_at = $6 \
         WHERE id = $7 AND version = $8 RETURNING {COLUMNS}"
    ))
    .bind(text)
    .bind(body)
    .bind(proposed_by.0)
    .bind(decision)
    .bind(findings.to_string())
    .bind(now)
    .bind(id)
    .bind(expected_version)
    .fetch_optional(&mut *conn)
    .await?;
    updated_or_stale(conn, id, row).await
}

/// Turn down the edit waiting on a post, keeping the reviewer's note.
pub async fn discard_proposed_edit(
    conn: &mut AnyConnection,
    id: i64,
    expected_version: i64,
    reviewed_by: UserId,
    note: &str,
) -> Result<Post> {
    let row = sqlx::query(&format!(
        "UPDATE posts SET proposed_text = NULL, proposed_body = NULL, proposed_by = NULL, \
         proposed_decision = NULL, proposed_findings = NULL, proposed_at = NULL, \
         version = version + 1, updated_at = $1, reviewed_by = $2, review_note = $3 \
         WHERE id = $4 AND version = $5 AND proposed_text IS NOT NULL RETURNING {COLUMNS}"
    ))
    .bind(now_text())
    .bind(reviewed_by.0)
    .bind(note)
    .bind(id)
    .bind(expected_version)
    .fetch_optional(&mut *conn)
    .await?;
    updated_or_stale(conn, id, row).await
}

/// Approved posts of a force with an edit waiting for approval, oldest first.
pub async fn with_proposed_edits(
    conn: &mut AnyConnection,
    force: ForceId,
    limit: i64,
) -> Result<Vec<Post>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM posts WHERE force_id = $1 AND proposed_text IS NOT NULL \
         AND status IN ('published', 'scheduled') ORDER BY proposed_at ASC LIMIT $2"
    ))
    .bind(force.0)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(post_from).collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    pub version: i64,
    pub body: String,
    pub edited_by: UserId,
    pub reason: String,
    pub at: String,
}

pub async fn revisions(conn: &mut AnyConnection, post: i64) -> Result<Vec<Revision>> {
    let rows = sqlx::query(
        "SELECT version, body, edited_by, reason, at FROM post_revisions WHERE post_id = $1 ORDER BY version",
    )
    .bind(post)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Revision {
                version: row.try_get("version")?,
                body: row.try_get("body")?,
                edited_by: UserId(row.try_get("edited_by")?),
                reason: row.try_get("reason")?,
                at: row.try_get("at")?,
            })
        })
        .collect()
}

/// What the public may see of an account or a force: published posts and the
/// tombstones of deleted ones, newest publication first (a post held, paused or
/// scheduled appears where it went public, not where it was written), paged after
/// the post `before_id` in that same order.
pub async fn public_page(
    conn: &mut AnyConnection,
    force: ForceId,
    account: Option<AccountId>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Post>> {
    // The cursor is a post id (stable in URLs); its place in the order is its
    // publication time, ties broken by id.
    let cursor = match before_id {
        Some(id) => sqlx::query(
            "SELECT COALESCE(published_at, created_at) AS at FROM posts WHERE id = $1 AND force_id = $2",
        )
        .bind(id)
        .bind(force.0)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get::<String, _>("at"))
        .transpose()?
        .map(|at| (at, id)),
        None => None,
    };
    let (cursor_at, cursor_id) = cursor.unwrap_or_else(|| ("9999".to_string(), i64::MAX));
    let mut sql = format!(
        "SELECT {COLUMNS} FROM posts WHERE force_id = $1 AND status IN ('published', 'deleted')"
    );
    if account.is_some() {
        sql.push_str(" AND account_id = $2");
    } else {
        sql.push_str(" AND $2 = $2");
    }
    sql.push_str(
        " AND (COALESCE(published_at, created_at) < $3 \
           OR (COALESCE(published_at, created_at) = $3 AND id < $4)) \
         ORDER BY COALESCE(published_at, created_at) DESC, id DESC LIMIT $5",
    );
    let rows = sqlx::query(&sql)
        .bind(force.0)
        .bind(account.map(|a| a.0).unwrap_or(0))
        .bind(cursor_at)
        .bind(cursor_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(post_from).collect()
}

/// Posts of a force in one state (the approval queue, the scheduled list), oldest first.
pub async fn by_status(
    conn: &mut AnyConnection,
    force: ForceId,
    status: PostStatus,
    limit: i64,
) -> Result<Vec<Post>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM posts WHERE force_id = $1 AND status = $2 ORDER BY id ASC LIMIT $3"
    ))
    .bind(force.0)
    .bind(status.as_str())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(post_from).collect()
}

/// The posts linked to an incident, appeal or case (`kind`, `reference`) in a force,
/// newest first, deleted ones left out; only published ones when `public`.
pub async fn linked(
    conn: &mut AnyConnection,
    force: ForceId,
    kind: &str,
    reference: &str,
    public: bool,
    limit: i64,
) -> Result<Vec<Post>> {
    let filter = if public {
        "status = 'published'"
    } else {
        "status <> 'deleted'"
    };
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM posts WHERE force_id = $1 AND link_kind = $2 AND link_ref = $3 \
         AND {filter} ORDER BY id DESC LIMIT $4"
    ))
    .bind(force.0)
    .bind(kind)
    .bind(reference)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(post_from).collect()
}

/// A staff user's own posts, newest first.
pub async fn by_author(conn: &mut AnyConnection, author: UserId, limit: i64) -> Result<Vec<Post>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM posts WHERE author_user_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(author.0)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(post_from).collect()
}

/// Newest published post id and time for an account or force: the cache key of feeds.
pub async fn count_public(conn: &mut AnyConnection, account: AccountId) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM posts WHERE account_id = $1 AND status = 'published'",
    )
    .bind(account.0)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("n")?)
}

/// What the authors wrote (without a collective account's signature) and the
/// account of the force's posts published since `since`, for noticing the same
/// corporate text pushed by several accounts, signed or not.
pub async fn recent_texts(
    conn: &mut AnyConnection,
    force: ForceId,
    since: &str,
    limit: i64,
) -> Result<Vec<(AccountId, String)>> {
    let rows = sqlx::query(
        "SELECT account_id, text FROM posts WHERE force_id = $1 AND status = 'published' \
         AND published_at >= $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(force.0)
    .bind(since)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| Ok((AccountId(row.try_get("account_id")?), row.try_get("text")?)))
        .collect()
}

/// The force's published posts whose public text contains `needle` (compared
/// case-insensitively), newest first: the candidates for a hashtag page, which
/// the caller narrows to real hashtags.
pub async fn published_containing(
    conn: &mut AnyConnection,
    force: ForceId,
    needle: &str,
    limit: i64,
) -> Result<Vec<Post>> {
    // LIKE's wildcards in the needle are escaped so a tag cannot widen the match.
    let escaped = needle
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM posts WHERE force_id = $1 AND status = 'published' \
         AND LOWER(body) LIKE $2 ESCAPE '\\' ORDER BY id DESC LIMIT $3"
    ))
    .bind(force.0)
    .bind(format!("%{escaped}%"))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(post_from).collect()
}

/// A force's published posts (of one account, when given) in an id window,
/// newest first: a client app's timeline.
pub async fn published_window(
    conn: &mut AnyConnection,
    force: ForceId,
    account: Option<AccountId>,
    window: &crate::paging::IdWindow,
) -> Result<Vec<Post>> {
    let (clause, lower, upper) = window.clause("id", 3);
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM posts WHERE force_id = $1 AND status = 'published' \
         AND ($2 = 0 OR account_id = $2) AND {clause} LIMIT $5"
    ))
    .bind(force.0)
    .bind(account.map_or(0, |a| a.0))
    .bind(lower)
    .bind(upper)
    .bind(window.bounded_limit())
    .fetch_all(&mut *conn)
    .await?;
    let posts = rows.iter().map(post_from).collect::<Result<Vec<_>>>()?;
    Ok(window.settle(posts))
}

/// Published replies to a post, oldest first.
pub async fn published_replies(conn: &mut AnyConnection, post: i64) -> Result<Vec<Post>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM posts WHERE reply_to_post_id = $1 AND status = 'published' \
         ORDER BY id LIMIT 200"
    ))
    .bind(post)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(post_from).collect()
}

/// A staff user's posts in one state (their scheduled posts), oldest first.
pub async fn by_author_in_status(
    conn: &mut AnyConnection,
    author: UserId,
    status: PostStatus,
    limit: i64,
) -> Result<Vec<Post>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM posts WHERE author_user_id = $1 AND status = $2 ORDER BY id LIMIT $3"
    ))
    .bind(author.0)
    .bind(status.as_str())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(post_from).collect()
}
