//! The X length rule against the twitter-text conformance suite (validate.yml), read
//! from the shared folder at test time, as the suite's README asks. A missing file is a
//! failure, never a skip: a silently skipped conformance test proves nothing.

use bluelamp_governance::length::{twitter_weighted_length, TwitterConfig};

fn suite_path() -> String {
    format!(
        "{}/tests/conformance/twitter-text/validate.yml",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn load() -> serde_yaml::Value {
    let path = suite_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("the twitter-text conformance suite must be at {path} (kept in the repository): {e}")
    });
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path} is not valid YAML: {e}"))
}

fn run_group(group: &str, config: &TwitterConfig) -> usize {
    let suite = load();
    let cases = suite["tests"][group]
        .as_sequence()
        .unwrap_or_else(|| panic!("group {group} missing from validate.yml"));
    assert!(!cases.is_empty(), "group {group} is empty");
    let mut failures = Vec::new();
    for case in cases {
        let description = case["description"].as_str().unwrap_or("?");
        let text = case["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{description}: no text"));
        let expected = case["expected"]["weightedLength"]
            .as_u64()
            .unwrap_or_else(|| panic!("{description}: no expected.weightedLength"));
        let got = twitter_weighted_length(text, config).weighted_length;
        if u64::from(got) != expected {
            failures.push(format!(
                "{group} / {description}: expected {expected}, got {got}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    cases.len()
}

/// v2 is v3 without emoji parsing: the same ranges and weights.
fn v2() -> TwitterConfig {
    let mut c = TwitterConfig::v3();
    c.emoji_parsing_enabled = false;
    c
}

#[test]
fn weighted_tweets_counter_test_passes() {
    let n = run_group("WeightedTweetsCounterTest", &v2());
    assert!(n >= 20);
}

#[test]
fn weighted_tweets_with_discounted_emoji_counter_test_passes() {
    let n = run_group(
        "WeightedTweetsWithDiscountedEmojiCounterTest",
        &TwitterConfig::v3(),
    );
    assert!(n >= 20);
}

#[test]
fn unicode_directional_marker_counter_test_passes() {
    run_group("UnicodeDirectionalMarkerCounterTest", &TwitterConfig::v3());
}
