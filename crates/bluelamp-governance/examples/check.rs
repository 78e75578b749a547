//! Check one draft from the command line, as `bluelamp check` will:
//!
//! ```text
//! echo "text" | cargo run --example check -- [--json] [--context '{"case_status":"charged"}']
//! ```
//! Exit code: 0 publish, 1 hold, 2 refuse, 3 bad input.

use bluelamp_governance::{parse_request, render_human, Engine, NoDuplicates};
use std::io::Read;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let context = args
        .iter()
        .position(|a| a == "--context")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "{}".into());
    let mut text = String::new();
    if std::io::stdin().read_to_string(&mut text).is_err() {
        eprintln!("the draft on stdin is not valid UTF-8");
        std::process::exit(3);
    }
    let ctx: serde_json::Value = match serde_json::from_str(&context) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("--context is not valid JSON: {e}");
            std::process::exit(3);
        }
    };
    let mut request = serde_json::json!({ "text": text.trim_end_matches('\n') });
    if let (Some(obj), Some(c)) = (request.as_object_mut(), ctx.as_object()) {
        for key in ["media", "channels"] {
            if let Some(v) = c.get(key) {
                obj.insert(key.into(), v.clone());
            }
        }
        obj.insert("context".into(), ctx.clone());
    }
    let draft = match parse_request(&request.to_string()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(3);
        }
    };
    let report = Engine::builtin().check(&draft, &NoDuplicates);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", render_human(&draft.text, &report));
    }
    std::process::exit(report.decision.exit_code());
}
