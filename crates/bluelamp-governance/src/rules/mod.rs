//! The detectors. Each submodule owns one or two categories; all of them read a shared
//! [`Ctx`] that is computed once per check (sentences, people, the case's legal status).

mod case;
mod conduct;
mod people;
mod personal_data;
mod reach;

use crate::engine::{DuplicateLookup, Emitter, Engine};
use crate::model::{CaseStatus, Draft, PostKind};
use crate::names::{find_people, first_names, Person};
use crate::normalise::Normalised;
use regex::{Regex, RegexBuilder};
use std::collections::HashSet;

/// Fixed-shape patterns (formats rather than words), compiled once per engine.
pub(crate) struct Patterns {
    pub phone: Regex,
    pub email: Regex,
    pub house_address: Regex,
    pub postcode: Regex,
    pub dob: Regex,
    pub ni_number: Regex,
    pub ni_loose: Regex,
    pub officer_family: Regex,
    pub named_after: Regex,
    pub vehicle_reg: Regex,
    pub age: Regex,
    pub street: Regex,
    pub school: Regex,
    pub hashtag: Regex,
    pub caps_run: Regex,
    pub public_place: Regex,
    pub first_names: HashSet<&'static str>,
    /// The span patterns the learned model reads as signals, in one automaton: one
    /// pass over the draft instead of one per pattern (see [`SIGNAL_NAMES`]).
    pub signal_set: regex::RegexSet,
}

/// The signal each pattern of `Patterns::signal_set` stands for, in its order.
const SIGNAL_NAMES: [&str; 7] = [
    "house-address",
    "postcode",
    "plate",
    "age",
    "street",
    "school",
    "public-place",
];

fn cs(p: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(&p.replace(r"\b", crate::engine::ASCII_B))
        .size_limit(1 << 24)
        .build()
}

fn ci(p: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(&p.replace(r"\b", crate::engine::ASCII_B))
        .case_insensitive(true)
        .size_limit(1 << 24)
        .build()
}

const STREET_TYPES: &str = "Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Crescent|Cres|Gardens|Gdns|Grove|Place|Pl|Terrace|Court|Ct|Walk|Hill|Park|Rise|View|Mews|Square|Row|Green|Parade|Vale|Meadows?|Fields|Croft|Wharf|Quay|Gate|Chase";

impl Patterns {
    pub fn new() -> Result<Patterns, regex::Error> {
        Ok(Patterns {
            phone: cs(r"(?:\+\d{1,3}[\s.-]?(?:\(0\)[\s.-]?)?|\b0|\(0)\d[\d\s.)-]{7,14}\d\b")?,
            email: cs(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")?,
            house_address: cs(&format!(
                r"\b(?:[Ff]lat \d{{1,4}}[A-Za-z]?,? )?\d{{1,4}}[A-Za-z]?,? (?:[A-Z][A-Za-z']+ ){{1,3}}(?:{STREET_TYPES})\b(?:,? (?:[A-Z][a-z]+ ?){{1,2}})?(?:,? [A-Z]{{1,2}}\d[A-Z\d]? ?\d[A-Z]{{2}})?"
            ))?,
            postcode: cs(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")?,
            dob: ci(
                r"\b(?:born(?: on)?|d\.?o\.?b\.?|date of birth)[:\s]+(?:\d{1,2}(?:st|nd|rd|th)?[\s/.-](?:\d{1,2}|[A-Za-z]{3,9})[\s/.-]\d{2,4})",
            )?,
            ni_number: cs(r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")?,
            ni_loose: cs(
                r"(?i:\bNI\b|national insurance|\bNINO\b)[^.\n]{0,30}?\b([A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D])\b",
            )?,
            officer_family: cs(
                r"\b(?i:(?:who )?(?:lives|living|live) (?:in|on|at)) [A-Z]\w*|\b(?i:(?:whose|his|her|their) (?:wife|husband|partner|children|kids|sons?|daughters?))\b",
            )?,
            named_after: cs(
                r"\b(?i:victim|complainant|survivor|woman|girl|boy|teenager|child|pupil|witness|named|called|named locally as|identified as|is|was),? ([A-Z][a-z]+)\b",
            )?,
            vehicle_reg: cs(
                r"\b(?:[A-Z]{2}\d{2} ?[A-Z]{3}|[A-Z]\d{1,3} ?[A-Z]{3}|[A-Z]{3} ?\d{1,3}[A-Z])\b",
            )?,
            age: ci(
                r"\b(\d{1,2})[- ]?(?:years?|yrs?)[- ]old\b|\baged (\d{1,2})\b|\b(?:in (?:his|her|their) )?(?:early |mid |late )?(teens)\b|\bunder[- ]?18s?\b|\bYear (\d{1,2}) (?:pupil|student)",
            )?,
            street: cs(
                r"\b(?:[A-Z][a-z']+ ){1,3}(?:Road|Street|Lane|Avenue|Close|Drive|Way|Crescent|Gardens|Grove|Place|Terrace|Walk|Mews|Rise|Row|Square|Parade)\b",
            )?,
            school: cs(
                r"\b(?:(?:St\.? )?(?:[A-Z][A-Za-z'.]+ ){1,4}(?:School|Academy|College|Primary|High School|Grammar|Comprehensive|University|Nursery|Infants|Juniors|Sixth Form)|Ysgol(?: [A-Z][A-Za-z'-]+){1,3}|(?:University|College) of (?:the )?[A-Z][A-Za-z'-]+(?: [A-Z][A-Za-z'-]+)?)\b",
            )?,
            hashtag: cs(r"#([A-Za-z][A-Za-z0-9_]{2,})")?,
            caps_run: cs(r"\b[A-Z][A-Z']+(?:[ ,!.]+[A-Z][A-Z']+){2,}\b")?,
            public_place: ci(
                r"\b(?:station|centre|center|library|hall|church|shop|store|pub|inn|hotel|cafe|restaurant|office|offices|surgery|premises|business|bank|post office|school|college|hospital|supermarket|garage|petrol|stadium|museum|theatre|cinema|park)\b",
            )?,
            first_names: first_names(),
            signal_set: regex::RegexSet::empty(),
        })
        .and_then(|mut p| {
            let ci = |r: &Regex| format!("(?i:{})", r.as_str());
            p.signal_set = regex::RegexSetBuilder::new([
                p.house_address.as_str().to_string(),
                p.postcode.as_str().to_string(),
                p.vehicle_reg.as_str().to_string(),
                ci(&p.age),
                p.street.as_str().to_string(),
                p.school.as_str().to_string(),
                ci(&p.public_place),
            ])
            .size_limit(1 << 26)
            .build()?;
            Ok(p)
        })
    }

    pub fn minimal() -> Patterns {
        // Used only if the built-in data were broken; every pattern here is a literal
        // that cannot fail, so nothing matches and nothing panics.
        let never = || Regex::new("$^").unwrap_or_else(|_| never_regex());
        Patterns {
            phone: never(),
            email: never(),
            house_address: never(),
            postcode: never(),
            dob: never(),
            ni_number: never(),
            ni_loose: never(),
            officer_family: never(),
            named_after: never(),
            vehicle_reg: never(),
            age: never(),
            street: never(),
            school: never(),
            hashtag: never(),
            caps_run: never(),
            public_place: never(),
            first_names: HashSet::new(),
            signal_set: regex::RegexSet::empty(),
        }
    }
}

fn never_regex() -> Regex {
    Regex::new("$^").unwrap_or_else(|_| never_regex())
}

/// The lexicon as seen by one check: lists that do not occur in the draft are skipped.
#[derive(Clone, Copy)]
pub(crate) struct Gate<'a> {
    lex: &'a crate::engine::Lexicon,
    hits: &'a [bool],
}

impl<'a> Gate<'a> {
    pub fn get(&self, name: &str) -> &'a Regex {
        self.lex.gated(name, self.hits)
    }
}

/// What the check knows about the draft, computed once.
pub(crate) struct Ctx<'a> {
    pub draft: &'a Draft,
    pub text: &'a str,
    pub lex: Gate<'a>,
    pub sentences: Vec<(usize, usize)>,
    pub people: Vec<Person>,
    /// The legal status: the linked case's, or inferred from the words when no case is
    /// linked ("has been charged" makes proceedings active whatever the context says).
    pub status: CaseStatus,
    /// Released under investigation or on bail: APP naming rules apply.
    pub sexual: bool,
    pub missing_or_tribute: bool,
    pub appeal: bool,
    pub pre_election: bool,
    /// Cheap facts about the bytes, so that format patterns (phone numbers need ten
    /// digits, e-mail an `@`) are only run on text that could contain them.
    pub digits: usize,
    pub uppers: usize,
    pub has_at: bool,
    pub has_hash: bool,
}

impl Ctx<'_> {
    /// Proceedings are active (Contempt of Court Act 1981, Sch.1).
    pub fn active(&self) -> bool {
        matches!(self.status, CaseStatus::Arrested | CaseStatus::Charged)
    }

    /// The sentence containing byte `pos`.
    pub fn sentence_at(&self, pos: usize) -> (usize, usize) {
        let i = self.sentences.partition_point(|&(_, e)| e <= pos);
        self.sentences
            .get(i)
            .copied()
            .unwrap_or((0, self.text.len()))
    }

    /// The sentence containing `pos` and its neighbours.
    pub fn window_at(&self, pos: usize) -> (usize, usize) {
        let i = self.sentences.partition_point(|&(_, e)| e <= pos);
        let s = i.saturating_sub(1);
        let e = (i + 1).min(self.sentences.len().saturating_sub(1));
        match (self.sentences.get(s), self.sentences.get(e)) {
            (Some(a), Some(b)) => (a.0, b.1.max(a.1)),
            _ => (0, self.text.len()),
        }
    }
}

/// The (lower-cased) 48 bytes before `pos`: the words just before a match. Bounded, so
/// that looking back is constant time however long the draft.
pub(crate) fn before_lower(text: &str, pos: usize) -> String {
    let pos = pos.min(text.len());
    let mut s = pos.saturating_sub(48);
    while !text.is_char_boundary(s) {
        s += 1;
    }
    text.get(s..pos).unwrap_or("").to_ascii_lowercase()
}

/// The (lower-cased) 48 bytes after `pos`.
pub(crate) fn after_lower(text: &str, pos: usize) -> String {
    let pos = pos.min(text.len());
    let mut e = (pos + 48).min(text.len());
    while !text.is_char_boundary(e) {
        e -= 1;
    }
    text.get(pos..e).unwrap_or("").to_ascii_lowercase()
}

/// Sentences are cut at this many bytes so that per-sentence work stays bounded on
/// text without punctuation.
const MAX_SENTENCE: usize = 1_000;

fn split_sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let ends = match b {
            b'\n' => true,
            b'.' | b'!' | b'?' => {
                bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace())
                    // "Mr. Smith", "St. Mary's": not an end.
                    && !text[start..i].ends_with("Mr")
                    && !text[start..i].ends_with("Mrs")
                    && !text[start..i].ends_with("Dr")
                    && !text[start..i].ends_with("St")
            }
            _ => false,
        };
        let too_long = i + 1 - start >= MAX_SENTENCE && text.is_char_boundary(i + 1);
        if ends || too_long {
            out.push((start, i + 1));
            start = i + 1;
        }
        i += 1;
    }
    if start < bytes.len() {
        out.push((start, bytes.len()));
    }
    if out.is_empty() {
        out.push((0, 0));
    }
    out
}

fn infer_status(lex: &Gate<'_>, draft: &Draft, text: &str) -> CaseStatus {
    if draft.context.case_status != CaseStatus::None {
        return draft.context.case_status;
    }
    if lex.get("status_acquitted").is_match(text) {
        return CaseStatus::Acquitted;
    }
    let convicted = lex.get("status_convicted").is_match(text);
    if convicted && !lex.get("awaiting_sentence").is_match(text) {
        return CaseStatus::Convicted;
    }
    if convicted || lex.get("status_charged").is_match(text) {
        return CaseStatus::Charged;
    }
    if lex.get("status_arrested").is_match(text) {
        return CaseStatus::Arrested;
    }
    CaseStatus::None
}

pub(crate) fn run_all(
    engine: &Engine,
    draft: &Draft,
    norm: &Normalised,
    out: &mut Emitter<'_>,
    duplicates: &dyn DuplicateLookup,
) -> Signals {
    let text = norm.text.as_str();
    let hits = engine.core.lex.scan(text);
    let lex = Gate {
        lex: &engine.core.lex,
        hits: &hits,
    };
    let ctx = Ctx {
        draft,
        text,
        lex,
        sentences: split_sentences(text),
        people: find_people(text, &engine.core.pats.first_names),
        status: infer_status(&lex, draft, text),
        sexual: draft.context.sexual_offence || lex.get("sexual_offence").is_match(text),
        missing_or_tribute: lex.get("missing_person").is_match(text)
            || lex.get("tribute").is_match(text),
        appeal: draft.context.kind == PostKind::Appeal,
        pre_election: draft.context.pre_election || engine.force.pre_election,
        digits: text.bytes().filter(u8::is_ascii_digit).count(),
        uppers: text.bytes().filter(u8::is_ascii_uppercase).count(),
        has_at: text.contains('@'),
        has_hash: text.contains('#'),
    };
    people::victim_identity(engine, &ctx, out);
    people::child_identity(engine, &ctx, out);
    people::contempt(&ctx, out);
    case::people(&ctx, out);
    personal_data::check(engine, &ctx, out);
    conduct::operational(engine, &ctx, out);
    conduct::political(engine, &ctx, out);
    conduct::tone(engine, &ctx, out);
    reach::accessibility(engine, &ctx, norm, out);
    reach::emergency_advice(engine, &ctx, out);
    reach::length(engine, &ctx, out);
    reach::duplicates(engine, &ctx, out, duplicates);
    reach::force_terms(engine, &ctx, out);
    signals(engine, &ctx, &hits)
}

/// What the detectors saw, whether or not a rule fired: the word lists that occur, the
/// kinds of span found (names, ages, streets, plates...), the case status as inferred.
/// The learned model reads these beside the words, so it can learn combinations the
/// rules do not spell out ("a first name and a street in a sexual-offence post").
#[derive(Debug, Default, Clone)]
pub struct Signals(pub Vec<&'static str>);

/// A phone number that is not the force's own or an organisation's (those are never a
/// private person's data, whatever the model would make of them).
fn private_phone(engine: &Engine, text: &str) -> bool {
    engine.core.pats.phone.find_iter(text).any(|m| {
        let digits: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
        !personal_data::own_or_org_number(engine, &digits)
    })
}

fn signals(engine: &Engine, ctx: &Ctx<'_>, hits: &[bool]) -> Signals {
    let mut fixed: Vec<&'static str> = Vec::with_capacity(24);
    let p = &engine.core.pats;
    let text = ctx.text;
    fixed.push(match ctx.status {
        CaseStatus::None => "status=none",
        CaseStatus::Arrested => "status=arrested",
        CaseStatus::Charged => "status=charged",
        CaseStatus::Convicted => "status=convicted",
        CaseStatus::Acquitted => "status=acquitted",
        CaseStatus::Nfa => "status=nfa",
    });
    let people = ctx.people.iter().filter(|p| !p.officer).count();
    let checks: [(bool, &'static str); 9] = [
        (ctx.sexual, "sexual"),
        (ctx.missing_or_tribute, "missing-or-tribute"),
        (people > 0, "person"),
        (people > 1, "people"),
        (ctx.people.iter().any(|p| p.officer), "officer-named"),
        (
            ctx.people.iter().any(|p| p.age.is_some()),
            "person-with-age",
        ),
        (ctx.digits >= 9 && private_phone(engine, text), "phone"),
        (ctx.has_at && p.email.is_match(text), "email"),
        (ctx.has_hash, "hashtag"),
    ];
    fixed.extend(checks.iter().filter(|c| c.0).map(|c| c.1));
    fixed.extend(
        p.signal_set
            .matches(text)
            .iter()
            .filter_map(|i| SIGNAL_NAMES.get(i).copied()),
    );
    engine.core.lex.lists_found(hits, &mut fixed);
    Signals(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_on_terminal_punctuation_and_newlines() {
        let t = "One. Two! Mr. Smith three?\nFour";
        let s: Vec<&str> = split_sentences(t)
            .into_iter()
            .map(|(a, b)| &t[a..b])
            .collect();
        assert_eq!(s, vec!["One.", " Two!", " Mr. Smith three?", "\n", "Four"]);
    }

    #[test]
    fn all_fixed_patterns_compile() {
        Patterns::new().expect("patterns compile");
    }
}
