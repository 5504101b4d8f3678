//! The two-dimensional tasks of the Train lab ([`Shape2d`], [`generate_2d`]), in the spirit of
//! TensorFlow Playground's classification generators (src/dataset.ts of
//! github.com/tensorflow/playground), written anew. Re-exported from [`crate::train::data`].

use crate::rng::Rng;
use crate::train::data::Dataset;
use crate::train::STREAM_DATA;

/// The two-dimensional tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape2d {
    /// Two interleaved spirals (1.75 turns, radius 0..5), noise added uniformly in +-noise.
    Spiral,
    /// A disc of radius 2.5 (class 1) inside a ring of radii 3.5..5 (class 0).
    Circle,
    /// The four quadrants of [-5, 5]^2 (points pushed 0.3 away from the axes); class 1 where
    /// x1 x2 >= 0.
    Xor,
    /// Two Gaussian blobs centred at (2, 2) (class 1) and (-2, -2) (class 0).
    Gauss,
}

/// Points per two-dimensional data set.
pub const POINTS_2D: usize = 500;
/// The largest noise level of the two-dimensional tasks.
pub const MAX_NOISE: f64 = 0.5;

impl Shape2d {
    pub const ALL: [Shape2d; 4] = [
        Shape2d::Spiral,
        Shape2d::Circle,
        Shape2d::Xor,
        Shape2d::Gauss,
    ];

    /// Stable name ("spiral", "circle", "xor", "gauss").
    pub fn name(self) -> &'static str {
        match self {
            Shape2d::Spiral => "spiral",
            Shape2d::Circle => "circle",
            Shape2d::Xor => "xor",
            Shape2d::Gauss => "gauss",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Uniform in [a, b) from `rng`.
fn uniform(rng: &mut Rng, a: f64, b: f64) -> f64 {
    a + (b - a) * rng.uniform()
}

/// The two-dimensional data set `shape` with [`POINTS_2D`] points, `noise` clamped to
/// [0, [`MAX_NOISE`]], drawn from the stream `(data_seed, STREAM_DATA)`.
///
/// Definitions (u(a, b) is a uniform draw, drawn in the order written; n = 500):
/// - spiral: for class 1 then class 0 (angle offset 0 then pi), i = 0..n/2: r = 5 i/(n/2),
///   t = 1.75 * 2 pi i/(n/2) + offset, (r sin t + u(-1, 1) noise, r cos t + u(-1, 1) noise).
/// - circle: n/2 points with radius u(0, 2.5), n/2 with radius u(3.5, 5), angle u(0, 2 pi),
///   point (r sin a, r cos a); then noise offsets u(-5, 5) noise per coordinate, and the class is
///   1 where the *offset* point lies within 2.5 of the origin (the label is noisy, the point not).
/// - xor: n points, each coordinate u(-5, 5) moved 0.3 away from 0, noise offsets u(-5, 5) noise;
///   class 1 where the offset point has x1 x2 >= 0.
/// - gauss: n/2 points of class 1 around (2, 2), then n/2 of class 0 around (-2, -2), each
///   coordinate normal with variance 0.5 + 7 noise (0.5 at noise 0, 4 at noise 0.5).
pub fn generate_2d(shape: Shape2d, noise: f64, data_seed: u64) -> Dataset {
    let noise = if noise.is_finite() {
        noise.clamp(0.0, MAX_NOISE)
    } else {
        0.0
    };
    let mut rng = Rng::from_seed_and_id(data_seed, STREAM_DATA);
    let n = POINTS_2D;
    let half = n / 2;
    let mut points: Vec<(f64, f64, u32)> = Vec::with_capacity(n);
    match shape {
        Shape2d::Spiral => {
            for (label, offset) in [(1, 0.0), (0, std::f64::consts::PI)] {
                for i in 0..half {
                    let r = i as f64 / half as f64 * 5.0;
                    let t = 1.75 * i as f64 / half as f64 * std::f64::consts::TAU + offset;
                    let x1 = r * t.sin() + uniform(&mut rng, -1.0, 1.0) * noise;
                    let x2 = r * t.cos() + uniform(&mut rng, -1.0, 1.0) * noise;
                    points.push((x1, x2, label));
                }
            }
        }
        Shape2d::Circle => {
            let radius = 5.0;
            for (r_lo, r_hi) in [(0.0, radius * 0.5), (radius * 0.7, radius)] {
                for _ in 0..half {
                    let r = uniform(&mut rng, r_lo, r_hi);
                    let angle = uniform(&mut rng, 0.0, std::f64::consts::TAU);
                    let (x1, x2) = (r * angle.sin(), r * angle.cos());
                    let n1 = uniform(&mut rng, -radius, radius) * noise;
                    let n2 = uniform(&mut rng, -radius, radius) * noise;
                    let inside = ((x1 + n1).powi(2) + (x2 + n2).powi(2)).sqrt() < radius * 0.5;
                    points.push((x1, x2, u32::from(inside)));
                }
            }
        }
        Shape2d::Xor => {
            let pad = |v: f64| if v > 0.0 { v + 0.3 } else { v - 0.3 };
            for _ in 0..n {
                let x1 = pad(uniform(&mut rng, -5.0, 5.0));
                let x2 = pad(uniform(&mut rng, -5.0, 5.0));
                let n1 = uniform(&mut rng, -5.0, 5.0) * noise;
                let n2 = uniform(&mut rng, -5.0, 5.0) * noise;
                points.push((x1, x2, u32::from((x1 + n1) * (x2 + n2) >= 0.0)));
            }
        }
        Shape2d::Gauss => {
            let std = (0.5 + 7.0 * noise).sqrt();
            for (label, centre) in [(1, 2.0), (0, -2.0)] {
                for _ in 0..half {
                    let x1 = centre + std * rng.normal();
                    let x2 = centre + std * rng.normal();
                    points.push((x1, x2, label));
                }
            }
        }
    }
    Dataset {
        x: points
            .iter()
            .flat_map(|&(a, b, _)| [a as f32, b as f32])
            .collect(),
        y: points.iter().map(|p| p.2).collect(),
        n: points.len(),
        d: 2,
        classes: 2,
        class_names: vec!["0".into(), "1".into()],
    }
}

/// [`generate_2d`] of [`Shape2d::Spiral`].
pub fn spiral(noise: f64, data_seed: u64) -> Dataset {
    generate_2d(Shape2d::Spiral, noise, data_seed)
}

/// [`generate_2d`] of [`Shape2d::Circle`].
pub fn circle(noise: f64, data_seed: u64) -> Dataset {
    generate_2d(Shape2d::Circle, noise, data_seed)
}

/// [`generate_2d`] of [`Shape2d::Xor`].
pub fn xor(noise: f64, data_seed: u64) -> Dataset {
    generate_2d(Shape2d::Xor, noise, data_seed)
}

/// [`generate_2d`] of [`Shape2d::Gauss`].
pub fn gauss(noise: f64, data_seed: u64) -> Dataset {
    generate_2d(Shape2d::Gauss, noise, data_seed)
}
