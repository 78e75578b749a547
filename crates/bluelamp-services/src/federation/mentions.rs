//! Mentions in our posts: resolving `@user@domain` to remote actors before a fan-out.

use std::future::Future;
use std::pin::Pin;

use bluelamp_store::{accounts, federation as fed, forces, jobs, posts, Store};

use crate::ServiceResult;

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

    /// How many follow a remote actor (its followers collection's
    /// `totalItems`), for the reach of the people who amplify us; `None` when
    /// its server will not say or cannot be reached.
    fn followers_of<'a>(&'a self, _actor_id: &'a str) -> BoxFuture<'a, Option<i64>> {
        Box::pin(async { None })
    }
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
