//! Throughput and latency figures for BENCHMARKS.md, in one process on one thread:
//! checks per second, p50/p99 latency, and the force rule file load time.
//!
//! `cargo run --release --example throughput -- [drafts.jsonl] [seconds] [rules-only]`
//! With a JSONL file (one `{"text": ...}` per line) it checks those drafts as they are
//! (the peer benchmark passes the personal-data corpus); otherwise it uses the built-in
//! development corpus with every draft cut or padded to 280 characters and every channel on.

use bluelamp_governance::{parse_request, Channel, Draft, Engine, NoDuplicates};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let drafts: Vec<Draft> = match args.first().filter(|a| !a.is_empty()) {
        Some(path) => std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .lines()
            .filter_map(|l| parse_request(l).ok())
            .collect(),
        None => include_str!("../corpus/dev.jsonl")
            .lines()
            .filter_map(|l| parse_request(l).ok())
            .map(|mut d| {
                let s: String = d.text.chars().cycle().take(280).collect();
                d.text = s;
                d.channels = vec![Channel::X, Channel::Fediverse, Channel::Bluesky];
                d
            })
            .collect(),
    };
    assert!(!drafts.is_empty(), "no drafts");

    // The first engine in a process compiles the built-in rules (once); every later
    // force rule file only parses the file and compiles that force's own terms.
    let t = Instant::now();
    // Every rule and the learned model, unless `rules-only` asks for the rules alone
    // (to show what the model costs).
    let engine = if args.get(2).is_some_and(|a| a == "rules-only") {
        Engine::builtin_rules_only().expect("the built-in rules load")
    } else {
        Engine::try_builtin().expect("the built-in check loads")
    };
    let cold = t.elapsed();
    let t = Instant::now();
    let toml = include_str!("../data/force-rules.example.toml");
    let loads = 20;
    for _ in 0..loads {
        let _ = Engine::with_force_rules(toml).expect("example rule file loads");
    }
    let load = t.elapsed() / loads;

    // Warm up caches and lazy statics.
    for d in &drafts {
        let _ = engine.check(d, &NoDuplicates);
    }
    let mut lat = Vec::new();
    let cpu0 = process_cpu_seconds();
    let start = Instant::now();
    let budget = Duration::from_secs_f64(secs);
    let mut n = 0usize;
    while start.elapsed() < budget {
        for d in &drafts {
            let t = Instant::now();
            let r = engine.check(d, &NoDuplicates);
            lat.push(t.elapsed());
            std::hint::black_box(r);
            n += 1;
        }
    }
    let total = start.elapsed();
    // Wall-clock rate understates the per-core rate when other work shares the machine;
    // CPU time used by this process gives checks per core-second.
    let cpu = process_cpu_seconds().zip(cpu0).map(|(a, b)| a - b);
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    let mean_chars = drafts.iter().map(|d| d.text.chars().count()).sum::<usize>() / drafts.len();
    println!(
        "{{\"checks\":{n},\"seconds\":{:.3},\"checks_per_sec\":{:.0},\"p50_us\":{:.1},\"p99_us\":{:.1},\"max_us\":{:.1},\"mean_chars\":{mean_chars},\"rule_file_load_ms\":{:.2},\"first_engine_build_ms\":{:.1},\"checks_per_cpu_sec\":{:.0}}}",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e6,
        pct(0.99).as_secs_f64() * 1e6,
        lat[lat.len() - 1].as_secs_f64() * 1e6,
        load.as_secs_f64() * 1e3,
        cold.as_secs_f64() * 1e3,
        cpu.filter(|c| *c > 0.0).map_or(0.0, |c| n as f64 / c)
    );
}

/// User + system CPU seconds of this process, from /proc (Linux); `None` elsewhere.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
