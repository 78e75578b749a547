//! Plain-English output for a terminal: the decision first, then each finding with the
//! words it points at, why, and what to do instead.

use crate::model::{Decision, Report, Severity};

pub fn render_human(draft_text: &str, report: &Report) -> String {
    let mut s = String::new();
    let headline = match report.decision {
        Decision::Publish if report.findings.is_empty() => "PUBLISH: nothing found.".to_string(),
        Decision::Publish => "PUBLISH: fine to go, with some advice.".to_string(),
        Decision::Hold => "HOLD: a supervisor must approve this before it goes out.".to_string(),
        Decision::Refuse => "REFUSE: this must not be published as written.".to_string(),
    };
    s.push_str(&headline);
    s.push('\n');
    for (i, f) in report.findings.iter().enumerate() {
        let label = match f.severity {
            Severity::Refuse => "refuse",
            Severity::Hold => "hold",
            Severity::Advice => "advice",
        };
        let channel = f
            .channel
            .map(|c| format!(" ({})", c.as_str()))
            .unwrap_or_default();
        s.push_str(&format!(
            "\n{}. [{label}] {}{channel} / {}\n",
            i + 1,
            f.category,
            f.rule
        ));
        if f.end > f.start {
            if let Some(words) = draft_text.get(f.start..f.end) {
                let words: String = words.chars().take(120).collect();
                s.push_str(&format!(
                    "   at characters {}-{}: \"{}\"\n",
                    f.char_start,
                    f.char_end,
                    words.replace('\n', " ")
                ));
            }
        }
        s.push_str(&format!("   {}\n", f.message));
        s.push_str(&format!("   Basis: {}\n", f.basis));
        if let Some(sug) = &f.suggestion {
            s.push_str(&format!("   Suggestion: {sug}\n"));
        }
    }
    s
}
