//! Lenient field readers for what other servers send.
//!
//! The fediverse agrees on ActivityStreams in spirit, not in shape: `to` is a string
//! or an array, `attributedTo` an id, an object or a list of both, `url` a string or
//! a list of `Link`s. These helpers read a `serde_json::Value` in whatever shape and
//! never fail: a field of a shape we do not understand reads as absent, so one odd
//! field never costs us the whole activity.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The id of a value that may be a bare id string or an embedded object
/// (`{"id": ...}` or, for `Link`s, `{"href": ...}`).
pub fn id_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(map) => map
            .get("id")
            .or_else(|| map.get("href"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        _ => None,
    }
}

/// Every id in a value that may be one id, one object, or an array of either.
pub fn ids_of(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(id_of).collect(),
        other => id_of(other).into_iter().collect(),
    }
}

/// A string field; anything else (null, number, object) reads as absent.
pub fn string_of(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

/// `type` may be a string or, in JSON-LD, an array of strings; the first one that is
/// a plain ActivityStreams name wins.
pub fn type_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Array(items) => items.iter().find_map(|v| v.as_str()).map(str::to_owned),
        _ => None,
    }
}

/// The first URL of a `url`/`icon`/`image` field: a string, a `Link`/`Image` object
/// (whose own `url` may again be a string or a list), or an array of those. An
/// `text/html` link is preferred, as PeerTube lists the page next to the video files.
pub fn first_url(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(map) => map
            .get("href")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| map.get("url").and_then(first_url)),
        Value::Array(items) => items
            .iter()
            .find(|v| v.get("mediaType").and_then(Value::as_str) == Some("text/html"))
            .and_then(first_url)
            .or_else(|| items.iter().find_map(first_url)),
        _ => None,
    }
}

/// A boolean that some servers send as a string.
pub fn bool_of(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Serde adapters so the inbound structs can derive `Deserialize` and still take any
/// shape. Each reads the field as a `Value` first, so a surprising shape is ignored
/// rather than failing the whole document.
pub mod de {
    use super::*;

    pub fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(ids_of(&Value::deserialize(d)?))
    }

    pub fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(match &v {
            Value::Array(items) => items.iter().find_map(id_of),
            other => id_of(other),
        })
    }

    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(string_of(&Value::deserialize(d)?))
    }

    pub fn opt_type<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(type_of(&Value::deserialize(d)?))
    }

    pub fn opt_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(first_url(&Value::deserialize(d)?))
    }

    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(bool_of(&Value::deserialize(d)?).unwrap_or(false))
    }

    pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        Ok(Value::deserialize(d)?
            .as_u64()
            .and_then(|n| u32::try_from(n).ok()))
    }

    /// A list whose items are each read leniently: items that do not fit are dropped.
    pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: serde::de::DeserializeOwned,
    {
        let items = match Value::deserialize(d)? {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            single => vec![single],
        };
        Ok(items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect())
    }

    /// `contentMap`: language → HTML; non-string entries are dropped.
    pub fn lang_map<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<std::collections::BTreeMap<String, String>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Object(map) => map
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                .collect(),
            _ => Default::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_take_every_shape() {
        assert_eq!(ids_of(&json!("a")), vec!["a"]);
        assert_eq!(ids_of(&json!(["a", {"id": "b"}, 3, null])), vec!["a", "b"]);
        assert_eq!(ids_of(&json!({"href": "c"})), vec!["c"]);
        assert!(ids_of(&json!(null)).is_empty());
    }

    #[test]
    fn urls_prefer_html_links() {
        let v = json!([
            {"type": "Link", "mediaType": "video/mp4", "href": "https://x/v.mp4"},
            {"type": "Link", "mediaType": "text/html", "href": "https://x/w/1"}
        ]);
        assert_eq!(first_url(&v).as_deref(), Some("https://x/w/1"));
        assert_eq!(
            first_url(&json!({"type": "Image", "url": "https://x/a.png"})).as_deref(),
            Some("https://x/a.png")
        );
    }
}
