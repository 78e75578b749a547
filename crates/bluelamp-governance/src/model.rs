//! The wire types: what a caller hands the engine (a [`Draft`]) and what it gets back
//! (a [`Report`]). The JSON shapes are the API's (`bluelamp check --jsonl`,
//! `POST /api/v1/check`), so field names and enum spellings here must stay stable.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A post as the author wrote it, with what the platform knows about it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "RawDraft")]
pub struct Draft {
    pub text: String,
    pub media: Vec<Media>,
    pub channels: Vec<Channel>,
    pub context: Context,
}

impl Draft {
    /// A draft with just text and default context (corporate update, no case, no channels).
    pub fn new(text: impl Into<String>) -> Draft {
        Draft {
            text: text.into(),
            ..Draft::default()
        }
    }
}

/// The JSON as it arrives. `media` and `channels` are accepted at the top level (the
/// documented shape) and, for callers who read the issue's "context keys ... plus media
/// and channels" literally, inside `context` too.
#[derive(Deserialize)]
struct RawDraft {
    #[serde(default)]
    text: String,
    #[serde(default)]
    media: Option<Vec<Media>>,
    #[serde(default)]
    channels: Option<Vec<Channel>>,
    #[serde(default)]
    context: RawContext,
}

#[derive(Deserialize, Default)]
struct RawContext {
    #[serde(flatten)]
    context: Context,
    #[serde(default)]
    media: Option<Vec<Media>>,
    #[serde(default)]
    channels: Option<Vec<Channel>>,
}

impl From<RawDraft> for Draft {
    fn from(raw: RawDraft) -> Draft {
        Draft {
            text: raw.text,
            media: raw.media.or(raw.context.media).unwrap_or_default(),
            channels: raw.channels.or(raw.context.channels).unwrap_or_default(),
            context: raw.context.context,
        }
    }
}

/// An image or video attached to the draft.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Media {
    #[serde(default)]
    pub alt: Option<String>,
}

/// Where the post is going. Each network counts length its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    #[serde(alias = "mastodon", alias = "activitypub")]
    Fediverse,
    Bluesky,
    #[serde(alias = "twitter")]
    X,
    Facebook,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Fediverse => "fediverse",
            Channel::Bluesky => "bluesky",
            Channel::X => "x",
            Channel::Facebook => "facebook",
            Channel::Email => "email",
        }
    }
}

/// Who is posting, what sort of post it is and what case it is linked to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Context {
    #[serde(default)]
    pub account_kind: AccountKind,
    #[serde(default)]
    pub kind: PostKind,
    #[serde(default)]
    pub case_status: CaseStatus,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub sexual_offence: bool,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub pre_election: bool,
    /// The recorded rationale of the SIO/Gold decision to name a suspect (APP).
    #[serde(default)]
    pub naming_exception: Option<String>,
    /// The reference of a court order lifting a child's anonymity.
    #[serde(default)]
    pub court_order_ref: Option<String>,
    /// The complainant's signed written waiver of anonymity is on file.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub anonymity_waiver: bool,
    /// The recorded policing purpose for disclosing personal data (DPA 2018).
    #[serde(default)]
    pub disclosure_purpose: Option<String>,
    /// The people the linked case records (suspect, complainant, witness), so the
    /// check recognises their names even where nothing else in the words would.
    #[serde(default)]
    pub people: Vec<CasePerson>,
}

/// Someone a case records, as the check needs them: a name, a part and an age.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CasePerson {
    pub name: String,
    pub role: CaseRole,
    #[serde(default)]
    pub age: Option<u32>,
}

/// A person's part in a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseRole {
    Suspect,
    Complainant,
    Witness,
}

impl CaseRole {
    pub const ALL: [CaseRole; 3] = [CaseRole::Suspect, CaseRole::Complainant, CaseRole::Witness];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseRole::Suspect => "suspect",
            CaseRole::Complainant => "complainant",
            CaseRole::Witness => "witness",
        }
    }
}

/// `null` means "not set": accept it for booleans as false rather than erroring.
fn lenient_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    Personal,
    #[default]
    Corporate,
    Unit,
    Collective,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PostKind {
    #[default]
    Update,
    Appeal,
    Incident,
    Personal,
    Reply,
}

/// The legal status of the linked case; it decides whether proceedings are active.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseStatus {
    #[default]
    None,
    Arrested,
    Charged,
    Convicted,
    Acquitted,
    Nfa,
}

/// How serious a finding is. Ordered: `Advice < Hold < Refuse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Advice,
    Hold,
    Refuse,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Advice => "advice",
            Severity::Hold => "hold",
            Severity::Refuse => "refuse",
        }
    }
}

/// What happens to the draft: the strongest finding wins; advice never holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Publish,
    Hold,
    Refuse,
}

impl Decision {
    /// The CLI's exit code: 0 publish, 1 hold, 2 refuse (3 is bad input, decided by the caller).
    pub fn exit_code(&self) -> i32 {
        match self {
            Decision::Publish => 0,
            Decision::Hold => 1,
            Decision::Refuse => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Publish => "publish",
            Decision::Hold => "hold",
            Decision::Refuse => "refuse",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stable category ids of the API. Never rename one: clients filter on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    VictimIdentity,
    ChildIdentity,
    Contempt,
    PersonalData,
    Operational,
    Political,
    Tone,
    Accessibility,
    EmergencyAdvice,
    Length,
    DuplicateCorporate,
}

impl Category {
    pub const ALL: [Category; 11] = [
        Category::VictimIdentity,
        Category::ChildIdentity,
        Category::Contempt,
        Category::PersonalData,
        Category::Operational,
        Category::Political,
        Category::Tone,
        Category::Accessibility,
        Category::EmergencyAdvice,
        Category::Length,
        Category::DuplicateCorporate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::VictimIdentity => "victim-identity",
            Category::ChildIdentity => "child-identity",
            Category::Contempt => "contempt",
            Category::PersonalData => "personal-data",
            Category::Operational => "operational",
            Category::Political => "political",
            Category::Tone => "tone",
            Category::Accessibility => "accessibility",
            Category::EmergencyAdvice => "emergency-advice",
            Category::Length => "length",
            Category::DuplicateCorporate => "duplicate-corporate",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing the check found, pointing at the words in the original text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub category: Category,
    pub rule: String,
    pub severity: Severity,
    /// Byte offsets into the draft text exactly as the caller sent it.
    pub start: usize,
    pub end: usize,
    /// The same span in Unicode scalar values (characters), for editors.
    pub char_start: usize,
    pub char_end: usize,
    pub message: String,
    pub basis: String,
    pub suggestion: Option<String>,
    /// Set when the finding applies to one target channel only (length).
    pub channel: Option<Channel>,
}

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub decision: Decision,
    pub findings: Vec<Finding>,
}

impl Report {
    pub(crate) fn from_findings(mut findings: Vec<Finding>) -> Report {
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.start.cmp(&b.start))
                .then(a.category.cmp(&b.category))
        });
        let decision = match findings.iter().map(|f| f.severity).max() {
            Some(Severity::Refuse) => Decision::Refuse,
            Some(Severity::Hold) => Decision::Hold,
            _ => Decision::Publish,
        };
        Report { decision, findings }
    }

    /// The distinct categories found, in stable order.
    pub fn categories(&self) -> Vec<Category> {
        let mut c: Vec<Category> = self.findings.iter().map(|f| f.category).collect();
        c.sort();
        c.dedup();
        c
    }
}

/// Why a request could not be read. The message names the field at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DraftError {
    #[error("the request is not valid JSON: {0}")]
    Syntax(String),
    #[error("field `{field}`: {message}")]
    Field { field: String, message: String },
}

/// The longest draft a request may carry, in characters: the longest post
/// Bluelamp accepts (every network's own limit is far lower). A longer draft is an
/// error naming the limit, never a "publish" for text nobody could post.
pub const MAX_DRAFT_CHARS: usize = 20_000;

/// Parses the JSON of `POST /api/v1/check` (and one `--jsonl` line) into a [`Draft`].
pub fn parse_request(json: &str) -> Result<Draft, DraftError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| DraftError::Syntax(e.to_string()))?;
    draft_from_value(value)
}

/// Like [`parse_request`], for a raw HTTP body: bytes that are not UTF-8 are a clear
/// error naming the byte offset, not a panic or a lossy guess.
pub fn parse_request_bytes(body: &[u8]) -> Result<Draft, DraftError> {
    let json = std::str::from_utf8(body).map_err(|e| {
        DraftError::Syntax(format!(
            "the request body is not valid UTF-8 (first bad byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    parse_request(json)
}

pub(crate) fn draft_from_value(value: serde_json::Value) -> Result<Draft, DraftError> {
    if !value.is_object() {
        return Err(DraftError::Field {
            field: "(root)".into(),
            message: "expected a JSON object like {\"text\": \"...\"}".into(),
        });
    }
    // Validate field by field first, so that the error names the field that is wrong
    // rather than serde's position in a re-serialised value.
    check_field::<String>(&value, &["text"], "a string")?;
    if let Some(text) = value.get("text").and_then(|t| t.as_str()) {
        let length = text.chars().count();
        if length > MAX_DRAFT_CHARS {
            return Err(DraftError::Field {
                field: "text".into(),
                message: format!(
                    "is {length} characters long; a post may be at most {MAX_DRAFT_CHARS} characters"
                ),
            });
        }
    }
    check_field::<Option<Vec<Media>>>(&value, &["media"], "a list of {\"alt\": string|null}")?;
    check_field::<Option<Vec<Channel>>>(
        &value,
        &["channels"],
        "a list of: fediverse, bluesky, x, facebook, email",
    )?;
    if let Some(ctx) = value.get("context") {
        if !ctx.is_null() && !ctx.is_object() {
            return Err(DraftError::Field {
                field: "context".into(),
                message: "expected an object".into(),
            });
        }
        for (key, what) in [
            (
                "account_kind",
                "one of: personal, corporate, unit, collective",
            ),
            ("kind", "one of: update, appeal, incident, personal, reply"),
            (
                "case_status",
                "one of: none, arrested, charged, convicted, acquitted, nfa",
            ),
        ] {
            match key {
                "account_kind" => {
                    check_field::<Option<AccountKind>>(&value, &["context", key], what)?
                }
                "kind" => check_field::<Option<PostKind>>(&value, &["context", key], what)?,
                _ => check_field::<Option<CaseStatus>>(&value, &["context", key], what)?,
            }
        }
        for key in ["sexual_offence", "pre_election", "anonymity_waiver"] {
            check_field::<Option<bool>>(&value, &["context", key], "true or false")?;
        }
        for key in ["naming_exception", "court_order_ref", "disclosure_purpose"] {
            check_field::<Option<String>>(&value, &["context", key], "a string")?;
        }
        check_field::<Option<Vec<CasePerson>>>(
            &value,
            &["context", "people"],
            "a list of {\"name\": string, \"role\": suspect|complainant|witness, \"age\": number|null}",
        )?;
        check_field::<Option<Vec<Media>>>(
            &value,
            &["context", "media"],
            "a list of {\"alt\": string|null}",
        )?;
        check_field::<Option<Vec<Channel>>>(
            &value,
            &["context", "channels"],
            "a list of: fediverse, bluesky, x, facebook, email",
        )?;
    }
    serde_json::from_value(value).map_err(|e| DraftError::Field {
        field: "(root)".into(),
        message: e.to_string(),
    })
}

fn check_field<T: serde::de::DeserializeOwned>(
    root: &serde_json::Value,
    path: &[&str],
    expected: &str,
) -> Result<(), DraftError> {
    let mut v = root;
    for p in path {
        match v.get(p) {
            Some(next) => v = next,
            None => return Ok(()),
        }
    }
    serde_json::from_value::<T>(v.clone())
        .map(|_| ())
        .map_err(|_| DraftError::Field {
            field: path.join("."),
            message: format!("expected {expected}, got {}", short_json(v)),
        })
}

fn short_json(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        let cut: String = s.chars().take(40).collect();
        format!("{cut}…")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_request_takes_defaults() {
        let d = parse_request(r#"{"text":"hello"}"#).expect("parses");
        assert_eq!(d.text, "hello");
        assert_eq!(d.context.kind, PostKind::Update);
        assert_eq!(d.context.case_status, CaseStatus::None);
        assert!(d.channels.is_empty());
    }

    #[test]
    fn media_and_channels_are_accepted_inside_context_too() {
        let d = parse_request(
            r#"{"text":"x","context":{"kind":"appeal","media":[{"alt":null}],"channels":["x","mastodon"]}}"#,
        )
        .expect("parses");
        assert_eq!(d.media.len(), 1);
        assert_eq!(d.channels, vec![Channel::X, Channel::Fediverse]);
        assert_eq!(d.context.kind, PostKind::Appeal);
    }

    #[test]
    fn an_unknown_enum_value_names_the_field() {
        let e = parse_request(r#"{"text":"x","context":{"case_status":"bailed"}}"#)
            .expect_err("must fail");
        let msg = e.to_string();
        assert!(msg.contains("context.case_status"), "{msg}");
        assert!(msg.contains("arrested"), "{msg}");
    }

    #[test]
    fn an_unknown_channel_names_the_field() {
        let e = parse_request(r#"{"text":"x","channels":["myspace"]}"#).expect_err("must fail");
        assert!(e.to_string().contains("channels"), "{e}");
    }

    #[test]
    fn text_of_the_wrong_type_is_a_field_error() {
        let e = parse_request(r#"{"text":42}"#).expect_err("must fail");
        assert!(e.to_string().contains("`text`"), "{e}");
    }

    #[test]
    fn a_non_object_is_refused_clearly() {
        assert!(parse_request("[1,2]").is_err());
        assert!(matches!(parse_request("{"), Err(DraftError::Syntax(_))));
    }

    #[test]
    fn decisions_serialise_lowercase_and_map_to_exit_codes() {
        assert_eq!(
            serde_json::to_string(&Decision::Refuse).expect("serialises"),
            "\"refuse\""
        );
        assert_eq!(Decision::Publish.exit_code(), 0);
        assert_eq!(Decision::Hold.exit_code(), 1);
        assert_eq!(Decision::Refuse.exit_code(), 2);
    }

    #[test]
    fn category_ids_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
            let json = serde_json::to_string(&c).expect("serialises");
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
    }
}
