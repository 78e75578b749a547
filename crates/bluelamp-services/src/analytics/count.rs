//! The counting job: takes in what is new since its last round (checked drafts,
//! publications, likes and boosts, inbox messages, their first answers and
//! closes) and adds it to the roll-ups, in the job's own transaction. Each item
//! is marked counted in that same transaction, so a round that crashes halfway
//! leaves neither its sums nor its marks, and the next round counts it once.

use std::collections::HashMap;

use bluelamp_domain::analytics::hashtag;
use bluelamp_domain::ForceId;
use bluelamp_store::analytics::counting::{
    self as pending, PendingMessage, PendingPost, PendingReaction,
};
use bluelamp_store::analytics::{bump, campaigns, Key};
use bluelamp_store::AnyConnection;
use bluelamp_store::{forces, Store};
use jiff::Timestamp;

use crate::inbox::sla::{target_minutes, LocalClock};
use crate::runner::JobOutcome;
use crate::ServiceResult;

/// The `stats_check_day` rule that counts every draft once, whatever it found.
pub const ALL_DRAFTS: &str = "(all)";

/// Items of each kind taken per round: a round holds the (SQLite: only)
/// writer, so it stays short; a full batch brings the next round forward.
const BATCH: i64 = 500;
/// How soon the job looks again when there was nothing left.
const IDLE_SECONDS: i64 = 2;

/// One round, for the job runner: count, then come back soon (at once if a
/// batch was full).
pub async fn run_job(conn: &mut AnyConnection) -> ServiceResult<JobOutcome> {
    let counted = round(conn).await?;
    let wait = if counted.full { 0 } else { IDLE_SECONDS };
    Ok(JobOutcome::Postpone(bluelamp_store::format_time(
        bluelamp_store::clock::now() + time::Duration::seconds(wait),
    )))
}

/// Count everything waiting now, round after round (the CLI and tests).
pub async fn count_all(store: &Store) -> ServiceResult<usize> {
    let mut total = 0;
    loop {
        let mut tx = store.write().await?;
        let counted = round(&mut tx).await?;
        tx.commit().await?;
        total += counted.items;
        if !counted.full {
            return Ok(total);
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counted {
    pub items: usize,
    /// A batch was full: more may be waiting.
    pub full: bool,
}

/// One round in the caller's transaction.
pub async fn round(conn: &mut AnyConnection) -> ServiceResult<Counted> {
    let mut clocks = Clocks::default();
    let posts = pending::pending_posts(conn, BATCH).await?;
    for post in &posts {
        count_post(conn, &mut clocks, post).await?;
    }
    let reactions = pending::pending_reactions(conn, BATCH).await?;
    for reaction in &reactions {
        count_reaction(conn, &mut clocks, reaction).await?;
    }
    let messages = pending::pending_messages(conn, BATCH).await?;
    for message in &messages {
        count_message(conn, &mut clocks, message).await?;
    }
    let sizes = [posts.len(), reactions.len(), messages.len()];
    Ok(Counted {
        items: sizes.iter().sum(),
        full: sizes.iter().any(|n| *n as i64 >= BATCH),
    })
}

/// Each force and its clock, read once per round.
#[derive(Default)]
struct Clocks(HashMap<i64, (forces::Force, LocalClock)>);

/// A moment as the force reads it: local day, hour, weekday (Monday 0), month.
struct Local {
    day: String,
    hour: i8,
    weekday: i8,
    month: String,
}

impl Clocks {
    async fn of(&mut self, conn: &mut AnyConnection, force: i64) -> ServiceResult<&LocalClock> {
        Ok(&self.force(conn, force).await?.1)
    }

    async fn force(
        &mut self,
        conn: &mut AnyConnection,
        force: i64,
    ) -> ServiceResult<&(forces::Force, LocalClock)> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.0.entry(force) {
            let f = forces::get(conn, ForceId(force)).await?;
            let clock = LocalClock::new(&f.time_zone, f.settings.office_hours.as_deref());
            slot.insert((f, clock));
        }
        Ok(&self.0[&force])
    }

    async fn local(
        &mut self,
        conn: &mut AnyConnection,
        force: i64,
        utc: &str,
    ) -> ServiceResult<Local> {
        let clock = self.of(conn, force).await?;
        let at = utc.parse::<Timestamp>().unwrap_or(Timestamp::UNIX_EPOCH);
        let zoned = at.to_zoned(clock.zone.clone());
        Ok(Local {
            day: zoned.date().to_string(),
            hour: zoned.hour(),
            weekday: zoned.weekday().to_monday_zero_offset(),
            month: zoned.strftime("%Y-%m").to_string(),
        })
    }
}

async fn count_post(
    conn: &mut AnyConnection,
    clocks: &mut Clocks,
    post: &PendingPost,
) -> ServiceResult<()> {
    let mut counted = post.counted;
    if counted == 0 {
        let local = clocks.local(conn, post.force_id, &post.created_at).await?;
        let mut reasons = check_reasons(&post.findings);
        reasons.push(ALL_DRAFTS.to_string());
        for rule in reasons {
            bump(
                conn,
                "stats_check_day",
                &[
                    ("user_id", Key::Int(post.author_user_id)),
                    ("day", Key::Text(&local.day)),
                    ("decision", Key::Text(&post.decision)),
                    ("rule", Key::Text(&rule)),
                ],
                &[("force_id", Key::Int(post.force_id))],
                &[("drafts", 1)],
            )
            .await?;
        }
        counted = pending::POST_CHECKED;
    }
    if post.published {
        let at = post.published_at.as_deref().unwrap_or(&post.created_at);
        let local = clocks.local(conn, post.force_id, at).await?;
        let reply = i64::from(post.is_reply);
        bump(
            conn,
            "stats_account_day",
            &[
                ("account_id", Key::Int(post.account_id)),
                ("day", Key::Text(&local.day)),
            ],
            &[("force_id", Key::Int(post.force_id))],
            &[("posts", 1), ("replies", reply)],
        )
        .await?;
        bump(
            conn,
            "stats_author_hour",
            &[
                ("user_id", Key::Int(post.author_user_id)),
                ("day", Key::Text(&local.day)),
                ("hour", Key::Int(local.hour.into())),
            ],
            &[
                ("force_id", Key::Int(post.force_id)),
                ("weekday", Key::Int(local.weekday.into())),
            ],
            &[("posts", 1), ("replies", reply)],
        )
        .await?;
        pending::insert_post(
            conn,
            post.id,
            post.force_id,
            post.account_id,
            post.author_user_id,
            &local.day,
            &post.kind,
        )
        .await?;
        // Campaign hours are UTC ("2026-11-30T14"): the map is national.
        let hour: String = at.chars().take(13).collect();
        for key in hashtag::keys_in(&post.text) {
            for campaign in campaigns::running_for(conn, &key, post.force_id, at).await? {
                bump(
                    conn,
                    "campaign_counts",
                    &[
                        ("campaign_id", Key::Int(campaign)),
                        ("force_id", Key::Int(post.force_id)),
                        ("hour", Key::Text(&hour)),
                    ],
                    &[],
                    &[("posts", 1)],
                )
                .await?;
            }
        }
        counted = pending::POST_PUBLISHED;
    }
    pending::mark_post(conn, post.id, counted).await?;
    Ok(())
}

/// What stopped or held a draft, by category of finding; "none" for a clean one.
fn check_reasons(findings: &str) -> Vec<String> {
    let mut reasons: Vec<String> = serde_json::from_str::<serde_json::Value>(findings)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| {
            f.get("category")
                .and_then(|c| c.as_str())
                .map(str::to_string)
        })
        .collect();
    reasons.sort();
    reasons.dedup();
    if reasons.is_empty() {
        reasons.push("none".into());
    }
    reasons
}

async fn count_reaction(
    conn: &mut AnyConnection,
    clocks: &mut Clocks,
    reaction: &PendingReaction,
) -> ServiceResult<()> {
    if !reaction.post_counted {
        if !reaction.post_published {
            // Withdrawn before its publication was counted: nothing to add to.
            pending::mark_reaction(conn, &reaction.activity_id, 2).await?;
        }
        // Otherwise its post is counted first, in this round or the next.
        return Ok(());
    }
    let like = i64::from(reaction.kind == "like");
    let boost = 1 - like;
    pending::add_to_post(conn, reaction.post_id, like, boost).await?;
    let local = clocks
        .local(conn, reaction.force_id, &reaction.created_at)
        .await?;
    bump(
        conn,
        "stats_account_day",
        &[
            ("account_id", Key::Int(reaction.account_id)),
            ("day", Key::Text(&local.day)),
        ],
        &[("force_id", Key::Int(reaction.force_id))],
        &[("likes", like), ("boosts", boost)],
    )
    .await?;
    bump(
        conn,
        "stats_amplifier_month",
        &[
            ("account_id", Key::Int(reaction.account_id)),
            ("month", Key::Text(&local.month)),
            ("actor_id", Key::Text(&reaction.actor_id)),
        ],
        &[],
        &[("likes", like), ("boosts", boost)],
    )
    .await?;
    // Who they are is looked up later by the reach job, off this transaction.
    bluelamp_store::analytics::reach::queue(conn, &reaction.actor_id).await?;
    pending::mark_reaction(conn, &reaction.activity_id, 1).await?;

    Ok(())
}

async fn count_message(
    conn: &mut AnyConnection,
    clocks: &mut Clocks,
    message: &PendingMessage,
) -> ServiceResult<()> {
    let local = clocks
        .local(conn, message.force_id, &message.received_at)
        .await?;
    let clock = clocks.of(conn, message.force_id).await?.clone();
    let shift = super::shift_of(local.hour);
    let received = message.received_at.parse::<Timestamp>().ok();
    let minutes = |until: &Option<String>| -> Option<i64> {
        let until = until.as_deref()?.parse::<Timestamp>().ok()?;
        Some(clock.running_minutes(received?, until, &message.category))
    };
    let mut adds: Vec<(&'static str, i64)> = Vec::new();
    let mut counted = message.counted;
    if counted & pending::MESSAGE_RECEIVED == 0 {
        count_reply(conn, clocks, message, &local.month).await?;
        adds.push(("received", 1));
        counted |= pending::MESSAGE_RECEIVED;
    }
    if counted & pending::MESSAGE_ANSWERED == 0
        && counted & pending::MESSAGE_CLOSED == 0
        && message.answered_at.is_some()
    {
        if let Some(m) = minutes(&message.answered_at) {
            let target = target_minutes(&message.category).unwrap_or(i64::MAX);
            adds.extend([
                ("answered", 1),
                ("answer_minutes", m),
                ("answered_in_target", i64::from(m <= target)),
            ]);
        }
        counted |= pending::MESSAGE_ANSWERED;
    }
    if counted & pending::MESSAGE_CLOSED == 0 && message.closed_at.is_some() {
        if let Some(m) = minutes(&message.closed_at) {
            adds.extend([("closed", 1), ("close_minutes", m)]);
        }
        counted |= pending::MESSAGE_CLOSED;
    }
    if !adds.is_empty() {
        bump(
            conn,
            "stats_response_day",
            &[
                ("force_id", Key::Int(message.force_id)),
                ("day", Key::Text(&local.day)),
                ("account_id", Key::Int(message.account_id.unwrap_or(0))),
                ("category", Key::Text(&message.category)),
                ("shift", Key::Text(shift)),
            ],
            &[],
            &adds,
        )
        .await?;
    }
    pending::mark_message(conn, message.id, counted).await?;
    Ok(())
}

/// A message that answers one of our posts amplifies it: listed with the post
/// and counted for its sender among the account's amplifiers.
async fn count_reply(
    conn: &mut AnyConnection,
    clocks: &mut Clocks,
    message: &PendingMessage,
    month: &str,
) -> ServiceResult<()> {
    let Some(reply_to) = message.reply_to.as_deref() else {
        return Ok(());
    };
    let post = if message.channel == "fediverse" {
        let force = clocks.force(conn, message.force_id).await?.0.clone();
        crate::federation::local_post(conn, &force, reply_to)
            .await?
            .map(|p| (p.id, p.account_id.0))
    } else {
        pending::post_by_remote_uri(conn, message.force_id, reply_to).await?
    };
    let Some((post, account)) = post else {
        return Ok(());
    };
    if pending::add_reply(conn, post, message.id).await? {
        bump(
            conn,
            "stats_amplifier_month",
            &[
                ("account_id", Key::Int(account)),
                ("month", Key::Text(month)),
                ("actor_id", Key::Text(&message.author)),
            ],
            &[],
            &[("replies", 1)],
        )
        .await?;
    }
    Ok(())
}
