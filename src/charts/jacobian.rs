//! The `jacobian` panel: a histogram of the singular values of the input-output Jacobian on a
//! log axis, with the median and the 5th and 95th percentiles, and optionally the histogram of
//! a previous run (the other kind of weights) as an outline.

use super::axes::{Axes, Axis};
use super::{err, LegendEntry, Style, BLUE, GREY, VERMILLION};
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

/// Bins over the plotted range (equal widths in log10).
pub const BINS: usize = 40;

/// Counts of singular values in [`BINS`] log-spaced bins from `lo` to `hi`; values below `lo`
/// or below their rounding floor (see `lab_core::JacobianSummary::floor`) are counted in
/// `below`.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    pub lo: f64,
    pub hi: f64,
    pub counts: Vec<u32>,
    pub below: u32,
}

impl Histogram {
    /// The histogram of `values` (positive or 0) over [lo, hi]; a value above `hi` goes in the
    /// last bin, one below `lo` or below `floor` in `below`.
    pub fn build(values: &[f64], lo: f64, hi: f64, floor: f64) -> Histogram {
        let mut counts = vec![0u32; BINS];
        let mut below = 0;
        let (llo, lhi) = (lo.log10(), hi.log10());
        for &v in values {
            if !(v >= lo && v >= floor) {
                below += 1;
                continue;
            }
            let b = ((v.log10() - llo) / (lhi - llo) * BINS as f64).floor();
            counts[(b.max(0.0) as usize).min(BINS - 1)] += 1;
        }
        Histogram {
            lo,
            hi,
            counts,
            below,
        }
    }

    /// The edges of bin `b`.
    pub fn edges(&self, b: usize) -> (f64, f64) {
        let (llo, lhi) = (self.lo.log10(), self.hi.log10());
        let at = |k: usize| 10f64.powf(llo + (lhi - llo) * k as f64 / BINS as f64);
        (at(b), at(b + 1))
    }
}

/// A plotted range [lo, hi] for singular values: from the smallest value at or above its
/// floor (or the floor, when some are below it) to the largest, padded, at least one decade.
pub fn value_range(sets: &[(&[f64], f64)]) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for &(values, floor) in sets {
        let floor = if floor > 0.0 {
            floor
        } else {
            f64::MIN_POSITIVE
        };
        for &v in values {
            if v.is_finite() {
                lo = lo.min(v.max(floor));
                hi = hi.max(v);
            }
        }
    }
    if !(lo.is_finite() && hi > 0.0) {
        return (0.1, 10.0);
    }
    let (llo, lhi) = (lo.log10(), hi.log10());
    let pad = ((lhi - llo) * 0.03).max(0.02);
    let (mut llo, mut lhi) = (llo - pad, lhi + pad);
    if lhi - llo < 1.0 {
        let mid = 0.5 * (llo + lhi);
        llo = mid - 0.5;
        lhi = mid + 0.5;
    }
    (10f64.powf(llo), 10f64.powf(lhi))
}

/// One histogram with its name and floor.
pub struct Series<'a> {
    pub hist: &'a Histogram,
    /// e.g. "orthogonal weights (this run)".
    pub label: String,
}

pub struct JacobianData<'a> {
    /// This run's histogram, once computed.
    pub current: Option<Series<'a>>,
    /// A previous run's, drawn as an outline.
    pub compare: Option<Series<'a>>,
    /// 5th percentile, median, 95th percentile of this run.
    pub percentiles: Option<[f64; 3]>,
    /// A message over the plot (computing, not computed and why).
    pub banner: Option<String>,
}

pub fn draw(canvas: &HtmlCanvasElement, data: &JacobianData, style: &Style) -> Result<(), String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let root = super::banner_strip(root, data.banner.as_deref(), style)?;
    let hists: Vec<&Series> = data.current.iter().chain(data.compare.iter()).collect();
    let (lo, hi) = hists
        .first()
        .map_or((0.1, 10.0), |s| (s.hist.lo, s.hist.hi));
    let y_max = hists
        .iter()
        .flat_map(|s| s.hist.counts.iter().copied().chain([s.hist.below]))
        .max()
        .unwrap_or(0)
        .max(1) as f64
        * 1.1;
    let fill = BLUE.mix(0.55).filled();
    let floor_fill = GREY.mix(0.6).filled();
    let outline = style.line(VERMILLION, 2.0);
    let marks = style.line(style.ink(), 1.5);
    let mut legend = Vec::new();
    if let Some(s) = &data.current {
        legend.push(LegendEntry::line(
            s.label.clone(),
            BLUE.mix(0.55).stroke_width(style.px(8.0) as u32),
        ));
    }
    if let Some(s) = &data.compare {
        legend.push(LegendEntry::line(s.label.clone(), outline));
    }
    if hists.iter().any(|s| s.hist.below > 0) {
        legend.push(LegendEntry::line(
            "below the f64 floor (piled at the left edge)",
            GREY.mix(0.6).stroke_width(style.px(8.0) as u32),
        ));
    }
    if data.percentiles.is_some() {
        legend.push(LegendEntry::line(
            "median; dashed: 5th and 95th percentiles",
            marks,
        ));
    }
    let (strip, root) = root.split_vertically(super::legend_strip_height(&root, style, &legend));
    super::draw_legend_strip(&strip, style, &legend)?;
    let axes = Axes::new(
        &root,
        style,
        Axes::uniform(style.px(10.0)),
        Axis::log(lo, hi, "singular value (log)"),
        Axis::linear(0.0, y_max, "count"),
    );
    let mut chart = axes
        .builder(&root)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..y_max)
        .map_err(err)?;
    axes.draw(&chart, &root, style)?;
    if let Some(s) = &data.current {
        let h = s.hist;
        chart
            .draw_series((0..BINS).filter(|&b| h.counts[b] > 0).map(|b| {
                let (x0, x1) = h.edges(b);
                Rectangle::new([(x0, 0.0), (x1, f64::from(h.counts[b]))], fill)
            }))
            .map_err(err)?;
    }
    // Values below the floor: a grey bar one bin wide at the left edge (an outline for the
    // previous run's).
    for (s, style) in data
        .current
        .iter()
        .map(|s| (s, floor_fill))
        .chain(data.compare.iter().map(|s| (s, outline)))
    {
        let h = s.hist;
        if h.below > 0 {
            let (x0, x1) = h.edges(0);
            chart
                .draw_series([Rectangle::new([(x0, 0.0), (x1, f64::from(h.below))], style)])
                .map_err(err)?;
        }
    }
    if let Some(s) = &data.compare {
        let h = s.hist;
        // The outline of the bars: a step line over every bin.
        let mut steps = vec![(h.lo, 0.0)];
        for b in 0..BINS {
            let (x0, x1) = h.edges(b);
            let c = f64::from(h.counts[b]);
            steps.push((x0, c));
            steps.push((x1, c));
        }
        steps.push((h.hi, 0.0));
        chart
            .draw_series(LineSeries::new(steps, outline))
            .map_err(err)?;
    }
    if let Some([p5, median, p95]) = data.percentiles {
        for (v, dashed) in [(p5, true), (median, false), (p95, true)] {
            if !(v >= lo && v <= hi) {
                continue;
            }
            let line = [(v, 0.0), (v, y_max)];
            if dashed {
                chart
                    .draw_series(DashedLineSeries::new(
                        line,
                        style.px(4.0) as u32,
                        style.px(3.0) as u32,
                        marks,
                    ))
                    .map_err(err)?;
            } else {
                chart
                    .draw_series(LineSeries::new(line, marks))
                    .map_err(err)?;
            }
        }
    }
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_counted_once() {
        let values = [100.0, 10.0, 1.0, 1.0, 0.5, 1e-20, 0.0];
        let h = Histogram::build(&values, 1e-3, 100.0, 0.0);
        assert_eq!(h.counts.iter().sum::<u32>() + h.below, 7);
        assert_eq!(h.below, 2);
        assert_eq!(Histogram::build(&values, 1e-3, 100.0, 0.7).below, 3);
        assert_eq!(h.counts[BINS - 1], 1, "hi itself is in the last bin");
        let (x0, x1) = h.edges(0);
        assert!((x0 - 1e-3).abs() < 1e-15 && x1 > x0);
    }

    #[test]
    fn range_spans_a_decade_and_stops_at_the_floor() {
        let (lo, hi) = value_range(&[(&[1.0, 1.0], 1e-12)]);
        assert!(
            lo < 1.0 && hi > 1.0 && (hi / lo).log10() >= 0.999,
            "{lo} {hi}"
        );
        let (lo, _) = value_range(&[(&[5.0, 1e-30], 1e-10)]);
        assert!(lo < 1e-10 && lo > 1e-11, "{lo}");
        assert_eq!(value_range(&[(&[], 1.0)]), (0.1, 10.0));
    }
}
