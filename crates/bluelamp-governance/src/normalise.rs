//! Folding the draft into the form the rules match against, while remembering where
//! every byte came from.
//!
//! People who want to get a word past a filter hide it: a zero-width space inside
//! "r\u{200B}ape", a Cyrillic "а" in "rаpe", bidi overrides that reorder what is shown,
//! "𝐟𝐚𝐧𝐜𝐲" mathematical letters. The rules match the folded text, so these tricks do not
//! work, and the tricks are reported themselves. Every finding still points at the
//! author's original bytes through [`Normalised::orig_span`].

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// What kind of hidden or disguised character was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HiddenKind {
    /// Zero-width spaces, joiners between letters, soft hyphens, invisible fillers.
    ZeroWidth,
    /// Bidirectional overrides and isolates that change the order text is shown in.
    Bidi,
    /// A letter from another script that looks like a Latin one, inside a Latin word.
    Homoglyph,
    /// Control characters (other than newline and tab).
    Control,
    /// "Fancy" letters (mathematical, full-width, enclosed) and stacked combining marks.
    Styled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hidden {
    pub kind: HiddenKind,
    /// Original byte span.
    pub start: usize,
    pub end: usize,
}

/// Enough hidden characters to report on; past this many the verdict will not change.
const MAX_HIDDEN: usize = 10_000;

pub(crate) struct Normalised {
    /// The folded text (case preserved; rules use case-insensitive patterns where they
    /// want to).
    pub text: String,
    /// For each byte of `text`, the original byte span of the character it came from.
    src: Vec<(u32, u32)>,
    /// The text was copied unchanged (plain ASCII): offsets are the same on both sides.
    identity: bool,
    orig_len: usize,
    pub hidden: Vec<Hidden>,
}

impl Normalised {
    pub fn new(orig: &str) -> Normalised {
        // Most drafts are plain ASCII: nothing to fold, and byte i maps to byte i.
        if orig.bytes().all(|b| {
            b.is_ascii() && (!b.is_ascii_control() || b == b'\n' || b == b'\r' || b == b'\t')
        }) {
            return Normalised {
                text: orig.replace('\t', " "),
                src: Vec::new(),
                identity: true,
                orig_len: orig.len(),
                hidden: Vec::new(),
            };
        }
        let mut text = String::with_capacity(orig.len());
        let mut src: Vec<(u32, u32)> = Vec::with_capacity(orig.len());
        let mut hidden: Vec<Hidden> = Vec::new();
        let mut homoglyph_at: Vec<(usize, usize)> = Vec::new();
        let has_rtl = orig.chars().any(is_rtl_letter);
        let mut prev: Option<char> = None;
        let mut marks_in_row = 0usize;
        let mut chars = orig.char_indices().peekable();

        while let Some((i, c)) = chars.next() {
            let end = i + c.len_utf8();
            let next = chars.peek().map(|&(_, n)| n);
            let span = (i as u32, end as u32);
            let push = |text: &mut String, src: &mut Vec<(u32, u32)>, ch: char| {
                text.push(ch);
                for _ in 0..ch.len_utf8() {
                    src.push(span);
                }
            };
            if c.is_ascii() {
                marks_in_row = 0;
                if c == '\n' || c == '\t' || c == '\r' {
                    push(&mut text, &mut src, if c == '\t' { ' ' } else { c });
                } else if c.is_ascii_control() {
                    hidden.push(Hidden {
                        kind: HiddenKind::Control,
                        start: i,
                        end,
                    });
                    push(&mut text, &mut src, ' ');
                } else {
                    push(&mut text, &mut src, c);
                }
                prev = Some(c);
                continue;
            }
            let cp = c as u32;
            match cp {
                // Zero-width joiner and non-joiner: legitimate inside emoji sequences and
                // many scripts; an evasion trick only when they split a Latin word.
                0x200C | 0x200D => {
                    if prev.is_some_and(|p| p.is_ascii_alphanumeric())
                        && next.is_some_and(|n| n.is_ascii_alphanumeric())
                    {
                        hidden.push(Hidden {
                            kind: HiddenKind::ZeroWidth,
                            start: i,
                            end,
                        });
                    }
                    continue;
                }
                // A byte-order mark at the very start is an editor artefact, not a trick.
                0xFEFF if i == 0 => continue,
                0x200B
                | 0x2060..=0x2064
                | 0xFEFF
                | 0x180E
                | 0x00AD
                | 0x034F
                | 0x115F
                | 0x1160
                | 0x3164
                | 0xFFA0
                | 0x17B4
                | 0x17B5 => {
                    hidden.push(Hidden {
                        kind: HiddenKind::ZeroWidth,
                        start: i,
                        end,
                    });
                    continue;
                }
                0x202A..=0x202E | 0x2066..=0x2069 => {
                    hidden.push(Hidden {
                        kind: HiddenKind::Bidi,
                        start: i,
                        end,
                    });
                    continue;
                }
                // Marks that are normal in right-to-left text; suspicious only without it.
                0x200E | 0x200F | 0x061C => {
                    if !has_rtl {
                        hidden.push(Hidden {
                            kind: HiddenKind::Bidi,
                            start: i,
                            end,
                        });
                    }
                    continue;
                }
                // Variation selectors pick emoji or text presentation: harmless.
                0xFE00..=0xFE0F | 0xE0100..=0xE01EF => continue,
                // Tag characters belong in subdivision flags (🏴 England); elsewhere they
                // are invisible text.
                0xE0000..=0xE007F => {
                    let in_flag = prev.is_some_and(|p| {
                        p == '\u{1F3F4}' || (0xE0000..=0xE007F).contains(&(p as u32))
                    });
                    if !in_flag {
                        hidden.push(Hidden {
                            kind: HiddenKind::ZeroWidth,
                            start: i,
                            end,
                        });
                    } else {
                        prev = Some(c);
                    }
                    continue;
                }
                0x80..=0x9F => {
                    hidden.push(Hidden {
                        kind: HiddenKind::Control,
                        start: i,
                        end,
                    });
                    push(&mut text, &mut src, ' ');
                    prev = Some(' ');
                    continue;
                }
                _ => {}
            }
            if is_combining_mark(c) {
                // Accents are folded away so "Zoë" matches "Zoe"; a pile of them on one
                // letter ("Zalgo" text) is a disguise.
                marks_in_row += 1;
                if marks_in_row == 3 {
                    hidden.push(Hidden {
                        kind: HiddenKind::Styled,
                        start: i,
                        end,
                    });
                }
                continue;
            }
            marks_in_row = 0;
            if let Some(latin) = homoglyph(c) {
                homoglyph_at.push((i, end));
                push(&mut text, &mut src, latin);
                prev = Some(c);
                continue;
            }
            let folded = match c {
                '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '\u{FF07}' => Some('\''),
                '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' => Some('"'),
                '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => {
                    Some(' ')
                }
                '\u{2010}'..='\u{2015}' | '\u{2212}' => Some('-'),
                _ => None,
            };
            if let Some(f) = folded {
                push(&mut text, &mut src, f);
                prev = Some(c);
                continue;
            }
            if is_styled_letter(cp) {
                hidden.push(Hidden {
                    kind: HiddenKind::Styled,
                    start: i,
                    end,
                });
            }
            let mut any = false;
            decompose_compatible(c, |d| {
                if !is_combining_mark(d) {
                    any = true;
                    push(&mut text, &mut src, d);
                }
            });
            if !any {
                push(&mut text, &mut src, c);
            }
            prev = Some(c);
        }

        // A lookalike letter is only a trick inside a word that is otherwise Latin, or in
        // an all-lookalike word in a mostly Latin text ("ѕех" written wholly in Cyrillic).
        if !homoglyph_at.is_empty() {
            let latin_letters = orig.chars().filter(|c| c.is_ascii_alphabetic()).count();
            let other_letters = orig
                .chars()
                .filter(|c| c.is_alphabetic() && !c.is_ascii())
                .count();
            for (s, e) in homoglyph_at.into_iter().take(MAX_HIDDEN) {
                let (ws, we) = word_around(orig, s, e);
                let word = &orig[ws..we];
                let has_latin = word.chars().any(|c| c.is_ascii_alphabetic());
                let all_lookalike = word
                    .chars()
                    .all(|c| !c.is_alphabetic() || homoglyph(c).is_some());
                if has_latin || (all_lookalike && latin_letters > other_letters * 2) {
                    hidden.push(Hidden {
                        kind: HiddenKind::Homoglyph,
                        start: s,
                        end: e,
                    });
                }
            }
        }
        hidden.truncate(MAX_HIDDEN);
        hidden.sort_by_key(|h| h.start);
        Normalised {
            text,
            src,
            identity: false,
            orig_len: orig.len(),
            hidden,
        }
    }

    /// Maps a byte span of the folded text back to the original text.
    pub fn orig_span(&self, start: usize, end: usize) -> (usize, usize) {
        if self.identity {
            let s = start.min(self.orig_len);
            return (s, end.min(self.orig_len).max(s));
        }
        let s = match self.src.get(start) {
            Some(&(s, _)) => s as usize,
            None => self.orig_len,
        };
        if end <= start {
            return (s, s);
        }
        let e = match self.src.get(end - 1) {
            Some(&(_, e)) => e as usize,
            None => self.orig_len,
        };
        (s, e.max(s))
    }
}

/// The extent of the alphabetic word containing original bytes `s..e`.
fn word_around(orig: &str, s: usize, e: usize) -> (usize, usize) {
    let is_word = |c: char| c.is_alphabetic() || is_combining_mark(c) || c == '\u{200B}';
    let mut ws = s;
    // Bounded both ways: a megabyte with no spaces must not make this quadratic.
    for (i, c) in orig[..s].char_indices().rev().take(64) {
        if is_word(c) {
            ws = i;
        } else {
            break;
        }
    }
    let mut we = e;
    for (i, c) in orig[e..].char_indices().take(64) {
        if is_word(c) {
            we = e + i + c.len_utf8();
        } else {
            break;
        }
    }
    (ws, we)
}

fn is_rtl_letter(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF)
}

fn is_styled_letter(cp: u32) -> bool {
    matches!(cp, 0x1D400..=0x1D7FF | 0xFF10..=0xFF19 | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A | 0x24B6..=0x24E9 | 0x1F130..=0x1F189)
}

/// Letters of other scripts that render like Latin ones. Only shapes that are easily
/// mistaken in common fonts are listed; the aim is to undo deliberate disguise, not to
/// transliterate.
fn homoglyph(c: char) -> Option<char> {
    Some(match c {
        // Cyrillic lower case
        'а' => 'a',
        'с' => 'c',
        'ԁ' => 'd',
        'е' => 'e',
        'һ' => 'h',
        'і' => 'i',
        'ј' => 'j',
        'ӏ' => 'l',
        'о' => 'o',
        'р' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'у' => 'y',
        'ԝ' => 'w',
        'х' => 'x',
        'ү' => 'y',
        // Cyrillic upper case
        'А' => 'A',
        'В' => 'B',
        'С' => 'C',
        'Е' => 'E',
        'Н' => 'H',
        'І' => 'I',
        'Ј' => 'J',
        'К' => 'K',
        'М' => 'M',
        'О' => 'O',
        'Р' => 'P',
        'Ѕ' => 'S',
        'Т' => 'T',
        'Х' => 'X',
        'У' => 'Y',
        'Ԝ' => 'W',
        // Greek
        'α' => 'a',
        'ο' => 'o',
        'ρ' => 'p',
        'ν' => 'v',
        'ι' => 'i',
        'κ' => 'k',
        'τ' => 't',
        'υ' => 'u',
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ascii_is_unchanged_and_maps_one_to_one() {
        let n = Normalised::new("Hello world");
        assert_eq!(n.text, "Hello world");
        assert!(n.hidden.is_empty());
        assert_eq!(n.orig_span(6, 11), (6, 11));
    }

    #[test]
    fn zero_width_space_inside_a_word_is_removed_and_flagged() {
        let s = "r\u{200B}ape";
        let n = Normalised::new(s);
        assert_eq!(n.text, "rape");
        assert_eq!(n.hidden.len(), 1);
        assert_eq!(n.hidden[0].kind, HiddenKind::ZeroWidth);
        assert_eq!(n.orig_span(0, 4), (0, s.len()));
    }

    #[test]
    fn cyrillic_lookalikes_in_a_latin_word_are_folded_and_flagged() {
        let s = "the thug w\u{0430}s jailed";
        let n = Normalised::new(s);
        assert_eq!(n.text, "the thug was jailed");
        assert_eq!(n.hidden.len(), 1);
        assert_eq!(n.hidden[0].kind, HiddenKind::Homoglyph);
    }

    #[test]
    fn a_russian_sentence_is_not_a_homoglyph_attack() {
        let n = Normalised::new("Спасибо всем");
        assert!(n.hidden.iter().all(|h| h.kind != HiddenKind::Homoglyph));
    }

    #[test]
    fn emoji_sequences_are_not_flagged() {
        let n = Normalised::new("Family day 👨\u{200D}👩\u{200D}👧 at the station 🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F} ❤\u{FE0F}");
        assert!(n.hidden.is_empty(), "{:?}", n.hidden);
    }

    #[test]
    fn bidi_overrides_are_flagged() {
        let n = Normalised::new("abc\u{202E}def");
        assert_eq!(n.text, "abcdef");
        assert_eq!(n.hidden[0].kind, HiddenKind::Bidi);
    }

    #[test]
    fn accents_and_styled_letters_fold_to_ascii() {
        let n = Normalised::new("Zoe\u{0308} 𝐟𝐮𝐜𝐤 ｔｈｕｇ");
        assert_eq!(n.text, "Zoe fuck thug");
        assert!(n.hidden.iter().any(|h| h.kind == HiddenKind::Styled));
    }

    #[test]
    fn control_characters_become_spaces_and_are_flagged() {
        let n = Normalised::new("a\u{0007}b\u{0085}c");
        assert_eq!(n.text, "a b c");
        assert_eq!(n.hidden.len(), 2);
    }

    #[test]
    fn spans_past_the_end_are_clamped() {
        let n = Normalised::new("abc");
        assert_eq!(n.orig_span(5, 9), (3, 3));
        assert_eq!(n.orig_span(2, 1), (2, 2));
        let e = Normalised::new("");
        assert_eq!(e.orig_span(0, 0), (0, 0));
    }
}
