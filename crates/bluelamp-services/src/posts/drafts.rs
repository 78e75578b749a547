//! A stored post as the governance check reads it: what the approval re-check and the
//! feedback examples both need.

use bluelamp_store::{accounts, forces, media, posts, AnyConnection};

use super::{draft_request, Compose};
use crate::ServiceResult;

/// A stored post as the check reads it now (its body, account, kind, channels, photos'
/// descriptions and the force's election period): what a feedback example records.
pub(crate) async fn stored_draft(
    conn: &mut AnyConnection,
    post: &posts::Post,
) -> ServiceResult<serde_json::Value> {
    let account = accounts::get(conn, post.account_id).await?;
    let force = forces::get(conn, post.force_id).await?;
    let alts = photo_descriptions(conn, post.id).await?;
    let mut compose = Compose {
        kind: Some(post.kind.clone()),
        channels: post.channels.clone(),
        ..Compose::default()
    };
    // A case deleted or renamed since must not stop the example being recorded.
    let _ = super::with_case_context(
        conn,
        post.force_id,
        post.link_kind.as_deref(),
        post.link_ref.as_deref(),
        &mut compose,
    )
    .await;
    Ok(draft_request(
        &post.body,
        account.kind,
        &compose,
        &alts,
        force.settings.pre_election,
    ))
}

pub(super) async fn photo_descriptions(
    conn: &mut AnyConnection,
    post: i64,
) -> ServiceResult<Vec<Option<String>>> {
    Ok(media::for_post(conn, post)
        .await?
        .into_iter()
        .map(|m| (!m.alt.is_empty()).then_some(m.alt))
        .collect())
}
