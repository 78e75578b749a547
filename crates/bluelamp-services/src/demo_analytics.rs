//! The demo force's figures: where it is on the campaign map, a month of
//! Bluesky and e-mail follower history (generated for the demo, growing about 10%), likes and
//! boosts from a few example people, a national campaign running today with two
//! posts carrying its tag, and answered and closed messages for the response
//! times. Everything is then counted, so every dashboard shows something.

use bluelamp_domain::{AccountId, ForceId};
use bluelamp_store::analytics::audience;
use bluelamp_store::{inbox, Store};

use crate::analytics::campaigns::{self, NewCampaignInput};
use crate::{posts, ServiceResult, Staff};

/// Roughly the Demo Constabulary's patch in mid Wales.
const AREA: &str = r#"{"type":"Polygon","coordinates":[[[-4.6,52.0],[-3.2,52.0],[-3.0,52.7],[-3.6,53.0],[-4.5,52.8],[-4.6,52.0]]]}"#;

pub(crate) async fn seed(
    store: &Store,
    as_admin: &Staff,
    force: ForceId,
    accounts: &[AccountId],
    chiefs: AccountId,
) -> ServiceResult<()> {
    {
        let mut tx = store.write().await?;
        campaigns::change_place(&mut tx, force, Some("52.41, -3.95"), Some(AREA)).await?;
        tx.commit().await?;
    }
    follower_history(store, force, accounts).await?;
    let now = bluelamp_store::clock::now();
    let stamp = |hours: i64| bluelamp_store::format_time(now + time::Duration::hours(hours));
    campaigns::create(
        store,
        as_admin,
        &NewCampaignInput {
            tag: "#DemoTweetathon".into(),
            title: "Demo tweet-a-thon".into(),
            starts_at: stamp(-2),
            ends_at: stamp(22),
            national: true,
        },
    )
    .await?;
    let engine = crate::force_rules::ForceEngines::default();
    let mut posted = Vec::new();
    for text in [
        "On patrol in the town centre tonight for our #DemoTweetathon: say hello if you see us.",
        "A call about a lost dog, reunited with its owner within the hour. #demotweetathon",
    ] {
        let compose = posts::Compose {
            text: text.into(),
            ..posts::Compose::default()
        };
        posted.push(
            posts::compose(store, &engine, as_admin, chiefs, &compose)
                .await?
                .post
                .id,
        );
    }
    let mut tx = store.write().await?;
    for (i, person) in ["alys", "bryn", "ceri", "dylan", "eleri"]
        .iter()
        .enumerate()
    {
        let actor = format!("https://social.example/users/{person}");
        for (j, post) in posted.iter().enumerate() {
            if i + j < 5 {
                let kind = if (i + j) % 2 == 0 { "announce" } else { "like" };
                let activity = format!("{actor}/demo/{post}/{kind}");
                bluelamp_store::federation::add_reaction(&mut tx, &activity, *post, &actor, kind)
                    .await?;
            }
        }
    }
    // Answer one message and close another, so response times have figures.
    let filter = inbox::Filter {
        limit: 10,
        ..Default::default()
    };
    let queue = inbox::list(&mut tx, force, &filter).await?;
    // Never an urgent one: the demo's emergency and safeguarding messages stay open.
    let routine = queue.iter().filter(|m| !m.urgent);
    for (message, status) in routine.zip(["answered", "closed"]) {
        inbox::set_status(&mut tx, message.id, status).await?;
    }
    tx.commit().await?;
    crate::analytics::count::count_all(store).await?;
    Ok(())
}

/// A month of daily follower counts per account and channel, ending today.
async fn follower_history(
    store: &Store,
    force: ForceId,
    accounts: &[AccountId],
) -> ServiceResult<()> {
    let today = jiff::Timestamp::from_second(bluelamp_store::clock::now().unix_timestamp())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC))
        .date();
    let mut tx = store.write().await?;
    for back in (0..30i64).rev() {
        let Ok(day) = today.checked_sub(jiff::Span::new().days(back)) else {
            continue;
        };
        let day = day.to_string();
        for (n, account) in accounts.iter().enumerate() {
            let base = 1200 * (n as i64 + 1);
            // Fediverse followers are counted exactly, from the follower rows,
            // by the snapshot job; the demo's history is of the other channels.
            for (channel, share) in [("bluesky", 60), ("email", 40)] {
                // About 10% growth over the month, a little each day.
                let start = base * share / 100;
                let followers = start + start * (29 - back) / 290;
                audience::record(&mut tx, account.0, force.0, channel, &day, followers).await?;
            }
        }
        audience::sum_force_day(&mut tx, force.0, &day).await?;
    }
    tx.commit().await?;
    Ok(())
}
