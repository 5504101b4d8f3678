//! The Train lab's `decision` chart, in the manner of the TensorFlow Playground: the predicted
//! p(class 1) over the plane as a heat map (Okabe-Ito orange towards class 0, blue towards
//! class 1, white at 0.5), with the training points (filled) and test points (hollow) on top,
//! coloured by class. The map's colours do not follow the theme (like the phase map).

use super::axes::{Axes, Axis};
use super::{blit_rgba, err, padded_range, LegendEntry, Style, BLUE, GREY, ORANGE, PAPER};
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

/// Class 0's colour, and the map's colour where p(class 1) is 0.
pub const CLASS0: RGBColor = ORANGE;
/// Class 1's colour, and the map's colour where p(class 1) is 1.
pub const CLASS1: RGBColor = BLUE;
/// How far the map goes from white towards the class colour at p = 0 or 1 (lighter than the
/// points, so they stand out).
pub const MAP_STRENGTH: f64 = 0.7;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct DecisionData {
    /// Grid coordinates of feature 1 and feature 2 (increasing, evenly spaced).
    pub x1: Vec<f64>,
    pub x2: Vec<f64>,
    /// p1[i2 * x1.len() + i1] = p(class 1 | x1[i1], x2[i2]); empty: only the points are drawn.
    pub p1: Vec<f32>,
    /// (feature 1, feature 2, class) in the data's original coordinates.
    pub train: Vec<(f64, f64, u32)>,
    pub test: Vec<(f64, f64, u32)>,
}

impl DecisionData {
    /// The latest decision map of a trainer and its data, the points mapped back from the
    /// standardized coordinates the trainer holds to the original ones of the map. (The page
    /// has no trainer: it regenerates the points, see train/panels.rs; the tests have one.)
    #[cfg(all(test, target_arch = "wasm32"))]
    pub fn from_trainer(trainer: &lab_core::train::Trainer) -> DecisionData {
        let s = &trainer.standardizer;
        let back = |j: usize, v: f32| {
            let sd = s.std.get(j).copied().unwrap_or(1.0);
            let m = s.mean.get(j).copied().unwrap_or(0.0);
            if sd > 0.0 {
                f64::from(v) * sd + m
            } else {
                m
            }
        };
        let points = |d: &lab_core::train::Dataset| -> Vec<(f64, f64, u32)> {
            if d.d < 2 {
                return Vec::new();
            }
            (0..d.n)
                .map(|i| {
                    let r = d.row(i);
                    (back(0, r[0]), back(1, r[1]), d.y[i])
                })
                .collect()
        };
        let (x1, x2, p1) = match &trainer.history.decision {
            Some(m) => (m.x1.clone(), m.x2.clone(), m.p1.clone()),
            None => Default::default(),
        };
        DecisionData {
            x1,
            x2,
            p1,
            train: points(&trainer.train),
            test: points(&trainer.test),
        }
    }

    /// Whether there is a map of the right size.
    pub fn has_map(&self) -> bool {
        !self.x1.is_empty() && !self.x2.is_empty() && self.p1.len() == self.x1.len() * self.x2.len()
    }

    /// The plotted ranges: the map's cells, or the points padded, or [-1, 1].
    pub fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        if self.has_map() {
            (edges(&self.x1), edges(&self.x2))
        } else {
            let all = || self.train.iter().chain(&self.test);
            (
                padded_range(all().map(|p| p.0), 0.1),
                padded_range(all().map(|p| p.1), 0.1),
            )
        }
    }
}

/// The outer edges of evenly spaced cell centres.
fn edges(v: &[f64]) -> (f64, f64) {
    let step = if v.len() > 1 {
        (v[v.len() - 1] - v[0]) / (v.len() - 1) as f64
    } else {
        1.0
    };
    (v[0] - step / 2.0, v[v.len() - 1] + step / 2.0)
}

/// The map's colour of p(class 1): white at 0.5, towards orange below and blue above;
/// grey for a non-finite p.
pub fn map_colour(p: f64) -> [u8; 3] {
    if !p.is_finite() {
        return [200, 200, 200];
    }
    let s = (2.0 * p - 1.0).clamp(-1.0, 1.0);
    let c = if s < 0.0 { CLASS0 } else { CLASS1 };
    let t = s.abs() * MAP_STRENGTH;
    let lerp = |to: u8| (255.0 + (f64::from(to) - 255.0) * t).round() as u8;
    [lerp(c.0), lerp(c.1), lerp(c.2)]
}

fn class_colour(class: u32) -> RGBColor {
    if class == 0 {
        CLASS0
    } else {
        CLASS1
    }
}

pub fn draw(canvas: &HtmlCanvasElement, data: &DecisionData, style: &Style) -> Result<(), String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let ((a0, a1), (b0, b1)) = data.ranges();
    // The legend goes above the map (every corner of the map is data).
    let legend = [
        LegendEntry::dot("class 0", style.px(4.0) as u32, CLASS0.filled()),
        LegendEntry::dot("class 1", style.px(4.0) as u32, CLASS1.filled()),
        LegendEntry::dot(
            "test set (hollow)",
            style.px(4.0) as u32,
            GREY.stroke_width(style.px(2.0).max(1) as u32),
        ),
    ];
    let has_points = !(data.train.is_empty() && data.test.is_empty());
    let strip_h = if has_points {
        super::legend_strip_height(&root, style, &legend)
    } else {
        0
    };
    let (strip, body) = root.split_vertically(strip_h);
    if has_points {
        super::draw_legend_strip(&strip, style, &legend)?;
    }
    let mut axes = Axes::new(
        &body,
        style,
        Axes::uniform(style.px(10.0)),
        Axis::linear(a0, a1, "feature 1"),
        Axis::linear(b0, b1, "feature 2"),
    );
    axes.grid = false;
    macro_rules! chart {
        ($root:expr) => {
            axes.builder($root)
                .build_cartesian_2d(a0..a1, b0..b1)
                .map_err(err)?
        };
    }
    let chart = chart!(&body);
    axes.draw(&chart, &body, style)?;
    let (px, py) = chart.plotting_area().get_pixel_range();
    root.present().map_err(err)?;
    if data.has_map() {
        let (n, m) = (data.x1.len(), data.x2.len());
        let mut rgba = vec![255u8; n * m * 4];
        for j in 0..m {
            for i in 0..n {
                let k = ((m - 1 - j) * n + i) * 4;
                rgba[k..k + 3].copy_from_slice(&map_colour(f64::from(data.p1[j * n + i])));
            }
        }
        blit_rgba(canvas, &rgba, n as u32, m as u32, px, py)?;
    }

    // The points over the map: training filled with a white rim, test hollow with a white halo.
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    let (_, body) = root.split_vertically(strip_h);
    let mut overlay = chart!(&body);
    let r = style.px(3.5).max(1) as u32;
    let rim = PAPER.stroke_width(style.px(1.0).max(1) as u32);
    let halo = PAPER.stroke_width(style.px(3.5).max(1) as u32);
    let inside = |p: &&(f64, f64, u32)| p.0 >= a0 && p.0 <= a1 && p.1 >= b0 && p.1 <= b1;
    overlay
        .draw_series(data.train.iter().filter(inside).flat_map(|&(x, y, c)| {
            [
                Circle::new((x, y), r, class_colour(c).filled()),
                Circle::new((x, y), r, rim),
            ]
        }))
        .map_err(err)?;
    overlay
        .draw_series(data.test.iter().filter(inside).flat_map(|&(x, y, c)| {
            [
                Circle::new((x, y), r, halo),
                Circle::new(
                    (x, y),
                    r,
                    class_colour(c).stroke_width(style.px(2.0).max(1) as u32),
                ),
            ]
        }))
        .map_err(err)?;
    if !has_points && !data.has_map() {
        super::train_common::draw_note(&root, "waiting for the first evaluation", style)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_colours_at_the_ends_and_the_centre() {
        assert_eq!(map_colour(0.5), [255, 255, 255]);
        // 255 + (c - 255) * 0.7 per channel.
        assert_eq!(map_colour(0.0), [238, 188, 77]);
        assert_eq!(map_colour(1.0), [77, 156, 201]);
        assert_eq!(map_colour(-3.0), map_colour(0.0));
        assert_eq!(map_colour(f64::NAN), [200, 200, 200]);
        let quarter = map_colour(0.75);
        assert!(quarter[2] > map_colour(1.0)[2] && quarter[2] < 255);
    }

    #[test]
    fn ranges_cover_the_cells_or_the_points() {
        let d = DecisionData {
            x1: vec![0.0, 1.0, 2.0],
            x2: vec![-1.0, 1.0],
            p1: vec![0.5; 6],
            ..Default::default()
        };
        assert_eq!(d.ranges(), ((-0.5, 2.5), (-2.0, 2.0)));
        let points = DecisionData {
            train: vec![(0.0, 0.0, 0), (10.0, 5.0, 1)],
            p1: vec![0.5; 3],
            ..Default::default()
        };
        let ((a0, a1), (b0, b1)) = points.ranges();
        assert!(a0 < 0.0 && a1 > 10.0 && b0 < 0.0 && b1 > 5.0);
        assert_eq!(DecisionData::default().ranges(), ((-1.0, 1.0), (-1.0, 1.0)));
    }
}
