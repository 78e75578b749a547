//! Analytics: pure builders for the numbers and pictures on a force's dashboards.
//!
//! The store keeps roll-ups (posts, reach and engagement per day, per hour, per
//! hashtag); the web layer reads them and hands the plain numbers to these
//! functions, which return finished strings: hashtag keys, SVG charts, an SVG map
//! and CSV exports. Keeping the drawing here, with no I/O and no clock, means a
//! chart can be tested byte for byte, rendered without JavaScript (so it works in
//! locked-down police browsers) and shared by the web pages and emailed reports.

pub mod chart;
pub mod csv;
pub mod hashtag;
pub mod map;

/// Escapes text for XML and HTML, in element content and in quoted attributes
/// alike, so that a label such as `<script>` or `"Tom & Jerry"` is drawn as text
/// and can never become markup.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Growth from `start` to `end` as a percentage of `start`.
///
/// `None` when `start` is zero or negative: growth from nothing is not a number,
/// and showing "+∞%" or a huge figure would mislead whoever reads the report.
pub fn growth_percent(start: i64, end: i64) -> Option<f64> {
    if start <= 0 {
        return None;
    }
    // i64 → f64 may round for astronomically large counts; a percentage does not
    // need more than f64's precision.
    Some((end as f64 - start as f64) / start as f64 * 100.0)
}

/// A percentage for people: one decimal place, with a trailing ".0" dropped so
/// whole numbers read as "10%" rather than "10.0%".
///
/// A value that is not finite prints as "–" rather than "NaN%".
pub fn format_percent(p: f64) -> String {
    if !p.is_finite() {
        return "–".to_string();
    }
    format!("{}%", one_decimal(p))
}

/// `v` to one decimal place with a trailing ".0" dropped, and never "-0".
fn one_decimal(v: f64) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    // Adding 0.0 turns -0.0 into 0.0, so tiny negatives do not print as "-0".
    let text = format!("{:.1}", rounded + 0.0);
    match text.strip_suffix(".0") {
        Some(whole) => whole.to_string(),
        None => text,
    }
}

/// Mark colours, each at least 3:1 against white (WCAG 1.4.11) and distinct
/// from one another for the common forms of colour blindness when paired with
/// the dash patterns the charts also use.
pub(crate) const PALETTE: [&str; 5] = ["#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c"];

/// Text colour: near-black grey, 14:1 against white.
pub(crate) const TEXT: &str = "#1f2937";

/// Keeps an element id to `[a-z0-9-]` so a caller's id can never break out of
/// the attribute, and falls back to "chart" when nothing usable is left.
pub(crate) fn sanitize_id(id: &str) -> String {
    let cleaned: String = id
        .chars()
        .filter_map(|c| {
            let c = c.to_ascii_lowercase();
            match c {
                'a'..='z' | '0'..='9' | '-' => Some(c),
                ' ' | '_' | '.' | ':' => Some('-'),
                _ => None,
            }
        })
        .collect();
    if cleaned.is_empty() {
        "chart".to_string()
    } else {
        cleaned
    }
}

/// The opening of every SVG drawn here: labelled for screen readers by its own
/// `<title>`, scaled to its container's width, and anchored top-left.
pub(crate) fn svg_open(id: &str, title: &str, width: f64, height: f64) -> String {
    let id = sanitize_id(id);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{id}\" role=\"img\" \
         aria-labelledby=\"{id}-title\" viewBox=\"0 0 {w} {h}\" width=\"100%\" \
         preserveAspectRatio=\"xMinYMin meet\" font-family=\"system-ui, sans-serif\" \
         font-size=\"13\" fill=\"{TEXT}\"><title id=\"{id}-title\">{title}</title>",
        w = coord(width),
        h = coord(height),
        title = escape(title),
    )
}

/// A whole SVG holding only a centred message, for when there is nothing to
/// draw: an empty frame would look like a page that failed to load.
pub(crate) fn svg_message(id: &str, title: &str, message: &str) -> String {
    let mut out = svg_open(id, title, 640.0, 80.0);
    out.push_str(&format!(
        "<text x=\"320\" y=\"45\" text-anchor=\"middle\" font-size=\"15\">{}</text></svg>",
        escape(message)
    ));
    out
}

/// Average glyph width of 13px system-ui text, for laying out labels without
/// measuring fonts (which a server cannot do).
pub(crate) const CHAR_W: f64 = 7.0;

/// Axis strokes: #6b7280 is 4.8:1 against white.
pub(crate) const AXIS: &str = "#6b7280";

/// Gridlines and empty-cell borders are guides, not data, so they may be light.
pub(crate) const GRID: &str = "#e5e7eb";

/// A `<text>` element at (x, y); `attrs` (such as ` text-anchor="end"`) is
/// trusted markup written in this module, `content` is escaped.
pub(crate) fn text(x: f64, y: f64, attrs: &str, content: &str) -> String {
    format!(
        "<text x=\"{}\" y=\"{}\"{attrs}>{}</text>",
        coord(x),
        coord(y),
        escape(content)
    )
}

/// A `<line>` from (x1, y1) to (x2, y2) with trusted `attrs`.
pub(crate) fn line(x1: f64, y1: f64, x2: f64, y2: f64, attrs: &str) -> String {
    format!(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"{attrs}/>",
        coord(x1),
        coord(y1),
        coord(x2),
        coord(y2)
    )
}

/// Shortens a label to `max` characters, ending with "…" when cut; the full
/// text stays available in the mark's `<title>`.
pub(crate) fn truncate(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_string();
    }
    let mut short: String = label.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// A coordinate with at most one decimal: enough for a 640-wide drawing and it
/// keeps the markup small.
pub(crate) fn coord(v: f64) -> String {
    if v.is_finite() {
        one_decimal(v)
    } else {
        "0".to_string()
    }
}

/// A value as a reader should see it: whole numbers with thousands separators
/// ("12,345"), anything else to one decimal ("2.5", and "2.0" for 1.96 so a
/// reader can tell it is not a whole count).
pub(crate) fn format_value(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        // Exact: |v| < 1e15 fits in i64 and has no fraction.
        return group_thousands(v as i64);
    }
    // Rounding first and adding 0.0 keeps -0.04 from printing as "-0.0".
    let text = format!("{:.1}", (v * 10.0).round() / 10.0 + 0.0);
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    match digits.split_once('.') {
        Some((whole, frac)) => match whole.parse::<i64>() {
            Ok(w) => format!("{sign}{}.{frac}", group_thousands(w)),
            Err(_) => text.clone(),
        },
        None => text.clone(),
    }
}

/// `1234567` → "1,234,567".
pub(crate) fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    // Groups of three counted from the right; the digits are ASCII.
    let groups: Vec<String> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|group| group.iter().map(|&b| char::from(b)).collect())
        .collect();
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", groups.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_characters() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("Heddlu Gwent"), "Heddlu Gwent");
    }

    #[test]
    fn growth_is_relative_to_the_start() {
        assert_eq!(growth_percent(100, 110), Some(10.0));
        assert_eq!(growth_percent(200, 150), Some(-25.0));
        assert_eq!(growth_percent(3, 3), Some(0.0));
    }

    #[test]
    fn growth_from_nothing_is_undefined() {
        assert_eq!(growth_percent(0, 50), None);
        assert_eq!(growth_percent(-5, 50), None);
    }

    #[test]
    fn percentages_drop_a_trailing_zero() {
        assert_eq!(format_percent(10.0), "10%");
        assert_eq!(format_percent(37.0), "37%");
        assert_eq!(format_percent(-2.5), "-2.5%");
        assert_eq!(format_percent(12.34), "12.3%");
        assert_eq!(format_percent(12.96), "13%");
        assert_eq!(format_percent(-0.01), "0%");
        assert_eq!(format_percent(f64::NAN), "–");
    }

    #[test]
    fn percentages_from_growth_read_naturally() {
        let p = growth_percent(3, 4).map(format_percent);
        assert_eq!(p.as_deref(), Some("33.3%"));
    }

    #[test]
    fn ids_keep_only_safe_characters() {
        assert_eq!(sanitize_id("Posts per Day"), "posts-per-day");
        assert_eq!(sanitize_id("a\"><script>"), "ascript");
        assert_eq!(sanitize_id("\"<>"), "chart");
    }

    #[test]
    fn svg_opening_is_accessible_and_escaped() {
        let s = svg_open("x", "A & B", 100.0, 50.0);
        assert!(s.contains("role=\"img\""));
        assert!(s.contains("aria-labelledby=\"x-title\""));
        assert!(s.contains("<title id=\"x-title\">A &amp; B</title>"));
        assert!(s.contains("viewBox=\"0 0 100 50\""));
    }

    #[test]
    fn message_svg_is_complete() {
        let s = svg_message("m", "Map", "No data");
        assert!(s.starts_with("<svg"));
        assert!(s.ends_with("</svg>"));
        assert!(s.contains(">No data</text>"));
    }

    #[test]
    fn values_are_grouped_and_rounded() {
        assert_eq!(format_value(12345.0), "12,345");
        assert_eq!(format_value(-1234567.0), "-1,234,567");
        assert_eq!(format_value(7.0), "7");
        assert_eq!(format_value(2.26), "2.3");
        assert_eq!(format_value(1.96), "2.0");
        assert_eq!(format_value(-0.04), "0.0");
        assert_eq!(format_value(1234.56), "1,234.6");
        assert_eq!(format_value(-0.5), "-0.5");
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(-0.0), "0");
        assert_eq!(format_value(f64::INFINITY), "–");
    }

    #[test]
    fn elements_escape_their_content() {
        assert_eq!(
            text(1.0, 2.25, " font-size=\"12\"", "a<b"),
            "<text x=\"1\" y=\"2.3\" font-size=\"12\">a&lt;b</text>"
        );
        assert_eq!(
            line(0.0, 1.0, 2.0, 3.0, ""),
            "<line x1=\"0\" y1=\"1\" x2=\"2\" y2=\"3\"/>"
        );
    }

    #[test]
    fn long_labels_are_shortened() {
        assert_eq!(truncate("Gwent", 5), "Gwent");
        assert_eq!(truncate("Gwent Police", 6), "Gwent…");
        assert_eq!(truncate("Dŵr", 0), "…");
    }

    #[test]
    fn coordinates_are_compact() {
        assert_eq!(coord(12.0), "12");
        assert_eq!(coord(12.345), "12.3");
        assert_eq!(coord(f64::NAN), "0");
    }

    #[test]
    fn thousands_grouping() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(i64::MIN), "-9,223,372,036,854,775,808");
    }
}
