//! Which language a post is written in, as BCP 47 tags for the networks that
//! label posts (Bluesky's `langs`, the fediverse's `contentMap`).
//!
//! Forces in Wales post in Welsh, in English, or in both in one post. Readers
//! filter their feeds by language, so a Welsh post labelled `en` is hidden from
//! the people it was written for. Officers do not pick a language when they
//! write; the text decides, by counting words that only one of the two languages
//! uses often. Anything that is not clearly Welsh is English (the forces this
//! serves write in one or both).

/// Common Welsh words that are not also common English words ("a", "i", "o",
/// "am" and "at" are both, so they are left out).
const WELSH: &[&str] = &[
    "yn",
    "yr",
    "y",
    "mae",
    "ac",
    "ar",
    "gyda",
    "ein",
    "eich",
    "chi",
    "ni",
    "wedi",
    "bod",
    "hwn",
    "hon",
    "gan",
    "os",
    "neu",
    "ydy",
    "oes",
    "roedd",
    "diolch",
    "heddiw",
    "sydd",
    "hefyd",
    "ond",
    "fel",
    "dros",
    "rydym",
    "rydyn",
    "byddwn",
    "cysylltwch",
    "ffoniwch",
    "gwybodaeth",
    "heddlu",
    "cymorth",
    "yng",
    "ym",
    "i'r",
    "o'r",
    "a'r",
    "pob",
    "plant",
    "lleol",
    "ardal",
    "ffordd",
    "bore",
    "nos",
    "da",
    "hyn",
    "pan",
    "mewn",
    "ei",
    "eu",
    "fy",
    "dy",
    "ry'n",
    "dydd",
    "wrth",
    "rhaid",
    "angen",
    "gallwch",
    "ddim",
];

/// Common English words that Welsh text does not use.
const ENGLISH: &[&str] = &[
    "the", "and", "to", "of", "is", "we", "you", "for", "on", "with", "in", "our", "please",
    "this", "are", "be", "have", "if", "it", "that", "was", "your", "will", "from", "by", "us",
    "has", "been", "they", "not", "can", "an", "or", "there", "what", "were", "today",
];

/// The post's languages, most-used first: `["cy"]`, `["en"]`, or both for a
/// bilingual post (each at least a quarter of the telling words).
pub fn of_text(text: &str) -> Vec<&'static str> {
    let (mut welsh, mut english) = (0usize, 0usize);
    for word in text
        .split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
    {
        let word = word.to_lowercase().replace('’', "'");
        if WELSH.contains(&word.as_str()) {
            welsh += 1;
        } else if ENGLISH.contains(&word.as_str()) {
            english += 1;
        }
    }
    let total = welsh + english;
    if total == 0 || welsh < 2 {
        return vec!["en"];
    }
    let quarter = |n: usize| n * 4 >= total;
    match (quarter(welsh), quarter(english) && english >= 2) {
        (true, true) if welsh >= english => vec!["cy", "en"],
        (true, true) => vec!["en", "cy"],
        (true, false) => vec!["cy"],
        _ => vec!["en"],
    }
}

#[cfg(test)]
mod tests {
    use super::of_text;

    #[test]
    fn english_welsh_and_both_are_told_apart() {
        assert_eq!(
            of_text("We are in the town centre today if you want a chat."),
            ["en"]
        );
        assert_eq!(
            of_text("Diolch i bawb a ddaeth i'r cyfarfod heddiw. Mae'r swyddogion yn yr ardal."),
            ["cy"]
        );
        assert_eq!(
            of_text(
                "Diolch! Rydym yn yr ardal heddiw, dewch i ddweud helo. \
                 We are in the area today, come and say hello."
            ),
            ["cy", "en"]
        );
    }

    #[test]
    fn a_welsh_place_name_does_not_make_english_welsh() {
        assert_eq!(
            of_text("Road closed at Llanfair ym Muallt after a collision. Please avoid the area."),
            ["en"]
        );
        assert_eq!(of_text(""), ["en"]);
        assert_eq!(of_text("🚓🚓"), ["en"]);
    }
}
