//! Any bytes, as a draft's text and as a JSON request: the engine must never panic, and
//! every finding must point inside the text on character boundaries.
#![no_main]

use bluelamp_governance::{parse_request, render_human, Channel, Draft, Engine, Media, NoDuplicates};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(Engine::builtin)
}

fn check_invariants(draft: &Draft) {
    let report = engine().check(draft, &NoDuplicates);
    for f in &report.findings {
        assert!(f.start <= f.end && f.end <= draft.text.len(), "span out of range: {f:?}");
        assert!(draft.text.is_char_boundary(f.start) && draft.text.is_char_boundary(f.end));
        assert!(f.char_start <= f.char_end);
    }
    let _ = render_human(&draft.text, &report);
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    // The text alone, with every channel and a context that turns every rule on.
    let mut draft = Draft::new(text.clone());
    draft.channels = vec![Channel::X, Channel::Fediverse, Channel::Bluesky, Channel::Facebook];
    draft.media = vec![Media { alt: None }];
    draft.context.sexual_offence = data.first().is_some_and(|b| b & 1 == 1);
    draft.context.pre_election = data.first().is_some_and(|b| b & 2 == 2);
    draft.context.case_status = match data.first().map(|b| b >> 5) {
        Some(1) => bluelamp_governance::CaseStatus::Arrested,
        Some(2) => bluelamp_governance::CaseStatus::Charged,
        Some(3) => bluelamp_governance::CaseStatus::Convicted,
        Some(4) => bluelamp_governance::CaseStatus::Acquitted,
        _ => bluelamp_governance::CaseStatus::None,
    };
    check_invariants(&draft);
    // The same bytes as an API request.
    if let Ok(d) = parse_request(&text) {
        check_invariants(&d);
    }
});
