//! Rule data: the built-in rule set (embedded TOML) and a force's overrides (TOML
//! handed in by the caller), validated with errors that give the line and the field.

use crate::model::{Category, Severity};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

pub(crate) const BUILTIN_RULES: &str = include_str!("../data/builtin.toml");
pub(crate) const LEXICON: &str = include_str!("../data/lexicon.toml");

/// One rule's metadata as the built-in file declares it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSpec {
    pub category: String,
    pub severity: Severity,
    pub message: String,
    pub basis: String,
    #[serde(default)]
    pub suggestion: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BuiltinFile {
    pub rules: BTreeMap<String, RuleSpec>,
    pub settings: BuiltinSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BuiltinSettings {
    pub duplicate_threshold: u32,
}

/// A rule as the engine uses it: category parsed, severity after overrides.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub category: Category,
    /// `None` when a force has switched the rule off.
    pub severity: Option<Severity>,
    pub message: String,
    pub basis: String,
    pub suggestion: Option<String>,
}

/// Why a force rule file was rejected. `line` and `column` are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule file{}: field `{field}`: {message}", location(*line, *column))]
pub struct RuleFileError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub field: String,
    pub message: String,
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" line {l}, column {c}"),
        (Some(l), None) => format!(" line {l}"),
        _ => String::new(),
    }
}

/// A force's rule file. Every table and key is closed: a typo is an error, not a
/// silently ignored setting.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForceFile {
    #[serde(default)]
    pub force: ForceInfo,
    /// Severity by rule id or category id: "refuse", "hold", "advice" or "off".
    #[serde(default)]
    pub severity: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    pub settings: ForceSettings,
    #[serde(default)]
    pub terms: ForceTerms,
    #[serde(default)]
    pub blocked: Vec<toml::Spanned<BlockedTerms>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForceInfo {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForceSettings {
    /// The force is in a pre-election period (applies to every check).
    #[serde(default)]
    pub pre_election: Option<bool>,
    /// How many other force accounts pushing the same text count as "several".
    #[serde(default)]
    pub duplicate_threshold: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForceTerms {
    /// The force's own phone numbers: never personal data.
    #[serde(default)]
    pub own_numbers: Vec<String>,
    /// The force's own e-mail domains (for example `example.police.uk`).
    #[serde(default)]
    pub own_email_domains: Vec<String>,
    /// Police station and public-building addresses: never a private home address.
    #[serde(default)]
    pub station_addresses: Vec<String>,
    /// Small local places (estates, hamlets, streets) specific enough to identify people.
    #[serde(default)]
    pub places: Vec<String>,
    /// Local politicians: councillors, the MP, the PCC and candidates.
    #[serde(default)]
    pub politicians: Vec<String>,
    /// Local parties and groups standing for election.
    #[serde(default)]
    pub parties: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BlockedTerms {
    pub terms: Vec<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub basis: Option<String>,
    #[serde(default)]
    pub suggestion: Option<String>,
}

pub(crate) fn parse_builtin() -> Result<BuiltinFile, String> {
    toml::from_str(BUILTIN_RULES).map_err(|e| e.to_string())
}

pub(crate) fn parse_lexicon() -> Result<HashMap<String, Vec<String>>, String> {
    toml::from_str(LEXICON).map_err(|e| e.to_string())
}

/// Turns a byte offset of `src` into a 1-based (line, column).
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let mut safe = offset;
    while !src.is_char_boundary(safe) {
        safe -= 1;
    }
    let before = &src[..safe];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The key written on a given line, to name the field in a parse error.
fn key_on_line(src: &str, line: usize) -> String {
    let Some(text) = src.lines().nth(line.saturating_sub(1)) else {
        return "(file)".into();
    };
    let t = text.trim();
    if t.starts_with('[') {
        return t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
    }
    match t.split_once('=') {
        Some((k, _)) => k.trim().trim_matches('"').to_string(),
        None => t.chars().take(40).collect(),
    }
}

pub(crate) fn parse_force(src: &str) -> Result<ForceFile, RuleFileError> {
    toml::from_str::<ForceFile>(src).map_err(|e| {
        let (line, column) = match e.span() {
            Some(span) => {
                let (l, c) = line_col(src, span.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        let field = line.map_or_else(|| "(file)".to_string(), |l| key_on_line(src, l));
        RuleFileError {
            line,
            column,
            field,
            message: e.message().trim().to_string(),
        }
    })
}

/// Parses "refuse" | "hold" | "advice" | "off" (off = `None`).
pub(crate) fn parse_severity(s: &str) -> Result<Option<Severity>, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "refuse" => Ok(Some(Severity::Refuse)),
        "hold" => Ok(Some(Severity::Hold)),
        "advice" => Ok(Some(Severity::Advice)),
        "off" => Ok(None),
        other => Err(format!(
            "unknown severity \"{other}\"; expected one of: refuse, hold, advice, off"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_rule_file_and_lexicon_parse() {
        let b = parse_builtin().expect("builtin.toml parses");
        for (id, r) in &b.rules {
            assert!(
                Category::parse(&r.category).is_some(),
                "{id}: bad category {}",
                r.category
            );
            assert!(!r.basis.is_empty(), "{id}: every rule cites a basis");
        }
        parse_lexicon().expect("lexicon.toml parses");
    }

    #[test]
    fn a_typo_in_a_force_file_names_line_and_field() {
        let src = "[severity]\ntone = \"advice\"\n\n[terms]\nown_numbrs = [\"01234 567890\"]\n";
        let e = parse_force(src).expect_err("must fail");
        assert_eq!(e.line, Some(5), "{e}");
        assert_eq!(e.field, "own_numbrs");
        assert!(e.to_string().contains("line 5"), "{e}");
    }

    #[test]
    fn broken_toml_syntax_is_a_clear_error() {
        let e = parse_force("[terms\nplaces = [").expect_err("must fail");
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn line_col_handles_multibyte_text() {
        assert_eq!(line_col("a\nbé\nc", 6), (3, 1));
        assert_eq!(line_col("a\nbé\nc", 5), (2, 3));
        assert_eq!(line_col("", 10), (1, 1));
    }
}
