//! The demo force: seeded by `bluelamp serve --demo` when the store is empty, so a
//! new user can log in and look around at once.

use bluelamp_domain::{ForceSettings, Role};
use bluelamp_store::{forces, Store};

use crate::{accounts, forces as force_service, policy, posts, users, ServiceResult, Staff};

/// The demo logins: username, role, password. Printed at start-up.
pub const DEMO_USERS: [(&str, Role, &str); 7] = [
    ("admin", Role::ServerAdmin, "blue-lamp-server-2026"),
    ("chief.admin", Role::ForceAdmin, "blue-lamp-force-2026"),
    ("sgt.evans", Role::Supervisor, "blue-lamp-sergeant-2026"),
    ("pc.morgan", Role::Officer, "blue-lamp-beat-2026"),
    ("comms.lewis", Role::Comms, "blue-lamp-press-2026"),
    ("analyst.price", Role::Analyst, "blue-lamp-numbers-2026"),
    ("partner.council", Role::Partner, "blue-lamp-council-2026"),
];

pub const DEMO_FORCE_CODE: &str = "demo";

const POLICY_TEXT: &str = "Post as yourself, in your own voice, about your working day.\n\n\
Never post anything that could identify a victim, a child or a witness. Never comment on \
a case before the courts. Stay politically neutral. Ask yourself what the Chief Constable \
would say if they read it.\n\nIf someone tells you they are in danger, tell them to call 999 \
at once and alert your supervisor.";

/// Seed the demo force if the store has no forces. Returns whether it seeded.
pub async fn seed_if_empty(store: &Store, domain: &str) -> ServiceResult<bool> {
    {
        let mut conn = store.read().await?;
        if forces::count(&mut conn).await? > 0 {
            return Ok(false);
        }
    }
    let cli = Staff::command_line();
    let force = force_service::add_force(
        store,
        &cli,
        &force_service::AddForce {
            code: DEMO_FORCE_CODE.into(),
            name: "Demo Constabulary".into(),
            domain: domain.into(),
            time_zone: "Europe/London".into(),
            logo_url: None,
            settings: ForceSettings::default(),
        },
    )
    .await?;
    let mut in_force = Staff::command_line();
    in_force.force_id = Some(force.id);
    for (username, role, password) in DEMO_USERS {
        users::add_user(
            store,
            &in_force,
            &users::AddUser {
                username: username.into(),
                display_name: display_name(username),
                role: role.as_str().into(),
                password: password.into(),
                force: Some(DEMO_FORCE_CODE.into()),
            },
        )
        .await?;
    }
    // The policy is published by the force administrator, so it has a named author.
    let admin = users::find_by_username(store, &in_force, "chief.admin").await?;
    let as_admin = Staff {
        user_id: Some(admin.id),
        username: admin.username.clone(),
        display_name: admin.display_name.clone(),
        role: admin.role,
        force_id: Some(force.id),
        scopes: None,
        ip: None,
        token_id: None,
        app_account: None,
    };
    policy::publish(store, &as_admin, "Social media policy", POLICY_TEXT).await?;
    let corporate = accounts::add_account(store, &as_admin, &accounts::AddAccount {
        handle: "democonstabulary".into(),
        display_name: "Demo Constabulary".into(),
        bio: "Official account of Demo Constabulary. Not monitored 24/7: in an emergency call 999; otherwise 101.".into(),
        kind: "corporate".into(),
        avatar_url: None,
    }).await?;
    let beat = accounts::add_account(
        store,
        &as_admin,
        &accounts::AddAccount {
            handle: "pcmorgan".into(),
            display_name: "PC Morgan, Harbourside".into(),
            bio: "Neighbourhood officer for Harbourside. Not monitored 24/7.".into(),
            kind: "personal".into(),
            avatar_url: None,
        },
    )
    .await?;
    let chiefs = accounts::add_account(
        store,
        &as_admin,
        &accounts::AddAccount {
            handle: "chiefofficers".into(),
            display_name: "Demo Constabulary Chief Officers".into(),
            bio: "The chief officer team. Posts are signed with the author's initials.".into(),
            kind: "collective".into(),
            avatar_url: None,
        },
    )
    .await?;
    let member = |username: &str, approve: bool, signature: Option<&str>| accounts::SetMember {
        username: username.into(),
        post: true,
        post_without_approval: approve,
        approve,
        signature: signature.map(str::to_string),
    };
    accounts::set_member(store, &as_admin, beat.id, &member("pc.morgan", false, None)).await?;
    accounts::set_member(store, &as_admin, beat.id, &member("sgt.evans", true, None)).await?;
    accounts::set_member(
        store,
        &as_admin,
        corporate.id,
        &member("comms.lewis", true, None),
    )
    .await?;
    accounts::set_member(
        store,
        &as_admin,
        corporate.id,
        &member("sgt.evans", true, None),
    )
    .await?;
    accounts::set_member(
        store,
        &as_admin,
        chiefs.id,
        &member("chief.admin", true, Some("ACC DA")),
    )
    .await?;
    // The corporate account's posts pass two approval steps, as the commercial
    // suites do it: the duty sergeant, then the comms team.
    let step = |name: &str, who: &str| posts::StepInput {
        name: name.into(),
        needs_all: false,
        approvers: vec![who.into()],
    };
    posts::set_approval_steps(
        store,
        &as_admin,
        corporate.id,
        &[
            step("Duty sergeant", "sgt.evans"),
            step("Corporate comms", "comms.lewis"),
        ],
    )
    .await?;
    // One welcome post so the public pages are not empty.
    policy::acknowledge(store, &as_admin, 1).await?;
    let engine = crate::force_rules::ForceEngines::default();
    let welcome = posts::Compose {
        text: "Welcome to the Demo Constabulary on Bluelamp. In an emergency always call 999."
            .into(),
        ..posts::Compose::default()
    };
    posts::compose(store, &engine, &as_admin, chiefs.id, &welcome).await?;
    // The duty sergeant is on duty and the comms officer trained in safeguarding,
    // so the demo's emergency and safeguarding messages show who is told.
    let sergeant = users::find_by_username(store, &in_force, "sgt.evans").await?;
    let lewis = users::find_by_username(store, &in_force, "comms.lewis").await?;
    users::set_safeguarding_trained(store, &as_admin, lewis.id, true).await?;
    {
        let mut tx = store.write().await?;
        bluelamp_store::users::set_on_duty(&mut tx, sergeant.id, true).await?;
        tx.commit().await?;
    }
    seed_inbox(store, &as_admin, force.id, beat.id).await?;
    // A canned reply and an out-of-hours auto-reply (it answers once the force
    // sets its office hours on the settings page).
    crate::inbox::replies::add_canned(
        store,
        &as_admin,
        "Lost property",
        "Hello {name}, thank you for getting in touch. Lost property can be reported online or at the front counter; please quote {reference}. {force}",
    )
    .await?;
    accounts::set_away_reply(
        store,
        &as_admin,
        beat.id,
        "Thanks for your message. This account is staffed 8am to 8pm; in an emergency call 999, otherwise 101 or report online.",
    )
    .await?;
    crate::demo_analytics::seed(
        store,
        &as_admin,
        force.id,
        &[corporate.id, beat.id, chiefs.id],
        chiefs.id,
    )
    .await?;
    Ok(true)
}

/// A few messages from the public, one of each kind a desk meets, so the inbox shows
/// triage working (written for the demo; not from the corpus).
async fn seed_inbox(
    store: &Store,
    admin: &Staff,
    force: bluelamp_domain::ForceId,
    beat: bluelamp_domain::AccountId,
) -> ServiceResult<()> {
    use crate::inbox::ingest::{ingest, Author, Inbound};
    let examples = [
        ("x", "@worried_resident", "Is it true the town centre is being looted tonight? My daughter is out there"),
        ("fediverse", "https://mastodon.example/users/jo", "Massive thanks to the officers who found my grandad last night, you were brilliant"),
        ("facebook", "Sam Price", "Three hours to turn up to a burglary. Great job as usual."),
        ("email", "resident@example.org", "Someone has been dealing from the white van parked on Mill Lane every evening around 9pm."),
        ("web", "web visitor", "my bike was stolen from outside the library yesterday afternoon, what do I do?"),
        ("bluesky", "@late.night", "i dont think i can keep going, nobody would notice if i wasnt here"),
        ("x", "@crypto_gains_4u", "Earn 500 a day from home!! click http://spam.example now"),
        ("x", "@townwatch", "heard the retail park is on fire and there are riots, is it true??"),
        ("facebook", "Dee Hughes", "people saying riots at the retail park and it's on fire, is this true"),
        // An emergency on the wrong channel: the sender gets the 999 reply at once and
        // the sergeant on duty is told.
        ("x", "@station_rd", "there is a man with a knife outside the Co-op on Station Road right now, he is shouting at people, please send someone"),
    ];
    let messages: Vec<Inbound> = examples
        .iter()
        .enumerate()
        .map(|(i, (channel, handle, text))| Inbound {
            channel: (*channel).into(),
            external_id: format!("demo-{i}"),
            author: Author {
                handle: (*handle).into(),
                name: None,
                url: None,
            },
            text: (*text).into(),
            media: Vec::new(),
            reply_to: None,
            conversation: None,
            sent_at: None,
            // The fediverse thanks is a reply to PC Morgan: it shows in the
            // officer's app as a notification too.
            account_id: (*channel == "fediverse").then_some(beat.0),
        })
        .collect();
    let outcomes = ingest(store, force, &messages).await?;
    // A partner agency, its user, and one referral of the message that shows risk.
    let agency = crate::referrals::add_agency(
        store,
        admin,
        "County Council Adult Safeguarding",
        "safeguarding@council.example",
    )
    .await?;
    crate::referrals::add_member(store, admin, agency, "partner.council").await?;
    if let Some(id) = outcomes.get(5).and_then(|o| o.id) {
        crate::referrals::create(
            store,
            admin,
            &crate::referrals::NewReferralInput {
                message_id: id,
                agency_id: agency,
                shared: "A Bluesky user wrote that they cannot keep going and that nobody would notice if they were gone. Handle @late.night.",
                lawful_basis: "vital-interests",
                consent: "not-asked",
                reasoning: "Risk to life expressed to the force; the mental health crisis team can make contact sooner than we can.",
            },
        )
        .await?;
    }
    Ok(())
}

/// How the demo's people are named on the staff pages (as a force writes them:
/// "PC", not "Pc").
fn display_name(username: &str) -> String {
    match username {
        "admin" => "Server administrator",
        "chief.admin" => "Force administrator",
        "sgt.evans" => "Sgt Dafydd Evans",
        "pc.morgan" => "PC Rhian Morgan",
        "comms.lewis" => "Ceri Lewis (comms)",
        "analyst.price" => "Sam Price (analyst)",
        "partner.council" => "Harbourside Council safeguarding",
        other => other,
    }
    .to_string()
}
