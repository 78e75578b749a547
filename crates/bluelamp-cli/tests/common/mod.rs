//! Running the `bluelamp` binary as an operator would, shared by the CLI tests.

#![allow(dead_code)] // each test file uses its own part of this

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use bluelamp_store::testing::TestDatabase;

/// Run `command` with `stdin` fed in (then closed) and its output captured.
fn run(mut command: Command, stdin: Option<&str>) -> Output {
    let mut child = command
        .env_remove("BLUELAMP_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        let mut input = child.stdin.take().unwrap();
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// The binary on a test database, told where it is by the environment.
pub fn bluelamp(db: &TestDatabase, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bluelamp"));
    command
        .args(args)
        .env("BLUELAMP_DATABASE_URL", &db.url)
        .env("BLUELAMP_DATA_DIR", db.data_dir.as_ref().unwrap());
    run(command, stdin)
}

/// The binary with nothing from the environment: only flags say where data is.
pub fn bluelamp_flags_only(cwd: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bluelamp"));
    command
        .args(args)
        .current_dir(cwd)
        .env_remove("BLUELAMP_DATA_DIR")
        .env_remove("BLUELAMP_DATABASE_URL");
    run(command, stdin)
}

/// What the command printed, stdout then stderr.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
