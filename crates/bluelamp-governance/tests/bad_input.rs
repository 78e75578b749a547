//! Bad input: each gets a clear error or correct findings, never a panic.

use bluelamp_governance::{
    parse_request, parse_request_bytes, Category, Channel, Decision, Draft, DraftError, Engine,
    NoDuplicates, Report,
};

fn check(text: &str) -> Report {
    let mut d = Draft::new(text);
    d.channels = vec![
        Channel::X,
        Channel::Fediverse,
        Channel::Bluesky,
        Channel::Facebook,
    ];
    let r = Engine::builtin().check(&d, &NoDuplicates);
    for f in &r.findings {
        assert!(
            f.start <= f.end && f.end <= text.len(),
            "span out of range: {f:?}"
        );
        assert!(
            text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
            "{f:?}"
        );
        assert_eq!(text[..f.start].chars().count(), f.char_start, "{f:?}");
        assert_eq!(text[..f.end].chars().count(), f.char_end, "{f:?}");
    }
    r
}

#[test]
fn empty_text_publishes_with_no_findings() {
    let r = check("");
    assert_eq!(r.decision, Decision::Publish);
    assert!(r.findings.is_empty());
    assert_eq!(check("   \n\t ").decision, Decision::Publish);
}

#[test]
fn one_megabyte_of_text_is_checked_quickly_with_a_bounded_report() {
    let unit = "Call Dave on 07700 900123, you absolute idiots. Seen AB12 CDE? ";
    let big: String = unit.repeat(1_048_576 / unit.len() + 1);
    // Speed is measured by the benchmarks; here it must simply finish, correctly.
    let r = check(&big);
    assert_eq!(
        r.decision,
        Decision::Refuse,
        "over every channel's length limit"
    );
    assert!(r.findings.len() < 400, "{} findings", r.findings.len());
    assert!(r
        .findings
        .iter()
        .any(|f| f.category == Category::PersonalData));
    assert!(r
        .findings
        .iter()
        .any(|f| f.category == Category::Length && f.channel == Some(Channel::X)));
    assert!(r.findings.iter().any(|f| f.rule == "too-long-to-check"));
}

#[test]
fn one_megabyte_without_spaces_or_in_emoji_is_fine() {
    let r = check(&"a".repeat(1 << 20));
    assert_eq!(r.decision, Decision::Refuse);
    let emoji = "👨‍👩‍👧‍👦🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}e\u{301}\u{302}\u{303}"
        .repeat(20_000);
    let r = check(&emoji);
    assert_eq!(r.decision, Decision::Refuse);
    let dots = ".".repeat(1 << 20);
    check(&dots);
    let url_ish = "http://a.".repeat(100_000);
    check(&url_ish);
}

#[test]
fn control_characters_are_flagged_and_do_not_break_offsets() {
    let text = "Nothing\u{0000} to see\u{0007}\u{001B}[31m here\u{0085}.";
    let r = check(text);
    assert!(
        r.findings.iter().any(|f| f.rule == "hidden-characters"),
        "{r:?}"
    );
}

#[test]
fn emoji_and_combining_sequences_keep_offsets_on_character_boundaries() {
    let text =
        "👮‍♀️ Well done 🎉 to the idiots 🤦🏽‍♂️ who parked at Zoë's ✌🏿 — e\u{301}\u{301}\u{301}\u{301}";
    let r = check(text);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "insult")
        .expect("insult found");
    assert_eq!(&text[f.start..f.end], "idiots");
}

#[test]
fn a_disguised_word_is_found_and_its_span_is_the_original_bytes() {
    let text = "Another th\u{200B}ug charged today, you i\u{0434}iots";
    let mut d = Draft::new(text);
    d.context.case_status = bluelamp_governance::CaseStatus::Charged;
    let r = Engine::builtin().check(&d, &NoDuplicates);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "prejudicial-comment")
        .expect("the thug is found through the zero-width space");
    assert_eq!(&text[f.start..f.end], "th\u{200B}ug");
    assert!(r.findings.iter().any(|f| f.rule == "hidden-characters"));
}

#[test]
fn invalid_utf8_through_the_api_is_a_clear_error() {
    let e = parse_request_bytes(b"{\"text\": \"abc\xff\xfe\"}").expect_err("must fail");
    assert!(matches!(e, DraftError::Syntax(_)));
    assert!(e.to_string().contains("UTF-8"), "{e}");
    assert!(parse_request_bytes(b"{\"text\": \"fine\"}").is_ok());
}

#[test]
fn malformed_requests_name_the_field() {
    for (json, field) in [
        (r#"{"text": ["a"]}"#, "text"),
        (
            r#"{"text": "a", "context": {"kind": "tweet"}}"#,
            "context.kind",
        ),
        (
            r#"{"text": "a", "context": {"account_kind": 3}}"#,
            "context.account_kind",
        ),
        (
            r#"{"text": "a", "context": {"sexual_offence": "yes"}}"#,
            "context.sexual_offence",
        ),
        (r#"{"text": "a", "media": [{"alt": 5}]}"#, "media"),
        (r#"{"text": "a", "channels": "x"}"#, "channels"),
        (r#"{"text": "a", "context": []}"#, "context"),
    ] {
        let e = parse_request(json).expect_err(json);
        assert!(e.to_string().contains(field), "{json}: {e}");
    }
}

#[test]
fn malformed_rule_files_give_line_and_field() {
    let cases = [
        (
            "[severity]\ntone = \"loud\"\n",
            2,
            "severity.tone",
            "unknown severity",
        ),
        (
            "[severity]\n\"not-a-rule\" = \"hold\"\n",
            2,
            "severity.not-a-rule",
            "neither a category",
        ),
        (
            "[settings]\nduplicate_threshold = \"three\"\n",
            2,
            "duplicate_threshold",
            "",
        ),
        ("[terms]\nplaces = \"Rhyl\"\n", 2, "places", ""),
        ("[terms]\nplaces = [\"\"]\n", 2, "terms.places", "non-empty"),
        (
            "[[blocked]]\nterms = [\"x\"]\ncategory = \"rudeness\"\n",
            1,
            "blocked[0].category",
            "unknown category",
        ),
        (
            "[[blocked]]\nterms = []\n",
            1,
            "blocked[0].terms",
            "at least one",
        ),
        (
            "[force]\nname = \"A\"\ncolour = \"blue\"\n",
            3,
            "colour",
            "unknown field",
        ),
        ("this is not toml", 1, "", ""),
    ];
    for (src, line, field, msg) in cases {
        let e = Engine::with_force_rules(src)
            .err()
            .unwrap_or_else(|| panic!("{src:?} must fail"));
        assert_eq!(e.line, Some(line), "{src:?}: {e}");
        assert!(
            e.field.contains(field),
            "{src:?}: field {} should name {field}",
            e.field
        );
        assert!(e.message.contains(msg), "{src:?}: {}", e.message);
        assert!(e.to_string().contains(&format!("line {line}")), "{e}");
    }
}

#[test]
fn the_example_force_rule_file_loads_and_its_terms_apply() {
    let engine = Engine::with_force_rules(include_str!("../data/force-rules.example.toml"))
        .expect("example loads");
    assert_eq!(engine.force_name(), Some("Example Constabulary"));
    let r = engine.check(&Draft::new("Operation Nightjar went well"), &NoDuplicates);
    assert!(r
        .findings
        .iter()
        .any(|f| f.rule == "operation-codenames" && f.category == Category::Operational));
    // The force's own number is not personal data.
    let r = engine.check(
        &Draft::new("Ring the front desk on 01234 567890."),
        &NoDuplicates,
    );
    assert!(
        r.findings
            .iter()
            .all(|f| f.category != Category::PersonalData),
        "{r:?}"
    );
    // Sarcasm switched off, tone raised to hold.
    let r = engine.check(&Draft::new("Oh dear, what a bloody mess."), &NoDuplicates);
    assert!(r.findings.iter().all(|f| f.rule != "sarcasm"));
    assert!(r
        .findings
        .iter()
        .any(|f| f.rule == "mild-language" && f.severity == bluelamp_governance::Severity::Hold));
}

/// Inputs the fuzzer found, kept as regressions.
#[test]
fn fuzzer_findings_do_not_panic() {
    let cases: [&[u8]; 1] = [include_bytes!("fuzz_regressions/slice-before-name.bin")];
    for data in cases {
        let text = String::from_utf8_lossy(data).into_owned();
        for status in [
            bluelamp_governance::CaseStatus::None,
            bluelamp_governance::CaseStatus::Arrested,
            bluelamp_governance::CaseStatus::Charged,
        ] {
            let mut d = Draft::new(text.clone());
            d.context.case_status = status;
            d.context.sexual_offence = true;
            let _ = Engine::builtin().check(&d, &NoDuplicates);
        }
    }
}

#[test]
fn a_draft_over_the_post_limit_is_an_error_naming_the_limit_not_a_publish() {
    let json = serde_json::json!({"text": "a".repeat(200_000)}).to_string();
    let error = parse_request(&json).expect_err("200,000 characters cannot be a post");
    let message = error.to_string();
    assert!(
        message.contains("text") && message.contains("20000"),
        "{message}"
    );
    let at_limit = serde_json::json!({"text": "a".repeat(bluelamp_governance::MAX_DRAFT_CHARS)});
    assert!(parse_request(&at_limit.to_string()).is_ok());
}
