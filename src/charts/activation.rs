//! The `activation` panel: f(x) and f'(x), optional overlays, and GELU exact minus tanh.

use super::axes::{Axes, Axis};
use super::{err, padded_range, LegendEntry, Style, SERIES};
use lab_core::{Activation, ActivationKind};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use web_sys::HtmlCanvasElement;

/// Number of evenly spaced points of every curve (the CSV has exactly these).
pub const POINTS: usize = 801;

/// Everything the activation chart draws.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivationData {
    pub kind: ActivationKind,
    pub label: String,
    /// (x, f(x), f'(x)) on [-xmax, xmax], evaluated in f32 as the simulation does.
    pub points: Vec<(f64, f64, f64)>,
    /// Other activations' f(x), with their labels.
    pub overlays: Vec<(String, Vec<(f64, f64)>)>,
    /// GELU exact minus GELU tanh, when asked for and a GELU is chosen.
    pub gelu_diff: Option<Vec<(f64, f64)>>,
}

/// Evenly spaced x in [-xmax, xmax], exactly `POINTS` of them, symmetric and including 0.
pub fn grid(xmax: f64) -> impl Iterator<Item = f64> {
    let half = (POINTS - 1) / 2;
    (0..POINTS).map(move |i| (i as f64 - half as f64) / half as f64 * xmax)
}

impl ActivationData {
    pub fn prepare(
        act: Activation,
        xmax: f64,
        overlay: &[ActivationKind],
        gelu_diff: bool,
    ) -> Self {
        let points = grid(xmax)
            .map(|x| {
                let xf = x as f32;
                (xf as f64, act.f(xf) as f64, act.df(xf) as f64)
            })
            .collect();
        let overlays = overlay
            .iter()
            .filter(|k| **k != act.kind)
            .map(|&kind| {
                let other = Activation { kind, ..act };
                let pts = grid(xmax).map(|x| (x, other.f(x as f32) as f64)).collect();
                (kind.label().to_string(), pts)
            })
            .collect();
        let is_gelu = matches!(act.kind, ActivationKind::Gelu | ActivationKind::GeluTanh);
        let gelu_diff = (gelu_diff && is_gelu).then(|| {
            let exact = Activation::new(ActivationKind::Gelu);
            let approx = Activation::new(ActivationKind::GeluTanh);
            // f64 on purpose: the difference (at most ~4.7e-4) is close to f32 rounding of f.
            grid(xmax)
                .map(|x| (x, exact.f64(x) - approx.f64(x)))
                .collect()
        });
        ActivationData {
            kind: act.kind,
            label: act.kind.label().to_string(),
            points,
            overlays,
            gelu_diff,
        }
    }
}

pub fn draw(
    canvas: &HtmlCanvasElement,
    data: &ActivationData,
    style: &Style,
) -> Result<(), String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let mut legend = Vec::new();
    let (_, h) = root.dim_in_pixel();
    let (main, diff) = if data.gelu_diff.is_some() {
        // The difference plot keeps at least 120 CSS pixels of plot (plus its title, labels and
        // margins), taken from the main plot on short canvases.
        let least = style.px(120.0 + 20.0 + 40.0) as u32;
        let diff_h = ((h as f64 * 0.38) as u32).max(least).min(h * 6 / 10);
        let (a, b) = root.split_vertically(h - diff_h);
        (a, Some(b))
    } else {
        (root.clone(), None)
    };
    // The legend above the plot, where it cannot hide a curve.
    for (i, (label, _)) in data.overlays.iter().enumerate() {
        let line = style.line(SERIES[(i + 2) % SERIES.len()], 1.5);
        legend.push(
            LegendEntry::line(format!("{label} f(x)"), line)
                .dashed(style.px(2.0) as u32, style.px(3.0) as u32),
        );
    }
    let f_style = style.line(SERIES[0], 2.5);
    let df_style = style.line(SERIES[1], 2.0);
    legend.push(LegendEntry::line(format!("{} f(x)", data.label), f_style));
    legend.push(
        LegendEntry::line("f'(x)", df_style).dashed(style.px(6.0) as u32, style.px(4.0) as u32),
    );
    let (strip, main) = main.split_vertically(super::legend_strip_height(&main, style, &legend));
    super::draw_legend_strip(&strip, style, &legend)?;
    let xmax = data.points.last().map(|p| p.0).unwrap_or(5.0);
    let ys = data
        .points
        .iter()
        .flat_map(|p| [p.1, p.2])
        .chain(data.overlays.iter().flat_map(|o| o.1.iter().map(|p| p.1)));
    let (ylo, yhi) = padded_range(ys, 0.06);
    let margin = Axes::uniform(style.px(10.0));
    let axes = Axes::new(
        &main,
        style,
        margin,
        Axis::linear(-xmax, xmax, "x"),
        Axis::linear(ylo, yhi, "value"),
    );
    let mut chart = axes
        .builder(&main)
        .build_cartesian_2d(-xmax..xmax, ylo..yhi)
        .map_err(err)?;
    axes.draw(&chart, &main, style)?;
    // Axes through the origin help read where f crosses zero.
    chart
        .draw_series(LineSeries::new(
            [(-xmax, 0.0), (xmax, 0.0)],
            style.reference().mix(0.5),
        ))
        .map_err(err)?;
    for (i, (_, pts)) in data.overlays.iter().enumerate() {
        let color = SERIES[(i + 2) % SERIES.len()];
        let line = style.line(color, 1.5);
        chart
            .draw_series(DashedLineSeries::new(
                pts.iter().copied(),
                style.px(2.0) as u32,
                style.px(3.0) as u32,
                line,
            ))
            .map_err(err)?;
    }
    chart
        .draw_series(LineSeries::new(
            data.points.iter().map(|p| (p.0, p.1)),
            f_style,
        ))
        .map_err(err)?;
    chart
        .draw_series(DashedLineSeries::new(
            data.points.iter().map(|p| (p.0, p.2)),
            style.px(6.0) as u32,
            style.px(4.0) as u32,
            df_style,
        ))
        .map_err(err)?;

    if let (Some(area), Some(diff)) = (diff, &data.gelu_diff) {
        let (dlo, dhi) = padded_range(diff.iter().map(|p| p.1), 0.1);
        // The title above the plot, in the top margin.
        let title_h = style.px(20.0);
        let (title, area) = area.split_vertically(title_h.min(area.dim_in_pixel().1 as i32));
        title
            .draw(&Text::new(
                "GELU exact − GELU tanh",
                (title.dim_in_pixel().0 as i32 / 2, style.px(4.0)),
                style.font(13.0).pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(err)?;
        let axes = Axes::new(
            &area,
            style,
            (0, margin.1, margin.2, margin.3),
            Axis::linear(-xmax, xmax, ""),
            Axis::linear(dlo, dhi, "difference"),
        );
        let mut c = axes
            .builder(&area)
            .build_cartesian_2d(-xmax..xmax, dlo..dhi)
            .map_err(err)?;
        axes.draw(&c, &area, style)?;
        c.draw_series(LineSeries::new(
            diff.iter().copied(),
            style.line(style.ink(), 2.0),
        ))
        .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_has_801_symmetric_points_through_zero() {
        let xs: Vec<f64> = grid(5.0).collect();
        assert_eq!(xs.len(), POINTS);
        assert_eq!(xs[0], -5.0);
        assert_eq!(xs[400], 0.0);
        assert_eq!(xs[800], 5.0);
        let step = xs[1] - xs[0];
        assert!(xs.windows(2).all(|w| ((w[1] - w[0]) - step).abs() < 1e-12));
    }

    #[test]
    fn gelu_difference_peaks_near_4_7e_4() {
        // docs/science.md#gelu-exact-and-approximate: max |GELU exact - GELU tanh| about 4.73e-4
        // near |x| = 2.70.
        let d = ActivationData::prepare(Activation::new(ActivationKind::Gelu), 5.0, &[], true);
        let diff = d.gelu_diff.unwrap();
        let (x, peak) = diff
            .iter()
            .map(|p| (p.0, p.1.abs()))
            .fold((0.0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
        assert!((peak - 4.73e-4).abs() < 0.05e-4, "peak {peak}");
        assert!((x.abs() - 2.70).abs() < 0.05, "at {x}");
        let relu = ActivationData::prepare(Activation::new(ActivationKind::Relu), 5.0, &[], true);
        assert!(relu.gelu_diff.is_none(), "only shown when a GELU is chosen");
    }
}
