//! What the model reads of a message: its words and word pairs, the channel,
//! and a few signals the words alone do not carry (its length, emoji only, a link,
//! shouting, and combinations of cues such as a weapon *and* "now").
//!
//! The cue lists come from the labelling guide's definitions and common knowledge of
//! how people write to the police, not from the corpus: they give the model handles it
//! cannot learn from a few examples, and the model decides how much each is worth.

use bluelamp_judgement::{Feature, Featurizer};

use crate::category::Channel;

/// Names the features this module builds: a model trained on other features is refused.
pub const SCHEMA: &str = "triage-v1";

/// The featurizer training uses (a weights file carries its own). Words and word pairs
/// only: in cross-validation character n-grams (3–5, or 2–4) lowered macro-F1 (0.59
/// against 0.62) and tripled the features per message; they still did with each kind
/// scaled on its own and stronger L2 (0.705–0.712 against 0.725). 2^19 buckets rather
/// than 2^17: fewer word pairs share a bucket, macro-F1 0.715 → 0.725 out of fold
/// (0.693 → 0.704 with folds by writer); the file holds only the buckets in use.
pub const FEATURIZER: Featurizer = Featurizer {
    bits: 19,
    char_min: 0,
    char_max: 0,
};

/// Lower-cased words of a message, with their byte spans (for cues).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().replace('\u{2019}', "'"))
        .collect()
}

const WEAPON: &[&str] = &[
    "knife", "knives", "blade", "machete", "gun", "guns", "firearm", "shotgun", "rifle", "pistol",
    "crossbow", "axe", "hammer", "bat", "cyllell", "gwn", "stabbed", "stabbing", "shot",
    "shooting",
];
const NOW: &[&str] = &[
    "now",
    "rn",
    "atm",
    "happening",
    "currently",
    "outside",
    "tonight",
    "rŵan",
    "rwan",
    "nawr",
    "heno",
    "tu allan",
];
const HARM_SELF: &[&str] = &[
    "kill myself",
    "end it all",
    "end my life",
    "suicide",
    "suicidal",
    "overdose",
    "od'd",
    "my tablets",
    "my pills",
    "all my meds",
    "self harm",
    "self-harm",
    "cut myself",
    "cutting myself",
    "not be here",
    "better off without me",
    "no point anymore",
    "say goodbye",
    "lladd fy hun",
    "lladd fy hunan",
];
const DANGER: &[&str] = &[
    "not breathing",
    "can't breathe",
    "cant breathe",
    "unconscious",
    "collapsed",
    "bleeding",
    "on fire",
    "fire",
    "attacking",
    "attacked",
    "hitting me",
    "beating",
    "screaming",
    "break in",
    "breaking in",
    "broke in",
    "in my house",
    "kidnap",
    "following me",
    "ambulance",
    "drunk driver",
    "drink driving",
    "drink driver",
    "crash",
    "trapped",
    "threatening",
    "tân",
    "help",
    "helpwch",
    "sos",
];
const VULNERABLE: &[&str] = &[
    "dementia",
    "alzheimer",
    "controlling",
    "coercive",
    "scared of him",
    "scared of her",
    "hits me",
    "hit me",
    "abuse",
    "abusive",
    "groom",
    "grooming",
    "county lines",
    "exploit",
    "neglect",
    "missing",
    "vulnerable",
    "lonely",
    "carer",
    "nudes",
    "sextortion",
    "self harm",
    "depressed",
    "can't cope",
    "cant cope",
    "trafficked",
    "stalking",
];

/// A cue list split once into its single words (looked up in a set) and its phrases
/// (searched in the text): a long e-mail costs one set lookup per word, not one string
/// comparison per word and cue.
struct Cues {
    words: std::collections::HashSet<&'static str>,
    phrases: Vec<&'static str>,
}

impl Cues {
    fn new(list: &[&'static str]) -> Cues {
        let (phrases, words): (Vec<&str>, Vec<&str>) = list
            .iter()
            .partition(|p| p.contains(' ') || p.contains('-'));
        Cues {
            words: words.into_iter().collect(),
            phrases,
        }
    }

    fn found(&self, lower: &str, words: &[String]) -> bool {
        words.iter().any(|w| self.words.contains(w.as_str()))
            || self.phrases.iter().any(|p| lower.contains(p))
    }
}

fn cue_lists() -> &'static [(&'static str, Cues); 5] {
    static LISTS: std::sync::OnceLock<[(&'static str, Cues); 5]> = std::sync::OnceLock::new();
    LISTS.get_or_init(|| {
        [
            ("weapon", Cues::new(WEAPON)),
            ("now", Cues::new(NOW)),
            ("harm-self", Cues::new(HARM_SELF)),
            ("danger", Cues::new(DANGER)),
            ("vulnerable", Cues::new(VULNERABLE)),
        ]
    })
}

/// A bare cry for help: a very short message that is nothing but a plea. The guide
/// says such a message is an emergency unless something says otherwise, and the
/// triager keeps that deterministic (see `Triager::triage`).
pub fn is_bare_cry_for_help(text: &str) -> bool {
    // Most messages are longer than four words: count before allocating any.
    let pieces = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .filter(|w| !w.is_empty());
    if pieces.take(5).count() > 4 {
        return false;
    }
    let w = words(text);
    if w.is_empty() || w.len() > 4 {
        return false;
    }
    let pleas = ["help", "helpwch", "sos", "helpu", "hlp", "halp"];
    let filler = [
        "me", "please", "pls", "plz", "plsss", "fi", "now", "someone", "somebody", "i", "need",
        "us", "quick", "urgent", "police", "os", "gwelwch", "yn", "dda", "mi",
    ];
    w.iter().any(|x| pleas.contains(&x.as_str()))
        && w.iter()
            .all(|x| pleas.contains(&x.as_str()) || filler.contains(&x.as_str()))
}

/// The features of one message.
pub fn message_features(
    featurizer: &Featurizer,
    text: &str,
    channel: Option<Channel>,
    out: &mut Vec<Feature>,
) {
    out.clear();
    featurizer.bias(out);
    featurizer.text(text, &[], out);
    let channel = channel.map(Channel::as_str).unwrap_or("unknown");
    featurizer.token_pair("channel", channel, out);

    let w = words(text);
    let lower = text.to_lowercase().replace('\u{2019}', "'");
    let length = match w.len() {
        0 => "none",
        1 => "one",
        2..=5 => "short",
        6..=25 => "medium",
        26..=80 => "long",
        _ => "very-long",
    };
    featurizer.token_pair("length", length, out);
    featurizer.token_pair("length-channel", &format!("{length}/{channel}"), out);
    if w.is_empty() && !text.trim().is_empty() {
        featurizer.token("emoji-only", out);
    }
    if lower.contains("http") || lower.contains("www.") || lower.contains(".com") {
        featurizer.token("link", out);
    }
    if text.contains('?') {
        featurizer.token("question-mark", out);
    }
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let capitals = text.chars().filter(|c| c.is_uppercase()).count();
    if letters >= 8 && capitals * 10 >= letters * 7 {
        featurizer.token("shouting", out);
    }
    if is_bare_cry_for_help(text) {
        featurizer.token("bare-cry-for-help", out);
    }
    let mut cues = [("", false); 5];
    for (slot, (name, list)) in cues.iter_mut().zip(cue_lists()) {
        *slot = (name, list.found(&lower, &w));
    }
    for (name, on) in cues {
        if on {
            featurizer.token_pair("cue", name, out);
        }
    }
    // Pairs the linear model cannot form by itself: danger is an emergency when now.
    for (a, b) in [
        ("weapon", "now"),
        ("danger", "now"),
        ("harm-self", "now"),
        ("vulnerable", "now"),
    ] {
        let on = |n: &str| cues.iter().any(|(name, on)| *name == n && *on);
        if on(a) && on(b) {
            featurizer.token_pair("cue", &format!("{a}+{b}"), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_cries_for_help_are_recognised_and_jokes_are_not() {
        for t in [
            "help",
            "HELP!!!",
            "pls help me",
            "Helpwch fi",
            "sos",
            "help me please",
        ] {
            assert!(is_bare_cry_for_help(t), "{t}");
        }
        for t in [
            "help, my cat has taken over the sofa",
            "thanks for the help",
            "",
            "🙏",
            "can you help with parking",
        ] {
            assert!(!is_bare_cry_for_help(t), "{t}");
        }
    }

    #[test]
    fn features_differ_by_channel_and_keep_spans() {
        let f = FEATURIZER;
        let mut a = Vec::new();
        let mut b = Vec::new();
        message_features(&f, "knife outside now", Some(Channel::X), &mut a);
        message_features(&f, "knife outside now", Some(Channel::Email), &mut b);
        assert_ne!(a, b);
        assert!(
            a.iter().any(|x| x.start == 0 && x.end == 5),
            "the word 'knife' keeps its span"
        );
    }
}
