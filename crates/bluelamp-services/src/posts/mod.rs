//! Publishing: compose (with the governance check), the approval workflow,
//! scheduling, edits with history, deletion with a tombstone. Every step is one
//! transaction with its audit entry.

use crate::error::invalid;
use bluelamp_domain::post::{self as workflow, CheckVerdict};
use bluelamp_domain::{AccountId, AccountKind, Action, Invalid, PostStatus, Role};
use bluelamp_governance::{
    duplicate_key, parse_request, Decision, DuplicateLookup, Engine, NoDuplicates, Report,
};
use bluelamp_store::{accounts, audit, forces, jobs, media, posts, AnyConnection, Store};
use serde::Deserialize;
use serde_json::json;

use crate::auth::entry;
use crate::force_rules::ForceEngines;
use crate::{notifications, ServiceError, ServiceResult, Staff};

mod chain;
mod drafts;
mod edits;
mod escalation;
mod linked;
mod listing;
mod review;
mod scheduling;

use drafts::photo_descriptions;
pub(crate) use drafts::stored_draft;
use edits::{approve_edit, reject_edit};
pub(crate) use linked::with_case_context;

use crate::membership::posting_member;
pub use crate::runner::JobOutcome;
pub(crate) use chain::waiting;
pub use chain::{set_steps as set_approval_steps, steps as approval_steps, StepInput, Waiting};
pub use edits::{edit, resubmit};
pub use escalation::{escalate, MAX_REASON_CHARS};
pub use listing::{mine, queue, Listed};
pub use review::{approve, reject};
pub use scheduling::{
    parse_schedule, publish_due, resolve_schedule, scheduling_paused, set_scheduling_paused,
};

/// The longest post, in characters: the same limit the check itself applies.
pub const MAX_POST_CHARS: usize = bluelamp_governance::MAX_DRAFT_CHARS;
pub const MAX_IMAGES: usize = 4;
/// A content warning is a short line ("Contains an image of an injury"), not a
/// second post: Mastodon's own limit on it is shared with the text, ours is 200.
pub const MAX_CONTENT_WARNING_CHARS: usize = 200;
pub const PUBLISH_JOB: &str = "publish_scheduled_post";
/// How far ahead a post may be scheduled. A year covers every planned campaign
/// or anniversary; a date beyond it is almost always a typing slip (2062 for 2026),
/// and a post parked for decades would outlive its policy and its author.
pub const MAX_SCHEDULE_AHEAD_DAYS: i64 = 366;

/// An attachment named in a compose request: an upload's id and its alt text.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaRef {
    pub id: i64,
    #[serde(default)]
    pub alt: String,
}

/// A generic link to an incident, appeal or case (those arrive with later issues).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub kind: String,
    pub reference: String,
}

/// What an officer submits.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compose {
    pub text: String,
    /// update, appeal, incident, personal or reply.
    #[serde(default)]
    pub kind: Option<String>,
    /// fediverse, bluesky, x, facebook, email.
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub reply_to: Option<i64>,
    #[serde(default)]
    pub link: Option<Link>,
    /// The linked case's status: none, arrested, charged, convicted, acquitted, nfa.
    #[serde(default)]
    pub case_status: Option<String>,
    #[serde(default)]
    pub sexual_offence: bool,
    #[serde(default)]
    pub media: Vec<MediaRef>,
    /// RFC 3339, e.g. 2026-11-21T18:00:00Z; absent means now.
    #[serde(default)]
    pub scheduled_at: Option<String>,
    /// Shown before the text, which readers open on purpose; blank means none.
    #[serde(default)]
    pub content_warning: Option<String>,
    /// A reply to an inbox message goes out on that message's own channel only
    /// (its connector sends it where Bluelamp does not post itself); set by the
    /// inbox's reply use case, never read from a request.
    #[serde(skip)]
    pub reply_channel: Option<String>,
    /// The people recorded on the linked case; filled from the case, never read
    /// from a request.
    #[serde(skip)]
    pub case_people: Vec<bluelamp_governance::CasePerson>,
}

/// The force's recently published texts by account, keyed as the governance
/// engine compares them, so it can notice the same corporate text pushed by
/// several accounts (people turn off when every account says the same thing).
/// Texts are compared without a collective account's signature ("ACC DA: "), on
/// both sides, so a signed copy of the corporate text counts too.
struct RecentTexts {
    accounts_by_key: std::collections::HashMap<String, std::collections::HashSet<AccountId>>,
    /// The key of the signature in front of the text being checked, if any.
    signature_key: Option<String>,
}

impl RecentTexts {
    /// Posts of the last seven days, at most 500: enough to see a campaign repeated.
    async fn load(
        conn: &mut AnyConnection,
        force: bluelamp_domain::ForceId,
        posting_as: AccountId,
        signature: Option<&str>,
    ) -> ServiceResult<RecentTexts> {
        let since =
            bluelamp_store::format_time(bluelamp_store::clock::now() - time::Duration::days(7));
        let mut accounts_by_key: std::collections::HashMap<
            String,
            std::collections::HashSet<AccountId>,
        > = Default::default();
        for (account, text) in posts::recent_texts(conn, force, &since, 500).await? {
            if account != posting_as {
                accounts_by_key
                    .entry(duplicate_key(&text))
                    .or_default()
                    .insert(account);
            }
        }
        Ok(RecentTexts {
            accounts_by_key,
            signature_key: signature.map(duplicate_key).filter(|k| !k.is_empty()),
        })
    }
}

impl DuplicateLookup for RecentTexts {
    fn accounts_recently_posting(&self, key: &str) -> u32 {
        let unsigned = self
            .signature_key
            .as_deref()
            .and_then(|signature| key.strip_prefix(signature))
            .map_or(key, str::trim_start);
        self.accounts_by_key
            .get(unsigned)
            .map_or(0, |accounts| accounts.len() as u32)
    }
}

/// A submitted post and what the check said.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submitted {
    pub post: posts::Post,
    pub report: Report,
}

fn verdict(decision: Decision) -> CheckVerdict {
    match decision {
        Decision::Publish => CheckVerdict::Publish,
        Decision::Hold => CheckVerdict::Hold,
        Decision::Refuse => CheckVerdict::Refuse,
    }
}

/// Run the governance check for a post's public text in its context.
#[allow(clippy::too_many_arguments)]
fn check(
    engine: &Engine,
    body: &str,
    account_kind: AccountKind,
    compose: &Compose,
    alts: &[Option<String>],
    pre_election: bool,
    duplicates: &dyn DuplicateLookup,
) -> ServiceResult<Report> {
    let request = draft_request(body, account_kind, compose, alts, pre_election);
    let draft = parse_request(&request.to_string())
        .map_err(|e| ServiceError::Invalid(Invalid::new("draft", e.to_string())))?;
    Ok(engine.check(&draft, duplicates))
}

/// The draft as the check reads it, in the check's (and the corpus's) JSON shape.
fn draft_request(
    body: &str,
    account_kind: AccountKind,
    compose: &Compose,
    alts: &[Option<String>],
    pre_election: bool,
) -> serde_json::Value {
    let mut context = json!({
        "account_kind": account_kind.as_str(),
        "pre_election": pre_election,
        "sexual_offence": compose.sexual_offence,
    });
    if let Some(kind) = &compose.kind {
        context["kind"] = json!(kind);
    }
    if let Some(status) = &compose.case_status {
        context["case_status"] = json!(status);
    }
    if !compose.case_people.is_empty() {
        context["people"] = json!(compose.case_people);
    }
    json!({
        "text": body,
        "context": context,
        "channels": compose.channels,
        "media": alts.iter().map(|alt| json!({"alt": alt})).collect::<Vec<_>>(),
    })
}

fn findings_json(report: &Report) -> serde_json::Value {
    serde_json::to_value(&report.findings).unwrap_or(serde_json::Value::Null)
}

fn signed(account: &accounts::Account, member: &accounts::Member, text: &str) -> String {
    // On a collective account the author's signature goes in front, so the public
    // always knows which chief officer wrote it; it counts toward the length.
    match (account.kind, &member.signature) {
        (AccountKind::Collective, Some(signature)) => format!("{signature}: {text}"),
        _ => text.to_string(),
    }
}

fn validate_text(text: &str) -> ServiceResult<&str> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid("text", "a post needs some text"));
    }
    if text.chars().count() > MAX_POST_CHARS {
        return Err(invalid(
            "text",
            format!("a post may be at most {MAX_POST_CHARS} characters"),
        ));
    }
    Ok(text)
}

/// A trimmed content warning, `None` when blank; at most
/// [`MAX_CONTENT_WARNING_CHARS`] characters, on one line.
pub fn validate_content_warning(warning: Option<&str>) -> ServiceResult<Option<String>> {
    let Some(warning) = warning.map(str::trim).filter(|w| !w.is_empty()) else {
        return Ok(None);
    };
    if warning.chars().count() > MAX_CONTENT_WARNING_CHARS {
        return Err(invalid(
            "content_warning",
            format!("a content warning may be at most {MAX_CONTENT_WARNING_CHARS} characters"),
        ));
    }
    // Newlines would render as one line elsewhere; say so rather than surprise.
    if warning.contains(['\n', '\r']) {
        return Err(invalid("content_warning", "a content warning is one line"));
    }
    Ok(Some(warning.to_owned()))
}

/// Check the named uploads: the author's own, unattached, at most 4 images or 1 video.
async fn load_attachments(
    conn: &mut AnyConnection,
    staff: &Staff,
    refs: &[MediaRef],
) -> ServiceResult<Vec<(media::Media, String)>> {
    let mut loaded = Vec::new();
    for reference in refs {
        let item = media::get(conn, reference.id).await?;
        if Some(item.uploaded_by) != staff.user_id || item.post_id.is_some() {
            return Err(invalid(
                "media",
                format!(
                    "media {} is not one of your unattached uploads",
                    reference.id
                ),
            ));
        }
        loaded.push((item, reference.alt.trim().to_string()));
    }
    let videos = loaded.iter().filter(|(m, _)| m.kind == "video").count();
    if videos > 1 || (videos == 1 && loaded.len() > 1) {
        return Err(invalid(
            "media",
            "a post carries up to 4 images or 1 video, not both",
        ));
    }
    if loaded.len() > MAX_IMAGES {
        return Err(invalid("media", "a post carries at most 4 images"));
    }
    Ok(loaded)
}

/// Submit a post: check it, then publish it, schedule it, queue it for approval or
/// refuse it. A refused post is kept (nothing accepted is lost) but never shown.
pub async fn compose(
    store: &Store,
    engine: &ForceEngines,
    staff: &Staff,
    account_id: AccountId,
    input: &Compose,
) -> ServiceResult<Submitted> {
    staff.require_scope("write")?;
    let text = validate_text(&input.text)?;
    let content_warning = validate_content_warning(input.content_warning.as_deref())?;
    let mut tx = store.write().await?;
    let (account, member) = posting_member(&mut tx, staff, account_id).await?;
    let channels = match &input.reply_channel {
        Some(channel) => vec![channel.clone()],
        None => {
            let networks = crate::crosspost::connected_networks(&mut tx, account_id).await?;
            workflow::choose_channels(&input.channels, &networks)?
        }
    };
    let mut input = Compose {
        channels,
        ..input.clone()
    };
    let force = forces::get(&mut tx, account.force_id).await?;
    let scheduled_at = input
        .scheduled_at
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|at| parse_schedule(at, &force.time_zone))
        .transpose()?;
    let compiled = engine.for_force(&mut tx, force.id).await?;
    let engine: &Engine = &compiled;
    if let Some(link) = &input.link {
        let (kind, reference) = (link.kind.clone(), link.reference.clone());
        with_case_context(&mut tx, force.id, Some(&kind), Some(&reference), &mut input).await?;
    }
    let input = &input;
    if let Some(parent) = input.reply_to {
        let parent = posts::get(&mut tx, parent).await?;
        if parent.force_id != force.id {
            return Err(ServiceError::NotFound("post"));
        }
    }
    let attachments = load_attachments(&mut tx, staff, &input.media).await?;
    let alts: Vec<Option<String>> = attachments
        .iter()
        .map(|(_, alt)| (!alt.is_empty()).then(|| alt.clone()))
        .collect();
    let body = signed(&account, &member, text);
    let signature = (account.kind == AccountKind::Collective)
        .then_some(member.signature.as_deref())
        .flatten();
    let recent = RecentTexts::load(&mut tx, force.id, account.id, signature).await?;
    let mut report = check(
        engine,
        &body,
        account.kind,
        input,
        &alts,
        force.settings.pre_election,
        &recent,
    )?;
    if let Some(warning) = &content_warning {
        // The warning is public text too: the same check applies to it, and the
        // stronger decision of the two wins.
        let of_warning = check(
            engine,
            warning,
            account.kind,
            input,
            &[],
            force.settings.pre_election,
            &NoDuplicates,
        )?;
        report.decision = report.decision.max(of_warning.decision);
        report.findings.extend(of_warning.findings);
    }
    let status = workflow::status_on_submit(
        verdict(report.decision),
        member.permissions.post_without_approval,
        scheduled_at.is_some(),
    );
    let user = member.user_id;
    let post = posts::insert(
        &mut tx,
        &posts::NewPost {
            force_id: force.id,
            account_id: account.id,
            author: user,
            text,
            body: &body,
            status,
            kind: input.kind.as_deref().unwrap_or("update"),
            channels: &input.channels,
            reply_to_post_id: input.reply_to,
            link_kind: input.link.as_ref().map(|l| l.kind.as_str()),
            link_ref: input.link.as_ref().map(|l| l.reference.as_str()),
            decision: report.decision.as_str(),
            findings: &findings_json(&report),
            scheduled_at: scheduled_at.as_deref(),
            content_warning: content_warning.as_deref(),
        },
    )
    .await?;
    for (position, (item, alt)) in attachments.iter().enumerate() {
        media::attach(&mut tx, item.id, post.id, position as i64, alt).await?;
    }
    if status == PostStatus::Scheduled {
        schedule_job(&mut tx, &post).await?;
    }
    if status == PostStatus::Published {
        notifications::on_published(&mut tx, &post).await?;
    }
    crate::staff_notifications::on_post_status(&mut tx, &post).await?;
    let mut draft = entry(staff, &format!("post.{}", status.as_str()), "post", post.id);
    draft.after = Some(json!({"account": account.handle, "status": status, "decision": report.decision, "body": body, "content_warning": content_warning, "scheduled_at": scheduled_at}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(Submitted { post, report })
}

async fn schedule_job(conn: &mut AnyConnection, post: &posts::Post) -> ServiceResult<()> {
    let run_at = post
        .scheduled_at
        .clone()
        .unwrap_or_else(bluelamp_store::now_text);
    jobs::enqueue(
        conn,
        PUBLISH_JOB,
        &json!({"post_id": post.id}),
        &run_at,
        Some(&format!("publish:post:{}", post.id)),
        20,
    )
    .await?;
    Ok(())
}

/// A post of the staff user's force, or "not found".
async fn post_in_force(
    conn: &mut AnyConnection,
    staff: &Staff,
    id: i64,
) -> ServiceResult<posts::Post> {
    let post = posts::get(conn, id).await?;
    if Some(post.force_id) != staff.force_id {
        return Err(ServiceError::NotFound("post"));
    }
    Ok(post)
}

async fn may_approve_on(
    conn: &mut AnyConnection,
    staff: &Staff,
    post: &posts::Post,
) -> ServiceResult<bool> {
    let Some(user) = staff.user_id else {
        return Ok(false);
    };
    if post.status == PostStatus::Pending && post.proposed_edit.is_none() {
        // An escalated refusal is for a supervisor, the comms team or an
        // administrator, whatever the account's chain says.
        if post.decision == Decision::Refuse.as_str() && !fallback_approver(staff.role) {
            return Ok(false);
        }
        return Ok(chain::waiting(conn, post)
            .await?
            .is_some_and(|w| w.approvers.contains(&user)));
    }
    if accounts::member(conn, post.account_id, user)
        .await?
        .is_some_and(|m| m.permissions.approve)
    {
        return Ok(true);
    }
    // Nothing may wait for ever: when the account has no approver but the person
    // whose text waits (a supervisor's own held post, a new account), the force's
    // supervisors, comms team and administrators may approve it.
    if !fallback_approver(staff.role) {
        return Ok(false);
    }
    let waiting_on = post
        .proposed_edit
        .as_ref()
        .map_or(post.author_user_id, |edit| edit.proposed_by);
    Ok(!has_other_approver(conn, post.account_id, waiting_on).await?)
}

/// The roles that approve for an account that has no approver of its own.
pub(crate) fn fallback_approver(role: Role) -> bool {
    matches!(role, Role::Supervisor | Role::Comms | Role::ForceAdmin)
}

/// Does `account` have an approver other than `person`?
pub(crate) async fn has_other_approver(
    conn: &mut AnyConnection,
    account: AccountId,
    person: bluelamp_domain::UserId,
) -> ServiceResult<bool> {
    Ok(accounts::members(conn, account)
        .await?
        .iter()
        .any(|m| m.permissions.approve && m.user_id != person))
}

fn in_future(at: Option<&str>) -> bool {
    at.is_some_and(|at| at > bluelamp_store::now_text().as_str())
}

async fn body_for_author(
    conn: &mut AnyConnection,
    post: &posts::Post,
    text: &str,
) -> ServiceResult<(accounts::Account, String)> {
    let account = accounts::get(conn, post.account_id).await?;
    let member = accounts::member(conn, post.account_id, post.author_user_id).await?;
    let body = match member {
        Some(member) => signed(&account, &member, text),
        None => text.to_string(),
    };
    Ok((account, body))
}

async fn recheck(
    conn: &mut AnyConnection,
    engine: &ForceEngines,
    post: &posts::Post,
    account: &accounts::Account,
    body: &str,
) -> ServiceResult<Report> {
    let force = forces::get(conn, post.force_id).await?;
    let compiled = engine.for_force(conn, force.id).await?;
    let engine: &Engine = &compiled;
    let alts = photo_descriptions(conn, post.id).await?;
    let mut compose = Compose {
        kind: Some(post.kind.clone()),
        channels: post.channels.clone(),
        ..Compose::default()
    };
    with_case_context(
        conn,
        post.force_id,
        post.link_kind.as_deref(),
        post.link_ref.as_deref(),
        &mut compose,
    )
    .await?;
    check(
        engine,
        body,
        account.kind,
        &compose,
        &alts,
        force.settings.pre_election,
        &NoDuplicates,
    )
}

fn summary(report: &Report) -> String {
    report
        .findings
        .iter()
        .filter(|f| f.severity != bluelamp_governance::Severity::Advice)
        .map(|f| f.message.clone())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An edit the check refuses: nothing changes, and the findings say why.
fn edit_refused(report: &Report) -> ServiceError {
    ServiceError::Conflict(format!(
        "{} {}",
        workflow::WorkflowError::EditRefused,
        summary(report)
    ))
}

fn stale(id: i64) -> ServiceError {
    ServiceError::Conflict(format!("Post {id} was changed by someone else while you were working on it. Reload it to see the current version, then try again."))
}

fn workflow_error(error: workflow::WorkflowError) -> ServiceError {
    use workflow::WorkflowError::*;
    match error {
        OwnPost | NotApprover => ServiceError::Forbidden(error.to_string()),
        ReasonNeeded => invalid("reason", error.to_string()),
        _ => ServiceError::Conflict(error.to_string()),
    }
}

/// Delete a post: the public sees a tombstone; the content stays for the audit
/// trail and disclosure.
pub async fn delete(
    store: &Store,
    staff: &Staff,
    id: i64,
    expected_version: i64,
    reason: &str,
) -> ServiceResult<posts::Post> {
    staff.require_scope("write")?;
    let user = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    let mut tx = store.write().await?;
    let post = post_in_force(&mut tx, staff, id).await?;
    workflow::may_delete(post.status).map_err(workflow_error)?;
    let was_public = post.status == PostStatus::Published;
    let approver = may_approve_on(&mut tx, staff, &post).await?;
    if post.author_user_id != user && !approver && !moderates(staff.role) {
        return Err(ServiceError::Forbidden(
            "Only the author, an approver on this account or the comms team may delete this post."
                .into(),
        ));
    }
    let post = posts::set_status(
        &mut tx,
        id,
        expected_version,
        PostStatus::Deleted,
        None,
        Some(reason.trim()).filter(|r| !r.is_empty()),
    )
    .await?;
    let mut draft = entry(staff, "post.delete", "post", id);
    draft.before = Some(json!({"body": post.body, "status": "published"}).to_string());
    draft.after = Some(json!({"status": "deleted", "reason": reason.trim()}).to_string());
    // Federation: a deleted public post goes to followers as a Delete.
    if was_public {
        crate::federation::on_deleted(&mut tx, &post).await?;
        crate::crosspost::on_deleted(&mut tx, &post).await?;
        notifications::public_changed(&mut tx, &post).await?;
    }
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(post)
}

/// A post with everything the staff page shows: revisions, media and what the
/// viewer may do with it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PostDetail {
    pub post: posts::Post,
    pub author_name: String,
    pub account_handle: String,
    pub revisions: Vec<posts::Revision>,
    pub media: Vec<media::Media>,
    pub may_approve: bool,
    pub actions: workflow::PostActions,
    /// Where it waits in its approval chain (a waiting post only).
    pub waiting: Option<Waiting>,
    /// The approvals given so far: who (by name), at which step, and why.
    pub approvals: Vec<GivenBy>,
    /// What escalating this refused post needs (the author's own refused post
    /// only): `None` when it cannot be escalated.
    pub escalation: Option<EscalationNeeds>,
}

/// One approval given, for the review page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GivenBy {
    pub step: usize,
    pub name: String,
    pub rationale: Option<String>,
    pub at: String,
}

/// What escalating a refused post needs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EscalationNeeds {
    /// A written waiver or court order must be referenced.
    pub waiver: bool,
}

pub async fn detail(store: &Store, staff: &Staff, id: i64) -> ServiceResult<PostDetail> {
    staff.authorize(Action::ViewAccounts)?;
    let mut conn = store.read().await?;
    let post = post_in_force(&mut conn, staff, id).await?;
    let revisions = posts::revisions(&mut conn, id).await?;
    let media = media::for_post(&mut conn, id).await?;
    let may_approve = may_approve_on(&mut conn, staff, &post).await?;
    let author_name = bluelamp_store::users::get(&mut conn, post.author_user_id)
        .await?
        .display_name;
    let account_handle = accounts::get(&mut conn, post.account_id).await?.handle;
    let actions = workflow::actions(
        post.status,
        post.author_user_id,
        post.proposed_edit.as_ref().map(|p| p.proposed_by),
        workflow::Viewer {
            user: staff.user_id,
            may_approve,
            moderates: moderates(staff.role),
        },
    );
    let waiting = if post.status == PostStatus::Pending && post.proposed_edit.is_none() {
        chain::waiting(&mut conn, &post).await?
    } else {
        None
    };
    let mut approvals = Vec::new();
    for given in bluelamp_store::approvals::given(&mut conn, id).await? {
        approvals.push(GivenBy {
            step: given.step,
            name: bluelamp_store::users::get(&mut conn, given.user_id)
                .await?
                .display_name,
            rationale: given.rationale,
            at: given.created_at,
        });
    }
    let escalation = (post.status == PostStatus::Refused
        && staff.user_id == Some(post.author_user_id))
    .then(|| escalation::bar(&post))
    .and_then(|bar| match bar {
        bluelamp_domain::EscalationBar::Never(_) => None,
        bar => Some(EscalationNeeds {
            waiver: bar == bluelamp_domain::EscalationBar::Waiver,
        }),
    });
    Ok(PostDetail {
        post,
        author_name,
        account_handle,
        revisions,
        media,
        may_approve,
        actions,
        waiting,
        approvals,
        escalation,
    })
}

/// Comms and administrators may delete any post of the force.
fn moderates(role: Role) -> bool {
    matches!(role, Role::ForceAdmin | Role::Comms | Role::ServerAdmin)
}

/// Is this user allowed to see drafts of this account? Used by pages that list posts.
pub fn visible_to(staff: &Staff) -> bool {
    staff.authorize(Action::ViewAccounts).is_ok()
}
