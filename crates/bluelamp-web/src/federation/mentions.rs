//! Resolving the `@user` and `@user@domain` mentions of a post that is going
//! out: the job runner calls this before a fan-out (see
//! `bluelamp_services::federation::resolve_mentions_for_job`), outside any
//! transaction. Our own accounts come from the database; remote ones through
//! WebFinger and the actor document, fetched with the shared client (so its
//! URL-safety rules apply) and signed by the posting account (servers in
//! "secure mode" refuse unsigned fetches). What cannot be resolved is left
//! out, and stays plain text in the post.

use std::time::Duration;

use bluelamp_federation::fetch::{fetch_actor, fetch_bytes, webfinger_lookup};
use bluelamp_federation::protocol::ACCEPT_ACTIVITY;
use bluelamp_services::federation::{BoxFuture, MentionRequest, MentionResolver};
use bluelamp_store::federation::PostMention;
use bluelamp_store::{accounts, forces};
use tokio::task::JoinSet;

use super::documents::actor_urls;
use super::{base_url, signer};
use crate::AppState;

/// The whole resolution of one post's mentions may take this long; the job's
/// lease is 60 s, and a post must not wait on a dead server for longer.
const RESOLVE_BUDGET: Duration = Duration::from_secs(25);

/// The resolver the web process gives the job runner.
pub struct WebResolver {
    pub state: AppState,
}

impl MentionResolver for WebResolver {
    fn resolve<'a>(
        &'a self,
        force: &'a forces::Force,
        account: &'a accounts::Account,
        wanted: Vec<MentionRequest>,
    ) -> BoxFuture<'a, Vec<PostMention>> {
        Box::pin(resolve_all(&self.state, force, account, wanted))
    }

    fn followers_of<'a>(&'a self, actor_id: &'a str) -> BoxFuture<'a, Option<i64>> {
        Box::pin(followers_of(&self.state, actor_id))
    }
}

/// A remote actor's follower count: its document, then its followers
/// collection (on the same host, so a document cannot send us elsewhere), read
/// for `totalItems`. Unsigned: servers that hide the count from anonymous
/// readers are not asked twice.
async fn followers_of(state: &AppState, actor_id: &str) -> Option<i64> {
    let client = state.federation.client.clone()?;
    let actor = fetch_actor(&client, actor_id, None).await.ok()?;
    let collection = actor.actor.followers.clone()?;
    let host = |u: &str| {
        reqwest::Url::parse(u).ok().map(|u| {
            (
                u.host_str().map(str::to_ascii_lowercase),
                u.port_or_known_default(),
            )
        })
    };
    if host(&collection) != host(&actor.id) {
        return None;
    }
    let (_, body) = fetch_bytes(&client, &collection, ACCEPT_ACTIVITY, None, 64 * 1024)
        .await
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&body).ok()?;
    value["totalItems"].as_i64().filter(|n| *n >= 0)
}

async fn resolve_all(
    state: &AppState,
    force: &forces::Force,
    account: &accounts::Account,
    wanted: Vec<MentionRequest>,
) -> Vec<PostMention> {
    let base = base_url(state, force);
    let mut found = Vec::new();
    let mut remote = JoinSet::new();
    for request in wanted {
        let domain = request
            .domain
            .clone()
            .unwrap_or_else(|| force.domain.clone());
        if domain.eq_ignore_ascii_case(&force.domain) {
            if let Some(local) = local_mention(state, &base, force, &request.user).await {
                found.push(local);
            }
            continue;
        }
        let Some(client) = state.federation.client.clone() else {
            continue;
        };
        let urls = actor_urls(&base, force, account);
        // Without our key the fetch goes unsigned; most servers still answer.
        let signer = signer(state, account.id, &urls.key_id).await.ok();
        let scheme = state.config.federation_scheme.clone();
        remote.spawn(async move {
            let acct = format!("{}@{}", request.user, domain).to_lowercase();
            let actor_id = match webfinger_lookup(&client, &request.user, &domain, &scheme).await {
                Ok(id) => id,
                Err(error) => {
                    tracing::info!("mention @{acct} not resolved by WebFinger: {error}");
                    return None;
                }
            };
            match fetch_actor(&client, &actor_id, signer.as_deref()).await {
                // The document must be the actor WebFinger named (fetch_actor has
                // already checked it is served from its own host).
                Ok(actor) if actor.id == actor_id => Some(PostMention {
                    acct,
                    actor_id,
                    inbox: Some(actor.inbox),
                }),
                Ok(actor) => {
                    tracing::info!(
                        "mention @{acct}: WebFinger named {actor_id} but the document is {}",
                        actor.id
                    );
                    None
                }
                Err(error) => {
                    tracing::info!("mention @{acct}: actor {actor_id} not fetched: {error}");
                    None
                }
            }
        });
    }
    let collect = async {
        while let Some(done) = remote.join_next().await {
            if let Ok(Some(mention)) = done {
                found.push(mention);
            }
        }
    };
    if tokio::time::timeout(RESOLVE_BUDGET, collect).await.is_err() {
        tracing::info!("mention resolution ran out of time; the rest stay plain text");
        remote.abort_all();
    }
    found
}

/// One of the force's own accounts: nothing to deliver (it is ours), but the
/// Note links it like any other mention.
async fn local_mention(
    state: &AppState,
    base: &str,
    force: &forces::Force,
    handle: &str,
) -> Option<PostMention> {
    let mut conn = state.store.read().await.ok()?;
    let account = accounts::by_handle(&mut conn, force.id, handle)
        .await
        .ok()?;
    Some(PostMention {
        acct: format!("{}@{}", account.handle, force.domain).to_lowercase(),
        actor_id: actor_urls(base, force, &account).id,
        inbox: None,
    })
}
