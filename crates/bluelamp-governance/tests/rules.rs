//! The rules' behaviour, one sentence per test, through the public API. These are the
//! deterministic rules alone (`Engine::builtin_rules_only`); the learned scoring on top
//! is measured on the blind split (`tests/blind.rs`).

use bluelamp_governance::{
    parse_request, CaseStatus, Category, Channel, Decision, Draft, DuplicateLookup, Engine, Media,
    NoDuplicates, Report, Severity,
};

fn rules() -> Engine {
    Engine::builtin_rules_only().expect("the built-in rules load")
}

fn check_json(json: &str) -> Report {
    let draft = parse_request(json).expect("valid request");
    rules().check(&draft, &NoDuplicates)
}

fn check_with(text: &str, f: impl FnOnce(&mut Draft)) -> (Draft, Report) {
    let mut d = Draft::new(text);
    f(&mut d);
    let r = rules().check(&d, &NoDuplicates);
    (d, r)
}

fn words<'a>(d: &'a Draft, r: &Report, rule: &str) -> Vec<&'a str> {
    r.findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| &d.text[f.start..f.end])
        .collect()
}

#[test]
fn a_suspect_named_on_arrest_is_held_and_the_finding_points_at_the_name() {
    let (d, r) = check_with(
        "Neil Parry, 44, of Llay, has been arrested on suspicion of fraud.",
        |_| {},
    );
    assert_eq!(r.decision, Decision::Hold);
    assert_eq!(words(&d, &r, "named-on-arrest"), vec!["Neil Parry"]);
    let f = &r.findings[0];
    assert!(f.basis.contains("College of Policing"), "{}", f.basis);
    assert!(f.suggestion.is_some());
}

#[test]
fn the_same_name_after_sentence_publishes() {
    let (_, r) = check_with(
        "Neil Parry, 44, of Llay, was jailed for two years for fraud.",
        |_| {},
    );
    assert_eq!(r.decision, Decision::Publish, "{r:?}");
}

#[test]
fn prejudice_while_charged_is_refused_and_advice_never_holds() {
    let (_, r) = check_with("The thug will appear at court on Monday.", |d| {
        d.context.case_status = CaseStatus::Charged
    });
    assert_eq!(r.decision, Decision::Refuse);
    let (_, r) = check_with("#stopandsearch figures are out.", |_| {});
    assert!(r.findings.iter().all(|f| f.severity == Severity::Advice));
    assert_eq!(r.decision, Decision::Publish);
}

#[test]
fn a_stolen_vans_plate_and_the_force_numbers_are_not_personal_data() {
    let r = check_json(
        r#"{"text": "Stolen van AB12 CDE taken overnight. Seen it? Call 101 or Crimestoppers on 0800 555 111.", "context": {"kind": "appeal"}}"#,
    );
    assert!(r.findings.is_empty(), "{r:?}");
    let (d, r) = check_with("We stopped AB12 CDE for no insurance today.", |_| {});
    assert_eq!(words(&d, &r, "vehicle-registration"), vec!["AB12 CDE"]);
}

#[test]
fn a_missing_childs_appeal_is_fine_but_a_named_child_suspect_is_refused() {
    let (_, r) = check_with(
        "Missing: have you seen Chloe Evans, 14? Last seen in Rhyl. Call 101.",
        |d| d.context.kind = bluelamp_governance::PostKind::Appeal,
    );
    assert_eq!(r.decision, Decision::Publish, "{r:?}");
    let (d, r) = check_with("Jake Smith, 15, has been charged with robbery.", |_| {});
    assert_eq!(r.decision, Decision::Refuse);
    assert_eq!(words(&d, &r, "child-named"), vec!["Jake Smith"]);
    // A court order lifting anonymity is recorded: no finding.
    let (_, r) = check_with("Jake Smith, 15, has been charged with robbery.", |d| {
        d.context.court_order_ref = Some("T20240123".into())
    });
    assert!(r
        .findings
        .iter()
        .all(|f| f.category != Category::ChildIdentity));
}

#[test]
fn a_sexual_offence_complainants_workplace_is_refused_and_a_waiver_lifts_it() {
    let text = "A woman who works at Tesco in Bangor was sexually assaulted in the car park.";
    let (_, r) = check_with(text, |_| {});
    assert_eq!(r.decision, Decision::Refuse);
    assert!(r.categories().contains(&Category::VictimIdentity));
    let (_, r) = check_with(text, |d| d.context.anonymity_waiver = true);
    assert!(r
        .findings
        .iter()
        .all(|f| f.category != Category::VictimIdentity));
}

#[test]
fn politicians_are_held_in_the_pre_election_period_only() {
    let text = "Our local MP visited the station today.";
    assert_eq!(check_with(text, |_| {}).1.decision, Decision::Publish);
    let (_, r) = check_with(text, |d| d.context.pre_election = true);
    assert_eq!(r.decision, Decision::Hold);
    assert!(r.categories().contains(&Category::Political));
}

#[test]
fn length_is_refused_per_channel_and_names_the_channel() {
    let text = "x".repeat(400);
    let (_, r) = check_with(&text, |d| {
        d.channels = vec![Channel::X, Channel::Fediverse, Channel::Bluesky]
    });
    let channels: Vec<Option<Channel>> = r.findings.iter().map(|f| f.channel).collect();
    assert_eq!(r.decision, Decision::Refuse);
    assert!(channels.contains(&Some(Channel::X)) && channels.contains(&Some(Channel::Bluesky)));
    assert!(
        !channels.contains(&Some(Channel::Fediverse)),
        "400 fits Mastodon's 500"
    );
    let x = r
        .findings
        .iter()
        .find(|f| f.channel == Some(Channel::X))
        .expect("x finding");
    assert_eq!(
        (x.start, x.char_start),
        (280, 280),
        "points at the first character that does not fit"
    );
}

#[test]
fn an_image_without_alt_text_is_advice() {
    let (_, r) = check_with("Our new team!", |d| d.media = vec![Media { alt: None }]);
    assert_eq!(r.decision, Decision::Publish);
    assert!(r.findings.iter().any(|f| f.rule == "missing-alt-text"));
}

#[test]
fn an_image_while_proceedings_are_active_gets_advice() {
    let (_, r) = check_with("A 30-year-old man has been charged with assault.", |d| {
        d.media = vec![Media {
            alt: Some("A man in a grey coat".into()),
        }]
    });
    assert_eq!(r.decision, Decision::Publish);
    assert!(r.findings.iter().any(|f| f.rule == "image-while-active"));
}

#[test]
fn several_accounts_pushing_the_same_text_get_advice() {
    struct Three;
    impl DuplicateLookup for Three {
        fn accounts_recently_posting(&self, key: &str) -> u32 {
            if key == "stay safe this weekend #safernights" {
                3
            } else {
                0
            }
        }
    }
    let d = Draft::new("Stay safe this weekend! #SaferNights https://example.com/x");
    let r = rules().check(&d, &Three);
    assert!(
        r.findings
            .iter()
            .any(|f| f.category == Category::DuplicateCorporate),
        "{r:?}"
    );
    assert_eq!(r.decision, Decision::Publish);
}

#[test]
fn an_appeal_without_a_route_gets_advice_and_a_route_clears_it() {
    let (_, r) = check_with(
        "Do you recognise this man? We'd like to speak to him.",
        |_| {},
    );
    assert!(r.findings.iter().any(|f| f.rule == "no-reporting-route"));
    let (_, r) = check_with("Do you recognise this man? Call 101 quoting 123.", |_| {});
    assert!(r.findings.is_empty(), "{r:?}");
}

#[test]
fn the_engine_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
    assert_send_sync::<Report>();
    let engine = std::sync::Arc::new(Engine::builtin());
    let handles: Vec<_> = (0..2)
        .map(|i| {
            let e = engine.clone();
            std::thread::spawn(move || {
                e.check(&Draft::new(format!("Shift {i} done")), &NoDuplicates)
                    .decision
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("thread"), Decision::Publish);
    }
}

#[test]
fn one_person_is_one_finding_even_when_two_patterns_find_the_name() {
    for text in [
        "The victim, Sarah Jones, was attacked in the park on Friday night.",
        "The complainant, Sarah Jones, has been supported by specialist officers.",
    ] {
        let (d, r) = check_with(text, |d| d.context.sexual_offence = true);
        let found = words(&d, &r, "victim-named");
        assert_eq!(found, vec!["Sarah Jones"], "{text}: {:?}", r.findings);
    }
}
