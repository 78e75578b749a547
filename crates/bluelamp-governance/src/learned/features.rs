//! What the model sees of a draft. Changing anything here changes what the weights mean:
//! bump [`SCHEMA`] and retrain, and an old weights file is then refused at start.

use bluelamp_judgement::{Feature, Featurizer};

use crate::model::{AccountKind, CaseStatus, Draft, Finding, PostKind};
use crate::rules::Signals;

/// The feature schema the weights were trained for.
pub const SCHEMA: &str = "governance-v3";

/// The draft's features: its words (tagged when proceedings are active or the post
/// concerns a sexual offence, because the same words mean something else there), its
/// context, its media, and every rule that fired with its severity.
pub fn draft_features(
    featurizer: &Featurizer,
    draft: &Draft,
    rules: &[Finding],
    signals: &Signals,
) -> Vec<Feature> {
    let mut out = Vec::with_capacity(draft.text.len() * 4 + 128);
    let c = &draft.context;
    featurizer.bias(&mut out);
    let active = matches!(c.case_status, CaseStatus::Arrested | CaseStatus::Charged);
    let mut tags: Vec<&str> = Vec::with_capacity(2);
    if active {
        tags.push("active");
    }
    if c.sexual_offence {
        tags.push("sexual-offence");
    }

    // Content rules read at most this much; so does the model (a longer draft is held).
    let text = draft
        .text
        .get(..draft.text.len().min(crate::engine::MAX_CONTENT))
        .unwrap_or("");
    featurizer.text(text, &tags, &mut out);
    let account = match c.account_kind {
        AccountKind::Personal => "account=personal",
        AccountKind::Corporate => "account=corporate",
        AccountKind::Unit => "account=unit",
        AccountKind::Collective => "account=collective",
    };
    let kind = match c.kind {
        PostKind::Update => "kind=update",
        PostKind::Appeal => "kind=appeal",
        PostKind::Incident => "kind=incident",
        PostKind::Personal => "kind=personal",
        PostKind::Reply => "kind=reply",
    };
    let case = match c.case_status {
        CaseStatus::None => "case=none",
        CaseStatus::Arrested => "case=arrested",
        CaseStatus::Charged => "case=charged",
        CaseStatus::Convicted => "case=convicted",
        CaseStatus::Acquitted => "case=acquitted",
        CaseStatus::Nfa => "case=nfa",
    };
    for t in [account, kind, case] {
        featurizer.token(t, &mut out);
    }
    // Every detector signal alone and with the context that changes its meaning.
    let so = if c.sexual_offence { "|so" } else { "|-" };
    for &name in &signals.0 {
        featurizer.token(name, &mut out);
        for with in [case, kind, so, account] {
            featurizer.token_pair(name, with, &mut out);
        }
    }
    let flags = [
        (c.sexual_offence, "sexual-offence"),
        (c.pre_election, "pre-election"),
        (c.anonymity_waiver, "waiver"),
        (c.naming_exception.is_some(), "naming-exception"),
        (c.court_order_ref.is_some(), "court-order"),
        (c.disclosure_purpose.is_some(), "disclosure-purpose"),
        (!draft.media.is_empty(), "media"),
        (
            draft
                .media
                .iter()
                .any(|m| m.alt.as_deref().is_none_or(|a| a.trim().is_empty())),
            "media-without-alt",
        ),
    ];
    for (on, t) in flags {
        if on {
            featurizer.token(t, &mut out);
        }
    }
    for f in rules {
        featurizer.token_pair("rule", &f.rule, &mut out);
        featurizer.token_pair(f.category.as_str(), f.severity.as_str(), &mut out);
    }
    out
}
