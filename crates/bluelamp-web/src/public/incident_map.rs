//! An incident's map: the area and the closures and diversions of its updates,
//! drawn as SVG from the geometry alone, so it reads with no tile server and no
//! JavaScript. When the force configures a tile layer (an https URL template), the
//! same drawing sits on street-map tiles in Web Mercator, the projection slippy-map
//! tiles use; the tiles are an addition and the drawing never depends on them.

use bluelamp_domain::force::MapTiles;
use bluelamp_domain::incident::{self, Fact, Point};
use bluelamp_services::incidents::IncidentView;
use maud::{html, Markup};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 400.0;
const PAD: f64 = 24.0;
/// Slippy-map tiles are 256 pixels square.
const TILE: f64 = 256.0;
/// The closest zoom we ask tile servers for.
const MAX_ZOOM: u32 = 18;

/// The area and the closures and diversions of the updates shown, drawn to fit.
pub fn map(view: &IncidentView) -> Markup {
    let area: Vec<Vec<Point>> = view
        .incident
        .area_geojson
        .as_deref()
        .and_then(|g| serde_json::from_str(g).ok())
        .and_then(|g| incident::polygon(&g).ok())
        .unwrap_or_default();
    let facts = view.facts();
    let lines: Vec<(&Fact, Vec<Point>)> = facts
        .iter()
        .filter_map(|f| Some((f, incident::line_string(f.line()?).ok()?)))
        .collect();
    let all: Vec<Point> = area
        .iter()
        .flatten()
        .chain(lines.iter().flat_map(|(_, l)| l))
        .copied()
        .collect();
    if all.is_empty() {
        return html! {};
    }
    let settings = &view.force.settings;
    let tiles = settings
        .map_tiles
        .as_deref()
        .and_then(|t| MapTiles::parse(t).ok());
    let frame = match &tiles {
        Some(_) => Frame::mercator(&all),
        None => Frame::flat(&all),
    };
    let path_of = |points: &[Point]| -> String {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (x, y) = frame.project(*p);
                format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" })
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let closures = lines
        .iter()
        .filter(|(f, _)| matches!(f, Fact::RoadClosure { .. }))
        .count();
    let diversions = lines.len() - closures;
    let description = format!(
        "Map of the {} area{}{}.",
        view.incident.area,
        if closures > 0 {
            format!(", with {closures} road closure(s) in red")
        } else {
            String::new()
        },
        if diversions > 0 {
            format!(" and {diversions} diversion(s) in blue")
        } else {
            String::new()
        },
    );
    let tile_images = tiles.as_ref().map(|t| frame.tiles(t)).unwrap_or_default();
    html! {
        figure.incident-map {
            svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-labelledby="map-title map-desc" width="100%" {
                title id="map-title" { "Incident map" }
                desc id="map-desc" { (description) }
                rect x="0" y="0" width=(WIDTH) height=(HEIGHT) fill="#f4f6f8" {}
                @for (href, x, y) in &tile_images {
                    image href=(href) x=(format!("{x:.1}")) y=(format!("{y:.1}")) width=(TILE) height=(TILE) {}
                }
                @for ring in &area {
                    path d=(format!("{} Z", path_of(ring))) fill="#fde7c8" fill-opacity=[tiles.as_ref().map(|_| "0.45")] stroke="#b35c00" stroke-width="2" {}
                }
                @for (fact, line) in &lines {
                    @if matches!(fact, Fact::RoadClosure { .. }) {
                        path d=(path_of(line)) fill="none" stroke="#c00000" stroke-width="6" stroke-linecap="round" {}
                    } @else {
                        path d=(path_of(line)) fill="none" stroke="#0050a0" stroke-width="4" stroke-dasharray="10 6" {}
                    }
                }
            }
            figcaption {
                (description)
                @if tiles.is_some() {
                    " Drawn over street-map tiles"
                    @if let Some(credit) = &settings.map_attribution { " (" (credit) ")" }
                    "."
                } @else {
                    " Drawn from the incident's own geometry; it is not a street map."
                }
            }
        }
    }
}

/// Longitude and latitude to the map's pixels.
enum Frame {
    /// Equirectangular, the longitude scaled by the cosine of the middle latitude
    /// (right for a town): the drawing alone.
    Flat {
        min_lon: f64,
        max_lat: f64,
        k: f64,
        scale: f64,
        off_x: f64,
        off_y: f64,
    },
    /// Web Mercator at a whole zoom level, so tiles line up: `left` and `top` are
    /// the world pixel coordinates of the frame's corner.
    Mercator { zoom: u32, left: f64, top: f64 },
}

/// The bounding box of `points`: (min lon, max lon, min lat, max lat).
fn bounds(points: &[Point]) -> (f64, f64, f64, f64) {
    points.iter().fold(
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN),
        |(a, b, c, d), &(lon, lat)| (a.min(lon), b.max(lon), c.min(lat), d.max(lat)),
    )
}

/// A position in world pixels at `zoom` (Web Mercator, as tile servers cut it).
fn world(zoom: u32, (lon, lat): Point) -> (f64, f64) {
    let size = TILE * f64::from(1u32 << zoom);
    // Mercator is undefined at the poles; tile servers stop at about 85.05°.
    let lat = lat.clamp(-85.05, 85.05).to_radians();
    let x = (lon + 180.0) / 360.0 * size;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * size;
    (x, y)
}

impl Frame {
    fn flat(points: &[Point]) -> Frame {
        let (min_lon, max_lon, min_lat, max_lat) = bounds(points);
        let k = ((min_lat + max_lat) / 2.0).to_radians().cos().max(0.01);
        let span_x = ((max_lon - min_lon) * k).max(1e-6);
        let span_y = (max_lat - min_lat).max(1e-6);
        let scale = ((WIDTH - 2.0 * PAD) / span_x).min((HEIGHT - 2.0 * PAD) / span_y);
        // Centre the drawing in the frame.
        Frame::Flat {
            min_lon,
            max_lat,
            k,
            scale,
            off_x: (WIDTH - span_x * scale) / 2.0,
            off_y: (HEIGHT - span_y * scale) / 2.0,
        }
    }

    /// The closest zoom at which the drawing still fits, centred.
    fn mercator(points: &[Point]) -> Frame {
        let (min_lon, max_lon, min_lat, max_lat) = bounds(points);
        let mut zoom = MAX_ZOOM;
        loop {
            let (x0, y0) = world(zoom, (min_lon, max_lat));
            let (x1, y1) = world(zoom, (max_lon, min_lat));
            let fits = x1 - x0 <= WIDTH - 2.0 * PAD && y1 - y0 <= HEIGHT - 2.0 * PAD;
            if fits || zoom == 0 {
                return Frame::Mercator {
                    zoom,
                    left: (x0 + x1 - WIDTH) / 2.0,
                    top: (y0 + y1 - HEIGHT) / 2.0,
                };
            }
            zoom -= 1;
        }
    }

    fn project(&self, point: Point) -> (f64, f64) {
        match *self {
            Frame::Flat {
                min_lon,
                max_lat,
                k,
                scale,
                off_x,
                off_y,
            } => (
                off_x + (point.0 - min_lon) * k * scale,
                off_y + (max_lat - point.1) * scale,
            ),
            Frame::Mercator { zoom, left, top } => {
                let (x, y) = world(zoom, point);
                (x - left, y - top)
            }
        }
    }

    /// The tiles covering the frame: (address, x, y) in the map's pixels.
    fn tiles(&self, template: &MapTiles) -> Vec<(String, f64, f64)> {
        let Frame::Mercator { zoom, left, top } = *self else {
            return Vec::new();
        };
        let count = 1i64 << zoom;
        let first = |edge: f64| (edge / TILE).floor() as i64;
        let mut out = Vec::new();
        for ty in first(top)..=first(top + HEIGHT) {
            if !(0..count).contains(&ty) {
                continue;
            }
            for tx in first(left)..=first(left + WIDTH) {
                // Longitude wraps round the world; latitude does not.
                let wrapped = tx.rem_euclid(count) as u64;
                out.push((
                    template.tile(zoom, wrapped, ty as u64),
                    tx as f64 * TILE - left,
                    ty as f64 * TILE - top,
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOWYN: [Point; 2] = [(-3.60, 53.30), (-3.50, 53.27)];

    #[test]
    fn the_drawing_fits_the_frame() {
        for frame in [Frame::flat(&TOWYN), Frame::mercator(&TOWYN)] {
            for p in TOWYN {
                let (x, y) = frame.project(p);
                assert!((PAD - 0.01..=WIDTH - PAD + 0.01).contains(&x), "x {x}");
                assert!((0.0..=HEIGHT).contains(&y), "y {y}");
            }
            // North is up: the northern point is higher on the map.
            assert!(frame.project(TOWYN[0]).1 < frame.project(TOWYN[1]).1);
        }
    }

    #[test]
    fn tiles_cover_the_frame_and_line_up_with_the_drawing() {
        let template = MapTiles::parse("https://tiles.example.org/{z}/{x}/{y}.png").unwrap();
        let frame = Frame::mercator(&TOWYN);
        let Frame::Mercator { zoom, .. } = frame else {
            panic!("a Mercator frame");
        };
        assert!((10..=13).contains(&zoom), "a town-sized zoom, not {zoom}");
        let tiles = frame.tiles(&template);
        assert!(!tiles.is_empty() && tiles.len() <= 20, "{}", tiles.len());
        // Every corner of the frame is under some tile.
        for (cx, cy) in [(0.0, 0.0), (WIDTH, 0.0), (0.0, HEIGHT), (WIDTH, HEIGHT)] {
            assert!(
                tiles.iter().any(|(_, x, y)| (*x..=x + TILE).contains(&cx) && (*y..=y + TILE).contains(&cy)),
                "corner {cx},{cy} uncovered"
            );
        }
        // The tile named for a point is the one drawn under it.
        let (px, py) = frame.project(TOWYN[0]);
        let (wx, wy) = world(zoom, TOWYN[0]);
        let expected = template.tile(zoom, (wx / TILE) as u64, (wy / TILE) as u64);
        let (_, x, y) = tiles
            .iter()
            .find(|(href, _, _)| *href == expected)
            .expect("the tile is drawn");
        assert!((*x..x + TILE).contains(&px) && (*y..y + TILE).contains(&py));
    }
}
