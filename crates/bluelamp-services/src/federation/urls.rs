//! URLs of ours: which local actor or post an id names.

use bluelamp_domain::PostStatus;
use bluelamp_store::{accounts, forces, posts, AnyConnection};

use crate::ServiceResult;

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

pub(super) async fn local_actor(
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
pub(crate) async fn local_post(
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
