//! Batch mode (`bluelamp check --jsonl`): one JSON draft per input line, one JSON report
//! per output line, in input order. A bad line yields an error line and the batch goes
//! on: one malformed draft must not stop a night's backlog.

use crate::engine::{Engine, NoDuplicates};
use crate::model::{draft_from_value, Decision, Finding};
use serde::Serialize;
use std::io::{BufRead, Write};

#[derive(Serialize)]
struct OutLine<'a> {
    id: &'a serde_json::Value,
    decision: Decision,
    findings: &'a [Finding],
}

#[derive(Serialize)]
struct ErrLine<'a> {
    id: &'a serde_json::Value,
    error: String,
}

/// Checks each line of `input` and writes one line of `output` per non-blank input line.
/// Blank lines are skipped. Lines that are not UTF-8 or not valid JSON are reported with
/// `"id": null` and a message naming the line number.
pub fn run_jsonl(
    engine: &Engine,
    mut input: impl BufRead,
    mut output: impl Write,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line_no += 1;
        let null = serde_json::Value::Null;
        let Ok(line) = std::str::from_utf8(&buf) else {
            write_line(
                &mut output,
                &ErrLine {
                    id: &null,
                    error: format!("line {line_no}: not valid UTF-8"),
                },
            )?;
            continue;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let value: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                write_line(
                    &mut output,
                    &ErrLine {
                        id: &null,
                        error: format!("line {line_no}: not valid JSON: {e}"),
                    },
                )?;
                continue;
            }
        };
        let id = value.get("id").cloned().unwrap_or(serde_json::Value::Null);
        match draft_from_value(value) {
            Ok(draft) => {
                let report = engine.check(&draft, &NoDuplicates);
                write_line(
                    &mut output,
                    &OutLine {
                        id: &id,
                        decision: report.decision,
                        findings: &report.findings,
                    },
                )?;
            }
            Err(e) => write_line(
                &mut output,
                &ErrLine {
                    id: &id,
                    error: format!("line {line_no}: {e}"),
                },
            )?,
        }
    }
    output.flush()
}

fn write_line(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_gets_an_answer_in_order_and_bad_lines_do_not_stop_the_batch() {
        let engine = Engine::builtin();
        let input = b"{\"id\":1,\"text\":\"Lovely day on patrol\"}\nnot json\n\n{\"id\":\"b\",\"text\":\"x\",\"context\":{\"kind\":\"nope\"}}\n\xff\xfe\n{\"id\":3,\"text\":\"You absolute idiots\"}\n";
        let mut out = Vec::new();
        run_jsonl(&engine, &input[..], &mut out).expect("runs");
        let text = String::from_utf8(out).expect("utf8");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0]["id"], 1);
        assert_eq!(lines[0]["decision"], "publish");
        assert!(lines[1]["error"]
            .as_str()
            .expect("error")
            .contains("line 2"));
        assert_eq!(lines[2]["id"], "b");
        assert!(lines[2]["error"]
            .as_str()
            .expect("error")
            .contains("context.kind"));
        assert!(lines[3]["error"].as_str().expect("error").contains("UTF-8"));
        assert_eq!(lines[4]["id"], 3);
        assert_eq!(lines[4]["decision"], "hold");
    }
}
