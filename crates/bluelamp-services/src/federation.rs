//! Federation use cases: what a post's publication, edit and deletion queue for
//! the fediverse, what an inbound activity changes, staff blocks, and the
//! delivery queue's bookkeeping. No HTTP here: the web layer verifies signatures,
//! fetches remote documents and sends; this module only decides and stores, each
//! time in one transaction.

use std::future::Future;
use std::pin::Pin;

use bluelamp_domain::{AccountId, Action, ForceId, Invalid, PostStatus, Role};
use bluelamp_federation::origin::{check_origins, domain_covers};
use bluelamp_federation::protocol::{ActivityKind, InboundActivity, RemoteObject, Target, Updated};
use bluelamp_store::federation::{self as fed, DeliveryResult, NewInboundMessage, NewOutbound};
use bluelamp_store::{accounts, audit, forces, jobs, posts, savepoint, AnyConnection, Store};
use serde_json::json;

use crate::posts::JobOutcome;
use crate::{ServiceError, ServiceResult, Staff};

/// The job that expands one outbound activity into deliveries, one per inbox.
pub const FANOUT_JOB: &str = "federation_fanout";

// ---- outbound hooks (called inside the transaction that changes the post) ----

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

async fn enqueue_fanout(conn: &mut AnyConnection, outbound_id: i64) -> ServiceResult<()> {
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

// ---- mentions ---------------------------------------------------------------

/// The most mentions of one post we resolve: enough for any real post, and a
/// bound on the network work one publication can cause.
pub const MAX_MENTIONS: usize = 20;

/// A boxed future, so a resolver can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One `@user` or `@user@domain` to resolve, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionRequest {
    pub user: String,
    /// `None` for a bare `@user`, meaning one of the force's own accounts.
    pub domain: Option<String>,
}

/// Turns mentions into actors. The web layer implements it with WebFinger and
/// the shared HTTP client (this crate does no HTTP); mentions it cannot resolve
/// are left out and stay plain text.
pub trait MentionResolver: Send + Sync {
    fn resolve<'a>(
        &'a self,
        force: &'a forces::Force,
        account: &'a accounts::Account,
        wanted: Vec<MentionRequest>,
    ) -> BoxFuture<'a, Vec<fed::PostMention>>;
}

/// Resolves nothing: for job runners without network access (tests, tools).
pub struct NoResolver;

impl MentionResolver for NoResolver {
    fn resolve<'a>(
        &'a self,
        _force: &'a forces::Force,
        _account: &'a accounts::Account,
        _wanted: Vec<MentionRequest>,
    ) -> BoxFuture<'a, Vec<fed::PostMention>> {
        Box::pin(async { Vec::new() })
    }
}

/// Before a fan-out of a post's Create or Update: resolve the mentions in its
/// text that are not stored yet and store them, so the Note built for delivery
/// and the one served at its URL carry the same mentions. Runs with no
/// transaction open during the network work; never fails the post.
pub async fn resolve_mentions_for_job(
    store: &Store,
    job: &jobs::Job,
    resolver: &dyn MentionResolver,
) -> ServiceResult<()> {
    let Some(id) = job.payload.get("outbound_id").and_then(|v| v.as_i64()) else {
        return Ok(());
    };
    let (post, force, account, known) = {
        let mut conn = store.read().await?;
        let outbound = fed::outbound(&mut conn, id).await?;
        let post_id = match (outbound.kind.as_str(), outbound.post_id) {
            ("Create" | "Update", Some(post_id)) => post_id,
            _ => return Ok(()),
        };
        let post = posts::get(&mut conn, post_id).await?;
        let account = accounts::get(&mut conn, post.account_id).await?;
        let force = forces::get(&mut conn, account.force_id).await?;
        let known = fed::post_mentions(&mut conn, post.id).await?;
        (post, force, account, known)
    };
    let wanted: Vec<MentionRequest> = bluelamp_federation::html::extract_mentions(&post.body)
        .into_iter()
        .map(|(user, domain)| MentionRequest { user, domain })
        .filter(|m| {
            let acct = format!(
                "{}@{}",
                m.user,
                m.domain.as_deref().unwrap_or(&force.domain)
            );
            !known.iter().any(|k| k.acct.eq_ignore_ascii_case(&acct))
        })
        .take(MAX_MENTIONS)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let found = resolver.resolve(&force, &account, wanted).await;
    if found.is_empty() {
        return Ok(());
    }
    let mut tx = store.write().await?;
    for mention in &found {
        fed::insert_post_mention(&mut tx, post.id, mention).await?;
    }
    tx.commit().await?;
    Ok(())
}

// ---- shares (Announce) --------------------------------------------------------

/// What a share request did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Shared {
    pub share: fed::Share,
    /// `false` when the post was already shared from that account (nothing new).
    pub created: bool,
}

/// May `staff` share from `account`? A share goes out at once with no approval
/// step, so it needs a member who may post to it without approval.
async fn sharing_member(
    conn: &mut AnyConnection,
    staff: &Staff,
    account: AccountId,
) -> ServiceResult<accounts::Account> {
    let (account, member) = crate::posts::posting_member(conn, staff, account).await?;
    if !member.permissions.post_without_approval {
        return Err(ServiceError::Forbidden(format!(
            "Sharing from @{} goes out at once, so it needs permission to post there without approval.",
            account.handle
        )));
    }
    Ok(account)
}

/// Share (boost) a published post of another account of the same force from
/// `account`: an `Announce` to that account's followers. Sharing twice does
/// nothing new.
pub async fn share(
    store: &Store,
    staff: &Staff,
    account: AccountId,
    post_id: i64,
) -> ServiceResult<Shared> {
    staff.require_scope("write")?;
    let mut tx = store.write().await?;
    let account = sharing_member(&mut tx, staff, account).await?;
    let post = posts::get(&mut tx, post_id).await?;
    if post.force_id != account.force_id {
        return Err(ServiceError::NotFound("post"));
    }
    if post.status != PostStatus::Published {
        return Err(ServiceError::Conflict(
            "Only a published post can be shared.".into(),
        ));
    }
    if post.account_id == account.id {
        return Err(ServiceError::Conflict(format!(
            "This post is already @{}'s own; share another account's post.",
            account.handle
        )));
    }
    if let Some(share) = fed::active_share(&mut tx, account.id, post.id).await? {
        return Ok(Shared {
            share,
            created: false,
        });
    }
    let share = fed::insert_share(&mut tx, account.id, post.id, staff.user_id).await?;
    queue_share_activity(&mut tx, account.id, post.id, share.id, "Announce").await?;
    let mut draft = crate::auth::entry(staff, "post.share", "post", post.id);
    draft.after = Some(
        json!({"account": account.handle, "share_id": share.id, "original_account_id": post.account_id})
            .to_string(),
    );
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(Shared {
        share,
        created: true,
    })
}

/// Queue the Announce (or its Undo) of a share for the sharing account's
/// followers; with no followers there is nobody to tell (as for posts).
async fn queue_share_activity(
    conn: &mut AnyConnection,
    account: AccountId,
    post_id: i64,
    share_id: i64,
    kind: &'static str,
) -> ServiceResult<()> {
    if fed::follower_count(conn, account).await? == 0 {
        return Ok(());
    }
    let dedupe_key = match kind {
        "Announce" => format!("announce:{share_id}"),
        _ => format!("unannounce:{share_id}"),
    };
    let outbound = fed::insert_outbound(
        conn,
        &NewOutbound {
            account_id: account,
            kind,
            post_id: Some(post_id),
            post_version: None,
            follow_id: None,
            target_actor: None,
            dedupe_key: &dedupe_key,
        },
    )
    .await?;
    if let Some(id) = outbound {
        fed::set_outbound_share(conn, id, share_id).await?;
        enqueue_fanout(conn, id).await?;
    }
    Ok(())
}

/// Stop sharing: an `Undo` of the Announce to the same followers. Unsharing a
/// post that is not shared does nothing.
pub async fn unshare(
    store: &Store,
    staff: &Staff,
    account: AccountId,
    post_id: i64,
) -> ServiceResult<bool> {
    staff.require_scope("write")?;
    let mut tx = store.write().await?;
    let account = sharing_member(&mut tx, staff, account).await?;
    let Some(share) = fed::active_share(&mut tx, account.id, post_id).await? else {
        return Ok(false);
    };
    fed::undo_share(&mut tx, share.id).await?;
    queue_share_activity(&mut tx, account.id, post_id, share.id, "UndoAnnounce").await?;
    let mut draft = crate::auth::entry(staff, "post.unshare", "post", post_id);
    draft.after = Some(json!({"account": account.handle, "share_id": share.id}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(true)
}

/// The force's accounts `staff` may share a post from, and which already do.
pub async fn share_options(
    store: &Store,
    staff: &Staff,
    post_id: i64,
) -> ServiceResult<Vec<(accounts::Account, bool)>> {
    let Some(user) = staff.user_id else {
        return Ok(Vec::new());
    };
    let force = staff.current_force()?;
    let mut conn = store.read().await?;
    let post = posts::get(&mut conn, post_id).await?;
    if post.force_id != force || post.status != PostStatus::Published {
        return Ok(Vec::new());
    }
    let sharing: Vec<AccountId> = fed::shares_of_post(&mut conn, post_id)
        .await?
        .into_iter()
        .map(|s| s.account_id)
        .collect();
    let mut options = Vec::new();
    for account in accounts::list(&mut conn, force).await? {
        if account.id == post.account_id {
            continue;
        }
        let may = accounts::member(&mut conn, account.id, user)
            .await?
            .is_some_and(|m| m.permissions.post && m.permissions.post_without_approval);
        if may {
            let shared = sharing.contains(&account.id);
            options.push((account, shared));
        }
    }
    Ok(options)
}

// ---- keys -------------------------------------------------------------------

/// Store a freshly generated key pair for an account (first stored wins) and
/// return the pair in effect.
pub async fn save_actor_key(
    store: &Store,
    account: AccountId,
    private_pem: &str,
    public_pem: &str,
) -> ServiceResult<fed::ActorKey> {
    let mut tx = store.write().await?;
    fed::insert_actor_key(&mut tx, account, private_pem, public_pem).await?;
    let key = fed::actor_key(&mut tx, account)
        .await?
        .ok_or(ServiceError::Internal("actor key vanished".into()))?;
    tx.commit().await?;
    Ok(key)
}

// ---- URLs of ours -------------------------------------------------------------

/// `host[:port]` of a URL, or "" (no URL parser needed for our own simple forms).
pub fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.rsplit_once('@').map_or(authority, |(_, h)| h)
}

fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or_default()
}

/// What one of our URLs names: an actor (`/users/{handle}`) or one of its posts
/// (`/users/{handle}/posts/{id}`).
enum Local {
    Actor(accounts::Account),
    Post(accounts::Account, i64),
}

async fn local(
    conn: &mut AnyConnection,
    force: &forces::Force,
    url: &str,
) -> ServiceResult<Option<Local>> {
    if !host_of(url).eq_ignore_ascii_case(&force.domain) {
        return Ok(None);
    }
    let Some(rest) = path_of(url).strip_prefix("/users/") else {
        return Ok(None);
    };
    let mut parts = rest.split('/');
    let handle = parts.next().unwrap_or_default();
    let account = match accounts::by_handle(conn, force.id, handle).await {
        Ok(account) => account,
        Err(bluelamp_store::StoreError::NotFound(_)) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    Ok(match (parts.next(), parts.next()) {
        (None, _) | (Some(""), None) => Some(Local::Actor(account)),
        (Some("posts"), Some(id)) => id.parse().ok().map(|id| Local::Post(account, id)),
        _ => None,
    })
}

async fn local_actor(
    conn: &mut AnyConnection,
    force: &forces::Force,
    url: &str,
) -> ServiceResult<Option<accounts::Account>> {
    Ok(match local(conn, force, url).await? {
        Some(Local::Actor(account)) => Some(account),
        _ => None,
    })
}

/// A public post of ours named by its Note id.
async fn local_post(
    conn: &mut AnyConnection,
    force: &forces::Force,
    url: &str,
) -> ServiceResult<Option<posts::Post>> {
    let Some(Local::Post(account, id)) = local(conn, force, url).await? else {
        return Ok(None);
    };
    match posts::get(conn, id).await {
        Ok(post) if post.account_id == account.id && post.status == PostStatus::Published => {
            Ok(Some(post))
        }
        Ok(_) | Err(bluelamp_store::StoreError::NotFound(_)) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

// ---- inbound ----------------------------------------------------------------

/// What the inbox knows about the remote actor (from its fetched document).
#[derive(Debug, Clone, Default)]
pub struct RemoteActorInfo {
    pub inbox: Option<String>,
    pub shared_inbox: Option<String>,
    pub name: Option<String>,
}

/// What became of an inbound activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Processed,
    /// The same activity id was processed before (a replay or a loop).
    Duplicate,
    /// Blocked by staff: dropped (and answered 202, so the sender stops).
    Blocked,
    /// Understood but nothing of ours is concerned.
    Ignored(&'static str),
}

/// Apply a verified inbound activity, once per activity id, in one transaction.
/// `addressed_to` is the account whose personal inbox received it, if any.
pub async fn receive(
    store: &Store,
    force_id: ForceId,
    addressed_to: Option<AccountId>,
    activity: &InboundActivity,
    actor: &RemoteActorInfo,
) -> ServiceResult<Received> {
    let mut tx = store.write().await?;
    let force = forces::get(&mut tx, force_id).await?;
    let outcome = receive_in(&mut tx, &force, addressed_to, activity, actor).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Likes and boosts (Announces) a post has received from the fediverse, as
/// `(likes, boosts)`; an Undo takes one back.
pub async fn reaction_counts(store: &Store, post_id: i64) -> ServiceResult<(i64, i64)> {
    let mut conn = store.read().await?;
    Ok(fed::reaction_counts(&mut conn, post_id).await?)
}

/// One verified inbound activity waiting to be stored; see [`receive_batch`].
#[derive(Debug, Clone)]
pub struct InboundItem {
    pub force_id: ForceId,
    pub addressed_to: Option<AccountId>,
    pub activity: InboundActivity,
    pub actor: RemoteActorInfo,
}

/// Apply many verified inbound activities in ONE transaction (group commit), each
/// inside its own savepoint so that one activity's failure (a Follow for an
/// unknown actor, a follower without an inbox) rolls back only that activity and
/// leaves the others, exactly as if each had been received alone.
///
/// Why: on the embedded SQLite store every write transaction is one fsync behind
/// one writer; storing a busy inbox one activity per transaction caps it at a few
/// hundred a second. The caller answers each sender only after the commit, so an
/// accepted (202) activity is always durable.
pub async fn receive_batch(
    store: &Store,
    items: &[InboundItem],
) -> ServiceResult<Vec<ServiceResult<Received>>> {
    let mut tx = store.write().await?;
    let mut forces_seen: Vec<forces::Force> = Vec::new();
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        let force = match forces_seen.iter().find(|f| f.id == item.force_id) {
            Some(force) => force.clone(),
            None => {
                let force = forces::get(&mut tx, item.force_id).await?;
                forces_seen.push(force.clone());
                force
            }
        };
        savepoint::begin(&mut tx, "inbound_item").await?;
        let outcome = receive_in(
            &mut tx,
            &force,
            item.addressed_to,
            &item.activity,
            &item.actor,
        )
        .await;
        if outcome.is_err() {
            // Undo whatever this activity half-wrote; the others stay.
            savepoint::rollback(&mut tx, "inbound_item").await?;
        }
        savepoint::release(&mut tx, "inbound_item").await?;
        outcomes.push(outcome);
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// The body of [`receive`], on an open transaction.
async fn receive_in(
    conn: &mut AnyConnection,
    force: &forces::Force,
    addressed_to: Option<AccountId>,
    activity: &InboundActivity,
    actor: &RemoteActorInfo,
) -> ServiceResult<Received> {
    if is_blocked(conn, force.id, &activity.actor).await? {
        return Ok(Received::Blocked);
    }
    // An actor speaks only for its own server: ids of another origin could
    // pre-claim a real activity's id so that it is later dropped as a replay.
    check_origins(activity)
        .map_err(|error| ServiceError::Invalid(Invalid::new("id", error.to_string())))?;
    if let ActivityKind::Follow { object } = &activity.kind {
        if local_actor(conn, force, object).await?.is_none() {
            return Err(ServiceError::NotFound("local actor"));
        }
    }
    if !fed::record_inbound(
        conn,
        force.id,
        &activity.id,
        &activity.actor,
        activity.kind.name(),
    )
    .await?
    {
        return Ok(Received::Duplicate);
    }
    apply(conn, force, addressed_to, activity, actor).await
}

/// Blocked by the force: the actor itself, or its domain or a parent domain.
async fn is_blocked(conn: &mut AnyConnection, force: ForceId, actor: &str) -> ServiceResult<bool> {
    if fed::is_actor_blocked(conn, force, actor).await? {
        return Ok(true);
    }
    let host = host_of(actor).to_ascii_lowercase();
    Ok(fed::blocked_domains(conn, force)
        .await?
        .iter()
        .any(|b| domain_covers(b, &host)))
}

async fn apply(
    conn: &mut AnyConnection,
    force: &forces::Force,
    addressed_to: Option<AccountId>,
    activity: &InboundActivity,
    actor: &RemoteActorInfo,
) -> ServiceResult<Received> {
    let who = activity.actor.as_str();
    match &activity.kind {
        ActivityKind::Follow { object } => {
            let account = local_actor(conn, force, object)
                .await?
                .ok_or(ServiceError::NotFound("local actor"))?;
            let inbox = actor
                .inbox
                .as_deref()
                .ok_or_else(|| ServiceError::Conflict("the follower has no inbox".into()))?;
            fed::upsert_follower(
                conn,
                account.id,
                who,
                inbox,
                actor.shared_inbox.as_deref(),
                &activity.id,
            )
            .await?;
            // The Accept goes straight to the follower's own inbox: one delivery,
            // queued in this transaction so it cannot be lost or doubled.
            let key = format!("accept:{}", activity.id);
            let outbound = fed::insert_outbound(
                conn,
                &NewOutbound {
                    account_id: account.id,
                    kind: "Accept",
                    post_id: None,
                    post_version: None,
                    follow_id: Some(&activity.id),
                    target_actor: Some(who),
                    dedupe_key: &key,
                },
            )
            .await?;
            if let Some(id) = outbound {
                fed::enqueue_delivery(conn, id, inbox, &host_of(inbox).to_ascii_lowercase())
                    .await?;
            }
            Ok(Received::Processed)
        }
        ActivityKind::Undo { object } => {
            match object {
                Target::Activity { kind, id, .. } => match kind.as_ref() {
                    ActivityKind::Follow { object } => {
                        if let Some(account) = local_actor(conn, force, object).await? {
                            fed::remove_follower(conn, Some(account.id), who).await?;
                        }
                    }
                    ActivityKind::Like { object } | ActivityKind::Announce { object } => {
                        // Reactions count once per actor, post and kind, so the
                        // Undo takes back that one whatever id it names.
                        let kind = if matches!(kind.as_ref(), ActivityKind::Like { .. }) {
                            "like"
                        } else {
                            "announce"
                        };
                        if let Some(post) = local_post(conn, force, object).await? {
                            fed::remove_reaction_to(conn, post.id, who, kind).await?;
                        }
                        if let Some(id) = id {
                            fed::remove_reaction(conn, id, who).await?;
                        }
                    }
                    _ => return Ok(Received::Ignored("undo of something we do not keep")),
                },
                Target::Id(id) => {
                    fed::remove_follow_by_id(conn, id, who).await?;
                    fed::remove_reaction(conn, id, who).await?;
                }
            }
            Ok(Received::Processed)
        }
        ActivityKind::Create(object) => {
            store_message(conn, force, addressed_to, who, object, actor).await
        }
        ActivityKind::Update(Updated::Object(object)) => {
            let Some(id) = object.id.as_deref() else {
                return Ok(Received::Ignored("update without an object id"));
            };
            let html = object.html_sanitized();
            let warning = object
                .content_warning()
                .map(bluelamp_federation::html::sanitize);
            fed::update_message(conn, id, who, &html, warning.as_deref()).await?;
            Ok(Received::Processed)
        }
        ActivityKind::Update(Updated::Actor(_)) => Ok(Received::Ignored("profile update")),
        ActivityKind::Delete { object } => {
            if object == who {
                // The account itself is gone: it follows nothing of ours any more.
                fed::remove_follower(conn, None, who).await?;
            } else {
                fed::delete_message(conn, object, who).await?;
            }
            Ok(Received::Processed)
        }
        ActivityKind::Like { object } | ActivityKind::Announce { object } => {
            let kind = if matches!(activity.kind, ActivityKind::Like { .. }) {
                "like"
            } else {
                "announce"
            };
            match local_post(conn, force, object).await? {
                Some(post) => {
                    fed::add_reaction(conn, &activity.id, post.id, who, kind).await?;
                    Ok(Received::Processed)
                }
                None => Ok(Received::Ignored("not one of our posts")),
            }
        }
        ActivityKind::Block { object } => {
            // They no longer want our posts: stop delivering to them.
            if let Some(account) = local_actor(conn, force, object).await? {
                fed::remove_follower(conn, Some(account.id), who).await?;
            }
            Ok(Received::Processed)
        }
        ActivityKind::Flag { objects, content } => {
            let content = content.as_deref().map(bluelamp_federation::html::sanitize);
            fed::insert_report(
                conn,
                force.id,
                who,
                &activity.id,
                objects,
                content.as_deref(),
            )
            .await?;
            Ok(Received::Processed)
        }
        ActivityKind::Accept { .. } | ActivityKind::Reject { .. } => {
            Ok(Received::Ignored("we follow no one"))
        }
    }
}

/// A Create: kept when it replies to one of our posts, mentions or addresses
/// one of our accounts, or arrived in an account's own inbox.
async fn store_message(
    conn: &mut AnyConnection,
    force: &forces::Force,
    addressed_to: Option<AccountId>,
    who: &str,
    object: &RemoteObject,
    actor: &RemoteActorInfo,
) -> ServiceResult<Received> {
    let Some(object_id) = object.id.as_deref() else {
        return Ok(Received::Ignored("note without an id"));
    };
    if !object.attributed_to.is_empty() && !object.attributed_to.iter().any(|a| a == who) {
        // A remote actor cannot post in another's name.
        return Err(ServiceError::Forbidden(
            "the note is attributed to another actor".into(),
        ));
    }
    let mut concerned: Option<AccountId> = None;
    if let Some(reply_to) = object.in_reply_to.as_deref() {
        if let Some(post) = local_post(conn, force, reply_to).await? {
            concerned = Some(post.account_id);
        }
    }
    let candidates: Vec<String> = object
        .mentioned()
        .map(str::to_owned)
        .chain(object.to.iter().cloned())
        .chain(object.cc.iter().cloned())
        .collect();
    for candidate in candidates {
        if concerned.is_some() {
            break;
        }
        if let Some(account) = local_actor(conn, force, &candidate).await? {
            concerned = Some(account.id);
        }
    }
    let Some(account) = concerned.or(addressed_to) else {
        return Ok(Received::Ignored(
            "neither a reply to nor a mention of our accounts",
        ));
    };
    let attachments: Vec<serde_json::Value> = object
        .attachments
        .iter()
        .filter_map(|a| {
            a.url
                .as_ref()
                .map(|url| json!({ "url": url, "media_type": a.media_type, "alt": a.name }))
        })
        .collect();
    let html = object.html_sanitized();
    let warning = object
        .content_warning()
        .map(bluelamp_federation::html::sanitize);
    fed::insert_message(
        conn,
        &NewInboundMessage {
            force_id: force.id,
            account_id: Some(account),
            object_id,
            actor_id: who,
            author_name: actor.name.as_deref(),
            in_reply_to: object.in_reply_to.as_deref(),
            content_html: &html,
            content_warning: warning.as_deref(),
            attachments: &serde_json::Value::Array(attachments),
            url: object.url.as_deref(),
            published: object.published.as_deref(),
        },
    )
    .await?;
    Ok(Received::Processed)
}

// ---- staff ------------------------------------------------------------------

fn may_moderate(staff: &Staff) -> ServiceResult<()> {
    if matches!(
        staff.role,
        Role::ForceAdmin | Role::Comms | Role::ServerAdmin
    ) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "Only the force administrators and the comms team may block remote accounts.".into(),
        ))
    }
}

fn staff_force(staff: &Staff) -> ServiceResult<ForceId> {
    staff.force_id.ok_or(ServiceError::NotFound("force"))
}

/// What the staff inbox page shows.
pub struct InboxView {
    pub messages: Vec<fed::InboundMessage>,
    pub reports: Vec<fed::Report>,
    pub blocks: Vec<fed::Block>,
}

pub async fn inbox(store: &Store, staff: &Staff) -> ServiceResult<InboxView> {
    // Replies and reports can name victims and witnesses: only the roles that
    // answer the public read them (not analysts, never partner agencies).
    staff.authorize(Action::HandleMessages)?;
    let force = staff_force(staff)?;
    let mut conn = store.read().await?;
    Ok(InboxView {
        messages: fed::messages(&mut conn, force, 200).await?,
        reports: fed::reports(&mut conn, force, 50).await?,
        blocks: fed::blocks(&mut conn, force).await?,
    })
}

/// Block a remote actor (an `http(s)://` actor id) or a whole domain: nothing
/// from it is accepted and nothing of ours is delivered to it. Its follows end.
pub async fn block(store: &Store, staff: &Staff, target: &str) -> ServiceResult<()> {
    may_moderate(staff)?;
    let force = staff_force(staff)?;
    let target = target.trim();
    let (kind, target) = if target.starts_with("https://") || target.starts_with("http://") {
        ("actor", target.to_owned())
    } else {
        let domain = target.trim_start_matches('@').to_ascii_lowercase();
        let valid = !domain.is_empty()
            && domain.contains('.')
            && domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':');
        if !valid {
            return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
                "target",
                "Give an actor's address (https://…) or a domain such as social.example.",
            )));
        }
        ("domain", domain)
    };
    let mut tx = store.write().await?;
    if !fed::insert_block(&mut tx, force, kind, &target, staff.user_id).await? {
        return Ok(());
    }
    let removed = match kind {
        "actor" => fed::remove_follower(&mut tx, None, &target).await?,
        _ => {
            // The domain and its subdomains, as for what arrives and is sent.
            let mut n = 0;
            for (account, actor) in fed::force_followers(&mut tx, force).await? {
                if domain_covers(&target, &host_of(&actor).to_ascii_lowercase()) {
                    n += fed::remove_follower(&mut tx, Some(account), &actor).await?;
                }
            }
            n
        }
    };
    let draft = bluelamp_domain::AuditDraft {
        force_id: Some(force),
        actor_user_id: staff.user_id,
        actor_label: staff.username.clone(),
        action: "federation.block".into(),
        target_type: kind.into(),
        target_id: target.clone(),
        before: None,
        after: Some(json!({ "followers_removed": removed }).to_string()),
        ip: staff.ip.clone(),
    };
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(())
}

// ---- the delivery queue -------------------------------------------------------

pub async fn claim_deliveries(
    store: &Store,
    limit: i64,
    lease_seconds: i64,
) -> ServiceResult<Vec<fed::Delivery>> {
    let mut tx = store.write().await?;
    let claimed = fed::claim_deliveries(&mut tx, store.backend(), limit, lease_seconds).await?;
    tx.commit().await?;
    Ok(claimed)
}

/// At start, on the embedded SQLite store (which one server process owns), take
/// back the deliveries a crashed run had claimed, so they go out now rather than
/// when their lease would have ended. On PostgreSQL other nodes may hold live
/// leases: there the lease simply runs out.
pub async fn recover_deliveries_after_restart(store: &Store) -> ServiceResult<u64> {
    if store.backend() != bluelamp_store::Backend::Sqlite {
        return Ok(0);
    }
    let mut tx = store.write().await?;
    let released = fed::release_delivery_leases(&mut tx).await?;
    tx.commit().await?;
    Ok(released)
}

/// Record a batch of outcomes in one transaction (one commit per batch keeps
/// the queue fast on SQLite).
pub async fn record_deliveries(
    store: &Store,
    results: &[(i64, DeliveryResult)],
) -> ServiceResult<()> {
    let mut tx = store.write().await?;
    for (id, result) in results {
        fed::record_delivery(&mut tx, *id, result).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Keep the built JSON of an outbound activity (first writer wins).
pub async fn save_outbound_body(store: &Store, id: i64, body: &str) -> ServiceResult<String> {
    let mut tx = store.write().await?;
    fed::set_outbound_body(&mut tx, id, body).await?;
    let stored = fed::outbound(&mut tx, id)
        .await?
        .body
        .unwrap_or_else(|| body.to_owned());
    tx.commit().await?;
    Ok(stored)
}
