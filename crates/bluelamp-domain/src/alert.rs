//! Area alerts: what a member of the public follows (postcode districts, a drawn
//! area, topics) and whether a post is something they asked for. Pure: the
//! subscription service reads the rows and asks here.

use crate::incident::{polygon, Point};
use crate::Invalid;

/// The topics a subscriber may choose. A post's topic comes from what it is
/// linked to ([`topic_of`]).
pub const TOPICS: [&str; 3] = ["incidents", "appeals", "news"];

/// The topic of a post linked (or not) to an incident or appeal.
pub fn topic_of(link_kind: Option<&str>) -> &'static str {
    match link_kind {
        Some("incident") => "incidents",
        Some("appeal") => "appeals",
        _ => "news",
    }
}

/// The chosen topics, in [`TOPICS`] order; empty when none were ticked.
pub fn parse_topics<'a>(
    chosen: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<&'static str>, Invalid> {
    let chosen: Vec<&str> = chosen
        .into_iter()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if let Some(unknown) = chosen.iter().find(|t| !TOPICS.contains(t)) {
        return Err(Invalid::new(
            "topics",
            format!(
                "unknown topic \"{unknown}\"; choose from {}",
                TOPICS.join(", ")
            ),
        ));
    }
    Ok(TOPICS.into_iter().filter(|t| chosen.contains(t)).collect())
}

/// A drawn area as GeoJSON text: a valid Polygon of at most 64 KiB, stored
/// compact. Blank: none.
pub fn parse_drawn_area(text: &str) -> Result<Option<String>, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() > 64 * 1024 {
        return Err(Invalid::new("area_geojson", "at most 64 KiB of GeoJSON"));
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Invalid::new("area_geojson", format!("not GeoJSON: {e}")))?;
    polygon(&value).map_err(|e| Invalid::new("area_geojson", e.message))?;
    Ok(Some(value.to_string()))
}

/// Where a post is about, as far as alerts are concerned.
#[derive(Debug, Clone, Default)]
pub struct Place {
    pub topic: &'static str,
    /// Postcode districts its incident or appeal touches.
    pub districts: Vec<String>,
    /// Its incident's area (outer ring first), if drawn.
    pub area: Vec<Vec<Point>>,
}

/// What one subscriber follows, read from their row.
#[derive(Debug, Clone, Default)]
pub struct Follows {
    pub districts: Vec<String>,
    pub topics: Vec<String>,
    pub area: Vec<Vec<Point>>,
}

impl Follows {
    /// From the stored columns (comma lists and GeoJSON text). A stored area that
    /// no longer parses counts as none rather than losing the subscriber's mail.
    pub fn from_columns(areas: Option<&str>, topics: Option<&str>, area: Option<&str>) -> Follows {
        let list = |text: Option<&str>| -> Vec<String> {
            text.unwrap_or("")
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        Follows {
            districts: list(areas),
            topics: list(topics),
            area: area
                .and_then(|a| serde_json::from_str(a).ok())
                .and_then(|a| polygon(&a).ok())
                .unwrap_or_default(),
        }
    }

    /// Does a post about `place` reach this subscriber? Topics narrow first; then,
    /// for a subscriber who named districts or drew an area, only posts whose
    /// incident or appeal touches one of them (general news has no place, so it
    /// does not reach them).
    pub fn wants(&self, place: &Place) -> bool {
        if !self.topics.is_empty() && !self.topics.iter().any(|t| t == place.topic) {
            return false;
        }
        if self.districts.is_empty() && self.area.is_empty() {
            return true;
        }
        let by_district = self
            .districts
            .iter()
            .any(|d| place.districts.iter().any(|p| p == d));
        by_district || areas_overlap(&self.area, &place.area)
    }
}

/// Do two polygons (outer rings; holes ignored, which can only widen a match)
/// share any ground? Either has a vertex inside the other, or their edges cross.
pub fn areas_overlap(a: &[Vec<Point>], b: &[Vec<Point>]) -> bool {
    let (Some(a), Some(b)) = (a.first(), b.first()) else {
        return false;
    };
    a.iter().any(|p| inside(*p, b))
        || b.iter().any(|p| inside(*p, a))
        || a.windows(2)
            .any(|e| b.windows(2).any(|f| cross(e[0], e[1], f[0], f[1])))
}

/// Ray casting: is `p` inside the closed ring?
fn inside(p: Point, ring: &[Point]) -> bool {
    let mut within = false;
    for edge in ring.windows(2) {
        let ((x1, y1), (x2, y2)) = (edge[0], edge[1]);
        if (y1 > p.1) != (y2 > p.1) && p.0 < x1 + (p.1 - y1) * (x2 - x1) / (y2 - y1) {
            within = !within;
        }
    }
    within
}

/// Do segments p1-p2 and q1-q2 intersect (touching counts)?
fn cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool {
    let turn = |a: Point, b: Point, c: Point| (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
    let (d1, d2) = (turn(q1, q2, p1), turn(q1, q2, p2));
    let (d3, d4) = (turn(p1, p2, q1), turn(p1, p2, q2));
    ((d1 > 0.0) != (d2 > 0.0) || d1 == 0.0 || d2 == 0.0)
        && ((d3 > 0.0) != (d4 > 0.0) || d3 == 0.0 || d4 == 0.0)
        && bounds_meet(p1, p2, q1, q2)
}

fn bounds_meet(p1: Point, p2: Point, q1: Point, q2: Point) -> bool {
    p1.0.min(p2.0) <= q1.0.max(q2.0)
        && q1.0.min(q2.0) <= p1.0.max(p2.0)
        && p1.1.min(p2.1) <= q1.1.max(q2.1)
        && q1.1.min(q2.1) <= p1.1.max(p2.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, size: f64) -> Vec<Vec<Point>> {
        vec![vec![
            (x, y),
            (x + size, y),
            (x + size, y + size),
            (x, y + size),
            (x, y),
        ]]
    }

    #[test]
    fn drawn_areas_meet_when_they_share_ground() {
        let towyn = square(-3.56, 53.28, 0.02);
        assert!(
            areas_overlap(&towyn, &square(-3.55, 53.29, 0.05)),
            "corner overlap"
        );
        assert!(
            areas_overlap(&towyn, &square(-3.555, 53.285, 0.001)),
            "one inside the other"
        );
        assert!(
            areas_overlap(&square(-3.6, 53.2, 1.0), &towyn),
            "the other inside the one"
        );
        // Two bars crossing like a plus sign: no vertex of either is inside the other.
        let bar = vec![vec![
            (0.0, 0.4),
            (1.0, 0.4),
            (1.0, 0.6),
            (0.0, 0.6),
            (0.0, 0.4),
        ]];
        let post = vec![vec![
            (0.4, -1.0),
            (0.6, -1.0),
            (0.6, 2.0),
            (0.4, 2.0),
            (0.4, -1.0),
        ]];
        assert!(areas_overlap(&bar, &post), "crossing edges");
        assert!(
            !areas_overlap(&towyn, &square(-3.0, 53.0, 0.1)),
            "far apart"
        );
        assert!(!areas_overlap(&towyn, &[]), "no drawn area");
    }

    #[test]
    fn a_subscriber_gets_what_they_follow() {
        let place = Place {
            topic: "incidents",
            districts: vec!["LL22".into()],
            area: square(-3.56, 53.28, 0.02),
        };
        let everything = Follows::default();
        assert!(everything.wants(&place));
        assert!(everything.wants(&Place {
            topic: "news",
            ..Place::default()
        }));
        let appeals_only = Follows::from_columns(None, Some("appeals"), None);
        assert!(!appeals_only.wants(&place));
        let rhyl = Follows::from_columns(Some("LL18"), None, None);
        assert!(!rhyl.wants(&place));
        assert!(
            !rhyl.wants(&Place {
                topic: "news",
                ..Place::default()
            }),
            "news has no place"
        );
        let drawn = serde_json::json!({"type": "Polygon", "coordinates": [[[-3.555, 53.285], [-3.50, 53.285], [-3.50, 53.30], [-3.555, 53.30], [-3.555, 53.285]]]});
        let drew = Follows::from_columns(Some("LL18"), Some("incidents"), Some(&drawn.to_string()));
        assert!(
            drew.wants(&place),
            "the drawn area overlaps though the district does not"
        );
    }

    #[test]
    fn bad_topics_and_areas_are_refused() {
        assert_eq!(
            parse_topics(["news", "incidents"]).unwrap(),
            ["incidents", "news"]
        );
        assert!(parse_topics(["sport"])
            .unwrap_err()
            .message
            .contains("incidents, appeals, news"));
        assert!(parse_drawn_area("{\"type\": \"Point\", \"coordinates\": [0, 0]}").is_err());
        assert!(parse_drawn_area("not json")
            .unwrap_err()
            .message
            .contains("not GeoJSON"));
        assert_eq!(parse_drawn_area("  ").unwrap(), None);
    }
}
