//! The `phase` panel: chi_1 over (sigma_w^2, sigma_b^2) as a heat map with the critical line
//! chi_1 = 1 and the current configuration marked (order-to-chaos map, Schoenholz et al. 2017).

use super::{blit_rgba, err, HouseMesh, LegendEntry, Style, INK, PAPER};
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
    fn cell_edges(v: &[f64]) -> (f64, f64) {
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

    /// Points (sigma_w^2, sigma_b^2) where chi_1 crosses 1 along each row (linear interpolation).
    pub fn critical_line(&self) -> Vec<(f64, f64)> {
        let n = self.sw.len();
        let mut out = Vec::new();
        for (j, &sb) in self.sb.iter().enumerate() {
            let row = &self.chi1[j * n..(j + 1) * n];
            for i in 1..n {
                let (a, b) = (row[i - 1] - 1.0, row[i] - 1.0);
                if a.is_finite() && b.is_finite() && a * b <= 0.0 && a != b {
                    let t = a / (a - b);
                    out.push((self.sw[i - 1] + t * (self.sw[i] - self.sw[i - 1]), sb));
                    break;
                }
            }
        }
        out
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
    let mut chart = ChartBuilder::on(&root)
        .margin(style.px(10.0))
        .x_label_area_size(style.px(34.0))
        .y_label_area_size(style.px(48.0))
        .build_cartesian_2d(w0..w1, b0..b1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .house_axes(style)
        .x_desc("weight variance σ_w² (weights N(0, σ_w²/fan_in))")
        .y_desc("bias variance σ_b²")
        .x_label_formatter(&|v| super::tick_linear(*v, w1 - w0))
        .y_label_formatter(&|v| super::tick_linear(*v, b1 - b0))
        .draw()
        .map_err(err)?;
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
    let area = root.margin(0, 0, 0, 0);
    let mut overlay = ChartBuilder::on(&area)
        .margin(style.px(10.0))
        .x_label_area_size(style.px(34.0))
        .y_label_area_size(style.px(48.0))
        .build_cartesian_2d(w0..w1, b0..b1)
        .map_err(err)?;
    let line = style.line(INK, 2.5);
    overlay
        .draw_series(LineSeries::new(data.critical_line(), line))
        .map_err(err)?;
    legend.push(LegendEntry::line("critical line χ₁ = 1", line));
    if let Some((sw, sb)) = data.current {
        let r = style.px(7.0) as u32;
        overlay
            .draw_series([
                Circle::new((sw, sb), r, PAPER.filled()),
                Circle::new((sw, sb), r, INK.stroke_width(style.px(2.5).max(1) as u32)),
            ])
            .map_err(err)?;
        legend.push(LegendEntry::dot(
            "current setting",
            style.px(5.0) as u32,
            INK.stroke_width(style.px(2.0).max(1) as u32),
        ));
    }
    // The legend sits on the heat map, whose colours (and the dark line) do not follow the
    // theme: keep its box light.
    let on_map = Style {
        theme: super::Theme::Light,
        ..*style
    };
    super::draw_legend(&overlay, &on_map, SeriesLabelPosition::UpperRight, &legend)?;
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
    fn critical_line_interpolates_the_crossing() {
        let line = grid().critical_line();
        assert_eq!(line.len(), 3);
        for (sw, _) in line {
            assert!((sw - 2.0).abs() < 1e-12, "{sw}");
        }
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
