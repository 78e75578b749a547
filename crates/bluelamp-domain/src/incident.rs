//! A live incident's structured updates: typed facts (a road closure with its line on
//! the map, a diversion, safety advice, "avoid the area", the all-clear) that read well
//! as plain text wherever the update lands, and the GeoJSON geometry they carry.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Invalid;

pub const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];
/// Enough points for a road through a town; a bigger drawing is a mistake or an attack.
const MAX_POINTS: usize = 2_000;
const MAX_FIELD: usize = 300;

/// One typed fact in an update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fact {
    RoadClosure {
        road: String,
        #[serde(default)]
        from: String,
        #[serde(default)]
        to: String,
        #[serde(default)]
        direction: String,
        /// A GeoJSON LineString along the closed stretch.
        #[serde(default)]
        line: Option<Value>,
    },
    Diversion {
        route: String,
        #[serde(default)]
        line: Option<Value>,
    },
    SafetyAdvice {
        advice: String,
    },
    AvoidArea,
    AllClear,
}

impl Fact {
    /// The fact as a line of plain text.
    pub fn sentence(&self, area: &str) -> String {
        match self {
            Fact::RoadClosure {
                road,
                from,
                to,
                direction,
                ..
            } => {
                let mut s = format!("Road closed: {road}");
                if !direction.is_empty() {
                    s.push_str(&format!(" ({direction})"));
                }
                match (from.is_empty(), to.is_empty()) {
                    (false, false) => s.push_str(&format!(" between {from} and {to}")),
                    (false, true) => s.push_str(&format!(" from {from}")),
                    (true, false) => s.push_str(&format!(" up to {to}")),
                    (true, true) => {}
                }
                s.push('.');
                s
            }
            Fact::Diversion { route, .. } => format!("Diversion: {route}."),
            Fact::SafetyAdvice { advice } => format!("Safety advice: {advice}"),
            Fact::AvoidArea => format!("Please avoid the {area} area."),
            Fact::AllClear => "All clear: roads have reopened.".to_string(),
        }
    }

    /// The lines this fact draws on the map.
    pub fn line(&self) -> Option<&Value> {
        match self {
            Fact::RoadClosure { line, .. } | Fact::Diversion { line, .. } => line.as_ref(),
            _ => None,
        }
    }

    fn validate(&self) -> Result<(), Invalid> {
        let texts: Vec<&String> = match self {
            Fact::RoadClosure {
                road,
                from,
                to,
                direction,
                ..
            } => {
                if road.trim().is_empty() {
                    return Err(Invalid::new("facts", "a road closure names the road"));
                }
                vec![road, from, to, direction]
            }
            Fact::Diversion { route, .. } => {
                if route.trim().is_empty() {
                    return Err(Invalid::new("facts", "a diversion describes its route"));
                }
                vec![route]
            }
            Fact::SafetyAdvice { advice } => {
                if advice.trim().is_empty() {
                    return Err(Invalid::new("facts", "safety advice needs its text"));
                }
                vec![advice]
            }
            Fact::AvoidArea | Fact::AllClear => vec![],
        };
        if texts.iter().any(|t| t.chars().count() > MAX_FIELD) {
            return Err(Invalid::new(
                "facts",
                format!("each field of a fact is at most {MAX_FIELD} characters"),
            ));
        }
        if let Some(line) = self.line() {
            line_string(line)?;
        }
        Ok(())
    }
}

/// Parse and check an update's facts (a JSON list).
pub fn parse_facts(value: &Value) -> Result<Vec<Fact>, Invalid> {
    let facts: Vec<Fact> = serde_json::from_value(value.clone()).map_err(|e| {
        Invalid::new(
            "facts",
            format!("expected a list of facts (road-closure, diversion, safety-advice, avoid-area, all-clear): {e}"),
        )
    })?;
    if facts.len() > 20 {
        return Err(Invalid::new("facts", "at most 20 facts in one update"));
    }
    for fact in &facts {
        fact.validate()?;
    }
    Ok(facts)
}

/// UK postcode districts ("LL29", "CF10", "SW1A"), as an area alert names them:
/// separated by commas or spaces, any case; returned upper-case, sorted, once each.
pub fn parse_districts(text: &str) -> Result<Vec<String>, Invalid> {
    let mut found: Vec<String> = Vec::new();
    for part in text
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let d = part.to_ascii_uppercase();
        let letters = d.chars().take_while(char::is_ascii_alphabetic).count();
        let rest = &d[letters..];
        let valid = (1..=2).contains(&letters)
            && (1..=2).contains(&rest.len())
            && rest.chars().next().is_some_and(|c| c.is_ascii_digit())
            && rest.chars().all(|c| c.is_ascii_alphanumeric());
        if !valid {
            return Err(Invalid::new(
                "districts",
                format!("'{part}' is not a postcode district; give the first half of a postcode, such as LL29"),
            ));
        }
        if !found.contains(&d) {
            found.push(d);
        }
    }
    if found.len() > 30 {
        return Err(Invalid::new("districts", "at most 30 postcode districts"));
    }
    found.sort();
    Ok(found)
}

/// A point as GeoJSON writes it: longitude, latitude.
pub type Point = (f64, f64);

fn position(value: &Value) -> Result<Point, Invalid> {
    let bad = || Invalid::new("geometry", "a position is [longitude, latitude] in degrees");
    let pair = value.as_array().ok_or_else(bad)?;
    if !(2..=3).contains(&pair.len()) {
        return Err(bad());
    }
    let lon = pair[0].as_f64().ok_or_else(bad)?;
    let lat = pair[1].as_f64().ok_or_else(bad)?;
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(Invalid::new(
            "geometry",
            "longitude must be within ±180 and latitude within ±90",
        ));
    }
    Ok((lon, lat))
}

fn positions(value: &Value, min: usize) -> Result<Vec<Point>, Invalid> {
    let list = value
        .as_array()
        .ok_or_else(|| Invalid::new("geometry", "coordinates must be a list of positions"))?;
    if list.len() < min {
        return Err(Invalid::new(
            "geometry",
            format!("at least {min} positions are needed"),
        ));
    }
    if list.len() > MAX_POINTS {
        return Err(Invalid::new(
            "geometry",
            format!("at most {MAX_POINTS} positions"),
        ));
    }
    list.iter().map(position).collect()
}

fn typed<'a>(value: &'a Value, kind: &str) -> Result<&'a Value, Invalid> {
    if value.get("type").and_then(Value::as_str) != Some(kind) {
        return Err(Invalid::new(
            "geometry",
            format!("expected a GeoJSON {kind}"),
        ));
    }
    value
        .get("coordinates")
        .ok_or_else(|| Invalid::new("geometry", "a GeoJSON geometry needs coordinates"))
}

/// A GeoJSON LineString's points.
pub fn line_string(value: &Value) -> Result<Vec<Point>, Invalid> {
    positions(typed(value, "LineString")?, 2)
}

/// A GeoJSON Polygon's rings (each closed: first and last positions equal).
pub fn polygon(value: &Value) -> Result<Vec<Vec<Point>>, Invalid> {
    let rings = typed(value, "Polygon")?
        .as_array()
        .ok_or_else(|| Invalid::new("geometry", "a Polygon's coordinates are a list of rings"))?;
    if rings.is_empty() || rings.len() > 50 {
        return Err(Invalid::new("geometry", "a Polygon has 1 to 50 rings"));
    }
    rings
        .iter()
        .map(|ring| {
            let points = positions(ring, 4)?;
            if points.first() != points.last() {
                return Err(Invalid::new(
                    "geometry",
                    "a Polygon's ring must end where it starts",
                ));
            }
            Ok(points)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn facts_read_as_plain_text() {
        let facts = parse_facts(&json!([
            {"type": "road-closure", "road": "A548 Coast Road", "from": "Abergele", "to": "Towyn", "direction": "both directions",
             "line": {"type": "LineString", "coordinates": [[-3.58, 53.29], [-3.55, 53.28]]}},
            {"type": "avoid-area"}
        ]))
        .expect("valid");
        assert_eq!(
            facts[0].sentence("Towyn"),
            "Road closed: A548 Coast Road (both directions) between Abergele and Towyn."
        );
        assert_eq!(facts[1].sentence("Towyn"), "Please avoid the Towyn area.");
    }

    #[test]
    fn districts_are_postcode_halves() {
        assert_eq!(
            parse_districts("ll29, LL22 ll29").unwrap(),
            ["LL22", "LL29"]
        );
        assert_eq!(parse_districts("SW1A").unwrap(), ["SW1A"]);
        assert!(parse_districts("LL29 9AA").is_err());
        assert!(parse_districts("Towyn").is_err());
        assert!(parse_districts("").unwrap().is_empty());
    }

    #[test]
    fn bad_geometry_is_refused_with_the_reason() {
        let open_ring = json!({"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1]]]});
        assert!(polygon(&open_ring)
            .unwrap_err()
            .message
            .contains("end where it starts"));
        let far = json!({"type": "LineString", "coordinates": [[0,0],[200,0]]});
        assert!(line_string(&far).unwrap_err().message.contains("±180"));
        let point = json!({"type": "Point", "coordinates": [0,0]});
        assert!(line_string(&point).is_err());
        let unknown = json!([{"type": "road-closure", "road": "A55", "colour": "red"}]);
        assert!(parse_facts(&unknown).is_err());
    }
}
