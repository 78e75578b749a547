//! Signatures and verifications per second with RSA-2048 on this machine, the
//! numbers that bound fan-out (one signature per destination) and the inbox (one
//! verification per activity). Run with
//! `cargo run --release -p bluelamp-federation --example sig_bench`.

use std::time::{Duration, Instant, SystemTime};

use bluelamp_federation::signatures::{
    generate_keypair, parse_signature_header, sign_request, verify_parsed, PublicKey, Signer,
    MAX_CLOCK_SKEW,
};
use http::{HeaderMap, HeaderName, HeaderValue};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let (private_pem, public_pem) = generate_keypair()?;
    println!(
        "key generation (RSA-2048): {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );

    let signer = Signer::from_pem("https://police.example/users/news#main-key", &private_pem)?;
    let key = PublicKey::from_pem(&public_pem)?;
    let url = url::Url::parse("https://social.example/inbox")?;
    let body = vec![b'x'; 2_000];
    let budget = Duration::from_secs(3);

    let mut signed = 0u32;
    let mut last = Vec::new();
    let t = Instant::now();
    while t.elapsed() < budget {
        last = sign_request("POST", &url, Some(&body), &signer, SystemTime::now());
        signed += 1;
    }
    let sign_rate = f64::from(signed) / t.elapsed().as_secs_f64();

    let mut headers = HeaderMap::new();
    for (name, value) in &last {
        headers.insert(
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())?,
            HeaderValue::from_str(value)?,
        );
    }
    let mut verified = 0u32;
    let t = Instant::now();
    while t.elapsed() < budget {
        // What the inbox does per request: parse the header, check digest and
        // signature (the key is cached, so no PEM parsing here).
        let sig = parse_signature_header(headers["signature"].to_str()?)?;
        verify_parsed(
            &sig,
            "POST",
            "/inbox",
            &headers,
            Some(&body),
            &key,
            SystemTime::now(),
            MAX_CLOCK_SKEW,
        )?;
        verified += 1;
    }
    let verify_rate = f64::from(verified) / t.elapsed().as_secs_f64();

    println!("signatures/second (one core):    {sign_rate:.0}");
    println!("verifications/second (one core): {verify_rate:.0}");
    Ok(())
}
