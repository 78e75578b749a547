//! A campaign map drawn as SVG, without map tiles.
//!
//! Tile servers would leak every dashboard view to a third party and fail on
//! networks that block them, so the map draws only what the platform knows:
//! each force's area (GeoJSON uploaded by an administrator) and a circle at its
//! headquarters sized by its figure. That is enough to see at a glance where a
//! joint campaign was busy and where it was quiet.

use serde_json::Value;

use super::{coord, escape, group_thousands, svg_message, svg_open, text};
use crate::Invalid;

/// One force on the map.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MapForce {
    pub name: String,
    /// Where to put the force's circle, as (latitude, longitude).
    pub point: Option<(f64, f64)>,
    /// The force area's rings, each a list of (longitude, latitude) as in GeoJSON.
    pub area: Vec<Vec<(f64, f64)>>,
    /// The figure the circle shows, e.g. campaign posts.
    pub count: i64,
}

/// More positions than any force boundary needs once simplified; the limit
/// keeps one upload from bloating every dashboard that draws the map.
const MAX_POSITIONS: usize = 20_000;

type Ring = Vec<(f64, f64)>;

fn invalid(message: impl Into<String>) -> Invalid {
    Invalid::new("area", message)
}

/// The rings of a force area from GeoJSON: a Polygon, a MultiPolygon, a Feature
/// with one of those as its geometry, or a FeatureCollection of such Features.
/// Outer and inner rings are both returned, as (longitude, latitude) pairs.
///
/// Checked here, once, when an administrator uploads the area, so that drawing
/// never has to doubt it: every coordinate a finite longitude within ±180 and
/// latitude within ±90, every ring at least four positions (a closed triangle),
/// and no more than 20,000 positions in all.
pub fn area_from_geojson(geojson: &Value) -> Result<Vec<Vec<(f64, f64)>>, Invalid> {
    let mut rings = Vec::new();
    let mut total = 0;
    match kind(geojson) {
        Some("FeatureCollection") => {
            let features = geojson
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("a FeatureCollection needs a \"features\" list"))?;
            for feature in features {
                if kind(feature) != Some("Feature") {
                    return Err(invalid(
                        "every member of a FeatureCollection must be a Feature",
                    ));
                }
                from_feature(feature, &mut rings, &mut total)?;
            }
        }
        Some("Feature") => from_feature(geojson, &mut rings, &mut total)?,
        _ => from_geometry(geojson, &mut rings, &mut total)?,
    }
    if rings.is_empty() {
        return Err(invalid("the GeoJSON contains no polygon"));
    }
    Ok(rings)
}

fn kind(value: &Value) -> Option<&str> {
    value.get("type").and_then(Value::as_str)
}

fn from_feature(feature: &Value, rings: &mut Vec<Ring>, total: &mut usize) -> Result<(), Invalid> {
    match feature.get("geometry") {
        Some(geometry) if !geometry.is_null() => from_geometry(geometry, rings, total),
        _ => Err(invalid("a Feature has no geometry")),
    }
}

fn from_geometry(
    geometry: &Value,
    rings: &mut Vec<Ring>,
    total: &mut usize,
) -> Result<(), Invalid> {
    let coordinates = geometry.get("coordinates");
    match kind(geometry) {
        Some("Polygon") => from_polygon(coordinates, rings, total),
        Some("MultiPolygon") => {
            let polygons = coordinates
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("a MultiPolygon needs a list of polygons"))?;
            for polygon in polygons {
                from_polygon(Some(polygon), rings, total)?;
            }
            Ok(())
        }
        Some(other) => Err(invalid(format!(
            "a {other} is not an area; upload a Polygon or MultiPolygon"
        ))),
        None => Err(invalid(
            "expected a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection",
        )),
    }
}

fn from_polygon(
    coordinates: Option<&Value>,
    rings: &mut Vec<Ring>,
    total: &mut usize,
) -> Result<(), Invalid> {
    let polygon = coordinates
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("a Polygon needs a list of rings"))?;
    for ring in polygon {
        let positions = ring
            .as_array()
            .ok_or_else(|| invalid("a ring must be a list of positions"))?;
        if positions.len() < 4 {
            return Err(invalid(
                "each ring needs at least 4 positions, the first repeated as the last",
            ));
        }
        // Counted before converting, so an oversized upload is refused cheaply.
        *total += positions.len();
        if *total > MAX_POSITIONS {
            return Err(invalid(format!(
                "the area has more than {} positions; simplify the boundary and upload it again",
                group_thousands(MAX_POSITIONS as i64)
            )));
        }
        rings.push(positions.iter().map(position).collect::<Result<_, _>>()?);
    }
    Ok(())
}

/// One `[longitude, latitude]` (an altitude, if present, is ignored).
fn position(value: &Value) -> Result<(f64, f64), Invalid> {
    let numbers = value.as_array();
    let number = |i: usize| numbers.and_then(|n| n.get(i)).and_then(Value::as_f64);
    let (Some(lon), Some(lat)) = (number(0), number(1)) else {
        return Err(invalid(
            "a position must be [longitude, latitude] in numbers",
        ));
    };
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(invalid(format!("longitude {lon} is outside -180 to 180")));
    }
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(invalid(format!("latitude {lat} is outside -90 to 90")));
    }
    Ok((lon, lat))
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 480.0;
const PAD: f64 = 40.0;
const MIN_RADIUS: f64 = 4.0;
const MAX_RADIUS: f64 = 28.0;

fn usable(lon: f64, lat: f64) -> bool {
    lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0
}

/// The bounding box of some positions as (lowest, highest) corners.
fn bounds(mut positions: impl Iterator<Item = (f64, f64)>) -> Option<((f64, f64), (f64, f64))> {
    let first = positions.next()?;
    Some(positions.fold((first, first), |(lo, hi), (x, y)| {
        ((lo.0.min(x), lo.1.min(y)), (hi.0.max(x), hi.1.max(y)))
    }))
}

/// Equirectangular projection fitted to a set of positions.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Projection {
    /// cos(middle latitude): without it a degree of longitude would be drawn as
    /// wide as a degree of latitude and Britain would look squat and fat.
    x_scale: f64,
    scale: f64,
    x_offset: f64,
    y_offset: f64,
}

impl Projection {
    /// Fits `positions` (longitude, latitude) into the view with padding, centred.
    /// A single place gets a window about half a degree across around it.
    fn fit(positions: &[(f64, f64)]) -> Option<Projection> {
        let ((min_lon, min_lat), (max_lon, max_lat)) = bounds(positions.iter().copied())?;
        let x_scale = ((min_lat + max_lat) / 2.0).to_radians().cos().max(0.2);
        let span_x = ((max_lon - min_lon) * x_scale).max(0.5);
        let span_y = (max_lat - min_lat).max(0.5);
        let scale = ((WIDTH - 2.0 * PAD) / span_x).min((HEIGHT - 2.0 * PAD) / span_y);
        let centre_x = (min_lon + max_lon) / 2.0 * x_scale;
        let centre_y = -(min_lat + max_lat) / 2.0;
        Some(Projection {
            x_scale,
            scale,
            x_offset: WIDTH / 2.0 - scale * centre_x,
            y_offset: HEIGHT / 2.0 - scale * centre_y,
        })
    }

    fn apply(&self, (lon, lat): (f64, f64)) -> (f64, f64) {
        (
            self.x_offset + self.scale * lon * self.x_scale,
            self.y_offset - self.scale * lat,
        )
    }
}

/// Rings with any unusable coordinate are left out rather than drawn wrongly.
fn usable_rings(force: &MapForce) -> Vec<&Ring> {
    let ok = |ring: &&Ring| ring.len() >= 3 && ring.iter().all(|&(x, y)| usable(x, y));
    force.area.iter().filter(ok).collect()
}

/// The force's circle position as (longitude, latitude): its point if usable,
/// else the middle of its area's bounding box.
fn anchor(force: &MapForce, rings: &[&Ring]) -> Option<(f64, f64)> {
    if let Some((lat, lon)) = force.point.filter(|&(lat, lon)| usable(lon, lat)) {
        return Some((lon, lat));
    }
    let (lo, hi) = bounds(rings.iter().flat_map(|ring| ring.iter().copied()))?;
    Some(((lo.0 + hi.0) / 2.0, (lo.1 + hi.1) / 2.0))
}

/// Circle radius: area in proportion to the count, so a force with four times
/// the posts gets twice the radius, between 4 and 28 px.
fn radius(count: i64, max_count: i64) -> f64 {
    if count <= 0 || max_count <= 0 {
        return MIN_RADIUS;
    }
    (MAX_RADIUS * (count as f64 / max_count as f64).sqrt()).clamp(MIN_RADIUS, MAX_RADIUS)
}

/// SVG path data for rings, skipping vertices under half a pixel from the last
/// one drawn: detailed coastlines would otherwise add kilobytes of invisible
/// detail to every page.
fn path_data(rings: &[&Ring], projection: &Projection) -> String {
    let mut d = String::new();
    for ring in rings {
        let mut last: Option<(f64, f64)> = None;
        for &position in ring.iter() {
            let (x, y) = projection.apply(position);
            if let Some((lx, ly)) = last {
                if (x - lx).hypot(y - ly) < 0.5 {
                    continue;
                }
            }
            let command = if last.is_none() { "M" } else { "L" };
            d.push_str(&format!("{command}{} {}", coord(x), coord(y)));
            last = Some((x, y));
        }
        d.push('Z');
    }
    d
}

/// A force that can be drawn: its usable rings and where its circle goes.
struct Placed<'a> {
    force: &'a MapForce,
    rings: Vec<&'a Ring>,
    at: (f64, f64),
}

/// The campaign map: every force's area and a circle per force sized by its
/// count, labelled "Name (count)", fitted into a 640×480 view. Forces with
/// neither a point nor an area are left off; if that is all of them the map
/// says "No locations configured".
pub fn svg(id: &str, title: &str, forces: &[MapForce]) -> String {
    let placed: Vec<Placed> = forces
        .iter()
        .filter_map(|force| {
            let rings = usable_rings(force);
            let at = anchor(force, &rings)?;
            Some(Placed { force, rings, at })
        })
        .collect();
    let positions: Vec<(f64, f64)> = placed
        .iter()
        .flat_map(|p| p.rings.iter().flat_map(|r| r.iter().copied()).chain([p.at]))
        .collect();
    let Some(projection) = Projection::fit(&positions) else {
        return svg_message(id, title, "No locations configured");
    };
    let mut out = svg_open(id, title, WIDTH, HEIGHT);
    for p in placed.iter().filter(|p| !p.rings.is_empty()) {
        out.push_str(&format!(
            "<g><title>{name} area</title><path d=\"{d}\" fill=\"#dbeafe\" fill-opacity=\"0.7\" \
             fill-rule=\"evenodd\" stroke=\"#2563eb\" stroke-width=\"1\"/></g>",
            name = escape(&p.force.name),
            d = path_data(&p.rings, &projection),
        ));
    }
    let max_count = placed.iter().map(|p| p.force.count).max().unwrap_or(0);
    let mut markers: Vec<(&MapForce, (f64, f64))> =
        placed.iter().map(|p| (p.force, p.at)).collect();
    // Largest first, so smaller circles are drawn on top and stay visible.
    markers.sort_by_key(|(force, _)| std::cmp::Reverse(force.count));
    for (force, at) in markers {
        let (x, y) = projection.apply(at);
        let r = radius(force.count, max_count);
        let label = format!("{} ({})", force.name, group_thousands(force.count));
        // Labels near the right edge go on the circle's left so they stay in view.
        let (lx, side) = if x > WIDTH * 0.65 {
            (x - r - 4.0, "end")
        } else {
            (x + r + 4.0, "start")
        };
        let halo = format!(
            " text-anchor=\"{side}\" font-size=\"12\" stroke=\"#ffffff\" stroke-width=\"3\" \
             paint-order=\"stroke\""
        );
        out.push_str(&format!(
            "<g><title>{}</title><circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"#1d4ed8\" \
             fill-opacity=\"0.75\" stroke=\"#ffffff\" stroke-width=\"1.5\"/>{}</g>",
            escape(&label),
            coord(x),
            coord(y),
            coord(r),
            text(lx, y + 4.0, &halo, &label),
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("test JSON")
    }

    const SQUARE: &str = "[[0, 50], [1, 50], [1, 51], [0, 51], [0, 50]]";

    fn polygon(ring: &str) -> String {
        format!(r#"{{"type": "Polygon", "coordinates": [{ring}]}}"#)
    }

    /// Asserts that an upload is refused on the "area" field with a message
    /// containing `expected`.
    fn refuses(text: &str, expected: &str) {
        match area_from_geojson(&parse(text)) {
            Err(e) => assert!(e.field == "area" && e.message.contains(expected), "{e}"),
            Ok(rings) => panic!("{text} gave {rings:?}"),
        }
    }

    #[test]
    fn reads_polygons_features_and_collections() {
        let hole = "[[0.2, 50.2], [0.4, 50.2], [0.4, 50.4], [0.2, 50.2]]";
        let rings = area_from_geojson(&parse(&polygon(&format!("{SQUARE}, {hole}"))));
        let rings = rings.expect("polygon with a hole");
        assert_eq!(
            (rings.len(), rings[0][1], rings[1].len()),
            (2, (1.0, 50.0), 4)
        );
        let multi =
            format!(r#"{{"type": "MultiPolygon", "coordinates": [[{SQUARE}], [{SQUARE}]]}}"#);
        assert_eq!(area_from_geojson(&parse(&multi)).map(|r| r.len()), Ok(2));
        let feature = format!(r#"{{"type": "Feature", "properties": {{}}, "geometry": {multi}}}"#);
        assert_eq!(area_from_geojson(&parse(&feature)).map(|r| r.len()), Ok(2));
        let second = format!(r#"{{"type": "Feature", "geometry": {}}}"#, polygon(SQUARE));
        let all = format!(r#"{{"type": "FeatureCollection", "features": [{feature}, {second}]}}"#);
        let rings = area_from_geojson(&parse(&all)).expect("collection");
        assert_eq!((rings.len(), rings[2][0]), (3, (0.0, 50.0)));
        // An altitude is allowed and ignored.
        let rings = area_from_geojson(&parse(&polygon(
            "[[1, 2, 30], [2, 2, 9], [2, 3, 9], [1, 2]]",
        )));
        let expected = vec![(1.0, 2.0), (2.0, 2.0), (2.0, 3.0), (1.0, 2.0)];
        assert_eq!(rings, Ok(vec![expected]));
    }

    #[test]
    fn refuses_what_is_not_an_area() {
        refuses(
            r#"{"type": "Point", "coordinates": [0, 0]}"#,
            "a Point is not an area",
        );
        refuses("[1, 2]", "expected a GeoJSON Polygon");
        refuses(r#"{"type": "Feature", "geometry": null}"#, "no geometry");
        let bare = format!(
            r#"{{"type": "FeatureCollection", "features": [{}]}}"#,
            polygon(SQUARE)
        );
        refuses(&bare, "must be a Feature");
        refuses(
            r#"{"type": "FeatureCollection", "features": []}"#,
            "no polygon",
        );
        refuses(
            r#"{"type": "MultiPolygon", "coordinates": []}"#,
            "no polygon",
        );
        refuses(r#"{"type": "Polygon"}"#, "list of rings");
    }

    #[test]
    fn refuses_bad_coordinates() {
        let lon = polygon("[[200, 0], [1, 0], [1, 1], [200, 0]]");
        refuses(&lon, "longitude 200 is outside -180 to 180");
        let lat = polygon("[[0, -91.5], [1, 0], [1, 1], [0, 0]]");
        refuses(&lat, "latitude -91.5 is outside -90 to 90");
        refuses(&polygon("[[0, 0], [1, 0], [0, 0]]"), "at least 4 positions");
        refuses(
            &polygon(r#"[[0, "x"], [1, 0], [1, 1], [0, 0]]"#),
            "[longitude, latitude]",
        );
        refuses(
            &polygon("[[0], [1, 0], [1, 1], [0, 0]]"),
            "[longitude, latitude]",
        );
    }

    #[test]
    fn refuses_oversized_areas() {
        let ring = |n: i32| {
            let positions: Vec<String> = (0..n).map(|i| format!("[{}, 0]", i % 100)).collect();
            polygon(&format!("[{}]", positions.join(",")))
        };
        refuses(&ring(20_001), "more than 20,000 positions");
        assert!(area_from_geojson(&parse(&ring(20_000))).is_ok());
    }

    fn force(name: &str, point: Option<(f64, f64)>, count: i64) -> MapForce {
        MapForce {
            name: name.to_string(),
            point,
            area: Vec::new(),
            count,
        }
    }

    #[test]
    fn projection_keeps_britain_in_proportion() {
        let p = Projection::fit(&[(-1.0, 52.0), (0.0, 52.0), (-1.0, 53.0)]).expect("fits");
        let [a, b, c] = [(-1.0, 52.0), (0.0, 52.0), (-1.0, 53.0)].map(|at| p.apply(at));
        let ratio = (b.0 - a.0) / (a.1 - c.1);
        assert!((ratio - 52.5f64.to_radians().cos()).abs() < 1e-9, "{ratio}");
        assert!(a.0 >= PAD - 1e-9 && a.1 <= HEIGHT - PAD + 1e-9);
        assert_eq!(Projection::fit(&[]), None);
    }

    #[test]
    fn radius_area_follows_the_count() {
        assert_eq!(radius(100, 100), 28.0);
        assert_eq!(radius(25, 100), 14.0);
        assert_eq!(radius(1, 10_000), 4.0);
        assert_eq!(radius(0, 100), 4.0);
        assert_eq!(radius(-5, 0), 4.0);
    }

    #[test]
    fn map_without_locations_says_so() {
        let nan = force("Bad", Some((f64::NAN, 0.0)), 1);
        for forces in [vec![], vec![force("Nowhere", None, 5)], vec![nan]] {
            let s = svg("m", "Campaign", &forces);
            assert!(s.contains(">No locations configured</text>") && s.ends_with("</svg>"));
        }
    }

    #[test]
    fn map_draws_circles_and_labels() {
        let forces = [
            force("Gwent", Some((51.6, -3.0)), 25),
            force("North <Wales>", Some((53.2, -3.8)), 100),
            force("Nowhere", None, 7),
        ];
        let s = svg("Campaign Map", "Posts & places", &forces);
        assert!(s.contains("viewBox=\"0 0 640 480\""));
        assert!(s.contains("<title id=\"campaign-map-title\">Posts &amp; places</title>"));
        assert!(s.contains("<title>Gwent (25)</title>") && !s.contains("Nowhere"));
        assert!(s.contains(">North &lt;Wales&gt; (100)</text>"));
        assert!(s.contains("r=\"28\"") && s.contains("r=\"14\""));
        // The bigger circle is drawn first so the smaller stays on top.
        assert!(s.find("North &lt;Wales").unwrap_or(usize::MAX) < s.find("Gwent").unwrap_or(0));
        let (west, east) = (
            force("West", Some((52.0, -4.0)), 1),
            force("East", Some((52.0, 1.0)), 1),
        );
        let s = svg("m", "t", &[west, east]);
        assert!(s.contains("text-anchor=\"start\""));
        assert!(s.contains("text-anchor=\"end\" font-size=\"12\" stroke=\"#ffffff\""));
        assert!(s.contains("paint-order=\"stroke\">East (1)</text>"));
    }

    #[test]
    fn area_only_forces_sit_at_the_area_centre() {
        let mut dyfed = force("Dyfed-Powys", None, 3);
        let (west, east, south, north) = (-5.0, -3.0, 51.0, 53.0);
        let corners = [(west, south), (east, south), (east, north), (west, north)];
        dyfed.area = vec![corners.iter().chain(&corners[..1]).copied().collect()];
        let s = svg("m", "t", &[dyfed]);
        assert!(s.contains("<title>Dyfed-Powys area</title><path d=\"M"));
        assert!(s.contains("Z\" fill=\"#dbeafe\"") && s.contains("fill-rule=\"evenodd\""));
        assert!(
            s.contains("cx=\"320\" cy=\"240\"") && s.contains("<title>Dyfed-Powys (3)</title>")
        );
    }

    #[test]
    fn path_data_skips_vertices_closer_than_half_a_pixel() {
        let p = Projection::fit(&[(0.0, 0.0), (10.0, 10.0)]).expect("fits");
        let ring = vec![(0.0, 0.0), (1e-6, 0.0), (5.0, 5.0), (10.0, 0.0), (0.0, 0.0)];
        let d = path_data(&[&ring], &p);
        assert_eq!(d.matches('L').count(), 3);
        assert!(d.starts_with('M') && d.ends_with('Z'));
    }

    #[test]
    fn bounds_cover_every_position() {
        assert_eq!(
            bounds([(1.0, 5.0), (-2.0, 7.0), (0.0, 6.0)].into_iter()),
            Some(((-2.0, 5.0), (1.0, 7.0)))
        );
        assert_eq!(bounds(std::iter::empty()), None);
    }
}
