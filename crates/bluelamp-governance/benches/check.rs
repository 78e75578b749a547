//! Criterion benchmarks: one check of a 280-character draft with every rule on and
//! every channel's length counted, and loading a force rule file.
//!
//! `CARGO_TARGET_DIR=/work/target-gov cargo bench -p bluelamp-governance --bench check`

use bluelamp_governance::{Channel, Draft, Engine, Media, NoDuplicates};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

/// Realistic drafts, each cut or padded to 280 characters.
pub fn drafts() -> Vec<Draft> {
    let texts = [
        "STOLEN: white Ford Transit van, registration AB12 CDE, taken from outside a house in Rhyl overnight. Seen it? Call 101 quoting 24000123456, or Crimestoppers anonymously on 0800 555 111. #StolenVan",
        "Mark Evans, 52, of Mill Lane, Kinmel Bay, was jailed for eight years at Mold Crown Court today for robbery. Thank you to the witnesses who came forward. DI Sarah Jones said the sentence reflects the harm done.",
        "Scumbag drug dealer Darren Hughes, 32, has been charged and will appear at court tomorrow. Another thug off our streets! He has previous convictions and confessed in interview. CCTV clearly shows him.",
        "A man has been charged with raping his stepdaughter at a house on Victoria Road in Rhyl. The girl, a 14-year-old pupil at Ysgol Dewi Sant, is being supported by specialist officers.",
        "Tomorrow morning at 6am we'll be executing drugs warrants across Rhyl. Unmarked cars are out on the A55 today. Great to welcome our local Labour MP, a real champion! What a bunch of idiots lol 😂 #knifecrimeawareness",
        "Good morning from the beat! It's a chilly one in Colwyn Bay, so I've got my thermals on. Give me a wave if you see me. Contact the organiser, Dave, on 07700 900456 or dave.jones@gmail.com. https://example.com/a",
    ];
    texts
        .iter()
        .map(|t| {
            let mut s: String = t.chars().cycle().take(280).collect();
            s.truncate(s.char_indices().nth(280).map_or(s.len(), |(i, _)| i));
            Draft {
                text: s,
                media: vec![
                    Media { alt: None },
                    Media {
                        alt: Some("Officers at the scene".into()),
                    },
                ],
                channels: vec![
                    Channel::X,
                    Channel::Fediverse,
                    Channel::Bluesky,
                    Channel::Facebook,
                ],
                context: Default::default(),
            }
        })
        .collect()
}

fn bench_check(c: &mut Criterion) {
    let engine = Engine::builtin();
    let drafts = drafts();
    let mut i = 0;
    c.bench_function("check_280_chars_all_rules", |b| {
        b.iter(|| {
            i = (i + 1) % drafts.len();
            black_box(engine.check(black_box(&drafts[i]), &NoDuplicates))
        })
    });
}

fn bench_load(c: &mut Criterion) {
    let toml = include_str!("../data/force-rules.example.toml");
    c.bench_function("load_force_rule_file", |b| {
        b.iter(|| black_box(Engine::with_force_rules(black_box(toml)).map(|_| ())))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = bench_check, bench_load
}
criterion_main!(benches);
