//! The SQL of posts and jobs on every backend under test: an edit proposed on an
//! approved post keeps the public text, stale versions are refused, public pages
//! list posts in the order they went public, and a due job is claimed once.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use bluelamp_domain::{
    AccountKind, DisplayName, ForceCode, ForceSettings, Handle, PostStatus, PublicDomain, Role,
    TimeZoneName, UserId, Username,
};
use bluelamp_store::testing::each_backend;
use bluelamp_store::{accounts, forces, jobs, posts, users, Store, StoreError};

struct Fixture {
    force: bluelamp_domain::ForceId,
    account: bluelamp_domain::AccountId,
    author: UserId,
    approver: UserId,
}

async fn fixture(store: &Store) -> Fixture {
    let mut tx = store.write().await.unwrap();
    let force = forces::insert(
        &mut tx,
        &forces::NewForce {
            code: ForceCode::parse("gwent").unwrap(),
            name: "Gwent Police".into(),
            domain: PublicDomain::parse("gwent.police.test").unwrap(),
            time_zone: TimeZoneName::parse("Europe/London").unwrap(),
            logo_url: None,
            settings: ForceSettings::default(),
        },
    )
    .await
    .unwrap();
    let user = |name: &str, role: Role| users::NewUser {
        force_id: Some(force.id),
        username: Username::parse(name).unwrap(),
        display_name: DisplayName::parse("display_name", name).unwrap(),
        role,
        password_hash: "not-a-hash".into(),
    };
    let author = users::insert(&mut tx, &user("pc.jones", Role::Officer))
        .await
        .unwrap();
    let approver = users::insert(&mut tx, &user("sgt.price", Role::Supervisor))
        .await
        .unwrap();
    let account = accounts::insert(
        &mut tx,
        &accounts::NewAccount {
            force_id: force.id,
            handle: Handle::parse("pcjones").unwrap(),
            display_name: DisplayName::parse("display_name", "PC Jones").unwrap(),
            bio: String::new(),
            avatar_url: None,
            kind: AccountKind::Personal,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Fixture {
        force: force.id,
        account: account.id,
        author: author.id,
        approver: approver.id,
    }
}

async fn publish(store: &Store, f: &Fixture, text: &str) -> posts::Post {
    let mut tx = store.write().await.unwrap();
    let post = posts::insert(
        &mut tx,
        &posts::NewPost {
            force_id: f.force,
            account_id: f.account,
            author: f.author,
            text,
            body: text,
            status: PostStatus::Published,
            kind: "update",
            channels: &["fediverse".to_string()],
            reply_to_post_id: None,
            link_kind: None,
            link_ref: None,
            decision: "publish",
            findings: &serde_json::json!([]),
            scheduled_at: None,
            content_warning: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    post
}

#[tokio::test]
async fn a_proposed_edit_keeps_the_public_text_until_it_is_applied_or_turned_down() {
    each_backend(|store| async move {
        let f = fixture(&store).await;
        let post = publish(&store, &f, "Surgery at the library at 6pm.").await;
        let findings = serde_json::json!([]);

        let mut tx = store.write().await.unwrap();
        let stale = posts::propose_edit(
            &mut tx,
            post.id,
            post.version + 5,
            "Moved to 7pm.",
            "Moved to 7pm.",
            "publish",
            &findings,
            f.author,
        )
        .await
        .unwrap_err();
        assert!(matches!(stale, StoreError::Conflict(_)), "{stale:?}");
        let proposed = posts::propose_edit(
            &mut tx,
            post.id,
            post.version,
            "Moved to 7pm.",
            "Moved to 7pm.",
            "publish",
            &findings,
            f.author,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(proposed.body, "Surgery at the library at 6pm.");
        assert_eq!(
            proposed.proposed_edit.as_ref().unwrap().proposed_by,
            f.author
        );
        assert_eq!(proposed.version, post.version + 1);

        let mut conn = store.read().await.unwrap();
        let waiting = posts::with_proposed_edits(&mut conn, f.force, 10)
            .await
            .unwrap();
        assert_eq!(
            waiting.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![post.id]
        );
        drop(conn);

        // Applying it clears the proposal and keeps the old text as a revision.
        let mut tx = store.write().await.unwrap();
        let applied = posts::edit(
            &mut tx,
            post.id,
            proposed.version,
            "Moved to 7pm.",
            "Moved to 7pm.",
            "publish",
            &findings,
            f.author,
            "edit approved",
        )
        .await
        .unwrap();
        assert!(applied.proposed_edit.is_none());
        assert_eq!(applied.body, "Moved to 7pm.");
        // Nothing waits now: turning an edit down is a stale write.
        let nothing =
            posts::discard_proposed_edit(&mut tx, post.id, applied.version, f.approver, "no")
                .await
                .unwrap_err();
        assert!(matches!(nothing, StoreError::Conflict(_)), "{nothing:?}");
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        let revisions = posts::revisions(&mut conn, post.id).await.unwrap();
        assert_eq!(revisions[0].body, "Surgery at the library at 6pm.");
    })
    .await;
}

#[tokio::test]
async fn public_pages_follow_publication_time_and_page_after_a_post() {
    each_backend(|store| async move {
        let f = fixture(&store).await;
        let late = publish(&store, &f, "written first, public last").await;
        let early = publish(&store, &f, "public first").await;
        let middle = publish(&store, &f, "public second").await;
        let mut tx = store.write().await.unwrap();
        for (id, at) in [
            (early.id, "2026-01-01T10:00:00.000Z"),
            (middle.id, "2026-01-01T11:00:00.000Z"),
            (late.id, "2026-01-01T12:00:00.000Z"),
        ] {
            sqlx::query("UPDATE posts SET published_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        let page = posts::public_page(&mut conn, f.force, Some(f.account), None, 2)
            .await
            .unwrap();
        assert_eq!(
            page.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![late.id, middle.id]
        );
        let next = posts::public_page(&mut conn, f.force, None, Some(middle.id), 2)
            .await
            .unwrap();
        assert_eq!(
            next.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![early.id]
        );
    })
    .await;
}

#[tokio::test]
async fn a_due_job_is_claimed_once_and_a_duplicate_is_not_queued() {
    each_backend(|store| async move {
        let mut tx = store.write().await.unwrap();
        let payload = serde_json::json!({"post_id": 1});
        let first = jobs::enqueue(
            &mut tx,
            "publish_scheduled_post",
            &payload,
            "2000-01-01T00:00:00.000Z",
            Some("publish:post:1"),
            3,
        )
        .await
        .unwrap();
        let again = jobs::enqueue(
            &mut tx,
            "publish_scheduled_post",
            &payload,
            "2000-01-01T00:00:00.000Z",
            Some("publish:post:1"),
            3,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert!(first.is_some());
        assert_eq!(again, None, "the same key is queued once");

        let mut tx = store.write().await.unwrap();
        let claimed = jobs::claim_due(&mut tx, store.backend(), 10, 60)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(claimed.len(), 1);
        let mut tx = store.write().await.unwrap();
        let while_leased = jobs::claim_due(&mut tx, store.backend(), 10, 60)
            .await
            .unwrap();
        assert!(while_leased.is_empty(), "a leased job is not claimed twice");
        jobs::complete(&mut tx, claimed[0].id).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.write().await.unwrap();
        assert!(jobs::claim_due(&mut tx, store.backend(), 10, 0)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}
