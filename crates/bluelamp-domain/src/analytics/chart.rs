//! Server-rendered SVG charts for the dashboards and emailed reports.
//!
//! Drawing on the server means the charts need no JavaScript (many force
//! networks block it), print cleanly and can be attached to reports. Every chart
//! is an `<svg role="img">` labelled by its own `<title>`, and every mark carries
//! a `<title>` with its exact figure, so a screen-reader or keyboard user gets the
//! numbers rather than a picture of them. Colours meet 3:1 against white, and
//! line series also differ by dash pattern so colour is never the only cue.

use super::{
    coord, escape, format_value, line, svg_message, svg_open, text, truncate, AXIS, CHAR_W, GRID,
    PALETTE,
};

const WIDTH: f64 = 640.0;
const PAD: f64 = 8.0;
const NO_DATA: &str = "No data";
const END: &str = " text-anchor=\"end\" font-size=\"12\"";
const MIDDLE: &str = " text-anchor=\"middle\" font-size=\"12\"";
/// Dash patterns cycled with the palette so series differ in more than colour.
const DASHES: [&str; 4] = ["", "6 4", "2 3", "8 3 2 3"];

/// Width in px for a column of labels `chars` long at most, within a range.
fn label_width(chars: impl Iterator<Item = usize>, min: f64, max: f64) -> f64 {
    (chars.max().unwrap_or(0) as f64 * CHAR_W + 12.0).clamp(min, max)
}

/// Horizontal bars, one row per item: label at left, value at the bar's end.
///
/// Meant for non-negative quantities (posts, reach); zero, negative or
/// non-finite values get no bar but their value is still printed. One colour
/// for every bar, since different colours would suggest categories that are
/// not there. With nothing positive to draw, the chart says "No data".
pub fn bars(id: &str, title: &str, items: &[(String, f64)]) -> String {
    const ROW: f64 = 28.0;
    const BAR: f64 = 18.0;
    let max = items
        .iter()
        .map(|(_, v)| *v)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    if max <= 0.0 {
        return svg_message(id, title, NO_DATA);
    }
    let labels: Vec<String> = items.iter().map(|(l, _)| truncate(l, 28)).collect();
    let left = label_width(labels.iter().map(|l| l.chars().count()), 60.0, 220.0);
    let bar_room = WIDTH - left - 72.0; // 72px keeps room for the printed value.
    let height = 2.0 * PAD + items.len() as f64 * ROW;
    let mut out = svg_open(id, title, WIDTH, height);
    for (i, ((label, value), short)) in items.iter().zip(&labels).enumerate() {
        let top = PAD + i as f64 * ROW;
        let baseline = top + ROW / 2.0 + 4.5;
        let width = if *value > 0.0 && value.is_finite() {
            value / max * bar_room
        } else {
            0.0
        };
        let shown = format_value(*value);
        out.push_str(&format!(
            "<g><title>{}: {shown}</title>{}<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{BAR}\" \
             rx=\"2\" fill=\"{}\"/>{}</g>",
            escape(label),
            text(left - 8.0, baseline, " text-anchor=\"end\"", short),
            coord(left),
            coord(top + (ROW - BAR) / 2.0),
            coord(width),
            PALETTE[0],
            text(left + width + 6.0, baseline, "", &shown),
        ));
    }
    out.push_str(&line(
        left,
        PAD,
        left,
        height - PAD,
        &format!(" stroke=\"{AXIS}\""),
    ));
    out.push_str("</svg>");
    out
}

/// A "nice" axis step at least `raw`: 1, 2, 2.5 or 5 times a power of ten
/// (2.5 only when it stays a whole number, so labels never need two decimals).
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    let multiples: &[f64] = if magnitude >= 1.0 {
        &[1.0, 2.0, 2.5, 5.0, 10.0]
    } else {
        &[1.0, 2.0, 5.0, 10.0]
    };
    let step = multiples
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw * (1.0 - 1e-9));
    step.unwrap_or(10.0 * magnitude)
}

/// The axis's lowest value and step, such that four steps cover `lo..=hi`.
fn axis(lo: f64, hi: f64) -> (f64, f64) {
    let mut step = nice_step((hi - lo) / 4.0);
    for _ in 0..8 {
        let bottom = (lo / step).floor() * step;
        if bottom + 4.0 * step >= hi {
            return (bottom, step);
        }
        step = nice_step(step * 1.01);
    }
    (lo, (hi - lo) / 4.0)
}

/// A line chart: one line per series over the x labels, y from 0 (or the lowest
/// value, if negative) to a rounded-up maximum with four labelled gridlines.
///
/// Each series has a value per x label; a shorter series simply stops and a
/// non-finite value leaves a gap. With no non-zero value, the chart says
/// "No data" rather than drawing a flat line that looks broken.
pub fn lines(id: &str, title: &str, x_labels: &[String], series: &[(String, Vec<f64>)]) -> String {
    const PLOT_H: f64 = 220.0;
    const RIGHT: f64 = 24.0;
    let n = x_labels.len();
    let values = || {
        series
            .iter()
            .flat_map(|(_, vs)| vs.iter().take(n))
            .copied()
            .filter(|v| v.is_finite())
    };
    if !values().any(|v| v != 0.0) {
        return svg_message(id, title, NO_DATA);
    }
    let (bottom, step) = axis(values().fold(0.0, f64::min), values().fold(0.0, f64::max));
    let ticks: Vec<f64> = (0..=4)
        .map(|k| ((bottom / step).round() + k as f64) * step)
        .collect();
    let tick_labels: Vec<String> = ticks.iter().map(|t| format_value(*t)).collect();
    let left = label_width(tick_labels.iter().map(|l| l.chars().count()), 40.0, 100.0);
    let plot_w = WIDTH - left - RIGHT;

    // Legend: swatches laid left to right, wrapping onto new rows.
    let mut legend = String::new();
    let (mut lx, mut ly) = (left, PAD + 12.0);
    for (s, (name, _)) in series.iter().enumerate() {
        let name = truncate(name, 40);
        let item_w = 44.0 + name.chars().count() as f64 * CHAR_W;
        if lx > left && lx + item_w > WIDTH - RIGHT {
            (lx, ly) = (left, ly + 20.0);
        }
        let stroke = format!(
            " stroke=\"{}\" stroke-width=\"3\" stroke-dasharray=\"{}\"",
            PALETTE[s % PALETTE.len()],
            DASHES[s % DASHES.len()]
        );
        legend.push_str(&format!(
            "<g>{}{}</g>",
            line(lx, ly - 4.0, lx + 22.0, ly - 4.0, &stroke),
            text(lx + 28.0, ly, "", &name)
        ));
        lx += item_w;
    }
    let plot_top = ly + 16.0;
    let plot_bottom = plot_top + PLOT_H;
    let y_of = |v: f64| plot_bottom - (v - ticks[0]) / (ticks[4] - ticks[0]) * PLOT_H;
    let x_of = |i: usize| match n {
        0 | 1 => left + plot_w / 2.0,
        _ => left + i as f64 * plot_w / (n - 1) as f64,
    };

    let mut out = svg_open(id, title, WIDTH, plot_bottom + 32.0);
    out.push_str(&legend);
    for (tick, label) in ticks.iter().zip(&tick_labels) {
        let stroke = format!(" stroke=\"{}\"", if *tick == 0.0 { AXIS } else { GRID });
        out.push_str(&line(
            left,
            y_of(*tick),
            WIDTH - RIGHT,
            y_of(*tick),
            &stroke,
        ));
        out.push_str(&text(left - 6.0, y_of(*tick) + 4.0, END, label));
    }
    // At most about eight x labels, evenly spaced, so they never overlap.
    for (i, label) in x_labels.iter().enumerate().step_by(n.div_ceil(8).max(1)) {
        out.push_str(&text(
            x_of(i),
            plot_bottom + 18.0,
            MIDDLE,
            &truncate(label, 12),
        ));
    }
    for (s, (name, vs)) in series.iter().enumerate() {
        let colour = PALETTE[s % PALETTE.len()];
        let (mut path, mut points, mut pen_down) = (String::new(), String::new(), false);
        for (i, (v, label)) in vs.iter().zip(x_labels).enumerate() {
            if !v.is_finite() {
                pen_down = false;
                continue;
            }
            let (x, y) = (coord(x_of(i)), coord(y_of(*v)));
            path.push_str(&format!("{}{x} {y}", if pen_down { " L" } else { " M" }));
            pen_down = true;
            points.push_str(&format!(
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"3.5\" fill=\"{colour}\"><title>{}, {}: {}</title></circle>",
                escape(name),
                escape(label),
                format_value(*v),
            ));
        }
        out.push_str(&format!(
            "<g><path d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" \
             stroke-dasharray=\"{}\"/>{points}</g>",
            path.trim_start(),
            DASHES[s % DASHES.len()],
        ));
    }
    out.push_str("</svg>");
    out
}

/// The colour a fraction `t` (0..=1) of the way from white to deep blue
/// (#1e3a8a, 10:1 against white).
fn heat_colour(t: f64) -> String {
    let mix = |deep: f64| (255.0 + (deep - 255.0) * t.clamp(0.0, 1.0)).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(30.0), mix(58.0), mix(138.0))
}

/// Shade for a value: white for nothing, and never lighter than 15% for
/// anything more, so a cell with any activity is visibly not empty.
fn heat_shade(value: f64, max: f64) -> String {
    if value > 0.0 {
        heat_colour(0.15 + 0.85 * (value / max))
    } else {
        heat_colour(0.0)
    }
}

/// A grid of cells shaded white to deep blue by value relative to the largest,
/// e.g. 7 weekdays × 24 hours of posting or engagement. Empty cells are white
/// with a light border; every cell's `<title>` reads "row, col: value".
pub fn heatmap(
    id: &str,
    title: &str,
    row_labels: &[String],
    col_labels: &[String],
    values: &[Vec<f64>],
) -> String {
    let raw = |r: usize, c: usize| values.get(r).and_then(|row| row.get(c)).copied();
    let value_at = |r: usize, c: usize| raw(r, c).filter(|v| v.is_finite()).unwrap_or(0.0);
    let (rows, cols) = (row_labels.len(), col_labels.len());
    let cells = || (0..rows).flat_map(move |r| (0..cols).map(move |c| (r, c)));
    let max = cells().map(|(r, c)| value_at(r, c)).fold(0.0, f64::max);
    if max <= 0.0 {
        return svg_message(id, title, NO_DATA);
    }
    let left = label_width(
        row_labels.iter().map(|l| l.chars().count().min(20)),
        32.0,
        160.0,
    );
    let top = 24.0;
    let cell_w = (WIDTH - left - PAD) / cols as f64;
    let cell_h = cell_w.clamp(14.0, 28.0);
    let grid_bottom = top + rows as f64 * cell_h;
    let mut out = svg_open(id, title, WIDTH, grid_bottom + 40.0);

    // Column labels at 11px, thinned so neighbours never touch.
    let widest = col_labels
        .iter()
        .map(|l| l.chars().count().min(8))
        .max()
        .unwrap_or(0);
    let every = ((widest as f64 * 6.5 + 4.0) / cell_w).ceil().max(1.0) as usize;
    for (c, label) in col_labels.iter().enumerate().step_by(every) {
        let x = left + (c as f64 + 0.5) * cell_w;
        let attrs = " text-anchor=\"middle\" font-size=\"11\"";
        out.push_str(&text(x, top - 8.0, attrs, &truncate(label, 8)));
    }
    for (r, row_label) in row_labels.iter().enumerate() {
        let y = top + r as f64 * cell_h;
        out.push_str(&text(
            left - 6.0,
            y + cell_h / 2.0 + 4.0,
            END,
            &truncate(row_label, 20),
        ));
    }
    for (r, c) in cells() {
        let v = value_at(r, c);
        let border = if v > 0.0 {
            String::new()
        } else {
            format!(" stroke=\"{GRID}\"")
        };
        out.push_str(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"{border}>\
             <title>{}, {}: {}</title></rect>",
            coord(left + c as f64 * cell_w + 0.5),
            coord(top + r as f64 * cell_h + 0.5),
            coord(cell_w - 1.0),
            coord(cell_h - 1.0),
            heat_shade(v, max),
            escape(&row_labels[r]),
            escape(&col_labels[c]),
            format_value(raw(r, c).unwrap_or(0.0)),
        ));
    }
    // Key: "0", a white swatch as empty cells are drawn, four shades up to the
    // deepest, then the maximum.
    let ky = grid_bottom + 16.0;
    out.push_str(&text(left - 6.0, ky + 10.0, END, "0"));
    for k in 0..5 {
        out.push_str(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"16\" height=\"12\" fill=\"{}\" stroke=\"{GRID}\"/>",
            coord(left + k as f64 * 18.0),
            coord(ky),
            heat_shade(max * k as f64 / 4.0, max),
        ));
    }
    out.push_str(&text(
        left + 94.0,
        ky + 10.0,
        " font-size=\"12\"",
        &format_value(max),
    ));
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> String {
        text.to_string()
    }

    fn strings(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    fn assert_well_formed(svg: &str) {
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>") && svg.contains("role=\"img\""));
        assert_eq!(svg.matches("<g>").count(), svg.matches("</g>").count());
    }

    #[test]
    fn empty_or_all_zero_input_says_no_data() {
        let (days, zero) = (strings(&["Mon", "Tue"]), vec![(s("A"), vec![0.0, 0.0])]);
        for svg in [
            bars("c", "t", &[]),
            bars("c", "t", &[(s("A"), 0.0), (s("B"), f64::NAN)]),
            lines("c", "t", &[], &[(s("A"), vec![1.0])]),
            lines("c", "t", &days, &[]),
            lines("c", "t", &days, &zero),
            heatmap("c", "t", &[], &[], &[]),
            heatmap("c", "t", &days, &days, &[vec![0.0, 0.0]]),
            heatmap("c", "t", &days, &days, &[]),
        ] {
            assert_well_formed(&svg);
            assert!(svg.contains(">No data</text>") && !svg.contains("<rect"));
        }
    }

    #[test]
    fn bars_scale_to_the_largest_and_print_values() {
        let items = [
            (s("Gwent"), 10.0),
            (s("Dyfed & Powys"), 5.0),
            (s("Avg"), 2.5),
        ];
        let svg = bars("Posts by Force", "Posts <by> force", &items);
        assert_well_formed(&svg);
        assert!(svg.contains("aria-labelledby=\"posts-by-force-title\""));
        assert!(svg.contains("<title id=\"posts-by-force-title\">Posts &lt;by&gt; force</title>"));
        // Longest label is 13 chars: 13 * 7 + 12 = 103px, leaving 465px of bar.
        assert!(svg.contains("width=\"465\"") && svg.contains("width=\"232.5\""));
        assert!(svg.contains("<title>Dyfed &amp; Powys: 5</title>"));
        assert!(svg.contains(">10</text>") && svg.contains(">2.5</text>"));
        assert_eq!(svg.matches("fill=\"#1d4ed8\"").count(), 3);
    }

    #[test]
    fn bars_shorten_long_labels_but_keep_them_in_titles() {
        let long = "Metropolitan Police Service Central";
        let svg = bars("b", "t", &[(s(long), 1234.0), (s("Neg"), -3.0)]);
        assert!(svg.contains(">Metropolitan Police Service…</text>"));
        assert!(svg.contains(&format!("<title>{long}: 1,234</title>")));
        assert!(svg.contains("width=\"0\"") && svg.contains(">-3</text>"));
    }

    #[test]
    fn axis_steps_are_round_numbers() {
        let steps = [
            (2.5, 2.5),
            (3.0, 5.0),
            (0.03, 0.05),
            (0.21, 0.5),
            (130.0, 200.0),
        ];
        for (raw, nice) in steps {
            assert_eq!(nice_step(raw), nice, "{raw}");
        }
        assert_eq!(axis(0.0, 37.0), (0.0, 10.0));
        assert_eq!(axis(-3.0, 7.0), (-5.0, 5.0));
    }

    #[test]
    fn lines_plot_points_gridlines_and_legend() {
        let days = strings(&["Mon", "Tue", "Wed"]);
        let series = [
            (s("Posts"), vec![0.0, 5.0, 10.0]),
            (s("Reach"), vec![1.0, 2.0]),
        ];
        let svg = lines("l", "Week", &days, &series);
        assert_well_formed(&svg);
        for tick in ["0", "2.5", "5", "7.5", "10"] {
            assert!(
                svg.contains(&format!("font-size=\"12\">{tick}</text>")),
                "{tick}"
            );
        }
        assert!(svg.contains("<title>Posts, Wed: 10</title>"));
        assert!(svg.contains("<title>Reach, Tue: 2</title>") && !svg.contains("Reach, Wed"));
        assert_eq!(svg.matches("<circle").count(), 5);
        assert!(svg.contains(">Posts</text>") && svg.contains(">Reach</text>"));
        assert!(svg.contains("stroke=\"#b45309\" stroke-width=\"3\" stroke-dasharray=\"6 4\""));
    }

    #[test]
    fn lines_extend_below_zero_and_break_at_gaps() {
        let x = strings(&["1", "2", "3", "4"]);
        let svg = lines("l", "t", &x, &[(s("Δ"), vec![-3.0, 7.0, f64::NAN, 2.0])]);
        assert!(svg.contains(">-5</text>") && svg.contains(">15</text>"));
        assert!(svg.contains("d=\"M") && svg.matches(" M").count() == 1);
        assert_eq!(svg.matches("<circle").count(), 3);
    }

    #[test]
    fn lines_thin_crowded_x_labels() {
        let x: Vec<String> = (1..=30).map(|d| format!("{d} Jun")).collect();
        let svg = lines(
            "l",
            "June",
            &x,
            &[(s("Posts"), (1..=30).map(f64::from).collect())],
        );
        assert_eq!(svg.matches(MIDDLE).count(), 8);
        assert!(svg.contains(">1 Jun</text>") && svg.contains(">29 Jun</text>"));
        assert!(!svg.contains(">2 Jun</text>"));
        assert_eq!(svg.matches("<circle").count(), 30);
    }

    #[test]
    fn heat_shades_run_white_to_deep_blue() {
        assert_eq!(heat_colour(0.0), "#ffffff");
        assert_eq!(heat_colour(1.0), "#1e3a8a");
        assert_eq!(heat_shade(10.0, 10.0), "#1e3a8a");
        assert_eq!(heat_shade(0.0, 10.0), "#ffffff");
        assert_eq!(heat_shade(0.01, 10.0), heat_colour(0.15085));
    }

    #[test]
    fn heatmap_draws_every_cell_with_its_value() {
        let days = strings(&["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]);
        let hours: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
        let mut values = vec![vec![0.0; 24]; 5]; // Missing rows count as empty.
        values[0][9] = 4.0;
        values[2][17] = 2.0;
        let svg = heatmap("h", "When", &days, &hours, &values);
        assert_well_formed(&svg);
        assert_eq!(svg.matches("</rect>").count(), 7 * 24);
        assert!(svg.contains("fill=\"#1e3a8a\"><title>Mon, 09: 4</title>"));
        assert!(svg.contains("<title>Wed, 17: 2</title>"));
        assert!(svg.contains("fill=\"#ffffff\" stroke=\"#e5e7eb\"><title>Sun, 23: 0</title>"));
        assert_eq!(svg.matches("font-size=\"11\"").count(), 24);
        assert!(svg.contains("font-size=\"12\">4</text>"));
        // Thirty columns of two digits no longer fit in 24px cells: every other.
        let cols: Vec<String> = (0..60).map(|m| format!("{m:02}")).collect();
        let svg = heatmap("h", "t", &days[..1], &cols, &[vec![1.0; 60]]);
        assert_eq!(svg.matches("font-size=\"11\"").count(), 30);
    }
}
