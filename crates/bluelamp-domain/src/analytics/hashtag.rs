//! Hashtags: one comparison key per tag, however it was typed.
//!
//! Campaign reports count posts per hashtag. Officers type tags in mixed case,
//! phones substitute fullwidth characters, text pasted from other apps carries
//! invisible zero-width characters, and spammers (or a mistyped keyboard layout)
//! slip in Cyrillic or Greek letters that look Latin. If each of those counted as
//! a separate tag, "#Tweetathon2026" would be split over several rows and every
//! figure in the campaign report would be low. The key folds them together;
//! [`display`] keeps what the person actually typed for showing back.
//!
//! Diacritics are deliberately kept: Welsh "ŵ" and "ŷ" are letters in their own
//! right, and folding "#Diogelwch" variants onto English spellings would merge
//! tags that are genuinely different.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Longest key accepted, in characters. Long enough for any real campaign tag,
/// short enough that a pasted paragraph is not mistaken for one.
const MAX_CHARS: usize = 100;

/// Characters that render as nothing (zero-width space, joiners, word joiner,
/// byte-order mark, variation selectors, soft hyphen). They make two tags that
/// look identical compare different, so they are dropped from keys.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{FE00}'..='\u{FE0F}' | '\u{00AD}'
    )
}

fn is_hash(c: char) -> bool {
    c == '#' || c == '＃'
}

/// Letters from other scripts that are drawn like Latin letters, mapped to the
/// Latin letter they imitate. Applied after lowercasing, so only lower case is
/// listed.
fn confusable(c: char) -> char {
    match c {
        // Cyrillic
        'а' => 'a',
        'в' => 'b',
        'е' => 'e',
        'к' => 'k',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'т' => 't',
        'у' => 'y',
        'х' => 'x',
        'і' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        'ԁ' => 'd',
        'ԛ' => 'q',
        'ԝ' => 'w',
        // Greek
        'α' => 'a',
        'β' => 'b',
        'ε' => 'e',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        // Turkish dotless i
        'ı' => 'i',
        other => other,
    }
}

/// Letters, digits and '_'. Combining marks are also accepted, but only after
/// one of these (see [`is_valid`] and [`keys_in`]): a decomposed "w" + U+0302 is
/// the Welsh letter "ŵ", which NFKC recomposes, and without the mark such a tag
/// would be cut short at the "w".
fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Strips surrounding space (and invisible characters, such as the byte-order
/// mark text pasted from a file can start with) and one leading '#', ASCII or
/// fullwidth.
fn strip_hash(tag: &str) -> &str {
    let tag = tag.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    let mut chars = tag.chars();
    match chars.next() {
        Some(c) if is_hash(c) => chars.as_str(),
        _ => tag,
    }
}

/// Whether `text` may stand as a tag: 1..=100 characters, only tag characters
/// (or combining marks following one), and at least one letter so that "#1" or
/// "#2026" in running text is not taken for a campaign tag.
fn is_valid(text: &str) -> bool {
    let mut count = 0;
    let mut has_letter = false;
    let mut previous_ok = false;
    for c in text.chars() {
        count += 1;
        if is_tag_char(c) {
            has_letter |= c.is_alphabetic();
            previous_ok = true;
        } else if !(previous_ok && is_combining_mark(c)) {
            return false;
        }
    }
    (1..=MAX_CHARS).contains(&count) && has_letter
}

/// The comparison key of a hashtag, with or without its '#'.
///
/// Case, fullwidth forms, ligatures, invisible characters and common Cyrillic
/// and Greek lookalikes do not change the key. `None` if what is left is not a
/// tag (empty, over 100 characters, punctuation inside, or no letter at all).
pub fn key(tag: &str) -> Option<String> {
    let folded: String = strip_hash(tag)
        .nfkc()
        .filter(|&c| !is_invisible(c))
        .flat_map(char::to_lowercase)
        .map(confusable)
        .collect();
    // "İ" lowercases to "i" + U+0307 COMBINING DOT ABOVE; the dot adds nothing a
    // reader would see on a lower-case i, so it is dropped.
    let key = folded.replace("i\u{307}", "i");
    is_valid(&key).then_some(key)
}

/// The tag as the person typed it (trimmed, without the '#', invisible
/// characters removed), or `None` when [`key`] would reject it. Because both
/// reject the same inputs, `key(display(x)) == key(x)` whenever `display(x)` is
/// `Some`.
pub fn display(tag: &str) -> Option<String> {
    key(tag)?;
    Some(
        strip_hash(tag)
            .chars()
            .filter(|&c| !is_invisible(c))
            .collect(),
    )
}

/// The keys of every hashtag in free text, each once, in order of first use.
///
/// A tag starts at '#' (or '＃') at the beginning of the text or after a
/// character that is not a letter, digit or '_', so the fragment in
/// "https://x.org/page#top" and the "#" in "C#" do not count. It runs while the
/// characters are tag characters or invisible ones.
pub fn keys_in(text: &str) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut previous: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let at_boundary = previous.is_none_or(|p| !is_tag_char(p));
        previous = Some(c);
        if !(is_hash(c) && at_boundary) {
            continue;
        }
        let body_start = start + c.len_utf8();
        let mut body_end = body_start;
        let mut last_tag_char = false;
        while let Some(&(i, next)) = chars.peek() {
            let part_of_tag = is_tag_char(next)
                || is_invisible(next)
                || (last_tag_char && is_combining_mark(next));
            if !part_of_tag {
                break;
            }
            last_tag_char = is_tag_char(next) || is_combining_mark(next);
            body_end = i + next.len_utf8();
            previous = Some(next);
            chars.next();
        }
        let Some(body) = text.get(body_start..body_end) else {
            continue;
        };
        if let Some(k) = key(body) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_folds_case_and_hash() {
        assert_eq!(key("#Tweetathon2026").as_deref(), Some("tweetathon2026"));
        assert_eq!(key("  TWEETATHON2026 ").as_deref(), Some("tweetathon2026"));
        assert_eq!(key("＃Stay_Safe").as_deref(), Some("stay_safe"));
    }

    #[test]
    fn key_folds_fullwidth_and_ligatures() {
        assert_eq!(
            key("#ＴＷＥＥＴＡＴＨＯＮ2026").as_deref(),
            Some("tweetathon2026")
        );
        assert_eq!(key("#ﬁreSafety").as_deref(), Some("firesafety"));
        assert_eq!(key("#２０２６ｅ").as_deref(), Some("2026e"));
    }

    #[test]
    fn key_drops_invisible_characters() {
        assert_eq!(key("#Tweet\u{200B}athon").as_deref(), Some("tweetathon"));
        assert_eq!(
            key("\u{FEFF}#Safe\u{00AD}ty\u{FE0F}").as_deref(),
            Some("safety")
        );
        assert_eq!(key("#a\u{2060}b\u{200D}c").as_deref(), Some("abc"));
    }

    #[test]
    fn key_maps_lookalike_letters_to_latin() {
        // Cyrillic е and а, then Greek ο and ρ.
        assert_eq!(key("#tweеtаthon").as_deref(), Some("tweetathon"));
        assert_eq!(key("#ΡΟΛΙCE").as_deref(), Some("poλice"));
        assert_eq!(key("#НАСК").as_deref(), Some("hack"));
        assert_eq!(key("#ԁоԛѕ").as_deref(), Some("doqs"));
        assert_eq!(key("#İstanbul").as_deref(), Some("istanbul"));
        assert_eq!(key("#Istanbul"), key("#ıstanbul"));
    }

    #[test]
    fn key_keeps_welsh_letters() {
        assert_eq!(key("#Diogelwch").as_deref(), Some("diogelwch"));
        assert_eq!(key("#Dŵr").as_deref(), Some("dŵr"));
        // Decomposed w + circumflex recomposes to the same key.
        assert_eq!(key("#Dw\u{302}r"), key("#dŵr"));
        assert_ne!(key("#dŵr"), key("#dwr"));
    }

    #[test]
    fn key_rejects_what_is_not_a_tag() {
        assert_eq!(key(""), None);
        assert_eq!(key("#"), None);
        assert_eq!(key("##tag"), None);
        assert_eq!(key("#2026"), None);
        assert_eq!(key("#___"), None);
        assert_eq!(key("#two words"), None);
        assert_eq!(key("#semi;colon"), None);
        assert_eq!(key("#\u{200B}"), None);
        assert_eq!(key("#\u{301}a"), None);
        assert_eq!(key(&"a".repeat(101)), None);
        assert_eq!(key(&"a".repeat(100)), Some("a".repeat(100)));
    }

    #[test]
    fn display_keeps_what_was_typed() {
        assert_eq!(
            display(" #TweetAthon2026 ").as_deref(),
            Some("TweetAthon2026")
        );
        assert_eq!(display("＃ＳＡＦＥ").as_deref(), Some("ＳＡＦＥ"));
        assert_eq!(display("#Safe\u{200B}ty").as_deref(), Some("Safety"));
        assert_eq!(display("Dŵr").as_deref(), Some("Dŵr"));
        assert_eq!(display("#no way"), None);
        assert_eq!(display("#123"), None);
    }

    #[test]
    fn display_and_key_agree() {
        let inputs = [
            "#Tweetathon2026",
            "＃ＴＷＥＥＴＡＴＨＯＮ",
            "#tweеtathon",
            " #a\u{200B}b ",
            "#\u{200B}#x",
            "#﹟x",
            "#ΡΟΛΙCE",
            "#Dw\u{302}r",
            "#",
            "#1",
            "plain",
        ];
        for input in inputs {
            match display(input) {
                Some(shown) => assert_eq!(key(&shown), key(input), "{input:?}"),
                None => assert_eq!(key(input), None, "{input:?}"),
            }
        }
    }

    #[test]
    fn keys_in_finds_every_spelling_once() {
        let text = "Join #Tweetathon2026 today! #ＴＷＥＥＴＡＴＨＯＮ2026 \
                    and #tweеtathon2026 (#StaySafe, #staysafe).";
        assert_eq!(keys_in(text), vec!["tweetathon2026", "staysafe"]);
    }

    #[test]
    fn keys_in_ignores_url_fragments_and_mid_word_hashes() {
        assert_eq!(keys_in("see https://x.org/page#top"), Vec::<String>::new());
        assert_eq!(keys_in("we use C# and F#"), Vec::<String>::new());
        assert_eq!(keys_in("snake_#case"), Vec::<String>::new());
        assert_eq!(keys_in("(#ok)"), vec!["ok"]);
    }

    #[test]
    fn keys_in_stops_at_punctuation_and_skips_numbers() {
        assert_eq!(keys_in("#one,#two.#three!"), vec!["one", "two", "three"]);
        assert_eq!(keys_in("call 101 #1 priority"), Vec::<String>::new());
        assert_eq!(keys_in("##double"), vec!["double"]);
        assert_eq!(keys_in("#"), Vec::<String>::new());
        assert_eq!(keys_in(""), Vec::<String>::new());
    }

    #[test]
    fn keys_in_reads_through_invisible_characters_and_marks() {
        assert_eq!(keys_in("#Tweet\u{200B}athon now"), vec!["tweetathon"]);
        assert_eq!(
            keys_in("Cadw'n #Ddiogel, #Dw\u{302}r"),
            vec!["ddiogel", "dŵr"]
        );
        assert_eq!(keys_in("start#x #y"), vec!["y"]);
    }

    #[test]
    fn keys_in_skips_overlong_tags() {
        let text = format!("#{} #short", "a".repeat(150));
        assert_eq!(keys_in(&text), vec!["short"]);
    }
}
