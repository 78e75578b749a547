//! How the force conducts itself: operational security, political neutrality and tone.

use super::Ctx;
use crate::engine::{Emitter, Engine};

pub(crate) fn operational(engine: &Engine, ctx: &Ctx<'_>, out: &mut Emitter<'_>) {
    let text = ctx.text;
    let lex = &ctx.lex;
    // A future operation: operation words and a future time in the same sentence.
    for m in lex.get("operation_words").find_iter(text) {
        let (s, e) = ctx.sentence_at(m.start());
        let sentence = &text[s..e];
        let future = lex.get("future_strong").is_match(sentence)
            || (lex.get("future_time").is_match(sentence)
                && (lex.get("future_verb").is_match(sentence)
                    || !lex.get("past_marker").is_match(sentence)));
        if future {
            out.emit("future-operation", s, e, sentence.trim());
            break;
        }
    }
    for (list, rule) in [
        ("covert", "covert-tactics"),
        ("armed_now", "armed-deployment"),
        ("officer_home", "officer-personal-details"),
        ("tip_off", "tip-off"),
    ] {
        for m in lex.get(list).find_iter(text) {
            if rule == "armed-deployment" && armed_is_past(text, m.end()) {
                continue;
            }
            out.emit(rule, m.start(), m.end(), &text[m.start()..m.end()]);
        }
    }
    // An officer named in the post, and where someone lives or their family: in a post
    // about an officer that is the officer's home life.
    if ctx.people.iter().any(|p| p.officer) {
        for m in engine.core.pats.officer_family.find_iter(text) {
            let w = &text[m.start()..m.end()];
            if w.to_ascii_lowercase().starts_with("who ") {
                continue; // "a man who lives in Rhyl" is someone else
            }
            out.emit("officer-personal-details", m.start(), m.end(), w);
        }
    }
}

/// "Armed officers are now standing down" or "... have left the scene" is history.
fn armed_is_past(text: &str, end: usize) -> bool {
    let tail = super::after_lower(text, end);
    let tail = tail.trim_start();
    [
        "standing down",
        "stood down",
        "no longer",
        "left the scene",
        "have left",
    ]
    .iter()
    .any(|w| tail.starts_with(w))
}

pub(crate) fn political(engine: &Engine, ctx: &Ctx<'_>, out: &mut Emitter<'_>) {
    let text = ctx.text;
    let lex = &ctx.lex;
    let force = &engine.force;
    let strong = lex.get("evaluative_strong");
    let mild = lex.get("evaluative_mild");
    let local_office = lex.get("local_office");

    let parties = lex.get("parties");
    let mut party_hits: Vec<(usize, usize)> = parties
        .find_iter(text)
        .filter(|m| {
            let w = &text[m.start()..m.end()];
            // "labour exploitation", "forced labour", "the greens" of a golf course: only
            // the capitalised party names count, and not in those phrases.
            let tail = super::after_lower(text, m.end());
            w.chars().next().is_some_and(char::is_uppercase)
                && !tail.trim_start().starts_with("exploitation")
                && !tail.trim_start().starts_with("market")
                && !super::before_lower(text, m.start())
                    .trim_end()
                    .ends_with("forced")
                && !super::before_lower(text, m.start())
                    .trim_end()
                    .ends_with("child")
        })
        .map(|m| (m.start(), m.end()))
        .collect();
    if let Some(re) = &force.parties {
        party_hits.extend(re.find_iter(text).map(|m| (m.start(), m.end())));
    }
    for &(s, e) in &party_hits {
        out.emit(
            if ctx.pre_election {
                "election-period"
            } else {
                "party-politics"
            },
            s,
            e,
            &text[s..e],
        );
    }

    let mut politicians: Vec<(usize, usize)> = lex
        .get("politician")
        .find_iter(text)
        .filter(|m| {
            let w = &text[m.start()..m.end()];
            // "PM" is also the afternoon; "MP" must be written in capitals.
            !(w.eq_ignore_ascii_case("pm")
                && (w != "PM"
                    || super::before_lower(text, m.start())
                        .trim_end()
                        .ends_with(|c: char| c.is_ascii_digit())))
                && !(w.eq_ignore_ascii_case("mp") && w != "MP")
                && !(w.eq_ignore_ascii_case("mps") && w != "MPs")
        })
        .map(|m| (m.start(), m.end()))
        .collect();
    if let Some(re) = &force.politicians {
        politicians.extend(re.find_iter(text).map(|m| (m.start(), m.end())));
    }
    for &(s, e) in &politicians {
        let (ss, se) = ctx.sentence_at(s);
        let sentence = &text[ss..se];
        if ctx.pre_election {
            out.emit("election-period", s, e, &text[s..e]);
        } else if let Some(ev) = strong.find(sentence).or_else(|| {
            // The PCC and councillors are thanked routinely; national politicians are not.
            let local = local_office
                .find(&text[s..e])
                .is_some_and(|m| m.start() == 0);
            if local {
                None
            } else {
                mild.find(sentence)
            }
        }) {
            let a = s.min(ss + ev.start());
            let b = e.max(ss + ev.end());
            out.emit("politician-comment", a, b, &text[a..b]);
        }
    }
    for m in lex.get("policy_opinion").find_iter(text) {
        out.emit(
            "policy-opinion",
            m.start(),
            m.end(),
            &text[m.start()..m.end()],
        );
    }
    if ctx.pre_election {
        for m in lex.get("election").find_iter(text) {
            out.emit(
                "election-period",
                m.start(),
                m.end(),
                &text[m.start()..m.end()],
            );
        }
    }
}

pub(crate) fn tone(engine: &Engine, ctx: &Ctx<'_>, out: &mut Emitter<'_>) {
    let text = ctx.text;
    let lex = &ctx.lex;
    for (list, rule) in [
        ("swearing", "swearing"),
        ("mild_language", "mild-language"),
        ("sarcasm", "sarcasm"),
        ("sarcasm_emoji", "sarcasm"),
    ] {
        for m in lex.get(list).find_iter(text) {
            let w = &text[m.start()..m.end()];
            out.emit_with(rule, m.start(), m.end(), w, format!("Remove \"{w}\"."));
        }
    }
    for m in lex.get("insult").find_iter(text) {
        let w = &text[m.start()..m.end()];
        // "Einstein" is a surname; "genius" in "a genius idea" is praise. Only flag these
        // soft words when they are aimed at someone.
        let lw = w.to_ascii_lowercase();
        if [
            "genius",
            "geniuses",
            "einstein",
            "einsteins",
            "bright spark",
            "bright sparks",
            "pathetic",
            "dense",
            "dumb",
        ]
        .contains(&lw.as_str())
        {
            let before = super::before_lower(text, m.start());
            let before = before.trim_end();
            let aimed = [
                "this",
                "our",
                "the",
                "what a",
                "another",
                "some",
                "these",
                "those",
                "you",
                "absolute",
                "real",
                "well done",
                "like a",
            ]
            .iter()
            .any(|p| before.ends_with(p));
            if !aimed {
                continue;
            }
        }
        out.emit_with(
            "insult",
            m.start(),
            m.end(),
            w,
            format!("Remove \"{w}\"; describe the behaviour, not the person."),
        );
    }

    // Shouting: three or more capitalised words in a row that are not acronyms, or a
    // post that is mostly capitals.
    let acronyms = lex.get("acronyms");
    for m in engine
        .core
        .pats
        .caps_run
        .find_iter(if ctx.uppers >= 6 { text } else { "" })
    {
        let run = &text[m.start()..m.end()];
        let words: Vec<&str> = run
            .split(|c: char| !c.is_ascii_alphabetic() && c != '\'')
            .filter(|w| w.len() >= 2)
            .collect();
        let shouty = words
            .iter()
            .filter(|w| {
                !acronyms
                    .find(w)
                    .is_some_and(|a| a.start() == 0 && a.end() == w.len())
            })
            .count();
        if shouty >= 3 {
            let lower = sentence_case(run);
            out.emit_with(
                "shouting",
                m.start(),
                m.end(),
                run,
                format!("Write it in sentence case: \"{lower}\"."),
            );
        }
    }

    // Flippancy: laughing at something that caused serious harm.
    let harm = lex.get("serious_harm");
    if harm.is_match(text) {
        let laugh = lex
            .get("laughing")
            .find(text)
            .or_else(|| lex.get("laughing_emoji").find(text));
        if let Some(m) = laugh {
            out.emit("flippancy", m.start(), m.end(), &text[m.start()..m.end()]);
        }
    }
}

fn sentence_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut first = true;
    for c in s.chars() {
        if first && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            first = false;
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}
