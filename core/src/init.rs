//! Weight initializers and a resumable weight sampler.
//!
//! Variances: docs/science.md#initializers. LeCun normal is the *untruncated* N(0, 1/fan_in)
//! of the SNN paper (Klambauer et al. 2017); Keras/JAX's `lecun_normal` is a truncated normal
//! instead.
//! Uniform initializers are U(-a, a) with a = sqrt(3 var), which has variance var. The gain
//! multiplies every weight after sampling. Layout: W is fan_in x fan_out, row-major,
//! W[i][j] at `w[i * fan_out + j]`, used as h = x W + b.

use crate::rng::Rng;

named_enum! {
    /// A weight initialization scheme; the URL name is [`Initializer::name`].
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Initializer {
        /// N(0, 1/fan_in), untruncated (LeCun et al. 1998; the SNN paper's choice).
        LecunNormal = ("lecun_normal", "LeCun normal N(0, 1/fan_in)"),
        /// U(+-sqrt(3/fan_in)).
        LecunUniform = ("lecun_uniform", "LeCun uniform U(\u{b1}sqrt(3/fan_in))"),
        /// N(0, 2/fan_in) (He et al. 2015).
        HeNormal = ("he_normal", "He normal N(0, 2/fan_in)"),
        /// U(+-sqrt(6/fan_in)).
        HeUniform = ("he_uniform", "He uniform U(\u{b1}sqrt(6/fan_in))"),
        /// N(0, 2/(fan_in + fan_out)) (Glorot & Bengio 2010).
        XavierNormal = ("xavier_normal", "Xavier normal N(0, 2/(fan_in + fan_out))"),
        /// U(+-sqrt(6/(fan_in + fan_out))).
        XavierUniform = (
            "xavier_uniform",
            "Xavier uniform U(\u{b1}sqrt(6/(fan_in + fan_out)))"
        ),
        /// Haar-distributed orthogonal matrix (Saxe et al. 2014): Q of the QR decomposition of a
        /// standard Gaussian matrix with its columns multiplied by sign(diag R) (Mezzadri 2007).
        Orthogonal = ("orthogonal", "Orthogonal (Haar, QR with sign fix)"),
        /// N(0, 1), ignoring the fan-in: the classic exploding baseline.
        Normal = ("normal", "Standard normal N(0, 1)"),
    }
}

/// Estimated cost of one normal, in flops: the ziggurat's fast path is one generator output, a
/// conversion, a multiply and a compare (in wasm about 4.5 ns a value, against 33 ns for the
/// Box-Muller transform it replaced, which this estimate used to price at 30 flops).
pub const NORMAL_FLOPS: f64 = 6.0;
/// Estimated cost of one uniform, in flops.
pub const UNIFORM_FLOPS: f64 = 5.0;
/// Random values generated per work unit of the sampler.
const VALUES_PER_UNIT: usize = 1 << 16;

impl Initializer {
    /// Variance of one weight before the gain. Orthogonal: the entries of a fan_in x fan_out
    /// matrix with orthonormal columns (or rows) have variance 1/max(fan_in, fan_out), which is
    /// 1/n for a square n x n matrix.
    pub fn weight_variance(self, fan_in: usize, fan_out: usize) -> f64 {
        let fan_in = fan_in.max(1) as f64;
        let fan_out = fan_out.max(1) as f64;
        match self {
            Initializer::LecunNormal | Initializer::LecunUniform => 1.0 / fan_in,
            Initializer::HeNormal | Initializer::HeUniform => 2.0 / fan_in,
            Initializer::XavierNormal | Initializer::XavierUniform => 2.0 / (fan_in + fan_out),
            Initializer::Orthogonal => 1.0 / fan_in.max(fan_out),
            Initializer::Normal => 1.0,
        }
    }

    /// Whether the weights are uniform U(-a, a) (else normal or orthogonal).
    pub fn is_uniform(self) -> bool {
        matches!(
            self,
            Initializer::LecunUniform | Initializer::HeUniform | Initializer::XavierUniform
        )
    }

    /// Samples a whole fan_in x fan_out weight matrix (runs a [`WeightSampler`] to completion).
    pub fn sample(self, fan_in: usize, fan_out: usize, gain: f64, rng: Rng) -> Vec<f32> {
        let mut out = vec![0.0; fan_in * fan_out];
        let mut sampler = WeightSampler::new(self, fan_in, fan_out, gain, rng);
        while !sampler.is_done() {
            sampler.step(&mut out);
        }
        out
    }
}

/// Samples one weight matrix in bounded work units (at most about 4 Mflop each for fan sizes up
/// to 1024), so that a browser can interleave the work with rendering.
///
/// Direct initializers draw the weights in row-major order from the stream. Orthogonal draws a
/// standard Gaussian max(fan_in, fan_out) x min(fan_in, fan_out) matrix A in row-major order,
/// factors it with Householder QR in f64 (one reflector per unit), accumulates the thin Q
/// backwards (one reflector per unit), multiplies column k of Q by sign(R_kk) so that Q is
/// Haar-distributed, and uses Q (fan_in >= fan_out) or Q^T as W, times the gain.
#[derive(Clone, Debug)]
pub struct WeightSampler {
    init: Initializer,
    fan_in: usize,
    fan_out: usize,
    gain: f64,
    rng: Rng,
    stage: Stage,
}

#[derive(Clone, Debug)]
enum Stage {
    /// Drawing weights directly; the next index to fill.
    Direct {
        next: usize,
    },
    /// Orthogonal: filling the Gaussian matrix (rows x cols, rows >= cols).
    Gaussian {
        a: Vec<f64>,
        next: usize,
    },
    /// Orthogonal: applying Householder reflector k.
    Reflect {
        qr: Householder,
        k: usize,
    },
    /// Orthogonal: accumulating Q; reflectors k.. are applied (k counts down from cols).
    Accumulate {
        qr: Householder,
        q: Vec<f64>,
        k: usize,
    },
    /// Orthogonal: sign fix and conversion into the output.
    Finish {
        qr: Householder,
        q: Vec<f64>,
    },
    Done,
}

/// Householder QR state of an m x c matrix (m >= c), LAPACK-style: reflector k is
/// H_k = I - beta_k v_k v_k^T with v_k stored in column k of `a` from row k down.
#[derive(Clone, Debug)]
struct Householder {
    a: Vec<f64>,
    beta: Vec<f64>,
    r_diag: Vec<f64>,
}

impl WeightSampler {
    /// A sampler of a fan_in x fan_out matrix of `init`, scaled by `gain`, drawing from `rng`
    /// (normally `Rng::stream(seed, Stream::Weights(layer))`).
    pub fn new(init: Initializer, fan_in: usize, fan_out: usize, gain: f64, rng: Rng) -> Self {
        let stage = if init == Initializer::Orthogonal && fan_in * fan_out > 0 {
            Stage::Gaussian {
                a: Vec::new(),
                next: 0,
            }
        } else {
            Stage::Direct { next: 0 }
        };
        WeightSampler {
            init,
            fan_in,
            fan_out,
            gain,
            rng,
            stage,
        }
    }

    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    fn rows(&self) -> usize {
        self.fan_in.max(self.fan_out)
    }

    fn cols(&self) -> usize {
        self.fan_in.min(self.fan_out)
    }

    /// Does one unit of work, writing into `out` (fan_in x fan_out); returns its estimated flops.
    /// Once [`WeightSampler::is_done`], `out` holds the weights and further calls do nothing.
    pub fn step(&mut self, out: &mut [f32]) -> f64 {
        assert_eq!(
            out.len(),
            self.fan_in * self.fan_out,
            "WeightSampler: output has the wrong size"
        );
        let (m, c) = (self.rows(), self.cols());
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Done => 0.0,
            Stage::Direct { next } => {
                let end = (next + VALUES_PER_UNIT).min(out.len());
                let variance = self.init.weight_variance(self.fan_in, self.fan_out);
                let flops = if self.init.is_uniform() {
                    let bound = (3.0 * variance).sqrt() * self.gain;
                    for w in &mut out[next..end] {
                        *w = ((2.0 * self.rng.uniform() - 1.0) * bound) as f32;
                    }
                    UNIFORM_FLOPS
                } else {
                    let std = variance.sqrt() * self.gain;
                    for w in &mut out[next..end] {
                        *w = (self.rng.normal() * std) as f32;
                    }
                    NORMAL_FLOPS
                };
                if end < out.len() {
                    self.stage = Stage::Direct { next: end };
                }
                flops * (end - next) as f64
            }
            Stage::Gaussian { mut a, next } => {
                a.resize(m * c, 0.0);
                let end = (next + VALUES_PER_UNIT).min(a.len());
                for v in &mut a[next..end] {
                    *v = self.rng.normal();
                }
                self.stage = if end < a.len() {
                    Stage::Gaussian { a, next: end }
                } else {
                    Stage::Reflect {
                        qr: Householder {
                            a,
                            beta: vec![0.0; c],
                            r_diag: vec![0.0; c],
                        },
                        k: 0,
                    }
                };
                NORMAL_FLOPS * (end - next) as f64
            }
            Stage::Reflect { mut qr, k } => {
                qr.reflect(m, c, k);
                self.stage = if k + 1 < c {
                    Stage::Reflect { qr, k: k + 1 }
                } else {
                    let mut q = vec![0.0; m * c];
                    for i in 0..c {
                        q[i * c + i] = 1.0;
                    }
                    Stage::Accumulate { qr, q, k: c }
                };
                reflect_flops(m, c, k)
            }
            Stage::Accumulate { qr, mut q, k } => {
                let k = k - 1;
                qr.accumulate(m, c, k, &mut q);
                self.stage = if k > 0 {
                    Stage::Accumulate { qr, q, k }
                } else {
                    Stage::Finish { qr, q }
                };
                accumulate_flops(m, c, k)
            }
            Stage::Finish { qr, q } => {
                let sign: Vec<f64> = qr
                    .r_diag
                    .iter()
                    .map(|&r| if r < 0.0 { -1.0 } else { 1.0 })
                    .collect();
                for i in 0..self.fan_in {
                    for j in 0..self.fan_out {
                        // W = Q (fan_in >= fan_out) or Q^T; column k of Q is multiplied by sign(R_kk).
                        let (qi, qj) = if self.fan_in >= self.fan_out {
                            (i, j)
                        } else {
                            (j, i)
                        };
                        out[i * self.fan_out + j] = (q[qi * c + qj] * sign[qj] * self.gain) as f32;
                    }
                }
                2.0 * (m * c) as f64
            }
        }
    }

    /// Estimated flops of a whole sampling (the sum of what [`WeightSampler::step`] returns).
    pub fn estimated_flops(init: Initializer, fan_in: usize, fan_out: usize) -> f64 {
        let count = (fan_in * fan_out) as f64;
        match init {
            _ if init.is_uniform() => UNIFORM_FLOPS * count,
            Initializer::Orthogonal if count > 0.0 => {
                let (m, c) = (fan_in.max(fan_out), fan_in.min(fan_out));
                let qr: f64 = (0..c)
                    .map(|k| reflect_flops(m, c, k) + accumulate_flops(m, c, k))
                    .sum();
                NORMAL_FLOPS * count + qr + 2.0 * count
            }
            _ => NORMAL_FLOPS * count,
        }
    }
}

fn reflect_flops(m: usize, c: usize, k: usize) -> f64 {
    let rows = (m - k) as f64;
    3.0 * rows + 4.0 * rows * (c - k - 1) as f64
}

fn accumulate_flops(m: usize, c: usize, k: usize) -> f64 {
    4.0 * (m - k) as f64 * (c - k) as f64
}

impl Householder {
    /// Computes reflector k from column k (rows k..m) and applies it to columns k+1..c.
    ///
    /// With x = A[k.., k] and alpha = -sign(x_0) |x| (the sign that avoids cancellation),
    /// v = x - alpha e_1 and beta = 2 / v^T v = 1 / (|x| (|x| + |x_0|)); R_kk = alpha.
    fn reflect(&mut self, m: usize, c: usize, k: usize) {
        let a = &mut self.a;
        let norm = (k..m)
            .map(|i| a[i * c + k] * a[i * c + k])
            .sum::<f64>()
            .sqrt();
        let x0 = a[k * c + k];
        if norm == 0.0 {
            self.beta[k] = 0.0;
            self.r_diag[k] = 0.0;
            return;
        }
        let alpha = if x0 < 0.0 { norm } else { -norm };
        a[k * c + k] = x0 - alpha;
        self.beta[k] = 1.0 / (norm * (norm + x0.abs()));
        self.r_diag[k] = alpha;
        if k + 1 == c {
            return;
        }
        // w = v^T A[k.., k+1..], then A[k.., k+1..] -= beta v w^T; both loops run along rows.
        let mut w = vec![0.0; c - k - 1];
        for i in k..m {
            let vi = a[i * c + k];
            for (wj, &aij) in w.iter_mut().zip(&a[i * c + k + 1..(i + 1) * c]) {
                *wj += vi * aij;
            }
        }
        let beta = self.beta[k];
        for i in k..m {
            let scale = beta * a[i * c + k];
            for (aij, &wj) in a[i * c + k + 1..(i + 1) * c].iter_mut().zip(&w) {
                *aij -= scale * wj;
            }
        }
    }

    /// Q[k.., k..] = H_k Q[k.., k..]: backward accumulation of Q = H_0 H_1 ... H_(c-1) [I; 0]
    /// (columns < k of rows >= k are still zero when reflector k is applied).
    fn accumulate(&self, m: usize, c: usize, k: usize, q: &mut [f64]) {
        let beta = self.beta[k];
        if beta == 0.0 {
            return;
        }
        let a = &self.a;
        let mut w = vec![0.0; c - k];
        for i in k..m {
            let vi = a[i * c + k];
            for (wj, &qij) in w.iter_mut().zip(&q[i * c + k..(i + 1) * c]) {
                *wj += vi * qij;
            }
        }
        for i in k..m {
            let scale = beta * a[i * c + k];
            for (qij, &wj) in q[i * c + k..(i + 1) * c].iter_mut().zip(&w) {
                *qij -= scale * wj;
            }
        }
    }
}
