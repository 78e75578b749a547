//! The people a linked case records. A case tells the check who its complainant,
//! suspect and witnesses are, so a name is recognised however it is written — a first
//! name alone, a surname alone — where the general name finder could not know that
//! "Sophie" is the complainant of a sexual offence.

use super::Ctx;
use crate::engine::Emitter;
use crate::model::{CasePerson, CaseRole, CaseStatus};

/// Name parts shorter than this ("Al", "Jo") match too much ordinary text to be
/// recognised alone; the full name still is.
const MIN_PART: usize = 3;

pub(crate) fn people(ctx: &Ctx<'_>, out: &mut Emitter<'_>) {
    let context = &ctx.draft.context;
    let given = |s: &Option<String>| s.as_deref().is_some_and(|r| !r.trim().is_empty());
    for person in &context.people {
        let Some(rule) = rule_for(ctx, person, given(&context.court_order_ref)) else {
            continue;
        };
        let waived = match rule {
            "case-complainant-named" => context.anonymity_waiver,
            "case-suspect-named-on-arrest" => given(&context.naming_exception),
            "case-person-named" => given(&context.disclosure_purpose),
            _ => false,
        };
        if waived {
            continue;
        }
        for (start, end) in mentions(ctx.text, &person.name) {
            out.emit(rule, start, end, &ctx.text[start..end]);
        }
    }
}

/// Which rule a mention of this person breaks, if any.
fn rule_for(ctx: &Ctx<'_>, person: &CasePerson, court_order: bool) -> Option<&'static str> {
    if person.age.is_some_and(|age| age < 18) && !court_order {
        return Some("case-child-named");
    }
    match person.role {
        CaseRole::Complainant if ctx.sexual => Some("case-complainant-named"),
        CaseRole::Suspect if ctx.status == CaseStatus::Arrested => {
            Some("case-suspect-named-on-arrest")
        }
        CaseRole::Suspect => None,
        CaseRole::Complainant | CaseRole::Witness => Some("case-person-named"),
    }
}

/// Where the name, or any capitalised part of it of [`MIN_PART`] letters or more,
/// stands as a whole word in the text. Case matters for the parts ("Rose" the
/// witness, not "rose" the verb) but not for the full name ("JAKE SMITH").
fn mentions(text: &str, name: &str) -> Vec<(usize, usize)> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Vec::new();
    }
    let mut found = Vec::new();
    let lower_text = text.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; match case-insensitively
    // only when it does not, so offsets stay true.
    if lower_text.len() == text.len() {
        found.extend(whole_words(&lower_text, &name.to_lowercase()));
    }
    for part in name.split(' ').filter(|p| p.chars().count() >= MIN_PART) {
        found.extend(whole_words(text, part));
    }
    found.sort_unstable();
    found.dedup();
    found
}

fn whole_words(text: &str, word: &str) -> Vec<(usize, usize)> {
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(word)
        .map(|(start, m)| (start, start + m.len()))
        .filter(|&(start, end)| {
            !is_word(text[..start].chars().next_back()) && !is_word(text[end..].chars().next())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_full_name_and_parts_as_whole_words() {
        let text = "Sophie was there. sophie smith and SOPHIE SMITH. Sophiee no. Smith's van.";
        let found: Vec<&str> = mentions(text, "Sophie Smith")
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect();
        assert!(found.contains(&"Sophie"));
        assert!(found.contains(&"sophie smith"));
        assert!(found.contains(&"SOPHIE SMITH"));
        assert!(!found.iter().any(|w| w.starts_with("Sophiee")));
        // A possessive still names the person.
        assert!(found.contains(&"Smith"));
    }

    #[test]
    fn short_parts_alone_are_not_names() {
        assert!(mentions("Al went out", "Al Jones").is_empty());
        assert_eq!(mentions("al jones went out", "Al Jones"), vec![(0, 8)]);
    }
}
