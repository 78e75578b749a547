//! Recognising people's names in a draft, and telling officers from members of the
//! public.
//!
//! There is no language model here, on purpose: the check must be fast, explainable and
//! deterministic. A name is a known given name followed by one or two capitalised
//! surnames ("Jake Smith", "Mark EVANS"), an honorific and a surname ("Mrs Patel"), or a
//! lone given name with an age attached ("Sophie, 14,"). A name straight after a rank
//! ("PC Kate Parker", "Detective Sergeant Ali Khan") is an officer's.

use std::collections::HashSet;

const FIRST_NAMES: &str = include_str!("../data/first_names.txt");

pub(crate) fn first_names() -> HashSet<&'static str> {
    FIRST_NAMES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Capitalised words that end a name: the name was part of a place or organisation.
const STOP_AFTER: &[&str] = &[
    "Road",
    "Street",
    "Lane",
    "Avenue",
    "Close",
    "Drive",
    "Way",
    "Crescent",
    "Gardens",
    "Grove",
    "Place",
    "Terrace",
    "Court",
    "Walk",
    "Hill",
    "Park",
    "Rise",
    "View",
    "Mews",
    "Square",
    "Row",
    "Green",
    "Parade",
    "Police",
    "Station",
    "Centre",
    "Center",
    "Hospital",
    "School",
    "Academy",
    "College",
    "University",
    "Church",
    "Hall",
    "House",
    "Bridge",
    "Estate",
    "Community",
    "Team",
    "Unit",
    "Day",
    "Week",
    "Month",
    "Appeal",
    "Trust",
    "Foundation",
    "Fund",
    "Award",
    "Awards",
    "Cup",
    "League",
    "Club",
    "Ward",
    "Airport",
    "Arena",
    "Stadium",
    "Theatre",
    "Museum",
    "Library",
    "Primary",
    "High",
    "Infants",
    "Juniors",
    "Nursery",
    "Cathedral",
    "Abbey",
    "Castle",
    "Bay",
    "Beach",
    "Harbour",
    "Services",
    "Council",
    "Borough",
    "County",
    "Crown",
    "Magistrates",
    "Memorial",
    "Recreation",
    "Leisure",
    "Medical",
    "Surgery",
    "Market",
    "Quay",
    "Wharf",
    "Dock",
    "Lodge",
    "Inn",
    "Arms",
    "Hotel",
    "Shopping",
    "Retail",
    "Industrial",
    "Business",
    "Village",
    "Town",
    "City",
    "Valley",
    "Wood",
    "Woods",
    "Forest",
    "Common",
    "Heath",
    "Moor",
    "Fields",
    "Meadow",
    "Meadows",
    "Prison",
    "Barracks",
    "Cross",
    "Junction",
    "Roundabout",
    "Motorway",
];

/// Ranks and titles that mark the following name as an officer's or staff member's.
const RANKS: &[&str] = &[
    "PC",
    "PCSO",
    "DC",
    "DS",
    "DI",
    "DCI",
    "DSI",
    "DCS",
    "Supt",
    "Superintendent",
    "Sgt",
    "Sergeant",
    "PS",
    "Constable",
    "Inspector",
    "Insp",
    "Detective",
    "Chief",
    "ACC",
    "DCC",
    "CC",
    "Commander",
    "Cmdr",
    "Commissioner",
    "Special",
    "SC",
    "Officer",
    "Acting",
    "Temporary",
    "T",
    "A",
    "Ch",
    "SPC",
    "PSE",
    "Investigator",
    "Staff",
    "Dispatcher",
    "Handler",
    "handler",
    "officer",
    "Sarge",
    "Cadet",
    "Marshal",
];

const HONORIFICS: &[&str] = &["Mr", "Mrs", "Ms", "Miss", "Mx", "Master", "Dr"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Person {
    /// Span in the normalised text.
    pub start: usize,
    pub end: usize,
    pub officer: bool,
    /// An age written right after the name: "Jake Smith, 15," or "Jake Smith (15)".
    pub age: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Tok {
    start: usize,
    end: usize,
}

fn tokens(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let word = c.is_ascii_alphabetic() || (c == '\'' && start.is_some());
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Tok { start: s, end: i });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(Tok {
            start: s,
            end: text.len(),
        });
    }
    // A trailing apostrophe belongs to the sentence, not the word ("Jones'").
    for t in &mut out {
        while t.end > t.start && text.as_bytes()[t.end - 1] == b'\'' {
            t.end -= 1;
        }
    }
    out.retain(|t| t.end > t.start);
    out
}

fn is_capitalised(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() >= 2 && b[0].is_ascii_uppercase() && b[1..].iter().any(u8::is_ascii_lowercase)
}

fn is_surname(w: &str) -> bool {
    let b = w.as_bytes();
    if b.len() < 2 || !b[0].is_ascii_uppercase() || STOP_AFTER.contains(&w) {
        return false;
    }
    // "Smith", "McDonald", "O'Neill", or the capitals some forces use: "EVANS".
    is_capitalised(w) || (b.len() >= 3 && b.iter().all(|c| c.is_ascii_uppercase()))
}

/// Only a single space or hyphen may sit between the parts of a name.
fn joined(text: &str, a: Tok, b: Tok) -> bool {
    let gap = &text[a.end..b.start];
    gap == " " || gap == "-"
}

fn age_after(text: &str, end: usize) -> Option<u32> {
    let rest = text.get(end..)?;
    let mut cut = rest.len().min(24);
    while !rest.is_char_boundary(cut) {
        cut -= 1;
    }
    let rest = &rest[..cut];
    let rest = rest
        .strip_prefix(", aged ")
        .or_else(|| rest.strip_prefix(" aged "))
        .or_else(|| rest.strip_prefix(", "))
        .or_else(|| rest.strip_prefix(" ("))?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 2 {
        return None;
    }
    let after = rest[digits.len()..].chars().next();
    if !matches!(after, Some(',' | ')' | ' ' | '.') | None) {
        return None;
    }
    // "Jake, 15 March" is a date, not an age.
    let tail = rest[digits.len()..].trim_start_matches([',', ' ']);
    if [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .any(|m| tail.starts_with(m))
    {
        return None;
    }
    digits.parse().ok()
}

pub(crate) fn find_people(text: &str, names: &HashSet<&'static str>) -> Vec<Person> {
    let toks = tokens(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        let w = &text[t.start..t.end];
        let honorific = HONORIFICS.contains(&w);
        let given = names.contains(w);
        if !honorific && !given {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        let mut parts = 0;
        while j < toks.len() && parts < 2 && joined(text, toks[j - 1], toks[j])
            || (honorific
                && j == i + 1
                && j < toks.len()
                && text[toks[i].end..toks[j].start] == *". ")
        {
            let s = &text[toks[j].start..toks[j].end];
            if !(is_surname(s) || names.contains(s)) {
                break;
            }
            parts += 1;
            j += 1;
        }
        // A given name followed by a stop word ("Victoria Road") is a place.
        if j < toks.len()
            && joined(text, toks[j - 1], toks[j])
            && STOP_AFTER.contains(&&text[toks[j].start..toks[j].end])
        {
            i = j + 1;
            continue;
        }
        let end = toks[j - 1].end;
        let age = age_after(text, end);
        let is_person = if honorific {
            parts >= 1
        } else {
            parts >= 1 || age.is_some()
        };
        if !is_person {
            i += 1;
            continue;
        }
        let officer = preceded_by_rank(text, &toks, i);
        // Enough people for any real post; bounds the rules' people-by-match loops.
        if out.len() >= 300 {
            break;
        }
        out.push(Person {
            start: t.start,
            end,
            officer,
            age,
        });
        i = j;
    }
    out
}

fn preceded_by_rank(text: &str, toks: &[Tok], i: usize) -> bool {
    // Look back over up to three words ("Detective Chief Inspector"), allowing the
    // "T/" and "A/" prefixes and a collar number ("PC 1234 Jones").
    let mut k = i;
    let mut seen = 0;
    while k > 0 && seen < 3 {
        let prev = toks[k - 1];
        let gap = &text[prev.end..toks[k].start];
        let gap_ok = gap == " "
            || gap == "/"
            || (gap.len() <= 8
                && gap.trim().chars().all(|c| c.is_ascii_digit())
                && gap.starts_with(' '));
        if !gap_ok {
            return false;
        }
        if RANKS.contains(&&text[prev.start..prev.end]) {
            return true;
        }
        k -= 1;
        seen += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(t: &str) -> Vec<(String, bool, Option<u32>)> {
        let names = first_names();
        find_people(t, &names)
            .into_iter()
            .map(|p| (t[p.start..p.end].to_string(), p.officer, p.age))
            .collect()
    }

    #[test]
    fn finds_a_named_member_of_the_public_with_age() {
        assert_eq!(
            people("Jake Smith, 15, of Mill Lane was arrested."),
            vec![("Jake Smith".into(), false, Some(15))]
        );
        assert_eq!(
            people("Mark EVANS (52) was jailed"),
            vec![("Mark EVANS".into(), false, Some(52))]
        );
    }

    #[test]
    fn recognises_officers_by_rank() {
        assert_eq!(
            people("PC Kate Parker said"),
            vec![("Kate Parker".into(), true, None)]
        );
        assert_eq!(
            people("Detective Chief Inspector Ali Khan"),
            vec![("Ali Khan".into(), true, None)]
        );
        assert_eq!(
            people("PC 1234 Sam Jones"),
            vec![("Sam Jones".into(), true, None)]
        );
    }

    #[test]
    fn honorifics_make_names_and_places_do_not() {
        assert_eq!(
            people("Mrs Patel called us"),
            vec![("Mrs Patel".into(), false, None)]
        );
        assert!(people("Closed on Victoria Road tonight").is_empty());
        assert!(people("The Poppy Appeal launched").is_empty());
    }

    #[test]
    fn a_lone_given_name_needs_an_age() {
        assert!(people("Thanks Sophie for the cake").is_empty());
        assert_eq!(
            people("Sophie, 14, is missing"),
            vec![("Sophie".into(), false, Some(14))]
        );
        assert!(people("On Sophie, 14 March").is_empty());
    }
}
