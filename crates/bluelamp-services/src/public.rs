//! What the public may read: the force list, a force's page, an account's
//! profile, one post, a hashtag's posts and the feeds. Only published posts (and
//! the tombstones of deleted ones) ever leave here; the web layer renders what
//! these return and caches it.

use bluelamp_domain::PostStatus;
use bluelamp_store::{accounts, forces, media, posts, AnyConnection, Store};

use crate::{ServiceError, ServiceResult};

/// Posts of a page, with their attachments and the accounts that wrote them.
#[derive(Debug, Clone)]
pub struct Listing {
    pub force: forces::Force,
    /// The account whose page or feed this is; `None` for the whole force.
    pub account: Option<accounts::Account>,
    pub posts: Vec<posts::Post>,
    pub media: Vec<media::Media>,
    /// The accounts the posts may come from (the one account, or the force's).
    pub accounts: Vec<accounts::Account>,
}

impl Listing {
    /// The attachments of one post of the listing, in order.
    pub fn media_of(&self, post: i64) -> Vec<media::Media> {
        self.media
            .iter()
            .filter(|m| m.post_id == Some(post))
            .cloned()
            .collect()
    }

    pub fn account_of(&self, post: &posts::Post) -> Option<&accounts::Account> {
        self.accounts.iter().find(|a| a.id == post.account_id)
    }
}

pub async fn forces(store: &Store) -> ServiceResult<Vec<forces::Force>> {
    let mut conn = store.read().await?;
    Ok(forces::list(&mut conn).await?)
}

pub async fn force(store: &Store, code: &str) -> ServiceResult<forces::Force> {
    let mut conn = store.read().await?;
    Ok(forces::by_code(&mut conn, code).await?)
}

async fn listing(
    conn: &mut AnyConnection,
    force: forces::Force,
    account: Option<accounts::Account>,
    posts: Vec<posts::Post>,
) -> ServiceResult<Listing> {
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let media = media::for_posts(conn, &ids).await?;
    let accounts = match &account {
        Some(account) => vec![account.clone()],
        None => accounts::list(conn, force.id).await?,
    };
    Ok(Listing {
        force,
        account,
        posts,
        media,
        accounts,
    })
}

/// A force-wide listing of chosen posts (an incident's updates, the open appeals).
pub async fn listing_of(
    store: &Store,
    force: forces::Force,
    posts: Vec<posts::Post>,
) -> ServiceResult<Listing> {
    let mut conn = store.read().await?;
    listing(&mut conn, force, None, posts).await
}

/// A page of the force's (or one account's) public posts, in the order they went
/// public, after the post `before`.
pub async fn page(
    store: &Store,
    code: &str,
    handle: Option<&str>,
    before: Option<i64>,
    size: i64,
) -> ServiceResult<Listing> {
    let mut conn = store.read().await?;
    let force = forces::by_code(&mut conn, code).await?;
    let account = match handle {
        Some(handle) => Some(accounts::by_handle(&mut conn, force.id, handle).await?),
        None => None,
    };
    let found = posts::public_page(
        &mut conn,
        force.id,
        account.as_ref().map(|a| a.id),
        before,
        size,
    )
    .await?;
    listing(&mut conn, force, account, found).await
}

/// What a feed carries: what is public now (deleted posts simply leave it).
pub async fn feed(
    store: &Store,
    code: &str,
    handle: Option<&str>,
    size: i64,
) -> ServiceResult<Listing> {
    let mut listing = page(store, code, handle, None, size).await?;
    listing.posts.retain(|p| p.status == PostStatus::Published);
    Ok(listing)
}

/// One public post (or its tombstone) of the force, with its account and media.
pub async fn post(
    store: &Store,
    code: &str,
    id: i64,
) -> ServiceResult<(
    forces::Force,
    posts::Post,
    accounts::Account,
    Vec<media::Media>,
)> {
    let mut conn = store.read().await?;
    let force = forces::by_code(&mut conn, code).await?;
    let post = posts::get(&mut conn, id).await?;
    if post.force_id != force.id
        || !matches!(post.status, PostStatus::Published | PostStatus::Deleted)
    {
        return Err(ServiceError::NotFound("post"));
    }
    let account = accounts::get(&mut conn, post.account_id).await?;
    let media = media::for_post(&mut conn, post.id).await?;
    Ok((force, post, account, media))
}

/// Published posts of the force whose text contains `needle` (the candidates for
/// a hashtag page; the caller keeps those where it really is a hashtag), with the
/// media of the ones kept by `keep`.
pub async fn containing(
    store: &Store,
    force: forces::Force,
    needle: &str,
    limit: i64,
    keep: impl FnMut(&posts::Post) -> bool,
    size: usize,
) -> ServiceResult<Listing> {
    let mut conn = store.read().await?;
    let found = posts::published_containing(&mut conn, force.id, needle, limit).await?;
    let kept: Vec<posts::Post> = found.into_iter().filter(keep).take(size).collect();
    listing(&mut conn, force, None, kept).await
}
