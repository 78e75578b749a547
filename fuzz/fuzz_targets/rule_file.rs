//! Any bytes as a force rule file: a clear error or an engine, never a panic.
#![no_main]

use bluelamp_governance::{Draft, Engine, NoDuplicates};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    match Engine::with_force_rules(src) {
        Ok(engine) => {
            let _ = engine.check(&Draft::new(src), &NoDuplicates);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
