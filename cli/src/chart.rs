//! The report's chart: an SVG drawn by plotters (SVG backend only; without a font feature its
//! text is SVG `<text>` the viewer renders, laid out by plotters' built-in size estimate). Two
//! panels share the report's time axis (UTC): each request's total (concurrent and sequential
//! apart, lines through the points) and each step's duration by the cache tier that answered.
//! Latency axes are logarithmic: a cache hit and a miss differ by orders of magnitude.

use std::error::Error;

use chrono::{DateTime, Utc};
use kenny::capabilities::report::{Report, TIERS};
use kenny::ports::timing::{RecordKind, TimingRecord};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Points drawn per series at most; larger series are thinned evenly (every n-th point).
pub const MAX_POINTS: usize = 4_000;

const CONCURRENT: RGBColor = RGBColor(31, 119, 180);
const SEQUENTIAL: RGBColor = RGBColor(214, 39, 40);
const TIER_COLORS: [RGBColor; 4] =
    [RGBColor(44, 160, 44), RGBColor(148, 103, 189), RGBColor(23, 190, 207), RGBColor(255, 127, 14)];
const OTHER: RGBColor = RGBColor(127, 127, 127);

/// One named series: (minutes since the report's start, ms).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Its colour.
    pub color: RGBColor,
    /// The points, in time order.
    pub points: Vec<(f64, f64)>,
}

fn minutes(at: DateTime<Utc>, since: DateTime<Utc>) -> f64 {
    (at - since).num_milliseconds() as f64 / 60_000.0
}

/// The request series (concurrent, sequential) and the step series per cache tier (the four
/// known tiers, then any other reported; steps that report none are not drawn).
pub fn series(records: &[TimingRecord], since: DateTime<Utc>) -> (Vec<Series>, Vec<Series>) {
    let mut concurrent = Series { name: "requests (concurrent)".into(), color: CONCURRENT, points: Vec::new() };
    let mut sequential = Series { name: "requests (sequential)".into(), color: SEQUENTIAL, points: Vec::new() };
    let mut tiers: Vec<Series> = TIERS
        .iter()
        .zip(TIER_COLORS)
        .map(|(t, color)| Series { name: format!("tier {t}"), color, points: Vec::new() })
        .collect();
    let mut ordered: Vec<&TimingRecord> = records.iter().collect();
    ordered.sort_by_key(|r| r.at);
    for r in ordered {
        let x = minutes(r.at, since);
        match r.kind {
            RecordKind::Request => {
                let side = if r.sequential == Some(true) { &mut sequential } else { &mut concurrent };
                side.points.push((x, r.total_ms.unwrap_or(r.duration_ms)));
            }
            RecordKind::Step if r.status != "skipped" => {
                let Some(tier) = r.cache.as_deref() else { continue };
                let name = format!("tier {tier}");
                match tiers.iter_mut().find(|s| s.name == name) {
                    Some(s) => s.points.push((x, r.duration_ms)),
                    None => tiers.push(Series { name, color: OTHER, points: vec![(x, r.duration_ms)] }),
                }
            }
            RecordKind::Step => {}
        }
    }
    (vec![concurrent, sequential], tiers)
}

/// Every n-th point, so at most [`MAX_POINTS`] remain.
fn thinned(points: &[(f64, f64)]) -> impl Iterator<Item = (f64, f64)> + '_ {
    let step = points.len().div_ceil(MAX_POINTS).max(1);
    points.iter().copied().step_by(step)
}

/// A log axis around the values (positive; 1 µs at least), or 0.01–100 ms without any.
fn y_range(series: &[Series]) -> (f64, f64) {
    let values = series.iter().flat_map(|s| s.points.iter().map(|p| p.1.max(0.001)));
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if hi == 0.0 { (0.01, 100.0) } else { (lo / 2.0, hi * 2.0) }
}

fn panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    series: &[Series],
    report: &Report,
    lines: bool,
) -> Result<(), Box<dyn Error>> {
    let span = minutes(report.until, report.since).max(1.0);
    let (lo, hi) = y_range(series);
    let since = report.since;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..span, (lo..hi).log_scale())?;
    let label =
        |m: &f64| (since + chrono::Duration::milliseconds((m * 60_000.0) as i64)).format("%m-%d %H:%M").to_string();
    let value = |v: &f64| {
        let text = format!("{v:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(6)
        .x_label_formatter(&label)
        .y_label_formatter(&value)
        .light_line_style(BLACK.mix(0.03))
        .bold_line_style(BLACK.mix(0.15))
        .x_desc("time (UTC)")
        .y_desc("ms")
        .draw()?;
    let mut drawn = 0;
    for s in series.iter().filter(|s| !s.points.is_empty()) {
        let color = s.color;
        if lines {
            chart.draw_series(LineSeries::new(thinned(&s.points), color.stroke_width(1)))?;
        }
        chart
            .draw_series(thinned(&s.points).map(|p| Circle::new(p, 3, color.filled())))?
            .label(format!("{} ({})", s.name, s.points.len()))
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
        drawn += 1;
    }
    if drawn > 0 {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .border_style(BLACK)
            .background_style(WHITE.mix(0.85))
            .draw()?;
    } else {
        let (w, h) = area.dim_in_pixel();
        let center = (i32::try_from(w / 2).unwrap_or(0), i32::try_from(h / 2).unwrap_or(0));
        let style = TextStyle::from(("sans-serif", 16)).pos(Pos::new(HPos::Center, VPos::Center));
        area.draw_text("no records in this window", &style, center)?;
    }
    Ok(())
}

/// The chart of a report and the records it was made from, as an SVG document.
pub fn render(report: &Report, records: &[TimingRecord]) -> Result<String, Box<dyn Error>> {
    let (requests, tiers) = series(records, report.since);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 760)).into_drawing_area();
        root.fill(&WHITE)?;
        let (top, bottom) = root.split_vertically(380);
        let window =
            format!("{} → {} UTC", report.since.format("%Y-%m-%d %H:%M"), report.until.format("%Y-%m-%d %H:%M"));
        panel(&top, &format!("Request latency (total), {window}"), &requests, report, true)?;
        panel(&bottom, "Step latency by cache tier", &tiers, report, false)?;
        root.present()?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, minute: i64, kind: RecordKind, ms: f64) -> TimingRecord {
        TimingRecord {
            request_id: id.into(),
            kind,
            capability: if kind == RecordKind::Request { "coordinate" } else { "calendar.read" }.into(),
            at: "2026-11-27T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + chrono::Duration::minutes(minute),
            duration_ms: ms,
            status: "ok".into(),
            ..TimingRecord::default()
        }
    }

    #[test]
    fn series_split_requests_by_mode_and_steps_by_tier() {
        let since = "2026-11-27T00:00:00Z".parse().unwrap();
        let mut seq = rec("b", 30, RecordKind::Request, 9.0);
        seq.sequential = Some(true);
        let mut l1 = rec("a", 15, RecordKind::Step, 0.2);
        l1.cache = Some("l1".into());
        let mut odd = rec("a", 15, RecordKind::Step, 0.3);
        odd.cache = Some("l9".into());
        let mut skipped = rec("a", 15, RecordKind::Step, 0.0);
        skipped.status = "skipped".into();
        skipped.cache = Some("miss".into());
        let records = vec![seq, rec("a", 15, RecordKind::Request, 7.0), l1, odd, skipped];
        let (requests, tiers) = series(&records, since);
        assert_eq!(requests[0].points, vec![(15.0, 7.0)]);
        assert_eq!(requests[1].points, vec![(30.0, 9.0)]);
        let names: Vec<&str> = tiers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["tier l1", "tier l2", "tier validated", "tier miss", "tier l9"]);
        assert_eq!(tiers[0].points, vec![(15.0, 0.2)]);
        assert!(tiers[3].points.is_empty(), "a skipped step is not drawn");
    }

    #[test]
    fn renders_an_svg_with_the_series_or_an_empty_note() {
        let (since, until) = ("2026-11-27T00:00:00Z".parse().unwrap(), "2026-11-28T00:00:00Z".parse().unwrap());
        let mut step = rec("a", 60, RecordKind::Step, 0.4);
        step.cache = Some("miss".into());
        let records = vec![rec("a", 60, RecordKind::Request, 5.0), step];
        let report = kenny::capabilities::report::build(&records, since, until);
        let svg = render(&report, &records).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("requests (concurrent) (1)") && svg.contains("tier miss (1)"), "{svg}");
        assert!(!svg.contains("requests (sequential)"), "empty series are left out");
        let empty = render(&kenny::capabilities::report::build(&[], since, until), &[]).unwrap();
        assert!(empty.contains("no records in this window"));
    }

    #[test]
    fn large_series_are_thinned() {
        let points: Vec<(f64, f64)> = (0..10_001).map(|i| (f64::from(i), 1.0)).collect();
        let kept: Vec<(f64, f64)> = thinned(&points).collect();
        assert!(kept.len() <= MAX_POINTS && kept.len() > MAX_POINTS / 2, "{}", kept.len());
        assert_eq!(kept[0], (0.0, 1.0));
    }
}
