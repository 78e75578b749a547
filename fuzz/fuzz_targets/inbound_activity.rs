//! Any bytes POSTed to an inbox: the inbound parser must answer a parsed activity
//! or a reason, never panic. The same bytes as a fetched remote document too.
#![no_main]

use bluelamp_federation::{parse_activity, parse_document};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_activity(data) {
        Ok(activity) => {
            // Whatever parsed must be printable (the inbox logs it) and its reason
            // text, when rejected, must be too.
            let _ = format!("{activity:?}");
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
    if let Err(error) = parse_document(data, 1024 * 1024) {
        let _ = error.to_string();
    }
});
