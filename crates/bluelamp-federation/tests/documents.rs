#![allow(clippy::unwrap_used)]
//! Our documents as other servers will read them (through our own lenient reader
//! as a stand-in for theirs), their stable ids, and the sanitiser on hostile HTML.

use bluelamp_federation::build::{
    accept_activity, actor_document, actor_type_for, announce_activity, create_activity,
    delete_activity, note_object, update_activity, ActorInfo, ActorUrls, AttachmentInfo, ImageInfo,
    NoteInfo,
};
use bluelamp_federation::html::{sanitize, Mention, RenderContext};
use bluelamp_federation::limits::MAX_REMOTE_DOCUMENT;
use bluelamp_federation::protocol::discovery::{nodeinfo, NodeStats};
use bluelamp_federation::protocol::outbound::ActorType;
use bluelamp_federation::protocol::{
    parse_activity, parse_document, ActivityKind, Document, RemoteTag, Target, PUBLIC,
};

fn urls() -> ActorUrls {
    ActorUrls::new("https://police.example", "news")
}

fn note<'a>(
    urls: &'a ActorUrls,
    attachments: &'a [AttachmentInfo],
    mentions: &'a [Mention],
    updated: Option<&'a str>,
) -> NoteInfo<'a> {
    NoteInfo {
        urls,
        post_id: "42",
        text: "Road closed on the A1 #Traffic, thanks @alice@social.example. Details: https://police.example/roads",
        content_warning: Some("Collision"),
        published: "2026-09-21T10:00:00Z",
        updated,
        url: "https://police.example/@news/42",
        in_reply_to: None,
        attachments,
        language: Some("en"),
        render: RenderContext {
            local_domain: "police.example",
            hashtag_base: "https://police.example/tags/",
            mentions,
        },
    }
}

#[test]
fn actor_document_reads_back_as_an_actor() {
    let doc = actor_document(&ActorInfo {
        urls: urls(),
        handle: "news".into(),
        display_name: "Police News".into(),
        summary: "News from the force.\n\nNot monitored 24/7: call 999 in an emergency.".into(),
        kind: actor_type_for("corporate", false),
        avatar: Some(ImageInfo {
            url: "https://police.example/media/a.png".into(),
            media_type: Some("image/png".into()),
        }),
        header: None,
        website: Some("https://www.police.example".into()),
        fields: vec![(
            "Verified".into(),
            "This account is served from police.example, the force's own domain".into(),
        )],
        public_key_pem: "-----BEGIN PUBLIC KEY-----\nX\n-----END PUBLIC KEY-----\n".into(),
        published: None,
        local_domain: "police.example".into(),
    });
    let json = serde_json::to_vec(&doc).unwrap();
    let Document::Actor(actor) = parse_document(&json, MAX_REMOTE_DOCUMENT).unwrap() else {
        panic!("actor")
    };
    assert_eq!(actor.kind.as_deref(), Some("Organization"));
    assert_eq!(
        actor.id.as_deref(),
        Some("https://police.example/users/news")
    );
    assert_eq!(
        actor.inbox.as_deref(),
        Some("https://police.example/users/news/inbox")
    );
    assert_eq!(actor.shared_inbox(), Some("https://police.example/inbox"));
    assert_eq!(
        actor.public_key[0].id.as_deref(),
        Some("https://police.example/users/news#main-key")
    );
    assert_eq!(
        actor.public_key[0].owner.as_deref(),
        Some("https://police.example/users/news")
    );
    assert_eq!(
        actor.icon.as_deref(),
        Some("https://police.example/media/a.png")
    );
    assert_eq!(actor.attachments.len(), 2);
    assert!(actor.attachments[0]
        .value
        .as_deref()
        .unwrap()
        .contains("rel=\"nofollow noopener noreferrer me\""));
    assert_eq!(
        actor.summary.as_deref(),
        Some("<p>News from the force.</p><p>Not monitored 24/7: call 999 in an emergency.</p>")
    );
    assert_eq!(actor_type_for("personal", false), ActorType::Person);
    assert_eq!(actor_type_for("unit", false), ActorType::Organization);
    assert_eq!(actor_type_for("collective", true), ActorType::Service);
}

#[test]
fn a_post_goes_out_as_create_update_delete_with_stable_ids() {
    let urls = urls();
    let attachments = [AttachmentInfo {
        url: "https://police.example/media/1.jpg".into(),
        media_type: "image/jpeg".into(),
        alt: Some("A road sign reading Road Closed".into()),
        width: Some(800),
        height: Some(600),
        blurhash: None,
    }];
    let mentions = [Mention {
        acct: "alice@social.example".into(),
        href: "https://social.example/users/alice".into(),
    }];
    let create = create_activity(
        &urls,
        "42",
        note_object(&note(&urls, &attachments, &mentions, None)),
    );
    let again = create_activity(
        &urls,
        "42",
        note_object(&note(&urls, &attachments, &mentions, None)),
    );
    assert_eq!(
        create, again,
        "a retried build must produce the same document"
    );
    assert_eq!(
        create.id,
        "https://police.example/users/news/posts/42/activity"
    );
    assert_eq!(
        create.object.id,
        "https://police.example/users/news/posts/42"
    );
    assert!(create.object.context.is_none());
    assert_eq!(create.to, vec![PUBLIC]);
    assert_eq!(
        create.cc,
        vec![
            "https://police.example/users/news/followers",
            "https://social.example/users/alice"
        ]
    );

    let parsed = parse_activity(&serde_json::to_vec(&create).unwrap()).unwrap();
    let ActivityKind::Create(object) = parsed.kind else {
        panic!("create")
    };
    assert!(object.sensitive);
    assert_eq!(object.content_warning(), Some("Collision"));
    assert_eq!(
        object.attachments[0].name.as_deref(),
        Some("A road sign reading Road Closed")
    );
    assert_eq!(object.content_map.get("en"), object.content.as_ref());
    let kinds: Vec<_> = object
        .tags
        .iter()
        .map(|t| match t {
            RemoteTag::Mention { name, .. } => format!("mention {}", name.as_deref().unwrap()),
            RemoteTag::Hashtag { name, href } => format!(
                "hashtag {} {}",
                name.as_deref().unwrap(),
                href.as_deref().unwrap()
            ),
            _ => "other".into(),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "mention @alice@social.example",
            "hashtag #Traffic https://police.example/tags/traffic"
        ]
    );
    // Our own HTML passes the sanitiser unchanged apart from rel normalisation:
    // the links, mention and hashtag survive.
    let html = object.html().unwrap();
    let clean = sanitize(html);
    for needle in [
        "href=\"https://social.example/users/alice\"",
        "class=\"u-url mention\"",
        "class=\"mention hashtag\"",
        "href=\"https://police.example/roads\"",
    ] {
        assert!(clean.contains(needle), "{needle} in {clean}");
    }

    let update = update_activity(
        &urls,
        "42",
        3,
        note_object(&note(&urls, &[], &[], Some("2026-09-21T11:00:00Z"))),
    );
    assert_eq!(
        update.id,
        "https://police.example/users/news/posts/42/update/3"
    );
    assert_eq!(
        update.object.updated.as_deref(),
        Some("2026-09-21T11:00:00Z")
    );
    assert!(matches!(
        parse_activity(&serde_json::to_vec(&update).unwrap())
            .unwrap()
            .kind,
        ActivityKind::Update(_)
    ));

    let delete = delete_activity(&urls, "42", &[]);
    assert_eq!(
        delete.id,
        "https://police.example/users/news/posts/42/delete"
    );
    let parsed = parse_activity(&serde_json::to_vec(&delete).unwrap()).unwrap();
    assert_eq!(
        parsed.kind,
        ActivityKind::Delete {
            object: "https://police.example/users/news/posts/42".into()
        }
    );

    let accept = accept_activity(
        &urls,
        "https://social.example/follows/9",
        "https://social.example/users/alice",
    );
    assert_eq!(
        accept.id,
        accept_activity(
            &urls,
            "https://social.example/follows/9",
            "https://social.example/users/alice"
        )
        .id
    );
    let parsed = parse_activity(&serde_json::to_vec(&accept).unwrap()).unwrap();
    let ActivityKind::Accept {
        object: Target::Activity { id, kind, .. },
    } = parsed.kind
    else {
        panic!("accept")
    };
    assert_eq!(id.as_deref(), Some("https://social.example/follows/9"));
    assert_eq!(
        *kind,
        ActivityKind::Follow {
            object: urls.id.clone()
        }
    );

    let announce = announce_activity(
        &urls,
        "7",
        "https://social.example/notes/1",
        Some("https://social.example/users/alice"),
        "2026-09-21T12:00:00Z",
    );
    assert_eq!(announce.id, "https://police.example/users/news/announces/7");
    assert!(matches!(
        parse_activity(&serde_json::to_vec(&announce).unwrap())
            .unwrap()
            .kind,
        ActivityKind::Announce { .. }
    ));
}

#[test]
fn nodeinfo_shape() {
    let info = nodeinfo(
        &NodeStats {
            node_name: "Example Police".into(),
            users_total: 12,
            ..Default::default()
        },
        "0.1.0",
        None,
    );
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["version"], "2.1");
    assert_eq!(json["software"]["name"], "bluelamp");
    assert_eq!(json["protocols"][0], "activitypub");
    assert_eq!(json["openRegistrations"], false);
    assert_eq!(json["usage"]["users"]["total"], 12);
    assert_eq!(json["usage"]["users"]["activeHalfyear"], 0);
}

#[test]
fn hostile_html_is_cleaned() {
    let dirty = r#"<p>Hi <script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">click</a>
        <a href="https://ok.example/" onclick="x()" style="color:red" class="u-url mention evil">ok</a>
        <span class="h-card invisible bad" onmouseover="x()">card</span><iframe src="https://x"></iframe>
        <a href="/relative">rel</a><b>bold</b><br><style>p{}</style></p>"#;
    let clean = sanitize(dirty);
    for banned in [
        "<script",
        "alert(1)",
        "onerror",
        "javascript:",
        "onclick",
        "style",
        "evil",
        "bad",
        "onmouseover",
        "<iframe",
        "<img",
        "/relative",
        "p{}",
    ] {
        assert!(!clean.contains(banned), "{banned} survived: {clean}");
    }
    for kept in [
        "<p>",
        "<br>",
        "<b>bold</b>",
        "href=\"https://ok.example/\"",
        "class=\"u-url mention\"",
        "rel=\"nofollow noopener noreferrer\"",
        "<span class=\"h-card invisible\">card</span>",
    ] {
        assert!(clean.contains(kept), "{kept} lost: {clean}");
    }
}
