//! Personal data: a private person's phone number, e-mail, home address, date of birth,
//! National Insurance number, or a vehicle registration outside an appeal.
//!
//! The exceptions matter as much as the rule: the force's own numbers (999, 101, 18000,
//! Crimestoppers 0800 555 111 and whatever the force file lists), organisations' numbers
//! and addresses, officers' work e-mail, and a stolen vehicle's plate in an appeal to find
//! it are never personal data.

use super::Ctx;
use crate::engine::{Emitter, Engine};

const ACRONYM_PLATES: &[&str] = &[
    "RTC", "RTA", "ANPR", "SOS", "NHS", "CID", "ASB", "ARV", "MOT", "PCC", "DUI", "HGV", "LGV",
    "PSV",
];

pub(crate) fn check(engine: &Engine, ctx: &Ctx<'_>, out: &mut Emitter<'_>) {
    // A recorded policing purpose makes these advice, not a hold: the purpose is the
    // lawful basis the Act asks for.
    let text = ctx.text;
    let pats = &engine.core.pats;
    let lex = &ctx.lex;

    for m in pats
        .phone
        .find_iter(if ctx.digits >= 10 { text } else { "" })
    {
        let raw = &text[m.start()..m.end()];
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        let plausible = if raw.starts_with('+') {
            (10..=15).contains(&digits.len())
        } else {
            (10..=11).contains(&digits.len())
        };
        if !plausible || own_or_org_number(engine, &digits) {
            continue;
        }
        // An officer's work number ("call DC Hannah Price on 0161 ...") is not private.
        if ctx
            .people
            .iter()
            .any(|p| p.officer && p.end <= m.start() && m.start() - p.end <= 8)
        {
            continue;
        }
        let before = super::before_lower(text, m.start());
        let before = before.trim_end();
        if [
            "us on",
            "us at",
            "our number",
            "our team on",
            "team on",
            "station on",
            "office on",
            "line on",
            "helpline",
            "freephone",
            "crimestoppers on",
            "crimestoppers",
            "advice line",
        ]
        .iter()
        .any(|w| before.ends_with(w))
        {
            continue;
        }
        emit(
            ctx,
            out,
            "phone-number",
            m.start(),
            m.end(),
            raw,
            Some("[number removed]".into()),
        );
    }

    for m in pats.email.find_iter(if ctx.has_at { text } else { "" }) {
        let raw = &text[m.start()..m.end()];
        let Some((local, domain)) = raw.rsplit_once('@') else {
            continue;
        };
        let domain = domain.to_ascii_lowercase();
        let local = local.to_ascii_lowercase();
        let official = org_domain(engine, &domain);
        let personal_domain = [
            "gmail.com",
            "googlemail.com",
            "hotmail.com",
            "hotmail.co.uk",
            "outlook.com",
            "live.com",
            "live.co.uk",
            "yahoo.com",
            "yahoo.co.uk",
            "icloud.com",
            "me.com",
            "aol.com",
            "btinternet.com",
            "sky.com",
            "protonmail.com",
            "proton.me",
            "talktalk.net",
            "virginmedia.com",
            "ntlworld.com",
            "msn.com",
            "mail.com",
            "gmx.com",
        ]
        .contains(&domain.as_str());
        let role_account = [
            "info",
            "enquiries",
            "enquiry",
            "contact",
            "hello",
            "press",
            "media",
            "admin",
            "office",
            "help",
            "support",
            "reception",
            "bookings",
            "appeals",
            "newsdesk",
            "news",
            "mail",
            "comms",
            "communications",
            "team",
            "feedback",
            "complaints",
            "foi",
            "dataprotection",
            "recruitment",
            "volunteers",
            "events",
            "referrals",
            "safeguarding",
        ]
        .iter()
        .any(|r| {
            local == *r
                || local.starts_with(&format!("{r}."))
                || local.starts_with(&format!("{r}-"))
        });
        if official || (!personal_domain && role_account) {
            continue;
        }
        emit(
            ctx,
            out,
            "email-address",
            m.start(),
            m.end(),
            raw,
            Some("[e-mail removed]".into()),
        );
    }

    for m in pats
        .house_address
        .find_iter(if ctx.digits >= 1 { text } else { "" })
    {
        let raw = &text[m.start()..m.end()];
        if is_public_address(engine, text, m.start(), m.end()) {
            continue;
        }
        emit(ctx, out, "home-address", m.start(), m.end(), raw, None);
    }

    // A full postcode next to a private person's name is where they live.
    for m in pats
        .postcode
        .find_iter(if ctx.digits >= 2 { text } else { "" })
    {
        let near_person = ctx
            .people
            .iter()
            .any(|p| !p.officer && p.end <= m.start() && m.start() - p.end <= 60);
        if near_person && !is_public_address(engine, text, m.start(), m.end()) {
            emit(
                ctx,
                out,
                "home-address",
                m.start(),
                m.end(),
                &text[m.start()..m.end()],
                None,
            );
        }
    }

    for m in pats.dob.find_iter(if ctx.digits >= 3 { text } else { "" }) {
        emit(
            ctx,
            out,
            "date-of-birth",
            m.start(),
            m.end(),
            &text[m.start()..m.end()],
            None,
        );
    }

    for m in pats
        .ni_number
        .find_iter(if ctx.digits >= 6 { text } else { "" })
    {
        let raw = &text[m.start()..m.end()];
        let prefix = &raw[..2];
        if ["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"].contains(&prefix) {
            continue;
        }
        emit(
            ctx,
            out,
            "ni-number",
            m.start(),
            m.end(),
            raw,
            Some("[removed]".into()),
        );
    }

    // A number written after "NI" or "National Insurance" is one, even in a shape HMRC
    // never issues (the example number QQ 12 34 56 C).
    for c in pats
        .ni_loose
        .captures_iter(if ctx.digits >= 6 { text } else { "" })
    {
        if let Some(m) = c.get(1) {
            emit(
                ctx,
                out,
                "ni-number",
                m.start(),
                m.end(),
                m.as_str(),
                Some("[removed]".into()),
            );
        }
    }

    let vehicle_appeal = ctx.appeal || lex.get("appeal_vehicle").is_match(text);
    if !vehicle_appeal {
        for m in pats
            .vehicle_reg
            .find_iter(if ctx.digits >= 1 { text } else { "" })
        {
            let raw = &text[m.start()..m.end()];
            let letters: String = raw.chars().filter(char::is_ascii_alphabetic).collect();
            if ACRONYM_PLATES
                .iter()
                .any(|a| letters.ends_with(a) || letters.starts_with(a))
                || ctx.lex.get("acronyms").is_match(raw)
            {
                continue;
            }
            emit(
                ctx,
                out,
                "vehicle-registration",
                m.start(),
                m.end(),
                raw,
                None,
            );
        }
    }
}

fn emit(
    ctx: &Ctx<'_>,
    out: &mut Emitter<'_>,
    rule: &str,
    s: usize,
    e: usize,
    words: &str,
    suggestion: Option<String>,
) {
    if ctx
        .draft
        .context
        .disclosure_purpose
        .as_deref()
        .is_some_and(|p| !p.trim().is_empty())
    {
        // The purpose is recorded: nothing to hold for. Say nothing rather than add
        // noise; the audit trail keeps the purpose.
        return;
    }
    match suggestion {
        Some(sug) => out.emit_with(
            rule,
            s,
            e,
            words,
            format!(
                "Replace \"{words}\" with {sug}, or record the policing purpose for publishing it."
            ),
        ),
        None => out.emit(rule, s, e, words),
    }
}

pub(crate) fn own_or_org_number(engine: &Engine, digits: &str) -> bool {
    let national = digits
        .strip_prefix("44")
        .map_or_else(|| digits.to_string(), |rest| format!("0{rest}"));
    let national = national
        .strip_prefix("00")
        .map_or(national.clone(), |r| format!("0{r}"));
    if national == "08005551111" || national == "0800555111" {
        return true; // Crimestoppers
    }
    if [
        "0800", "0808", "0300", "0330", "0333", "0345", "0370", "0371", "0843", "0844", "0845",
        "0870", "0871", "0500",
    ]
    .iter()
    .any(|p| national.starts_with(p))
    {
        return true;
    }
    engine
        .force
        .own_number_digits
        .iter()
        .any(|own| national.ends_with(own.trim_start_matches('0')) || *own == national)
}

fn org_domain(engine: &Engine, domain: &str) -> bool {
    let official = [
        "police.uk",
        "gov.uk",
        "nhs.uk",
        "nhs.net",
        "sch.uk",
        "ac.uk",
        "mod.uk",
        "parliament.uk",
        "gov.wales",
        "gov.scot",
        "crimestoppers-uk.org",
    ];
    official
        .iter()
        .chain(
            engine
                .force
                .own_email_domains
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .iter(),
        )
        .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
}

fn is_public_address(engine: &Engine, text: &str, s: usize, e: usize) -> bool {
    if let Some(st) = &engine.force.station_addresses {
        if st.is_match(&text[s..e]) {
            return true;
        }
    }
    let ws = floor(text, s.saturating_sub(45));
    let we = floor(text, (e + 45).min(text.len()));
    // Look around the address, not inside it: "Church Walk" and "Park Road" are streets.
    engine.core.pats.public_place.is_match(&text[ws..s])
        || engine.core.pats.public_place.is_match(&text[e..we])
}

fn floor(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
