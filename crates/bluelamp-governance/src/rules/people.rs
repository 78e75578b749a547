//! The people rules: complainants of sexual offences, children, and suspects in active
//! proceedings. These are the findings that end careers when missed, so they lean
//! towards flagging; the hard negatives (missing-child appeals, named convicted adults,
//! awareness campaigns) are recognised explicitly.

use super::Ctx;
use crate::engine::{Emitter, Engine};
use crate::model::CaseStatus;
use crate::names::Person;

/// Verbs that make a named person the suspect or accused in a release.
const SUSPECT_AFTER: &[&str] = &[
    "has been arrested",
    "was arrested",
    "were arrested",
    "has been charged",
    "was charged",
    "were charged",
    "is charged",
    "has been remanded",
    "was remanded",
    "appeared",
    "will appear",
    "is due to appear",
    "was due to appear",
    "due to appear",
    "has been bailed",
    "was bailed",
    "was jailed",
    "has been jailed",
    "was sentenced",
    "has been sentenced",
    "was convicted",
    "has been convicted",
    "pleaded",
    "pled",
    "admitted",
    "denied",
    "denies",
    "was found guilty",
    "has been found guilty",
    "was cautioned",
    "has been cautioned",
    "was given",
    "received",
    "was ordered",
    "is accused",
    "was detained",
    "has been detained",
    "was handed",
    "has been handed",
    "was summonsed",
    "has been summonsed",
    "was released",
    "has been released",
    "remains in custody",
    "is in custody",
    "is wanted",
    "is being sought",
    "was found not guilty",
    "was acquitted",
    "has been acquitted",
    "was cleared",
    "has been cleared",
    "stands trial",
    "went on trial",
    "have been arrested",
    "have been charged",
    "have been jailed",
    "have been sentenced",
    "were jailed",
    "were sentenced",
    "wedi'i arestio",
    "wedi'i gyhuddo",
    "wedi'i garcharu",
    "wedi'i ddedfrydu",
    "wedi'u harestio",
    "wedi'u cyhuddo",
    "wedi'u carcharu",
];

/// Whether `p` is described as the suspect or accused: a verb of arrest, charge or
/// sentence follows the name (after an optional ", 34, of Mill Lane, Town,"), or
/// "arrested/charged" comes straight before it.
fn is_suspect(ctx: &Ctx<'_>, p: &Person) -> bool {
    let text = ctx.text;
    let (_, sent_end) = ctx.sentence_at(p.start);
    let after = &text[p.end..sent_end.max(p.end)];
    let after = &after[..floor_boundary(after, 140)];
    let lower = after.to_ascii_lowercase();
    // Skip an appositive (", 34, of Mill Lane, Anytown,") to reach the verb.
    let verb_zone = match lower.strip_prefix(',') {
        Some(_) => lower.as_str(),
        None => lower.get(..lower.len().min(30)).unwrap_or(""),
    };
    if SUSPECT_AFTER.iter().any(|v| verb_zone.contains(v)) {
        return true;
    }
    // "Gavin Roe, 52, of Glanrafon, ..." in a post about a case that has a suspect: the
    // age-and-town appositive is how releases name the accused (the complainant is never
    // given one), unless a victim word is near.
    let has_suspect = matches!(
        ctx.draft.context.case_status,
        CaseStatus::Arrested | CaseStatus::Charged | CaseStatus::Convicted
    );
    let with_town = lower
        .splitn(3, ',')
        .nth(2)
        .map(str::trim_start)
        .is_some_and(|rest| ["of ", "from ", "o "].iter().any(|w| rest.starts_with(w)));
    if has_suspect && age_appositive(&lower) && (with_town || !victim_word_near(ctx, p.start)) {
        return true;
    }
    let before = &text[ceil_boundary(text, p.start.saturating_sub(40))..p.start];
    let bl = before.to_ascii_lowercase();
    // "Police have named the man arrested over the death as Robert Hughes" and "the
    // 16-year-old arrested ... is Kieran Hughes".
    let (ss, _) = ctx.sentence_at(p.start);
    let lead = text[ss..p.start].to_ascii_lowercase();
    if (bl.ends_with(" as ") || bl.ends_with(" is ") || bl.ends_with(" was "))
        && [
            "arrested", "charged", "detained", "suspect", "wanted", "accused",
        ]
        .iter()
        .any(|w| lead.contains(w))
    {
        return true;
    }
    [
        "arrested ",
        "charged ",
        "jailed ",
        "sentenced ",
        "convicted ",
        "wanted man ",
        "suspect ",
        "defendant ",
        "accused ",
    ]
    .iter()
    .any(|v| {
        bl.ends_with(v)
            || bl.trim_end().ends_with(v.trim_end()) && bl.trim_end().len() + 2 >= bl.len()
    })
}

/// Whether text after a name starts with an age appositive: ", 52," or ", aged 52,".
fn age_appositive(after: &str) -> bool {
    let Some(rest) = after.strip_prefix(',') else {
        return false;
    };
    let rest = rest.trim_start();
    let rest = rest.strip_prefix("aged ").unwrap_or(rest);
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (1..=2).contains(&digits) && rest[digits..].trim_start().starts_with(',')
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// A name followed by "said"/"added" is someone quoted: a spokesperson or partner.
fn is_quoted(ctx: &Ctx<'_>, p: &Person) -> bool {
    let after = &ctx.text[p.end..];
    let after = &after[..floor_boundary(after, 60)].to_ascii_lowercase();
    let after = after.trim_start_matches([',', ' ']);
    [
        "said",
        "says",
        "added",
        "explained",
        "from the",
        "of the charity",
        "chief executive",
        "manager at",
        "who leads",
        "who runs",
        "head of",
    ]
    .iter()
    .any(|w| after.starts_with(w))
        || super::before_lower(ctx.text, p.start)
            .trim_end()
            .ends_with("said")
}

/// Within `(s, e)`, is there a victim word close before `pos`?
fn victim_word_near(ctx: &Ctx<'_>, pos: usize) -> bool {
    let s = pos.saturating_sub(50);
    let s = ceil_boundary(ctx.text, s);
    ctx.lex.get("victim_words").is_match(&ctx.text[s..pos])
}

/// Whether a span sits inside the accused's appositive address ("Name, 34, of X Road").
fn belongs_to_suspect(ctx: &Ctx<'_>, suspects: &[&Person], start: usize) -> bool {
    suspects.iter().any(|p| {
        p.end <= start && start - p.end <= 40 && {
            let between = &ctx.text[p.end..start];
            between.contains(" of ") || between.contains(" from ")
        }
    }) || {
        let before = &ctx.text[ceil_boundary(ctx.text, start.saturating_sub(40))..start]
            .to_ascii_lowercase();
        before.contains("year-old man of ")
            || before.contains("year-old woman of ")
            || before.ends_with(" of ") && before.contains(", ")
    }
}

pub(crate) fn victim_identity(engine: &Engine, ctx: &Ctx<'_>, out: &mut Emitter<'_>) {
    if !ctx.sexual || ctx.draft.context.anonymity_waiver {
        return;
    }
    let text = ctx.text;
    let lex = &ctx.lex;
    let suspects: Vec<&Person> = ctx
        .people
        .iter()
        .filter(|p| !p.officer && is_suspect(ctx, p))
        .collect();
    let mut elements: Vec<(&str, usize, usize)> = Vec::new();

    for p in ctx.people.iter().filter(|p| !p.officer) {
        if suspects.iter().any(|s| s.start == p.start) {
            continue;
        }
        if is_quoted(ctx, p) && !victim_word_near(ctx, p.start) {
            continue;
        }
        out.emit("victim-named", p.start, p.end, &text[p.start..p.end]);
    }
    // A lone given name tied to the complainant: "the complainant, Jessica," or "a woman
    // named Sophie".
    for c in engine.core.pats.named_after.captures_iter(text) {
        let Some(name) = c.get(1) else { continue };
        let lead = c.get(0).map_or("", |m| m.as_str()).to_ascii_lowercase();
        let strong = !(lead.starts_with("is") || lead.starts_with("was"));
        // After "named as" or "called" any capitalised word is a name; after "the
        // victim," only a known given name is (it could be "the victim, Police said").
        let naming = lead.starts_with("named")
            || lead.starts_with("called")
            || lead.starts_with("identified");
        let stop = [
            "Police",
            "Officers",
            "Detectives",
            "The",
            "A",
            "An",
            "She",
            "He",
            "They",
            "It",
            "We",
            "Our",
        ];
        if strong
            && (engine.core.pats.first_names.contains(name.as_str())
                || (naming && !stop.contains(&name.as_str())))
            && !ctx
                .people
                .iter()
                .any(|p| p.start <= name.start() && name.start() < p.end && p.officer)
        {
            out.emit("victim-named", name.start(), name.end(), name.as_str());
        }
    }
    for m in lex.get("relationships").find_iter(text) {
        let before = &text[ceil_boundary(text, m.start().saturating_sub(40))..m.start()]
            .to_ascii_lowercase();
        let possessive = before.ends_with("his ")
            || before.ends_with("her ")
            || before.ends_with("their ")
            || before.ends_with("his own ")
            || before.ends_with("'s ")
            || before.ends_with("a former ")
            || before.ends_with("his former ")
            || before.ends_with("her former ");
        // "The girl's father asked for privacy" is the victim's own family speaking,
        // not a relationship to the accused.
        let victims_own = [
            "girl's ",
            "woman's ",
            "boy's ",
            "victim's ",
            "child's ",
            "complainant's ",
            "teenager's ",
            "survivor's ",
            "man's ",
        ]
        .iter()
        .any(|w| before.ends_with(w));
        let possessive = possessive && !victims_own;
        // "mother of two" and "a family member" are descriptions, not relationships to
        // the accused; only possessives tie the victim to a known person.
        if possessive {
            let s = before.rfind(' ').map_or(m.start(), |_| {
                let w = before.trim_end().rfind(' ').map_or(0, |i| i + 1);
                m.start() - (before.len() - w)
            });
            out.emit("victim-relationship", s, m.end(), &text[s..m.end()]);
            elements.push(("relationship", s, m.end()));
        }
    }
    // "a boy he coached", "a girl she taught": the relationship names the victim to
    // everyone at the club or school.
    for m in lex.get("relationship_clause").find_iter(text) {
        out.emit(
            "victim-relationship",
            m.start(),
            m.end(),
            &text[m.start()..m.end()],
        );
        elements.push(("relationship", m.start(), m.end()));
    }
    for m in lex.get("workplace").find_iter(text) {
        out.emit(
            "victim-school-or-work",
            m.start(),
            m.end(),
            &text[m.start()..m.end()],
        );
        elements.push(("workplace", m.start(), m.end()));
    }
    for m in engine.core.pats.school.find_iter(text) {
        out.emit(
            "victim-school-or-work",
            m.start(),
            m.end(),
            &text[m.start()..m.end()],
        );
        elements.push(("school", m.start(), m.end()));
    }
    for m in engine
        .core
        .pats
        .house_address
        .find_iter(if ctx.digits >= 1 { text } else { "" })
    {
        if belongs_to_suspect(ctx, &suspects, m.start()) {
            continue;
        }
        out.emit(
            "victim-address",
            m.start(),
            m.end(),
            &text[m.start()..m.end()],
        );
    }
    for m in lex.get("home_words").find_iter(text) {
        // "lives in" + a street or a small local place identifies; "lives in Leeds" does not.
        let (_, se) = ctx.sentence_at(m.start());
        let tail = &text[m.end()..se.max(m.end())];
        let tail = &tail[..floor_boundary(tail, 50)];
        let place = engine
            .core
            .pats
            .street
            .find(tail)
            .map(|x| x.end())
            .or_else(|| {
                engine
                    .force
                    .places
                    .as_ref()
                    .and_then(|r| r.find(tail))
                    .map(|x| x.end())
            });
        if let Some(pe) = place {
            if !belongs_to_suspect(ctx, &suspects, m.start()) {
                out.emit(
                    "victim-address",
                    m.start(),
                    m.end() + pe,
                    &text[m.start()..m.end() + pe],
                );
            }
        }
    }
    // Jigsaw: an exact age for the victim plus a street or local place, or plus a
    // personal descriptor. Each is releasable alone; together they point at one person.
    for m in engine.core.pats.age.find_iter(text) {
        if suspects
            .iter()
            .any(|p| m.start() >= p.end && m.start() - p.end < 6)
        {
            continue;
        }
        let after = &text[m.end()..];
        let after = after[..floor_boundary(after, 20)].to_ascii_lowercase();
        if after.starts_with(" man") && !after.starts_with(" many") {
            continue;
        }
        elements.push(("age", m.start(), m.end()));
    }
    for m in engine.core.pats.street.find_iter(text) {
        if !belongs_to_suspect(ctx, &suspects, m.start()) {
            elements.push(("street", m.start(), m.end()));
        }
    }
    if let Some(places) = &engine.force.places {
        for m in places.find_iter(text) {
            elements.push(("local place", m.start(), m.end()));
        }
    }
    let kinds: std::collections::BTreeSet<&str> = elements.iter().map(|e| e.0).collect();
    if kinds.len() >= 2 && kinds.contains("age") {
        let s = elements.iter().map(|e| e.1).min().unwrap_or(0);
        let e = elements.iter().map(|e| e.2).max().unwrap_or(0);
        let words: Vec<String> = elements
            .iter()
            .map(|e| format!("\"{}\"", &text[e.1..e.2]))
            .collect();
        out.emit("victim-jigsaw", s, e, &words.join(", "));
    }
}

pub(crate) fn child_identity(engine: &Engine, ctx: &Ctx<'_>, out: &mut Emitter<'_>) {
    if ctx
        .draft
        .context
        .court_order_ref
        .as_deref()
        .is_some_and(|r| !r.trim().is_empty())
    {
        return;
    }
    let text = ctx.text;
    let lex = &ctx.lex;
    let suspect = lex.get("suspect_role").is_match(text);
    let victim = lex.get("victim_role").is_match(text) || ctx.sexual;
    let witness = lex.get("witness_role").is_match(text);
    if !(suspect || victim || witness) {
        return;
    }
    // Missing-child appeals and family tributes naming a child are normal practice,
    // unless the same post also makes a child a suspect.
    if ctx.missing_or_tribute && !suspect {
        return;
    }

    let child_ages: Vec<(usize, usize, u32)> = engine
        .core
        .pats
        .age
        .captures_iter(text)
        .filter_map(|c| {
            let m = c.get(0)?;
            let age = c
                .get(1)
                .or(c.get(2))
                .and_then(|a| a.as_str().parse::<u32>().ok());
            let age = match age {
                Some(a) => a,
                None if c.get(3).is_some() => 15,
                None if c.get(4).is_some() => 12,
                None => 16, // "under 18"
            };
            (age < 18).then_some((m.start(), m.end(), age))
        })
        .collect();

    let mut named_any = false;
    for p in ctx.people.iter().filter(|p| !p.officer) {
        // "Neil Ambrose, 58," is an adult, whatever the post says about children.
        if p.age.is_some_and(|a| a >= 18) {
            continue;
        }
        let named_child = p.age.is_some_and(|a| a < 18) || {
            let before = &text[ceil_boundary(text, p.start.saturating_sub(28))..p.start];
            lex.get("child_nouns").is_match(before)
                || child_ages.iter().any(|&(_, e, _)| {
                    e <= p.start && p.start - e <= 16 && !text[e..p.start].contains('.')
                })
                || child_ages
                    .iter()
                    .any(|&(s, _, _)| s >= p.end && s - p.end <= 3)
                // "The 14-year-old boy stabbed on Saturday is Jayden Price": an un-aged
                // name in the same sentence as a child's age, introduced as that child.
                || (p.age.is_none() && {
                    let (ss, se) = ctx.sentence_at(p.start);
                    let before = text[ss..p.start].to_ascii_lowercase();
                    child_ages.iter().any(|&(s, _, _)| s >= ss && s < se)
                        && [" is ", " was ", " as ", "named ", "called "]
                            .iter()
                            .any(|w| before.ends_with(w))
                })
        };
        if !named_child {
            continue;
        }
        // A missing child who is also in a post about a suspect is still the missing
        // child, not the suspect; only the suspect's name is the problem.
        if ctx.missing_or_tribute && !is_suspect(ctx, p) {
            continue;
        }
        named_any = true;
        out.emit("child-named", p.start, p.end, &text[p.start..p.end]);
    }
    if named_any {
        return;
    }
    // Not named, but identifiable: a child in the post plus a school, a street address
    // or a parent's name, in the same or a neighbouring sentence.
    let child_mentions: Vec<(usize, usize)> = child_ages
        .iter()
        .map(|&(s, e, _)| (s, e))
        .chain(
            lex.get("child_nouns")
                .find_iter(text)
                .map(|m| (m.start(), m.end())),
        )
        .collect();
    for (cs, _) in child_mentions {
        let (ws, we) = ctx.window_at(cs);
        let window = &text[ws..we];
        let found = engine
            .core
            .pats
            .school
            .find(window)
            .or_else(|| engine.core.pats.house_address.find(window))
            .or_else(|| {
                // A parent or relative named: "son of Dave Hughes", "her mother, Claire Owen".
                ctx.lex.get("relationships").find_iter(window).find(|m| {
                    let at = ws + m.end();
                    ctx.people
                        .iter()
                        .any(|p| !p.officer && p.start >= at && p.start <= at + 6)
                })
            });
        if let Some(m) = found {
            out.emit(
                "child-identifiable",
                ws + m.start(),
                ws + m.end(),
                &window[m.start()..m.end()],
            );
            return;
        }
    }
}

pub(crate) fn contempt(ctx: &Ctx<'_>, out: &mut Emitter<'_>) {
    let text = ctx.text;
    let lex = &ctx.lex;
    let suspects: Vec<&Person> = ctx
        .people
        .iter()
        .filter(|p| !p.officer && is_suspect(ctx, p))
        .collect();
    let has_exception = ctx
        .draft
        .context
        .naming_exception
        .as_deref()
        .is_some_and(|r| !r.trim().is_empty());
    let wanted = lex.get("wanted_appeal").is_match(text);
    let cautioned = lex.get("caution").is_match(text);

    for p in &suspects {
        let words = &text[p.start..p.end];
        if p.age.is_some_and(|a| a < 18) || out.has("child-named", p.start, p.end) {
            continue; // child-identity owns this
        }
        if cautioned {
            out.emit("named-after-caution", p.start, p.end, words);
        } else if ctx.status == CaseStatus::Arrested && !has_exception && !wanted {
            out.emit("named-on-arrest", p.start, p.end, words);
        } else if ctx.status == CaseStatus::Charged && !has_exception {
            out.emit("named-after-charge", p.start, p.end, words);
        }
    }

    // Photos where identification may be in issue: a picture of the accused while
    // proceedings are active can prejudice identification evidence.
    if ctx.active() && !ctx.draft.media.is_empty() && !wanted && !ctx.appeal {
        out.emit_orig("image-while-active", 0, 0, "", None, None);
    }
    if ctx.active() {
        for m in lex.get("prejudicial").find_iter(text) {
            let w = &text[m.start()..m.end()];
            if w.eq_ignore_ascii_case("guilty") {
                let before = super::before_lower(text, m.start());
                let before = before.trim_end();
                if [
                    "not",
                    "pleaded",
                    "pled",
                    "plead",
                    "found",
                    "pleading",
                    "plea of",
                    "deny being",
                    "denied being",
                    "denies being",
                    "plead not",
                ]
                .iter()
                .any(|w| before.ends_with(w))
                {
                    continue;
                }
                // A verdict reported as such ("Jury finds X guilty of ...", "guilty on
                // all counts"): the releasable outcome, not the force's opinion.
                let after = super::after_lower(text, m.end());
                let (ss, _) = ctx.sentence_at(m.start());
                let lead = text[ss..m.start()].to_ascii_lowercase();
                if after.trim_start().starts_with("on all counts")
                    || after.trim_start().starts_with("verdict")
                    || ["jury", "finds", "found", "convicted", "verdict", "court"]
                        .iter()
                        .any(|w| lead.contains(w))
                {
                    continue;
                }
            }
            out.emit("prejudicial-comment", m.start(), m.end(), w);
        }
        for (list, rule) in [
            ("previous_convictions", "previous-convictions"),
            ("confession", "confession"),
            ("evidence_comment", "evidence-comment"),
        ] {
            for m in lex.get(list).find_iter(text) {
                let w = &text[m.start()..m.end()];
                if rule == "confession"
                    && text[m.end()..]
                        .to_ascii_lowercase()
                        .trim_start()
                        .starts_with("hospital")
                {
                    continue;
                }
                out.emit(rule, m.start(), m.end(), w);
            }
        }
    }
    if matches!(ctx.status, CaseStatus::Acquitted | CaseStatus::Nfa) {
        for list in ["after_acquittal_guilt", "prejudicial"] {
            for m in lex.get(list).find_iter(text) {
                let w = &text[m.start()..m.end()];
                if w.eq_ignore_ascii_case("guilty") {
                    continue;
                }
                out.emit("after-acquittal", m.start(), m.end(), w);
            }
        }
    }
}
