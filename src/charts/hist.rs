//! The `hist` panel: the distribution of post-activations at every layer as a heat map
//! (x: layer, y: value, colour: density within the layer).

use super::axes::{Axes, Axis};
use super::{blit_rgba, err, viridis, Style};
use lab_core::LayerStats;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

/// Value bins per layer.
pub const BINS: usize = 90;

/// Counts per (layer, bin) over a shared value range.
#[derive(Clone, Debug, PartialEq)]
pub struct Heatmap {
    pub layers: usize,
    pub lo: f64,
    pub hi: f64,
    /// counts[layer * BINS + bin], bin 0 at `lo`.
    pub counts: Vec<u32>,
    /// Finite samples outside [lo, hi], per layer.
    pub outside: Vec<u32>,
}

/// The value range: the union over layers of mean ± 4 std (from the exact layer statistics),
/// clipped to the sampled values, so outliers do not squash the picture.
pub fn value_range(stats: &[LayerStats], samples: &[&[f32]]) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut smin, mut smax) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in stats {
        let sd = s.post_var.max(0.0).sqrt();
        if s.post_mean.is_finite() && sd.is_finite() {
            lo = lo.min(s.post_mean - 4.0 * sd);
            hi = hi.max(s.post_mean + 4.0 * sd);
        }
    }
    for v in samples
        .iter()
        .flat_map(|l| l.iter())
        .map(|&v| f64::from(v))
        .filter(|v| v.is_finite())
    {
        smin = smin.min(v);
        smax = smax.max(v);
    }
    let (lo, hi) = (lo.max(smin), hi.min(smax));
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        // All values equal (or none finite): centre a unit-sized window on them.
        let c = if lo.is_finite() {
            lo
        } else if smin.is_finite() {
            smin
        } else {
            0.0
        };
        let half = (c.abs() * 0.1).max(1.0);
        return (c - half, c + half);
    }
    let pad = (hi - lo) * 0.02;
    (lo - pad, hi + pad)
}

impl Heatmap {
    pub fn build(samples: &[&[f32]], lo: f64, hi: f64) -> Heatmap {
        let layers = samples.len();
        let mut counts = vec![0u32; layers * BINS];
        let mut outside = vec![0u32; layers];
        let scale = BINS as f64 / (hi - lo);
        for l in 0..layers {
            for v in samples[l]
                .iter()
                .map(|&v| f64::from(v))
                .filter(|v| v.is_finite())
            {
                let b = ((v - lo) * scale).floor();
                if b >= 0.0 && b < BINS as f64 {
                    counts[l * BINS + b as usize] += 1;
                } else if v == hi {
                    counts[l * BINS + BINS - 1] += 1;
                } else {
                    outside[l] += 1;
                }
            }
        }
        Heatmap {
            layers,
            lo,
            hi,
            counts,
            outside,
        }
    }
}

/// Draws the heat map of the layers computed so far over a layer axis that spans `depth` and
/// every pin's depth, and each pin's band.
pub fn draw(
    canvas: &HtmlCanvasElement,
    map: &Heatmap,
    depth: usize,
    banner: Option<&str>,
    pins: &[super::PinStats],
    style: &Style,
) -> Result<(), String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let x_range = super::layer_range(depth, pins);
    let axis_layers = (x_range.end - 0.5).round() as usize;
    let root = super::banner_strip(root, banner, style)?;
    // Pinned runs: the band mean ± one standard deviation of each layer's values, as two
    // lines, with their legend above the map.
    let legend = super::pin_legend(style, pins);
    let (strip, root) = root.split_vertically(super::legend_strip_height(&root, style, &legend));
    super::draw_legend_strip(&strip, style, &legend)?;
    let mut axes = Axes::new(
        &root,
        style,
        Axes::uniform(style.px(10.0)),
        Axis::integer(x_range.start, x_range.end, "layer"),
        Axis::linear(map.lo, map.hi, "post-activation value"),
    );
    axes.grid = false;
    axes.min_height = Some(super::axes::MIN_PLOT_HEIGHT);
    let mut chart = axes
        .builder(&root)
        .build_cartesian_2d(x_range, map.lo..map.hi)
        .map_err(err)?;
    axes.draw(&chart, &root, style)?;
    let (px, py) = chart.plotting_area().get_pixel_range();
    root.present().map_err(err)?;
    if map.layers > 0 && depth > 0 {
        // This run's columns: the first `depth` of the axis's layers.
        let width = f64::from(px.end - px.start) * depth as f64 / axis_layers.max(1) as f64;
        blit_rgba(
            canvas,
            &heat_rgba(map, depth, style),
            depth as u32,
            BINS as u32,
            px.start..px.start + width.round() as i32,
            py,
        )?;
    }
    for pin in pins {
        // A halo in the paper's colour keeps the line visible on every colour of the map.
        let halo = style.line(style.paper(), 3.5);
        for sign in [-1.0, 1.0] {
            let points: Vec<(f64, f64)> = pin
                .stats
                .iter()
                .enumerate()
                .take(axis_layers)
                .map(|(i, s)| {
                    (
                        (i + 1) as f64,
                        s.post_mean + sign * s.post_var.max(0.0).sqrt(),
                    )
                })
                .filter(|p| p.1.is_finite() && p.1 >= map.lo && p.1 <= map.hi)
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), halo))
                .map_err(err)?;
            super::draw_pin_line(&mut chart, style, pin.index, points)?;
        }
    }
    root.present().map_err(err)?;
    Ok(())
}

/// The counts as RGBA pixels, one per layer (column) and bin (row, highest bin on top). Layers
/// not computed yet show the paper; empty bins a grey just off the paper.
fn heat_rgba(map: &Heatmap, depth: usize, style: &Style) -> Vec<u8> {
    let paper = style.paper();
    let empty = match style.theme {
        super::Theme::Light => [245, 245, 245],
        super::Theme::Dark => [48, 52, 58],
    };
    let mut rgba = [paper.0, paper.1, paper.2, 255].repeat(depth * BINS);
    for l in 0..map.layers.min(depth) {
        let column = &map.counts[l * BINS..(l + 1) * BINS];
        let max = column.iter().copied().max().unwrap_or(0);
        for (b, &count) in column.iter().enumerate() {
            let i = ((BINS - 1 - b) * depth + l) * 4;
            let rgb = if max == 0 || count == 0 {
                empty
            } else {
                // Square root of the layer-relative density shows the tails too.
                viridis((count as f64 / max as f64).sqrt())
            };
            rgba[i..i + 3].copy_from_slice(&rgb);
        }
    }
    rgba
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finite_sample_lands_in_a_bin_or_is_counted_outside() {
        let rows: Vec<Vec<f32>> = (1..=3)
            .map(|l| vec![-1.0f32, 0.0, 0.5, 1.0, 2.0, f32::NAN, l as f32])
            .collect();
        let slices: Vec<&[f32]> = rows.iter().map(|r| r.as_slice()).collect();
        let map = Heatmap::build(&slices, -1.0, 1.0);
        for l in 0..3 {
            let inside: u32 = map.counts[l * BINS..(l + 1) * BINS].iter().sum();
            assert_eq!(inside + map.outside[l], 6, "layer {l}");
        }
        assert_eq!(map.counts[0], 1, "-1 is in the first bin");
        assert_eq!(
            map.counts[BINS - 1],
            2,
            "1 (= hi) in the last bin for layer 1"
        );
    }

    #[test]
    fn viridis_ends() {
        assert_eq!(viridis(0.0), [68, 1, 84]);
        assert_eq!(viridis(1.0), [253, 231, 37]);
    }

    #[test]
    fn range_covers_the_bulk_and_survives_degenerate_layers() {
        let s = LayerStats {
            pre_mean: 0.0,
            pre_var: 1.0,
            post_mean: 0.0,
            post_var: 1.0,
            grad_rms: 1.0,
            pair_corr: 1.0,
        };
        let (lo, hi) = value_range(&[s], &[&[-3.0f32, 3.0, 10.0]]);
        assert!(lo <= -3.0 && (4.0..4.2).contains(&hi), "{lo} {hi}");
        let zero = LayerStats { post_var: 0.0, ..s };
        let (lo, hi) = value_range(&[zero], &[&[0.0f32; 4]]);
        assert!(lo < 0.0 && hi > 0.0, "{lo} {hi}");
    }
}
