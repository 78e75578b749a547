//! The corpus format: JSON Lines, one labelled example per line. Each consumer defines
//! its own record type (the governance draft, the inbox message); this module reads the
//! lines and names the line at fault when one is malformed, so a training run never
//! skips or half-reads a file silently.

use serde::de::DeserializeOwned;

/// A line that could not be read, with its 1-based number.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {message}")]
pub struct CorpusError {
    pub line: usize,
    pub message: String,
}

/// Reads every non-blank line of `text` as a `T`. Blank lines are allowed (editors add
/// them); anything else that is not a `T` is an error naming its line.
pub fn parse_jsonl<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, CorpusError> {
    Ok(parse_jsonl_numbered(text)?
        .into_iter()
        .map(|(_, record)| record)
        .collect())
}

/// Like [`parse_jsonl`], keeping each record's line number (for checks that need to
/// name a line after parsing, such as a duplicate id or an inconsistent label).
pub fn parse_jsonl_numbered<T: DeserializeOwned>(
    text: &str,
) -> Result<Vec<(usize, T)>, CorpusError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(line).map_err(|e| CorpusError {
            line: i + 1,
            message: e.to_string(),
        })?;
        out.push((i + 1, record));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Rec {
        #[allow(dead_code)]
        id: String,
    }

    #[test]
    fn a_malformed_line_is_named() {
        let e = parse_jsonl::<Rec>("{\"id\":\"a\"}\n\n{\"id\":\"b\"\n").expect_err("must fail");
        assert_eq!(e.line, 3);
        let e = parse_jsonl::<Rec>("{\"id\":\"a\"}\n{\"name\":\"b\"}\n").expect_err("must fail");
        assert_eq!(e.line, 2);
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn blank_lines_are_skipped_and_numbers_kept() {
        let rows =
            parse_jsonl_numbered::<Rec>("\n{\"id\":\"a\"}\n\n{\"id\":\"b\"}").expect("parses");
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![2, 4]);
    }
}
