//! Batch mode, as `bluelamp check --jsonl` will run it: JSONL drafts on stdin, one JSON
//! report per line on stdout, in input order.
//!
//! `cargo run --release --example jsonl < drafts.jsonl`

fn main() -> std::io::Result<()> {
    let engine = bluelamp_governance::Engine::builtin();
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    bluelamp_governance::run_jsonl(
        &engine,
        stdin.lock(),
        std::io::BufWriter::new(stdout.lock()),
    )
}
