//! The engine: compiled rules, the force's overrides, and the check itself.
//!
//! Everything expensive (parsing rule data, compiling regular expressions) happens once
//! in [`Engine::builtin`] or [`Engine::with_force_rules`]; [`Engine::check`] only matches.

use crate::config::{self, ForceFile, Rule, RuleFileError};
use crate::learned::{self, Learned};
use crate::length::TwitterConfig;
pub(crate) use crate::lexicon::Lexicon;
use crate::model::{Category, Draft, Finding, Report, Severity};
use crate::normalise::Normalised;
use crate::rules;
use regex::{Regex, RegexBuilder};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// The store's answer to "how many of the force's other accounts recently pushed this
/// text?". The key is [`duplicate_key`] of the draft's text.
pub trait DuplicateLookup {
    fn accounts_recently_posting(&self, key: &str) -> u32;

    /// Whether asking is worth computing the key. Lookups that never find anything
    /// ([`NoDuplicates`]) say no, and the check skips the work.
    fn is_active(&self) -> bool {
        true
    }
}

/// A lookup that never finds duplicates (for the CLI and tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDuplicates;

impl DuplicateLookup for NoDuplicates {
    fn accounts_recently_posting(&self, _key: &str) -> u32 {
        0
    }

    fn is_active(&self) -> bool {
        false
    }
}

/// The normalised form under which corporate texts are compared: lower case, links and
/// mentions dropped, punctuation and runs of space collapsed. The store keeps this key
/// for each pushed post so both sides agree on what "the same text" is.
pub fn duplicate_key(text: &str) -> String {
    key_of_normalised(&Normalised::new(text).text)
}

/// The words a message quotes, cut to 120 characters.
fn truncate_words(words: &str) -> String {
    if words.chars().count() > 120 {
        let cut: String = words.chars().take(117).collect();
        format!("{cut}...")
    } else {
        words.to_string()
    }
}

/// [`duplicate_key`] of text that is already normalised (the check has it to hand).
pub(crate) fn key_of_normalised(normalised: &str) -> String {
    let mut out = String::with_capacity(normalised.len());
    for word in normalised.split_whitespace() {
        if word.starts_with('@') || word.contains("://") || word.starts_with("www.") {
            continue;
        }
        let w: String = word
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '#')
            .flat_map(char::to_lowercase)
            .collect();
        if !w.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&w);
        }
    }
    out
}

/// A force's own terms, compiled.
#[derive(Default, Clone)]
pub(crate) struct ForceData {
    pub own_number_digits: Vec<String>,
    pub own_email_domains: Vec<String>,
    pub station_addresses: Option<Regex>,
    pub places: Option<Regex>,
    pub politicians: Option<Regex>,
    pub parties: Option<Regex>,
    pub blocked: Vec<(Regex, String)>,
    pub pre_election: bool,
}

/// The governance check, ready to run. Cheap to share between threads (`&Engine`);
/// cloning shares the compiled rules and model.
#[derive(Clone)]
pub struct Engine {
    pub(crate) rules: HashMap<String, Rule>,
    pub(crate) core: Arc<Core>,
    pub(crate) force: ForceData,
    pub(crate) duplicate_threshold: u32,
    pub(crate) twitter: TwitterConfig,
    force_name: Option<String>,
    /// The learned scoring; `None` only for the rules-only engine training uses.
    learned: Option<Arc<Learned>>,
}

/// The compiled built-in rule set. It is the same for every force, so it is compiled
/// once per process and shared: loading a force's rule file only parses that file and
/// compiles the force's own terms.
pub(crate) struct Core {
    pub lex: Lexicon,
    pub pats: rules::Patterns,
    rules: HashMap<String, Rule>,
    duplicate_threshold: u32,
    /// The built-in model, or why it could not be read (kept apart so that training
    /// can run the rules while the committed weights are stale).
    learned: Result<Arc<Learned>, String>,
}

fn shared_core() -> Result<Arc<Core>, String> {
    static CORE: OnceLock<Result<Arc<Core>, String>> = OnceLock::new();
    CORE.get_or_init(|| compile_core().map(Arc::new)).clone()
}

fn compile_core() -> Result<Core, String> {
    let builtin = config::parse_builtin()?;
    let lexicon = config::parse_lexicon()?;
    let mut rules = HashMap::new();
    for (id, spec) in builtin.rules {
        let category = Category::parse(&spec.category)
            .ok_or_else(|| format!("rule {id}: unknown category {}", spec.category))?;
        rules.insert(
            id,
            Rule {
                category,
                severity: Some(spec.severity),
                message: spec.message,
                basis: spec.basis,
                suggestion: spec.suggestion,
            },
        );
    }
    let mut lists: Vec<(String, Vec<String>)> = lexicon.into_iter().collect();
    lists.sort();
    let lex = Lexicon::new(lists).map_err(|e| format!("lexicon: {e}"))?;
    let pats = rules::Patterns::new().map_err(|e| e.to_string())?;
    let learned = Learned::builtin()
        .map(Arc::new)
        .map_err(|e| format!("the built-in model (data/model.bin): {e}"));
    Ok(Core {
        lex,
        pats,
        rules,
        duplicate_threshold: builtin.settings.duplicate_threshold,
        learned,
    })
}

/// An ASCII word boundary. Unicode `\b` pushes the regex engine off its fast DFA path on
/// any non-ASCII text; the normalised text is nearly all ASCII, and an emoji or accent
/// next to a word is a boundary anyway.
pub(crate) const ASCII_B: &str = r"(?-u:\b)";

/// Builds one case-insensitive regex matching any entry as a whole word.
pub(crate) fn word_regex(entries: &[String]) -> Result<Regex, regex::Error> {
    let alts: Vec<String> = entries
        .iter()
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let starts_word = e.chars().next().is_some_and(|c| {
                c.is_alphanumeric() || c == '(' || c == '\\' && e.starts_with("\\d")
            });
            let ends_word = !(e.ends_with("\\$")
                || e.ends_with("*+")
                || e.ends_with("\\*")
                || e.ends_with('+') && e.ends_with("\\*+"));
            let ends_word = ends_word
                && e.chars().last().is_some_and(|c| {
                    c.is_alphanumeric() || c == ')' || c == '?' || c == '+' || c == '}' || c == ']'
                });
            format!(
                "{}(?:{}){}",
                if starts_word { ASCII_B } else { "" },
                e.replace(r"\b", ASCII_B),
                if ends_word { ASCII_B } else { "" }
            )
        })
        .collect();
    if alts.is_empty() {
        return Regex::new(r"[^\s\S]");
    }
    let pattern = alts.join("|");
    // ASCII-only classes and case folding compile faster and give smaller automata; the
    // rules match folded text. Lists with non-ASCII entries (emoji) keep Unicode mode.
    RegexBuilder::new(&pattern)
        .case_insensitive(true)
        .unicode(false)
        .size_limit(1 << 24)
        .build()
        .or_else(|_| {
            RegexBuilder::new(&pattern)
                .case_insensitive(true)
                .size_limit(1 << 24)
                .build()
        })
}

/// A regex for literal terms from a force file (escaped, whole words).
fn literal_regex(terms: &[String]) -> Result<Option<Regex>, regex::Error> {
    let escaped: Vec<String> = terms
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(|t| regex::escape(&crate::normalise::Normalised::new(t).text))
        .collect();
    if escaped.is_empty() {
        return Ok(None);
    }
    word_regex(&escaped).map(Some)
}

impl Engine {
    /// The built-in rule set. The rule data is part of the binary and is verified by this
    /// crate's tests, so this cannot fail at run time.
    pub fn builtin() -> Engine {
        Engine::build(None).unwrap_or_else(|e| {
            // Unreachable with the shipped data (tested); fall back to an engine with
            // the patterns that did compile rather than panic in a server.
            debug_assert!(false, "built-in rules failed to load: {e}");
            Engine::minimal()
        })
    }

    /// The built-in rule set and model, or why they could not be loaded. A server calls
    /// this at start so that a broken build stops it with a message instead of checking
    /// drafts with fewer rules or no model.
    pub fn try_builtin() -> Result<Engine, RuleFileError> {
        Engine::build(None)
    }

    /// The same engine scoring with another model (a weights file given at start).
    pub fn with_model(mut self, learned: Arc<Learned>) -> Engine {
        self.learned = Some(learned);
        self
    }

    /// The same engine with the rules alone: what the model is trained on top of.
    pub fn rules_only(mut self) -> Engine {
        self.learned = None;
        self
    }

    /// The model this engine scores with, if any.
    pub fn learned(&self) -> Option<&Learned> {
        self.learned.as_deref()
    }

    /// The built-in rule set with a force's TOML overrides applied.
    pub fn with_force_rules(toml: &str) -> Result<Engine, RuleFileError> {
        let file = config::parse_force(toml)?;
        Engine::build(Some((toml, file)))
    }

    fn minimal() -> Engine {
        let core = Core {
            lex: Lexicon {
                index: HashMap::new(),
                regexes: Vec::new(),
                set: None,
                in_set: Vec::new(),
                non_ascii_only: Vec::new(),
                signal_names: Vec::new(),
                empty: Regex::new(r"[^\s\S]").unwrap_or_else(|_| unreachable_regex()),
            },
            pats: rules::Patterns::minimal(),
            rules: HashMap::new(),
            duplicate_threshold: 2,
            learned: Err("no model in the minimal engine".into()),
        };
        Engine {
            rules: HashMap::new(),
            core: Arc::new(core),
            force: ForceData::default(),
            duplicate_threshold: 2,
            twitter: TwitterConfig::v3(),
            force_name: None,
            learned: None,
        }
    }

    /// The built-in rules without any model, whether or not the committed weights load:
    /// what `bluelamp governance train` builds on.
    pub fn builtin_rules_only() -> Result<Engine, RuleFileError> {
        Engine::build_with(None, false)
    }

    fn build(force: Option<(&str, ForceFile)>) -> Result<Engine, RuleFileError> {
        Engine::build_with(force, true)
    }

    fn build_with(
        force: Option<(&str, ForceFile)>,
        with_model: bool,
    ) -> Result<Engine, RuleFileError> {
        let builtin_error = |m: String| RuleFileError {
            line: None,
            column: None,
            field: "(built-in rules)".into(),
            message: m,
        };
        let core = shared_core().map_err(builtin_error)?;
        let learned = if with_model {
            Some(core.learned.clone().map_err(builtin_error)?)
        } else {
            None
        };
        let mut engine = Engine {
            rules: core.rules.clone(),
            duplicate_threshold: core.duplicate_threshold,
            learned,
            core,
            force: ForceData::default(),
            twitter: TwitterConfig::v3(),
            force_name: None,
        };
        if let Some((src, file)) = force {
            engine.apply_force(src, file)?;
        }
        Ok(engine)
    }

    fn apply_force(&mut self, src: &str, file: ForceFile) -> Result<(), RuleFileError> {
        let at = |span: std::ops::Range<usize>, field: String, message: String| {
            let (l, c) = config::line_col(src, span.start);
            RuleFileError {
                line: Some(l),
                column: Some(c),
                field,
                message,
            }
        };
        // Category-wide settings first, then rule-specific ones, whatever the file order.
        let mut by_rule = Vec::new();
        for (key, value) in &file.severity {
            let sev = config::parse_severity(value.get_ref())
                .map_err(|m| at(value.span(), format!("severity.{key}"), m))?;
            if let Some(cat) = Category::parse(key) {
                for r in self.rules.values_mut().filter(|r| r.category == cat) {
                    r.severity = sev;
                }
            } else if self.rules.contains_key(key) {
                by_rule.push((key.clone(), sev));
            } else {
                let mut ids: Vec<&str> = self.rules.keys().map(String::as_str).collect();
                ids.sort_unstable();
                return Err(at(
                    value.span(),
                    format!("severity.{key}"),
                    format!(
                        "\"{key}\" is neither a category ({}) nor a rule id ({})",
                        Category::ALL.map(|c| c.as_str()).join(", "),
                        ids.join(", ")
                    ),
                ));
            }
        }
        for (key, sev) in by_rule {
            if let Some(r) = self.rules.get_mut(&key) {
                r.severity = sev;
            }
        }
        self.force_name = file.force.name.clone();
        if let Some(t) = file.settings.duplicate_threshold {
            self.duplicate_threshold = t.max(1);
        }
        let terms = &file.terms;
        let compile = |list: &[String], field: &str| {
            for t in list {
                if t.trim().is_empty() || t.chars().count() > 200 {
                    let pos = src.find(&format!("\"{t}\"")).unwrap_or(0);
                    let (l, c) = config::line_col(src, pos);
                    return Err(RuleFileError {
                        line: Some(l),
                        column: Some(c),
                        field: format!("terms.{field}"),
                        message: "terms must be non-empty and at most 200 characters".into(),
                    });
                }
            }
            literal_regex(list).map_err(|e| RuleFileError {
                line: None,
                column: None,
                field: format!("terms.{field}"),
                message: e.to_string(),
            })
        };
        self.force.station_addresses = compile(&terms.station_addresses, "station_addresses")?;
        self.force.places = compile(&terms.places, "places")?;
        self.force.politicians = compile(&terms.politicians, "politicians")?;
        self.force.parties = compile(&terms.parties, "parties")?;
        compile(&terms.own_numbers, "own_numbers")?;
        compile(&terms.own_email_domains, "own_email_domains")?;
        self.force.own_number_digits = terms
            .own_numbers
            .iter()
            .map(|n| n.chars().filter(char::is_ascii_digit).collect::<String>())
            .filter(|d| d.len() >= 3)
            .collect();
        self.force.own_email_domains = terms
            .own_email_domains
            .iter()
            .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
            .collect();
        self.force.pre_election = file.settings.pre_election.unwrap_or(false);

        for (i, block) in file.blocked.iter().enumerate() {
            let span = block.span();
            let b = block.get_ref();
            let field = |f: &str| format!("blocked[{i}].{f}");
            let category = match &b.category {
                Some(c) => Category::parse(c).ok_or_else(|| {
                    at(
                        span.clone(),
                        field("category"),
                        format!(
                            "unknown category \"{c}\"; expected one of: {}",
                            Category::ALL.map(|c| c.as_str()).join(", ")
                        ),
                    )
                })?,
                None => Category::Tone,
            };
            let severity = match &b.severity {
                Some(s) => {
                    config::parse_severity(s).map_err(|m| at(span.clone(), field("severity"), m))?
                }
                None => Some(Severity::Hold),
            };
            if b.terms.is_empty() {
                return Err(at(span, field("terms"), "give at least one term".into()));
            }
            let id =
                b.id.clone()
                    .unwrap_or_else(|| format!("force-term-{}", i + 1));
            if self.rules.contains_key(&id) {
                return Err(at(
                    span,
                    field("id"),
                    format!("\"{id}\" is already a rule id"),
                ));
            }
            let re = compile(&b.terms, &format!("blocked[{i}].terms"))?.ok_or_else(|| {
                at(
                    span.clone(),
                    field("terms"),
                    "give at least one term".into(),
                )
            })?;
            let default = self.rules.get("force-term").cloned();
            self.rules.insert(
                id.clone(),
                Rule {
                    category,
                    severity,
                    message: b
                        .message
                        .clone()
                        .or_else(|| default.as_ref().map(|d| d.message.clone()))
                        .unwrap_or_default(),
                    basis: b
                        .basis
                        .clone()
                        .or_else(|| default.as_ref().map(|d| d.basis.clone()))
                        .unwrap_or_default(),
                    suggestion: b.suggestion.clone(),
                },
            );
            self.force.blocked.push((re, id));
        }
        Ok(())
    }

    /// The text with each of the force's own phone numbers replaced by "101" padded to
    /// the same length, or `None` when there is none in it.
    fn mask_force_numbers(&self, text: &str) -> Option<String> {
        if self.force.own_number_digits.is_empty() {
            return None;
        }
        let mut out: Option<String> = None;
        for m in self.core.pats.phone.find_iter(text) {
            let digits: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
            if self
                .force
                .own_number_digits
                .iter()
                .any(|n| *n == digits || digits.ends_with(n.trim_start_matches('0')))
            {
                let s = out.get_or_insert_with(|| text.to_string());
                let replacement = format!("{:<width$}", "101", width = m.len());
                s.replace_range(m.range(), &replacement);
            }
        }
        out
    }

    /// Whether a span of text is one of the force's own published details (its phone
    /// numbers, its stations' addresses), which are never a private person's data.
    fn is_force_own(&self, span: &str) -> bool {
        let digits: String = span.chars().filter(char::is_ascii_digit).collect();
        (digits.len() >= 3
            && self
                .force
                .own_number_digits
                .iter()
                .any(|n| n.contains(&digits)))
            || self
                .force
                .station_addresses
                .as_ref()
                .is_some_and(|re| re.is_match(span))
    }

    /// The force's name from its rule file, if it gave one.
    pub fn force_name(&self) -> Option<&str> {
        self.force_name.as_deref()
    }

    /// Checks one draft. Never panics, whatever the text.
    pub fn check(&self, draft: &Draft, duplicates: &dyn DuplicateLookup) -> Report {
        self.check_with_signals(draft, duplicates).0
    }

    /// [`Engine::check`], also returning what the detectors saw (training reads it).
    pub fn check_with_signals(
        &self,
        draft: &Draft,
        duplicates: &dyn DuplicateLookup,
    ) -> (Report, learned::Signals) {
        // Content rules read at most MAX_CONTENT bytes: more than any network accepts.
        // Length rules still count the whole text, and a longer draft is held so that
        // nobody publishes an unread tail by e-mail.
        let content = if draft.text.len() > MAX_CONTENT {
            let mut cut = MAX_CONTENT;
            while !draft.text.is_char_boundary(cut) {
                cut -= 1;
            }
            &draft.text[..cut]
        } else {
            draft.text.as_str()
        };
        let norm = Normalised::new(content);
        let mut out = Emitter {
            engine: self,
            norm: &norm,
            findings: Vec::new(),
            per_rule: HashMap::new(),
        };
        let signals = rules::run_all(self, draft, &norm, &mut out, duplicates);
        if let Some(learned) = &self.learned {
            let so_far = &out.findings;
            // The force's own numbers read to the model as "101" (same length, so the
            // spans still point at the original text): it learned what a private
            // number looks like, not this force's switchboard.
            let masked;
            let draft = match self.mask_force_numbers(&draft.text) {
                Some(text) => {
                    masked = Draft {
                        text,
                        ..draft.clone()
                    };
                    &masked
                }
                None => draft,
            };
            let features =
                learned::draft_features(&learned.model.featurizer, draft, so_far, &signals);
            let own = |span: &str| self.is_force_own(span);
            for f in learned::judge(learned, content, &features, so_far, &own) {
                out.emit_orig(&f.rule, f.start, f.end, &f.words, None, None);
            }
        }
        if content.len() < draft.text.len() {
            out.emit_orig(
                "too-long-to-check",
                content.len(),
                draft.text.len(),
                &format!("{} KB", MAX_CONTENT / 1024),
                None,
                None,
            );
        }
        let mut findings = out.findings;
        fill_char_offsets(&draft.text, &mut findings);
        (Report::from_findings(findings), signals)
    }
}

fn unreachable_regex() -> Regex {
    // `[^\s\S]` always compiles; this only exists to avoid an unwrap in `minimal`.
    Regex::new("$^").unwrap_or_else(|_| unreachable_regex())
}

/// The most text the content rules read (256 KiB; Facebook's limit is 63,206 characters).
pub const MAX_CONTENT: usize = 256 * 1024;

/// At most this many findings per rule: a 1 MB draft full of phone numbers should give
/// a readable report, not a million lines.
const MAX_PER_RULE: usize = 25;

/// Collects findings, resolving rule metadata and mapping spans to the original text.
pub(crate) struct Emitter<'a> {
    engine: &'a Engine,
    norm: &'a Normalised,
    pub findings: Vec<Finding>,
    per_rule: HashMap<String, usize>,
}

impl Emitter<'_> {
    /// Emits a finding for a span of the normalised text.
    pub fn emit(&mut self, rule: &str, start: usize, end: usize, words: &str) {
        let (s, e) = self.norm.orig_span(start, end);
        self.emit_orig(rule, s, e, words, None, None);
    }

    /// Emits with a computed suggestion replacing the rule's generic one.
    pub fn emit_with(
        &mut self,
        rule: &str,
        start: usize,
        end: usize,
        words: &str,
        suggestion: String,
    ) {
        let (s, e) = self.norm.orig_span(start, end);
        self.emit_orig(rule, s, e, words, Some(suggestion), None);
    }

    /// Emits for a span of the original text.
    pub fn emit_orig(
        &mut self,
        rule: &str,
        start: usize,
        end: usize,
        words: &str,
        suggestion: Option<String>,
        channel: Option<crate::model::Channel>,
    ) {
        let Some(meta) = self.engine.rules.get(rule) else {
            return;
        };
        let Some(severity) = meta.severity else {
            return;
        };
        let n = self.per_rule.entry(rule.to_string()).or_insert(0);
        *n += 1;
        if *n > MAX_PER_RULE {
            return;
        }
        // The same words found twice by one rule are one finding, and so are words
        // inside words it already reported ("Sarah" inside "Sarah Jones"): one
        // person, one finding, spanning the wider of the two.
        let overlaps = |f: &Finding| {
            f.rule == rule
                && f.channel == channel
                && ((f.start == start && f.end == end) || (f.start < end && start < f.end))
        };
        if let Some(found) = self.findings.iter_mut().find(|f| overlaps(f)) {
            if start <= found.start && found.end <= end && (start, end) != (found.start, found.end)
            {
                found.start = start;
                found.end = end;
                let words = truncate_words(words);
                found.message = meta.message.replace("{words}", &words);
            }
            return;
        }
        let words = truncate_words(words);
        self.findings.push(Finding {
            category: meta.category,
            rule: rule.to_string(),
            severity,
            start,
            end,
            char_start: 0,
            char_end: 0,
            message: meta.message.replace("{words}", &words),
            basis: meta.basis.clone(),
            suggestion: suggestion.or_else(|| meta.suggestion.clone()),
            channel,
        });
    }

    /// Whether a finding of `rule` already covers this span of the normalised text.
    pub fn has(&self, rule: &str, start: usize, end: usize) -> bool {
        let (s, e) = self.norm.orig_span(start, end);
        self.findings
            .iter()
            .any(|f| f.rule == rule && f.start < e.max(s + 1) && s < f.end.max(f.start + 1))
    }

    /// Whether a rule is live (not switched off by the force).
    pub fn enabled(&self, rule: &str) -> bool {
        self.engine
            .rules
            .get(rule)
            .is_some_and(|r| r.severity.is_some())
    }
}

/// Fills `char_start`/`char_end` with one pass over the text.
fn fill_char_offsets(text: &str, findings: &mut [Finding]) {
    if findings.is_empty() {
        return;
    }
    let mut offsets: Vec<usize> = findings.iter().flat_map(|f| [f.start, f.end]).collect();
    offsets.sort_unstable();
    offsets.dedup();
    let mut map = HashMap::with_capacity(offsets.len());
    let mut idx = 0usize;
    for (chars, (b, _)) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
        .enumerate()
    {
        while idx < offsets.len() && offsets[idx] <= b {
            map.insert(offsets[idx], chars);
            idx += 1;
        }
    }
    for f in findings.iter_mut() {
        f.char_start = map.get(&f.start).copied().unwrap_or(0);
        f.char_end = map.get(&f.end).copied().unwrap_or(f.char_start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word list must join the one-pass set (or be emoji-only): a list that falls
    /// out of it still works but is scanned on every check, which costs speed.
    #[test]
    fn every_word_list_joins_the_fast_set() {
        let core = shared_core().expect("built-in rules compile");
        let lex = &core.lex;
        for (name, &i) in &lex.index {
            assert!(
                lex.in_set[i].is_some() || lex.non_ascii_only[i],
                "lexicon list `{name}` cannot be compiled in ASCII mode (avoid negated classes like [^.])"
            );
        }
    }
}
