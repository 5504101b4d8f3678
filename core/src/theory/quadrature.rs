//! Gaussian expectations E[f(mean + std z)], z standard normal, by piecewise Gauss-Legendre
//! quadrature, and a bracketing root finder.
//!
//! Why not Gauss-Hermite: its error bound needs f smooth on the whole line, but ReLU, leaky
//! ReLU, ELU and SELU have a kink at x = 0 (phi or phi' jumps), where a single polynomial rule
//! converges only algebraically (docs/science.md#quadrature). Here the z axis is cut into panels
//! and each panel gets its own n-point Gauss-Legendre rule, so every panel integrand is smooth
//! (analytic) and the rule converges geometrically. The edges are:
//!
//! * the window |z| <= 12 (the normal mass outside is 2 Phi(-12) = 3.6e-33) with fixed edges at
//!   z = 0, +-3, +-6, so that no panel holds more than 3 (central) or 6 (tails) standard
//!   deviations of the Gaussian weight;
//! * the kink x = 0, i.e. z = -mean/std, exactly, and when the kink lies in a tail (beyond
//!   3 standard deviations) a few edges beyond it that follow the Gaussian's fast decay there;
//! * a graded mesh around the kink at x = +-l, +-3l, ..., +-81l, where l is the length scale
//!   of the activation's features (1 for all activations here except Swish with beta != 1,
//!   l = 1/|beta|): every activation has its non-linearity and its complex singularities (the
//!   poles of tanh and sigmoid at Im x = pi/2, pi) near Re x = 0, so when std >> l the panels
//!   next to the kink shrink with the features instead of sampling a step with a coarse rule
//!   (and ELU's e^x, below 1e-35 beyond x = -81, is resolved on its own length scale).
//!
//! Against a 20000-panel composite reference (tests/theory.rs) over every activation, phi,
//! phi^2 and phi'^2, means -2..4 and standard deviations 1e-3..1e3, the 16-node
//! [`Quadrature::Accurate`] rule has a relative error (to E|f|) of at most 1.1e-14, including
//! kinks deep in a tail; the 12-node [`Quadrature::Fast`] rule, which [`super::phase_grid`]
//! uses, at most 6e-11 for std <= 30. A typical expectation costs 10 to 15 panels. Fixed rules
//! (not adaptive ones) make the result a smooth function of mean and std, which keeps finite
//! differences of it clean.
//!
//! The two-dimensional expectation E[f(u_a) g(u_b)] writes u_b in terms of u_a and an
//! independent normal and nests two such rules (see [`gauss_expect_2d`]).

use std::f64::consts::PI;
use std::sync::OnceLock;

/// Half-width of the integration window in standard deviations.
const Z_MAX: f64 = 12.0;
/// Fixed panel edges in z: the Gaussian weight varies by at most e^(-4.5) within the central
/// panels of width 3.
const GAUSS_EDGES: [f64; 7] = [-Z_MAX, -6.0, -3.0, 0.0, 3.0, 6.0, Z_MAX];
/// Ratio of the graded mesh around the kink, and its extent in feature lengths.
const GRADING: f64 = 3.0;
const GRADED_EXTENT: f64 = 81.0;
/// Smallest spacing of the graded mesh relative to its coarse spacing (bounds the edge count).
const FINEST_RATIO: f64 = 1e-9;
/// Farthest window end in z (the normal density underflows near z = 38.6).
const TAIL_END: f64 = 38.0;

/// Which Gauss-Legendre order to use per panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quadrature {
    /// 16 nodes per panel: about 1e-14 relative error; the default.
    Accurate,
    /// 12 nodes per panel: below about 1e-10 relative error for std <= 30, at 3/4 of the
    /// cost; used by the phase diagram, which solves for thousands of fixed points.
    Fast,
}

/// An n-point Gauss-Legendre rule on [-1, 1].
struct Rule {
    nodes: Vec<f64>,
    weights: Vec<f64>,
}

/// Where an integrand's features are: the kink (in x) where it or its derivative jumps, which
/// becomes a panel edge, and the length scale (in x) of the graded mesh around it. Smooth
/// activations use kink 0, the centre of their features.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Shape {
    pub scale: f64,
    pub kink: f64,
}

impl Shape {
    /// Length scale 1, kink (or centre) at 0.
    pub const STANDARD: Shape = Shape {
        scale: 1.0,
        kink: 0.0,
    };
}

/// The panel coordinate of the kink x = `kink` when x = `std` z (exactly 0 for a kink at 0).
fn z_of(kink: f64, std: f64) -> f64 {
    if kink == 0.0 {
        0.0
    } else {
        kink / std
    }
}

impl Quadrature {
    /// Nodes per panel.
    pub fn nodes_per_panel(self) -> usize {
        match self {
            Quadrature::Accurate => 16,
            Quadrature::Fast => 12,
        }
    }

    /// A bound on the relative error of an expectation with this rule, for deciding whether
    /// a small difference of two expectations is significant: 1e-12 (accurate) or 1e-9 (fast),
    /// about 100 and 20 times the worst errors the tests measure.
    pub(crate) fn relative_noise(self) -> f64 {
        match self {
            Quadrature::Accurate => 1e-12,
            Quadrature::Fast => 1e-9,
        }
    }

    fn rule(self) -> &'static Rule {
        static RULES: OnceLock<[Rule; 2]> = OnceLock::new();
        let rules = RULES.get_or_init(|| {
            [
                gauss_legendre(Quadrature::Accurate.nodes_per_panel()),
                gauss_legendre(Quadrature::Fast.nodes_per_panel()),
            ]
        });
        match self {
            Quadrature::Accurate => &rules[0],
            Quadrature::Fast => &rules[1],
        }
    }

    /// E[f(mean + std z)] for z standard normal, with a kink of f allowed at x = 0 and the
    /// features of f on the length scale 1; see [`gauss_expect`].
    pub fn expect(self, f: impl Fn(f64) -> f64, mean: f64, std: f64) -> f64 {
        self.expect_array(Shape::STANDARD, mean, std, |x| [f(x)])[0]
    }

    /// Several expectations E[f_k(mean + std z)] at once (one pass over the nodes), for
    /// features of f on the length scale `shape.scale` (in x) around its kink `shape.kink`.
    pub(crate) fn expect_array<const N: usize>(
        self,
        shape: Shape,
        mean: f64,
        std: f64,
        f: impl Fn(f64) -> [f64; N],
    ) -> [f64; N] {
        if !(mean.is_finite() && std.is_finite()) {
            return [f64::NAN; N];
        }
        let std = std.abs();
        if std == 0.0 {
            return f(mean);
        }
        let mut edges = Edges::new();
        let kink = if shape.kink == 0.0 {
            -mean / std
        } else {
            (shape.kink - mean) / std
        };
        edges.tail(kink);
        edges.graded(kink, shape.scale / std, shape.scale / std);
        self.integrate_panels(edges, |z| f(mean + std * z))
    }

    /// E[f(u_a) g(u_b)] for (u_a, u_b) jointly normal with zero mean and covariance
    /// [[q_aa, q_ab], [q_ab, q_bb]]; see [`gauss_expect_2d`]. `shape_f`, `shape_g` are the
    /// feature lengths and kinks of f and g.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn expect_2d(
        self,
        shape_f: Shape,
        shape_g: Shape,
        f: impl Fn(f64) -> f64,
        g: impl Fn(f64) -> f64,
        q_aa: f64,
        q_bb: f64,
        q_ab: f64,
    ) -> f64 {
        let finite = q_aa.is_finite() && q_bb.is_finite() && q_ab.is_finite();
        if !finite || q_aa < 0.0 || q_bb < 0.0 {
            return f64::NAN;
        }
        let (std_a, std_b) = (q_aa.sqrt(), q_bb.sqrt());
        if std_a == 0.0 {
            return f(0.0) * self.expect_array(shape_g, 0.0, std_b, |x| [g(x)])[0];
        }
        if std_b == 0.0 {
            return g(0.0) * self.expect_array(shape_f, 0.0, std_a, |x| [f(x)])[0];
        }
        let c = (q_ab / (std_a * std_b)).clamp(-1.0, 1.0);
        // (1 - c)(1 + c) keeps the conditional spread accurate as |c| -> 1.
        let cond_std = std_b * ((1.0 - c) * (1.0 + c)).sqrt();
        let mut edges = Edges::new();
        let (scale_f, scale_g) = (shape_f.scale, shape_g.scale);
        edges.graded(z_of(shape_f.kink, std_a), scale_f / std_a, scale_f / std_a);
        if c != 0.0 {
            // Given z1, u_b ~ N(std_b c z1, cond_std^2): the inner expectation G(z1) has g's
            // features at scale_g / (std_b |c|) in z1, and g's kink smoothed to a width
            // cond_std / (std_b |c|) = sqrt(1 - c^2) / |c| around z1 = 0.
            let coarse = scale_g / (std_b * c.abs());
            let fine = scale_g.min(cond_std) / (std_b * c.abs());
            edges.graded(z_of(shape_g.kink, std_b * c), fine, coarse);
        }
        self.integrate_panels(edges, |z1| {
            let fa = f(std_a * z1);
            if fa == 0.0 {
                // ReLU's left half: skip the inner integral.
                return [0.0];
            }
            let inner = self.expect_array(shape_g, std_b * c * z1, cond_std, |x| [g(x)]);
            [fa * inner[0]]
        })[0]
    }

    /// Sum over the panels between consecutive `edges` of the n-point rule applied to
    /// h(z) phi(z), phi the standard normal density.
    fn integrate_panels<const N: usize>(
        self,
        edges: Edges,
        h: impl Fn(f64) -> [f64; N],
    ) -> [f64; N] {
        let mut edges = edges.points;
        edges.sort_by(f64::total_cmp);
        edges.dedup();
        let rule = self.rule();
        let mut sum = [0.0; N];
        for panel in edges.windows(2) {
            let half = 0.5 * (panel[1] - panel[0]);
            let mid = 0.5 * (panel[1] + panel[0]);
            for (&t, &w) in rule.nodes.iter().zip(&rule.weights) {
                let z = mid + half * t;
                let weight = half * w * normal_pdf(z);
                let values = h(z);
                for (s, v) in sum.iter_mut().zip(values) {
                    *s += weight * v;
                }
            }
        }
        sum
    }
}

/// E[f(mean + std z)], z ~ N(0, 1), to about 1e-14 relative accuracy for functions that are
/// analytic on each side of x = 0 with features on a length scale of about 1 (every
/// activation of this crate, and polynomials or exponentials of them).
///
/// Method: piecewise 16-point Gauss-Legendre on |z| <= 12 with panel edges at the kink
/// z = -mean/std and graded around it (module documentation). `std = 0` gives f(mean); a
/// negative std is used as |std|; non-finite arguments give NaN.
pub fn gauss_expect(f: impl Fn(f64) -> f64, mean: f64, std: f64) -> f64 {
    Quadrature::Accurate.expect(f, mean, std)
}

/// E[f(u_a) g(u_b)] for (u_a, u_b) jointly normal with zero means, variances q_aa, q_bb and
/// covariance q_ab (|q_ab| <= sqrt(q_aa q_bb); the correlation is clamped to [-1, 1]).
///
/// With c = q_ab / sqrt(q_aa q_bb), u_a = sqrt(q_aa) z1 and u_b = sqrt(q_bb) (c z1 +
/// sqrt(1 - c^2) z2) for independent standard normals z1, z2 (Poole et al. 2016), so
/// E[f(u_a) g(u_b)] = E_z1[f(u_a) E_z2[g(u_b)]]: the inner expectation is [`gauss_expect`] of
/// g with mean sqrt(q_bb) c z1 and std sqrt(q_bb (1 - c^2)) (split at g's kink), the outer one
/// is split at z1 = 0 (f's kink, and where the inner expectation bends, sharply as c -> +-1).
/// Non-finite or negative variances give NaN.
pub fn gauss_expect_2d(
    f: impl Fn(f64) -> f64,
    g: impl Fn(f64) -> f64,
    q_aa: f64,
    q_bb: f64,
    q_ab: f64,
) -> f64 {
    Quadrature::Accurate.expect_2d(Shape::STANDARD, Shape::STANDARD, f, g, q_aa, q_bb, q_ab)
}

/// Panel edges in z within the integration window.
struct Edges {
    points: Vec<f64>,
    lo: f64,
    hi: f64,
}

impl Edges {
    /// The fixed Gaussian edges and the window |z| <= 12.
    fn new() -> Self {
        let mut points = Vec::with_capacity(48);
        points.extend_from_slice(&GAUSS_EDGES);
        Edges {
            points,
            lo: -Z_MAX,
            hi: Z_MAX,
        }
    }

    fn push(&mut self, z: f64) {
        if z > self.lo && z < self.hi {
            self.points.push(z);
        }
    }

    /// Adds `kink` and the graded mesh kink +- fine 3^k (k = 0, 1, ...) up to kink +- 81 coarse.
    fn graded(&mut self, kink: f64, fine: f64, coarse: f64) {
        self.push(kink);
        if !(fine > 0.0 && coarse.is_finite()) {
            return;
        }
        let mut step = fine.max(coarse * FINEST_RATIO);
        // The slack keeps the last level (81 coarse) when fine = coarse and 3^k rounds up.
        while step <= GRADED_EXTENT * coarse * (1.0 + 1e-9) && step < 2.0 * TAIL_END {
            self.push(kink - step);
            self.push(kink + step);
            step *= GRADING;
        }
    }

    /// For a kink z0 in a tail (|z0| > 3) the Gaussian beyond it decays like
    /// e^(-|z0| |z - z0|), too fast for the fixed edges, and may hold all of the integral (ReLU
    /// with its kink at z = 10): extends the window on that side to sqrt(z0^2 + 100), where
    /// e^(-z^2/2) is e^(-50) times its value at z0, and adds edges z0 + k / z0, k = 1, 2, 4, 8,
    /// 16, that follow the decay.
    fn tail(&mut self, kink: f64) {
        let depth = kink.abs();
        let end = (depth * depth + 100.0).sqrt();
        if depth <= 3.0 || end > TAIL_END {
            return;
        }
        if kink > 0.0 {
            self.hi = self.hi.max(end);
            self.points.push(self.hi);
        } else {
            self.lo = self.lo.min(-end);
            self.points.push(self.lo);
        }
        self.push(kink);
        for k in [1.0, 2.0, 4.0, 8.0, 16.0] {
            self.push(kink + (k / depth).copysign(kink));
        }
    }
}

/// The standard normal density.
fn normal_pdf(z: f64) -> f64 {
    const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
    INV_SQRT_2PI * (-0.5 * z * z).exp()
}

/// The n-point Gauss-Legendre rule: nodes are the roots of the Legendre polynomial P_n (by
/// Newton's method from the asymptotic guesses cos(pi (i + 3/4) / (n + 1/2))), weights
/// 2 / ((1 - x^2) P_n'(x)^2) (Abramowitz & Stegun 25.4.29).
fn gauss_legendre(n: usize) -> Rule {
    let mut nodes = vec![0.0; n];
    let mut weights = vec![0.0; n];
    let nf = n as f64;
    // P_n(x) and P_n'(x) by the three-term recurrence.
    let legendre = |x: f64| {
        let (mut p_prev, mut p) = (1.0, x);
        for k in 2..=n {
            let kf = k as f64;
            let next = ((2.0 * kf - 1.0) * x * p - (kf - 1.0) * p_prev) / kf;
            p_prev = p;
            p = next;
        }
        (p, nf * (x * p - p_prev) / (x * x - 1.0))
    };
    for i in 0..n.div_ceil(2) {
        let mut x = (PI * (i as f64 + 0.75) / (nf + 0.5)).cos();
        for _ in 0..100 {
            let (p, dp) = legendre(x);
            let dx = p / dp;
            x -= dx;
            if dx.abs() <= 1e-16 {
                break;
            }
        }
        let (_, dp) = legendre(x);
        let w = 2.0 / ((1.0 - x * x) * dp * dp);
        nodes[i] = -x;
        nodes[n - 1 - i] = x;
        weights[i] = w;
        weights[n - 1 - i] = w;
    }
    Rule { nodes, weights }
}

/// A root of `f` in [a, b] (f(a), f(b) of opposite signs or zero) by Brent's method
/// (Brent 1973, ch. 4: inverse quadratic interpolation safeguarded by bisection), to an
/// absolute tolerance `tol` plus a few ulps.
pub(crate) fn brent(mut f: impl FnMut(f64) -> f64, a: f64, b: f64, tol: f64) -> f64 {
    let (mut a, mut b) = (a, b);
    let (mut fa, mut fb) = (f(a), f(b));
    if fa == 0.0 {
        return a;
    }
    if fb == 0.0 {
        return b;
    }
    let (mut c, mut fc) = (b, fb);
    let (mut d, mut e) = (b - a, b - a);
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            (a, b, c) = (b, c, b);
            (fa, fb, fc) = (fb, fc, fb);
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * tol;
        let xm = 0.5 * (c - b);
        if xm.abs() <= tol1 || fb == 0.0 {
            return b;
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q) = if a == c {
                (2.0 * xm * s, 1.0 - s)
            } else {
                let qa = fa / fc;
                let r = fb / fc;
                (
                    s * (2.0 * xm * qa * (qa - r) - (b - a) * (r - 1.0)),
                    (qa - 1.0) * (r - 1.0) * (s - 1.0),
                )
            };
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * xm * q - (tol1 * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(xm) };
        fb = f(b);
    }
    b
}
