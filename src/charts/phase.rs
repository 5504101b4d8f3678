//! The `phase` panel: chi_1 over (sigma_w^2, sigma_b^2) as a heat map with the critical line
//! chi_1 = 1 and the current configuration marked (order-to-chaos map, Schoenholz et al. 2017).

use super::axes::{Axes, Axis};
use super::{blit_rgba, err, LegendEntry, Style, INK, PAPER};
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct PhaseData {
    /// sigma_w^2 of the grid columns, increasing.
    pub sw: Vec<f64>,
    /// sigma_b^2 of the grid rows, increasing.
    pub sb: Vec<f64>,
    /// chi_1 at (sw[i], sb[j]) stored at j * sw.len() + i.
    pub chi1: Vec<f64>,
    /// q* of the length map at the same points (NaN where q collapses or diverges), for the
    /// CSV.
    pub q_star: Vec<f64>,
    /// The current (sigma_w^2, sigma_b^2), if inside the map.
    pub current: Option<(f64, f64)>,
}

/// The plotting area of the last drawing, in CSS pixels, for turning clicks into (sw, sb).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Frame {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

impl PhaseData {
    /// The axis of grid values `v` (the cells' outer edges), as drawn.
    pub fn cell_edges(v: &[f64]) -> (f64, f64) {
        let step = if v.len() > 1 { v[1] - v[0] } else { 1.0 };
        (v[0] - step / 2.0, v[v.len() - 1] + step / 2.0)
    }

    /// The (sigma_w^2, sigma_b^2) under a point in CSS pixels, if inside the map.
    pub fn at(&self, frame: &Frame, x: f64, y: f64) -> Option<(f64, f64)> {
        if self.sw.is_empty()
            || self.sb.is_empty()
            || x < frame.x0
            || x > frame.x1
            || y < frame.y0
            || y > frame.y1
        {
            return None;
        }
        let (w0, w1) = Self::cell_edges(&self.sw);
        let (b0, b1) = Self::cell_edges(&self.sb);
        let sw = w0 + (x - frame.x0) / (frame.x1 - frame.x0) * (w1 - w0);
        let sb = b1 - (y - frame.y0) / (frame.y1 - frame.y0) * (b1 - b0);
        Some((sw.max(0.0), sb.max(0.0)))
    }

    /// chi_1 - 1 at grid point (i, j) (column i, row j).
    fn excess(&self, i: usize, j: usize) -> f64 {
        self.chi1[j * self.sw.len() + i] - 1.0
    }

    /// Whether chi_1 jumps between the neighbouring grid points a and b (along a row or a
    /// column): the step exceeds 0.1 and four times the steps on either side of it in the same
    /// direction. A smooth chi_1 changes by similar amounts between neighbours; a jump of q*
    /// (collapse on one side, divergence on the other, as for GELU and SiLU at small
    /// sigma_b^2) changes chi_1 by a finite amount over one cell.
    fn jumps(&self, a: (usize, usize), b: (usize, usize)) -> bool {
        let (n, m) = (self.sw.len(), self.sb.len());
        let step = |p: (usize, usize), q: (usize, usize)| {
            (self.excess(q.0, q.1) - self.excess(p.0, p.1)).abs()
        };
        let here = step(a, b);
        if here.is_nan() || here <= 0.1 {
            return false;
        }
        let (di, dj) = (b.0 - a.0, b.1 - a.1);
        let mut around = Vec::new();
        if a.0 >= di && a.1 >= dj {
            around.push(step((a.0 - di, a.1 - dj), a));
        }
        if b.0 + di < n && b.1 + dj < m {
            around.push(step(b, (b.0 + di, b.1 + dj)));
        }
        let around: Vec<f64> = around.into_iter().filter(|d| d.is_finite()).collect();
        !around.is_empty() && around.iter().all(|&d| here > 4.0 * d)
    }

    /// The chi_1 = 1 contour by marching squares on the grid (linear interpolation along the
    /// cell edges): (segments where chi_1 really crosses 1, segments that only separate a jump
    /// of chi_1 across 1, see [`PhaseData::jumps`]). A segment is a jump if either of its ends
    /// lies on an edge where chi_1 jumps. Cells with a non-finite corner are skipped.
    #[allow(clippy::type_complexity)]
    pub fn contours(&self) -> (Vec<[(f64, f64); 2]>, Vec<[(f64, f64); 2]>) {
        let (n, m) = (self.sw.len(), self.sb.len());
        let (mut smooth, mut jump) = (Vec::new(), Vec::new());
        if n < 2 || m < 2 || self.chi1.len() < n * m {
            return (smooth, jump);
        }
        let point = |i: usize, j: usize| (self.sw[i], self.sb[j]);
        for j in 0..m - 1 {
            for i in 0..n - 1 {
                // Corners counter-clockwise from the lower left.
                let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
                let f: Vec<f64> = corners.iter().map(|&(a, b)| self.excess(a, b)).collect();
                if f.iter().any(|v| !v.is_finite()) {
                    continue;
                }
                let mut hits = Vec::new();
                for e in 0..4 {
                    let (p, q) = (corners[e], corners[(e + 1) % 4]);
                    let (fp, fq) = (f[e], f[(e + 1) % 4]);
                    if (fp > 0.0) != (fq > 0.0) {
                        let t = fp / (fp - fq);
                        let (xp, yp) = point(p.0, p.1);
                        let (xq, yq) = point(q.0, q.1);
                        // Edges in increasing index order for the jump test.
                        let (lo, hi) = if p <= q { (p, q) } else { (q, p) };
                        hits.push(((xp + t * (xq - xp), yp + t * (yq - yp)), self.jumps(lo, hi)));
                    }
                }
                let pairs: Vec<(usize, usize)> = match hits.len() {
                    2 => vec![(0, 1)],
                    // A saddle: pair the crossings so that the segments separate the corners
                    // that differ from the cell's mean.
                    4 => {
                        let centre = f.iter().sum::<f64>() / 4.0;
                        if (centre > 0.0) == (f[0] > 0.0) {
                            vec![(0, 3), (1, 2)]
                        } else {
                            vec![(0, 1), (2, 3)]
                        }
                    }
                    _ => Vec::new(),
                };
                for (a, b) in pairs {
                    let segment = [hits[a].0, hits[b].0];
                    if hits[a].1 || hits[b].1 {
                        jump.push(segment);
                    } else {
                        smooth.push(segment);
                    }
                }
            }
        }
        (smooth, jump)
    }
}

/// Blue below chi_1 = 1 (ordered), white at 1, red above (chaotic), on a log scale of chi_1.
fn diverging(chi1: f64) -> [u8; 3] {
    if !chi1.is_finite() || chi1 <= 0.0 {
        return [200, 200, 200];
    }
    let t = (chi1.ln() / 2f64.ln()).clamp(-1.0, 1.0);
    let lerp = |a: f64, b: f64, t: f64| (a + (b - a) * t).round() as u8;
    if t < 0.0 {
        let t = -t;
        [
            lerp(247.0, 33.0, t),
            lerp(247.0, 102.0, t),
            lerp(247.0, 172.0, t),
        ]
    } else {
        [
            lerp(247.0, 178.0, t),
            lerp(247.0, 24.0, t),
            lerp(247.0, 43.0, t),
        ]
    }
}

pub fn draw(canvas: &HtmlCanvasElement, data: &PhaseData, style: &Style) -> Result<Frame, String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let mut legend = Vec::new();
    if data.sw.is_empty() || data.sb.is_empty() {
        root.present().map_err(err)?;
        return Ok(Frame::default());
    }
    let (w0, w1) = PhaseData::cell_edges(&data.sw);
    let (b0, b1) = PhaseData::cell_edges(&data.sb);
    // The legend goes above the map (every corner of a heat map is data).
    let line = style.line(INK, 2.5);
    let (smooth, jumps) = data.contours();
    if !smooth.is_empty() {
        legend.push(LegendEntry::line("critical line χ₁ = 1", line));
    }
    let dashed = style.line(INK, 1.5);
    let (dash, gap) = (style.px(5.0), style.px(4.0));
    if !jumps.is_empty() {
        legend.push(
            LegendEntry::line("q* jumps: collapse vs divergence", dashed)
                .dashed(dash as u32, gap as u32),
        );
    }
    if data.current.is_some() {
        legend.push(LegendEntry::dot(
            "current setting",
            style.px(5.0) as u32,
            style.ink().stroke_width(style.px(2.0).max(1) as u32),
        ));
    }
    let (strip, body) = root.split_vertically(super::legend_strip_height(&root, style, &legend));
    super::draw_legend_strip(&strip, style, &legend)?;
    let mut axes = Axes::new(
        &body,
        style,
        Axes::uniform(style.px(10.0)),
        Axis::linear(w0, w1, "weight variance σ_w² (weights N(0, σ_w²/fan_in))"),
        Axis::linear(b0, b1, "bias variance σ_b²"),
    );
    axes.grid = false;
    let chart = axes
        .builder(&body)
        .build_cartesian_2d(w0..w1, b0..b1)
        .map_err(err)?;
    axes.draw(&chart, &body, style)?;
    let (px, py) = chart.plotting_area().get_pixel_range();
    root.present().map_err(err)?;
    let (n, m) = (data.sw.len(), data.sb.len());
    let mut rgba = vec![255u8; n * m * 4];
    for j in 0..m {
        for i in 0..n {
            let row = m - 1 - j;
            let k = (row * n + i) * 4;
            rgba[k..k + 3].copy_from_slice(&diverging(data.chi1[j * n + i]));
        }
    }
    blit_rgba(canvas, &rgba, n as u32, m as u32, px.clone(), py.clone())?;

    // Overlay: critical line and the current configuration.
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    let (_, area) = root.split_vertically(super::legend_strip_height(&root, style, &legend));
    let mut overlay = axes
        .builder(&area)
        .build_cartesian_2d(w0..w1, b0..b1)
        .map_err(err)?;
    for segment in &smooth {
        overlay
            .draw_series(LineSeries::new(segment.iter().copied(), line))
            .map_err(err)?;
    }
    for segment in &jumps {
        overlay
            .draw_series(DashedLineSeries::new(
                segment.iter().copied(),
                dash,
                gap,
                dashed,
            ))
            .map_err(err)?;
    }
    if let Some((sw, sb)) = data.current {
        let r = style.px(7.0) as u32;
        overlay
            .draw_series([
                Circle::new((sw, sb), r, PAPER.filled()),
                Circle::new((sw, sb), r, INK.stroke_width(style.px(2.5).max(1) as u32)),
            ])
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(Frame {
        x0: px.start as f64 / style.dpr,
        x1: px.end as f64 / style.dpr,
        y0: py.start as f64 / style.dpr,
        y1: py.end as f64 / style.dpr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> PhaseData {
        // chi_1 = sw / 2 (ReLU): critical at sw = 2 on every row.
        let sw: Vec<f64> = (0..8).map(|i| 0.5 + 0.5 * i as f64).collect();
        let sb = vec![0.0, 0.25, 0.5];
        let chi1 = sb.iter().flat_map(|_| sw.iter().map(|w| w / 2.0)).collect();
        PhaseData {
            sw,
            sb,
            chi1,
            q_star: Vec::new(),
            current: None,
        }
    }

    #[test]
    fn the_contour_of_a_smooth_chi1_is_solid_and_on_the_line() {
        let (smooth, jumps) = grid().contours();
        assert!(jumps.is_empty());
        assert_eq!(smooth.len(), 2, "one segment per row gap");
        for p in smooth.iter().flatten() {
            assert!((p.0 - 2.0).abs() < 1e-12, "{p:?}");
        }
    }

    #[test]
    fn a_jump_across_1_is_dashed_and_a_true_contour_solid() {
        // The phase map's columns. Row 0: chi_1 = sw/4 below sw = 2.35 (collapse), sw/2 above
        // (divergence), as for GELU at sigma_b^2 = 0: a jump from 0.575 to 1.2 between 2.3 and
        // 2.4 with no point at chi_1 = 1. Rows 1, 2: chi_1 = sw/2, crossing 1 continuously at
        // sw = 2.
        let sw: Vec<f64> = (0..36).map(|i| 0.5 + 0.1 * i as f64).collect();
        let sb = vec![0.0, 0.25, 0.5];
        let mut chi1 = Vec::new();
        for j in 0..3 {
            for &w in &sw {
                chi1.push(if j == 0 && w < 2.35 { w / 4.0 } else { w / 2.0 });
            }
        }
        let data = PhaseData {
            sw,
            sb,
            chi1,
            q_star: Vec::new(),
            current: None,
        };
        let (smooth, jumps) = data.contours();
        assert!(!jumps.is_empty(), "the jump in row 0 is dashed");
        for p in jumps.iter().flatten() {
            assert!(p.1 < 0.25 + 1e-12, "dashed only next to row 0: {p:?}");
        }
        assert!(smooth.iter().flatten().all(|p| p.1 >= 0.0));
        assert!(smooth
            .iter()
            .any(|s| s.iter().all(|p| (p.0 - 2.0).abs() < 1e-9)));
    }

    #[test]
    fn clicks_map_to_grid_values_and_outside_is_none() {
        let d = grid();
        let f = Frame {
            x0: 100.0,
            x1: 500.0,
            y0: 50.0,
            y1: 350.0,
        };
        let (sw, sb) = d.at(&f, 100.0, 350.0).unwrap();
        assert!(
            (sw - 0.25).abs() < 1e-12 && (sb - 0.0).abs() < 1e-12,
            "{sw} {sb}"
        );
        let (sw, sb) = d.at(&f, 500.0, 50.0).unwrap();
        assert!(
            (sw - 4.25).abs() < 1e-12 && (sb - 0.625).abs() < 1e-12,
            "{sw} {sb}"
        );
        assert!(d.at(&f, 99.0, 200.0).is_none());
    }

    #[test]
    fn colours_are_white_at_criticality() {
        assert_eq!(diverging(1.0), [247, 247, 247]);
        assert_eq!(diverging(0.5), [33, 102, 172]);
        assert_eq!(diverging(2.0), [178, 24, 43]);
    }
}
