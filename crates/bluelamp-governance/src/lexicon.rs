//! The word lists of `data/lexicon.toml`, compiled: one regex per list and all of them
//! in one `RegexSet`, so that a single pass over a draft says which lists occur and only
//! those are scanned.

use std::collections::HashMap;

use regex::Regex;

use crate::engine::word_regex;

/// Compiled word lists (see `data/lexicon.toml`).
pub(crate) struct Lexicon {
    pub(crate) index: HashMap<String, usize>,
    pub(crate) regexes: Vec<Regex>,
    /// All lists in one automaton: a single pass over the draft says which lists occur
    /// at all, so the detectors only scan for lists that can match. Lists that cannot
    /// join the set (none today) are always scanned.
    pub(crate) set: Option<regex::RegexSet>,
    pub(crate) in_set: Vec<Option<usize>>,
    /// Lists whose every entry is non-ASCII (emoji): they cannot match ASCII text.
    pub(crate) non_ascii_only: Vec<bool>,
    /// Each list's signal for the learned model ("list=<name>"), by list index. The
    /// lexicon is compiled once per process (it is shared by every engine), so these
    /// few strings are leaked once to give the per-check signals a `'static` name
    /// without allocating.
    pub(crate) signal_names: Vec<(usize, &'static str)>,
    pub(crate) empty: Regex,
}

impl Lexicon {
    pub(crate) fn new(lists: Vec<(String, Vec<String>)>) -> Result<Lexicon, regex::Error> {
        let mut index = HashMap::new();
        let mut regexes = Vec::new();
        let mut set_patterns = Vec::new();
        let mut in_set = Vec::new();
        let mut non_ascii_only = Vec::new();
        for (name, entries) in lists {
            non_ascii_only.push(!entries.is_empty() && entries.iter().all(|e| !e.is_ascii()));
            let re = word_regex(&entries)?;
            index.insert(name, regexes.len());
            // Only ASCII-mode patterns join the set; emoji lists are scanned alone.
            if regex::RegexBuilder::new(re.as_str())
                .case_insensitive(true)
                .unicode(false)
                .build()
                .is_ok()
            {
                in_set.push(Some(set_patterns.len()));
                set_patterns.push(re.as_str().to_string());
            } else {
                in_set.push(None);
            }
            regexes.push(re);
        }
        let mut signal_names: Vec<(usize, &'static str)> = index
            .iter()
            .map(|(name, &i)| (i, &*Box::leak(format!("list={name}").into_boxed_str())))
            .collect();
        signal_names.sort_unstable();
        let set = regex::RegexSetBuilder::new(&set_patterns)
            .case_insensitive(true)
            .unicode(false)
            .size_limit(1 << 26)
            .dfa_size_limit(1 << 24)
            .build()
            .ok();
        Ok(Lexicon {
            index,
            regexes,
            set,
            in_set,
            non_ascii_only,
            signal_names,
            empty: Regex::new(r"[^\s\S]")?,
        })
    }

    /// Which lists occur anywhere in `text` (`true` = must be scanned).
    pub fn scan(&self, text: &str) -> Vec<bool> {
        match &self.set {
            Some(set) => {
                let m = set.matches(text);
                // Lists outside the set are scanned on their own, except emoji-only lists
                // on ASCII text, where they cannot match.
                let ascii = text.is_ascii();
                self.in_set
                    .iter()
                    .zip(&self.non_ascii_only)
                    .map(|(i, &emoji)| match i {
                        Some(i) => m.matched(*i),
                        None => !(ascii && emoji),
                    })
                    .collect()
            }
            None => vec![true; self.regexes.len()],
        }
    }

    /// The names of the lists that really occur in the text `hits` was scanned from
    /// (lists outside the one-pass set are left out: their hit only means "scan me").
    pub fn lists_found(&self, hits: &[bool], out: &mut Vec<&'static str>) {
        for &(i, name) in &self.signal_names {
            if self.in_set[i].is_some() && hits.get(i).copied().unwrap_or(false) {
                out.push(name);
            }
        }
    }

    /// The list's regex if `hits` says it can match, otherwise one that never matches.
    pub fn gated(&self, name: &str, hits: &[bool]) -> &Regex {
        match self.index.get(name) {
            Some(&i) if hits.get(i).copied().unwrap_or(true) => &self.regexes[i],
            _ => &self.empty,
        }
    }
}
