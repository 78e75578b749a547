//! `bluelamp check`: the governance check at the command line. The draft's text
//! comes on standard input; the context by flags or `--context '{json}'`.
//! Exit codes: 0 publish, 1 hold, 2 refuse, 3 bad input.

use std::io::{BufReader, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use bluelamp_governance::learned::Learned;
use bluelamp_governance::{parse_request, render_human, run_jsonl, Engine, NoDuplicates};
use clap::Args;
use serde_json::{json, Map, Value};

#[derive(Args)]
pub struct CheckArgs {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Batch mode: one JSON draft per input line, one JSON report per output line.
    #[arg(long, conflicts_with = "json")]
    jsonl: bool,
    /// Context as JSON, e.g. '{"kind":"appeal","case_status":"charged"}'.
    #[arg(long)]
    context: Option<String>,
    /// personal, corporate, unit or collective.
    #[arg(long)]
    account_kind: Option<String>,
    /// update, appeal, incident, personal or reply.
    #[arg(long)]
    kind: Option<String>,
    /// none, arrested, charged, convicted, acquitted or nfa.
    #[arg(long)]
    case_status: Option<String>,
    /// The linked case concerns a sexual offence.
    #[arg(long)]
    sexual_offence: bool,
    /// The force is in a pre-election period.
    #[arg(long)]
    pre_election: bool,
    /// A target channel (repeatable): fediverse, bluesky, x, facebook, email.
    #[arg(long = "channel")]
    channels: Vec<String>,
    /// A force's rule file (TOML) tuning severities and adding local terms.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// A weights file for the learned scoring (from `bluelamp governance train`)
    /// instead of the one built in.
    #[arg(long)]
    model: Option<PathBuf>,
}

fn bad_input(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(3)
}

pub fn run(args: CheckArgs) -> ExitCode {
    let engine = match &args.rules {
        None => match Engine::try_builtin() {
            Ok(engine) => engine,
            Err(error) => return bad_input(format!("the governance check cannot start: {error}")),
        },
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => match Engine::with_force_rules(&text) {
                Ok(engine) => engine,
                Err(error) => {
                    return bad_input(format!(
                        "the rule file {} is not valid: {error}",
                        path.display()
                    ))
                }
            },
            Err(error) => {
                return bad_input(format!(
                    "cannot read the rule file {}: {error}",
                    path.display()
                ))
            }
        },
    };
    let engine = match &args.model {
        None => engine,
        Some(path) => match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| Learned::from_bytes(&bytes).map_err(|e| e.to_string()))
        {
            Ok(learned) => engine.with_model(std::sync::Arc::new(learned)),
            Err(error) => return bad_input(format!("the model {}: {error}", path.display())),
        },
    };
    if args.jsonl {
        let stdin = std::io::stdin();
        let stdout = std::io::stdout();
        let result = run_jsonl(
            &engine,
            BufReader::new(stdin.lock()),
            std::io::BufWriter::new(stdout.lock()),
        );
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => bad_input(format!("cannot read or write the batch: {error}")),
        };
    }
    let mut bytes = Vec::new();
    if let Err(error) = std::io::stdin().read_to_end(&mut bytes) {
        return bad_input(format!(
            "cannot read the draft from standard input: {error}"
        ));
    }
    let Ok(text) = String::from_utf8(bytes) else {
        return bad_input("the draft on standard input is not valid UTF-8 text");
    };
    let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
    let mut context = match &args.context {
        None => Map::new(),
        Some(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return bad_input("--context must be a JSON object"),
            Err(error) => return bad_input(format!("--context is not valid JSON: {error}")),
        },
    };
    for (key, value) in [
        ("account_kind", &args.account_kind),
        ("kind", &args.kind),
        ("case_status", &args.case_status),
    ] {
        if let Some(value) = value {
            context.insert(key.into(), Value::String(value.clone()));
        }
    }
    if args.sexual_offence {
        context.insert("sexual_offence".into(), Value::Bool(true));
    }
    if args.pre_election {
        context.insert("pre_election".into(), Value::Bool(true));
    }
    let mut request = json!({"text": text, "context": context});
    if !args.channels.is_empty() {
        request["channels"] = json!(args.channels);
    }
    let draft = match parse_request(&request.to_string()) {
        Ok(draft) => draft,
        Err(error) => return bad_input(error),
    };
    let report = engine.check(&draft, &NoDuplicates);
    let output = if args.json {
        serde_json::to_string_pretty(&report).unwrap_or_default()
    } else {
        render_human(&draft.text, &report)
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{output}");
    ExitCode::from(report.decision.exit_code() as u8)
}
