//! The demo force's case work, seeded by `bluelamp serve --demo` beside the demo
//! force (it needs the data folder for the photos): a case waiting for its
//! follow-up, a sexual-offence case whose complainant the check protects, a live
//! incident with a road closure on the map, an appeal with a photo, and a tip from
//! the public with its evidence.

use std::path::Path;

use bluelamp_domain::{AccountId, Role};
use bluelamp_media::LocalMediaStore;
use bluelamp_store::{accounts, forces, Store};
use serde_json::json;

use crate::cases::StatusChange;
use crate::demo::DEMO_FORCE_CODE;
use crate::force_rules::ForceEngines;
use crate::incidents::{NewUpdate, OpenIncident};
use crate::posts::{Compose, Link, MediaRef};
use crate::{appeals, cases, incidents, policy, tips, users, ServiceError, ServiceResult, Staff};

async fn demo_staff(store: &Store, username: &str) -> ServiceResult<Staff> {
    let mut conn = store.read().await?;
    let force = forces::by_code(&mut conn, DEMO_FORCE_CODE).await?;
    drop(conn);
    let mut in_force = Staff::command_line();
    in_force.force_id = Some(force.id);
    let user = users::find_by_username(store, &in_force, username).await?;
    Ok(Staff {
        user_id: Some(user.id),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: user.role,
        force_id: Some(force.id),
        scopes: None,
        ip: None,
        token_id: None,
        app_account: None,
    })
}

/// Seed the case work; `data_dir` holds the media and evidence folders.
pub async fn seed_casework(store: &Store, data_dir: &Path) -> ServiceResult<()> {
    let comms = demo_staff(store, "comms.lewis").await?;
    if comms.role != Role::Comms {
        return Err(ServiceError::Internal(
            "the demo force is not as seeded".into(),
        ));
    }
    policy::acknowledge(store, &comms, 1).await?;
    let (corporate, beat) = {
        let mut conn = store.read().await?;
        let force = comms.current_force()?;
        (
            accounts::by_handle(&mut conn, force, "democonstabulary").await?,
            accounts::by_handle(&mut conn, force, "pcmorgan").await?,
        )
    };
    // The comms team also speaks for incidents on the beat account: the demo
    // incident's updates are shared there.
    let force_admin = demo_staff(store, "chief.admin").await?;
    crate::accounts::set_member(
        store,
        &force_admin,
        beat.id,
        &crate::accounts::SetMember {
            username: "comms.lewis".into(),
            post: true,
            post_without_approval: true,
            approve: true,
            signature: None,
        },
    )
    .await?;
    let engine = ForceEngines::default();

    // A case: arrested, announced, then charged — the follow-up is owed.
    cases::create(
        store,
        &comms,
        "DEMO-0412",
        "Burglary at a shop on Quay Street",
        false,
    )
    .await?;
    cases::add_person(
        store,
        &comms,
        "DEMO-0412",
        "Gareth Hughes",
        "suspect",
        Some(34),
    )
    .await?;
    let arrested = StatusChange {
        status: "arrested",
        court: None,
        court_date: None,
        reason: "",
    };
    cases::set_status(store, &comms, "DEMO-0412", &arrested).await?;
    crate::posts::compose(store, &engine, &comms, corporate.id, &Compose {
        text: "A 34-year-old man from Harbourside has been arrested on suspicion of burglary at a shop on Quay Street. He remains in custody while enquiries continue.".into(),
        link: Some(Link { kind: "case".into(), reference: "DEMO-0412".into() }),
        ..Compose::default()
    })
    .await?;
    let charged = StatusChange {
        status: "in-court",
        court: Some("Harbourside Magistrates' Court"),
        court_date: Some("2026-12-14"),
        reason: "",
    };
    cases::set_status(store, &comms, "DEMO-0412", &charged).await?;

    // A sexual-offence case: the complainant's first name alone is refused in any
    // post linked to it.
    cases::create(
        store,
        &comms,
        "DEMO-0519",
        "Sexual assault reported in the town centre",
        true,
    )
    .await?;
    cases::add_person(
        store,
        &comms,
        "DEMO-0519",
        "Sophie Marsh",
        "complainant",
        Some(24),
    )
    .await?;

    // A live incident with a closure drawn on the map and a diversion.
    incidents::open(store, &comms, &OpenIncident {
        reference: "DEMO-INC-1",
        title: "A548 Coast Road closed after a collision",
        area: "Towyn",
        area_geojson: Some(r#"{"type":"Polygon","coordinates":[[[-3.575,53.292],[-3.530,53.292],[-3.530,53.276],[-3.575,53.276],[-3.575,53.292]]]}"#),
        severity: "high",
        account_id: corporate.id,
        districts: "LL22, LL18",
        also_speaking: &[beat.id],
    })
    .await?;
    let closure = json!([
        {"type": "road-closure", "road": "A548 Coast Road", "from": "Towyn roundabout", "to": "Kinmel Bay",
         "direction": "both directions",
         "line": {"type": "LineString", "coordinates": [[-3.570, 53.287], [-3.556, 53.284], [-3.538, 53.281]]}},
        {"type": "diversion", "route": "via the A55 between junctions 22 and 24",
         "line": {"type": "LineString", "coordinates": [[-3.570, 53.287], [-3.566, 53.279], [-3.545, 53.277], [-3.538, 53.281]]}},
        {"type": "avoid-area"}
    ]);
    let channels = vec!["fediverse".to_string()];
    incidents::post_update(
        store,
        &engine,
        &comms,
        "DEMO-INC-1",
        &NewUpdate {
            text: "Emergency services are dealing with a collision on the coast road near Towyn.",
            facts: &closure,
            channels: &channels,
        },
    )
    .await?;
    let advice = json!([{"type": "safety-advice", "advice": "Allow extra time for journeys this evening and do not stop on the hard shoulder to look."}]);
    incidents::post_update(
        store,
        &engine,
        &comms,
        "DEMO-INC-1",
        &NewUpdate {
            text:
                "The road is likely to stay closed for several hours while the scene is examined.",
            facts: &advice,
            channels: &channels,
        },
    )
    .await?;

    // An appeal with a photo, and a tip answering it with a photo of its own.
    let media_store = LocalMediaStore::new(data_dir.join("media"));
    let photo = bluelamp_media::testing::jpeg(320, 240);
    let media_id = crate::media::upload(
        store,
        &media_store,
        &comms,
        &crate::media::Upload {
            account: Some(corporate.id),
            file_name: "cctv-still.jpg",
            bytes: &photo,
        },
    )
    .await
    .map_err(|e| match e {
        crate::media::UploadError::Service(e) => e,
        crate::media::UploadError::Refused(m) => ServiceError::Internal(m),
    })?;
    let respond = [
        "101".to_string(),
        "online".to_string(),
        "crimestoppers".to_string(),
    ];
    appeals::create(store, &engine, &comms, &appeals::NewAppealInput {
        reference: "DEMO-APP-7",
        title: "Can you help us identify this man?",
        what_happened: "We would like to speak to the man in this CCTV image about a burglary at a shop on Quay Street.",
        happened_at: Some("Saturday 21 November, about 11pm"),
        place: "Quay Street, Harbourside",
        respond: &respond,
        account_id: AccountId(corporate.id.0),
        case_reference: Some("DEMO-0412"),
        channels: &channels,
        districts: "LL18",
        media: &[MediaRef { id: media_id, alt: "A CCTV still of a man in a dark hooded jacket at a shop door at night.".into() }],
    })
    .await?;
    let evidence = LocalMediaStore::new(data_dir.join("evidence"));
    tips::submit(
        store,
        &evidence,
        &bluelamp_media::Limits::default(),
        DEMO_FORCE_CODE,
        Some("DEMO-APP-7"),
        &tips::TipInput {
            text: "I think I saw the same man on Quay Street that night; I took this photo of a car he got into.",
            contact_name: Some("A resident"),
            contact_detail: None,
            uploads: &[],
        },
        vec![tips::IncomingFile { name: "IMG_2041.jpg".into(), declared_type: "image/jpeg".into(), bytes: photo.clone() }],
        None,
    )
    .await?;
    Ok(())
}
