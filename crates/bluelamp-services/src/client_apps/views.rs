//! A post with what an app shows beside it (its account and media), loaded in
//! as few queries as a page allows.

use std::collections::HashMap;

use bluelamp_domain::AccountId;
use bluelamp_store::{accounts, media, posts, AnyConnection};

use crate::ServiceResult;

/// Statuses that stand for inbox messages (in notifications) have ids from here
/// on, so they never collide with post ids and an app can still compare ids as
/// numbers. (A force reaching 10^15 posts is not a concern.)
pub const MESSAGE_ID_BASE: i64 = 1_000_000_000_000_000;

#[derive(Debug, Clone)]
pub struct StatusView {
    pub post: posts::Post,
    pub account: accounts::Account,
    pub media: Vec<media::Media>,
    /// The account of the post this one replies to.
    pub reply_to_account: Option<AccountId>,
}

pub(crate) async fn one(conn: &mut AnyConnection, post: posts::Post) -> ServiceResult<StatusView> {
    let mut views = many(conn, vec![post]).await?;
    views
        .pop()
        .ok_or_else(|| crate::ServiceError::Internal("a status view went missing".into()))
}

pub(crate) async fn many(
    conn: &mut AnyConnection,
    posts_in_order: Vec<posts::Post>,
) -> ServiceResult<Vec<StatusView>> {
    let ids: Vec<i64> = posts_in_order.iter().map(|p| p.id).collect();
    let mut media_by_post: HashMap<i64, Vec<media::Media>> = HashMap::new();
    for item in media::for_posts(conn, &ids).await? {
        if let Some(post) = item.post_id {
            media_by_post.entry(post).or_default().push(item);
        }
    }
    let mut accounts_by_id: HashMap<AccountId, accounts::Account> = HashMap::new();
    let mut views = Vec::with_capacity(posts_in_order.len());
    for post in posts_in_order {
        if let std::collections::hash_map::Entry::Vacant(slot) =
            accounts_by_id.entry(post.account_id)
        {
            slot.insert(accounts::get(conn, post.account_id).await?);
        }
        let reply_to_account = match post.reply_to_post_id {
            Some(parent) => Some(posts::get(conn, parent).await?.account_id),
            None => None,
        };
        let account = accounts_by_id
            .get(&post.account_id)
            .cloned()
            .ok_or_else(|| crate::ServiceError::Internal("an account went missing".into()))?;
        let media = media_by_post.remove(&post.id).unwrap_or_default();
        views.push(StatusView {
            post,
            account,
            media,
            reply_to_account,
        });
    }
    Ok(views)
}
