//! Singular values by the one-sided Jacobi method (Hestenes 1958; the form of Demmel & Veselić,
//! "Jacobi's method is more accurate than QR", SIAM J. Matrix Anal. Appl. 13, 1992, section 4),
//! in f64, resumable in bounded work units.
//!
//! The rows of a p x len matrix B (p <= len: the matrix itself or its transpose, whichever has
//! fewer rows) are made mutually orthogonal by plane rotations B <- G B. For rows a_i, a_j with
//! alpha = |a_i|^2, beta = |a_j|^2, gamma = a_i . a_j the rotation zeta = (beta - alpha) /
//! (2 gamma), t = sign(zeta) / (|zeta| + sqrt(1 + zeta^2)), c = 1 / sqrt(1 + t^2), s = c t
//! (a_i, a_j) <- (c a_i - s a_j, s a_i + c a_j) makes them orthogonal, with new squared norms
//! alpha - t gamma and beta + t gamma (Rutishauser). A pair is skipped when |gamma| <= tol
//! sqrt(alpha beta), tol = sqrt(len) eps (LAPACK's dgesvj criterion); a sweep over every pair
//! that rotates nothing ends the iteration, and the singular values are the row norms. Rotations
//! are orthogonal, so the values are those of the input; each sweep recomputes the squared norms
//! so that the running updates cannot drift.
//!
//! Cost: a rotated pair costs about 8 len flops (the dot product and the rotation), a skipped
//! one 2 len; a sweep about 4 p^2 len flops (537 Mflop for 512 x 512), and a random square
//! matrix needs some 6 to 10 sweeps.

/// Most sweeps before the iteration stops (convergence is quadratic once the rows are nearly
/// orthogonal; LAPACK's dgesvj allows 30).
pub const MAX_SWEEPS: usize = 40;
/// Target size of one work unit of [`JacobiSvd::step`], in estimated flops.
const UNIT_FLOPS: f64 = 4e6;

/// A one-sided Jacobi SVD in progress (see the module documentation).
#[derive(Clone, Debug)]
pub struct JacobiSvd {
    /// B, p rows of `len` entries (row-major), scaled so that its largest entry is about 1.
    rows: Vec<f64>,
    p: usize,
    len: usize,
    /// The factor B was divided by (a power of two, so exact).
    scale: f64,
    /// Squared row norms, kept up to date by the rotations.
    norms2: Vec<f64>,
    /// Next pair (i, j), i < j.
    i: usize,
    j: usize,
    sweep: usize,
    rotated_this_sweep: bool,
    done: bool,
    converged: bool,
}

impl JacobiSvd {
    /// Starts the SVD of the `rows` x `cols` matrix `a` (row-major). Its entries must be finite.
    pub fn new(a: &[f64], rows: usize, cols: usize) -> Self {
        assert_eq!(a.len(), rows * cols, "JacobiSvd: matrix has the wrong size");
        let (p, len) = (rows.min(cols), rows.max(cols));
        let b = if rows <= cols {
            a.to_vec()
        } else {
            let mut t = vec![0.0; rows * cols];
            for r in 0..rows {
                for c in 0..cols {
                    t[c * rows + r] = a[r * cols + c];
                }
            }
            t
        };
        // A power-of-two scale keeps the squared norms away from overflow and underflow as far
        // as the spread of the entries allows, without rounding anything.
        let largest = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let scale = if largest > 0.0 && largest.is_finite() {
            2f64.powi(largest.log2().round() as i32)
        } else {
            1.0
        };
        let rows: Vec<f64> = b.iter().map(|v| v / scale).collect();
        let mut svd = JacobiSvd {
            rows,
            p,
            len,
            scale,
            norms2: vec![0.0; p],
            i: 0,
            j: 1,
            sweep: 0,
            rotated_this_sweep: false,
            done: p <= 1,
            converged: p <= 1,
        };
        svd.refresh_norms();
        svd
    }

    /// Does pairs until their estimated flops reach `flop_budget` (at least one pair); returns
    /// true when finished. The result does not depend on the budgets.
    pub fn step(&mut self, flop_budget: f64) -> bool {
        self.work(flop_budget);
        self.done
    }

    /// [`JacobiSvd::step`] returning the estimated flops spent.
    pub(super) fn work(&mut self, flop_budget: f64) -> f64 {
        let mut spent = 0.0;
        while !self.done {
            spent += self.pair();
            if spent >= flop_budget || flop_budget.is_nan() {
                break;
            }
        }
        spent
    }

    /// Runs to the end in units of [`UNIT_FLOPS`].
    pub fn finish(&mut self) {
        while !self.step(UNIT_FLOPS) {}
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Whether the last sweep rotated nothing (false if [`MAX_SWEEPS`] ran out first).
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Sweeps started so far.
    pub fn sweeps(&self) -> usize {
        self.sweep + usize::from(!self.done && self.p > 1)
    }

    /// Estimated flops of one sweep over a p x len matrix with every pair rotated.
    pub fn sweep_flops(p: usize, len: usize) -> f64 {
        let pairs = (p * p.saturating_sub(1) / 2) as f64;
        pairs * 8.0 * len as f64 + 2.0 * (p * len) as f64
    }

    /// The singular values, sorted descending (min(rows, cols) of them), once done.
    pub fn singular_values(&self) -> Option<Vec<f64>> {
        if !self.done {
            return None;
        }
        let mut values: Vec<f64> = self
            .rows
            .chunks_exact(self.len.max(1))
            .take(self.p)
            .map(|row| robust_norm(row) * self.scale)
            .collect();
        values.sort_by(|a, b| b.total_cmp(a));
        Some(values)
    }

    fn refresh_norms(&mut self) {
        let len = self.len;
        for (k, n2) in self.norms2.iter_mut().enumerate() {
            *n2 = dot(
                &self.rows[k * len..(k + 1) * len],
                &self.rows[k * len..(k + 1) * len],
            );
        }
    }

    /// One pair (i, j): rotates it unless it is already orthogonal; returns its flops.
    fn pair(&mut self) -> f64 {
        let (i, j, len) = (self.i, self.j, self.len);
        let (head, tail) = self.rows.split_at_mut(j * len);
        let a_i = &mut head[i * len..(i + 1) * len];
        let a_j = &mut tail[..len];
        let (alpha, beta) = (self.norms2[i], self.norms2[j]);
        let mut flops = 2.0 * len as f64;
        if alpha > 0.0 && beta > 0.0 {
            let gamma = dot(a_i, a_j);
            let tol = (len as f64).sqrt() * f64::EPSILON;
            if gamma.abs() > tol * alpha.sqrt() * beta.sqrt() {
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + zeta.hypot(1.0));
                let c = 1.0 / t.hypot(1.0);
                let s = c * t;
                for (x, y) in a_i.iter_mut().zip(a_j.iter_mut()) {
                    let (xi, yj) = (*x, *y);
                    *x = c * xi - s * yj;
                    *y = s * xi + c * yj;
                }
                self.norms2[i] = (alpha - t * gamma).max(0.0);
                self.norms2[j] = beta + t * gamma;
                self.rotated_this_sweep = true;
                flops += 6.0 * len as f64;
            }
        }
        self.advance();
        flops
    }

    /// Moves to the next pair, ending the sweep (and perhaps the iteration) after the last one.
    fn advance(&mut self) {
        self.j += 1;
        if self.j < self.p {
            return;
        }
        self.i += 1;
        self.j = self.i + 1;
        if self.j < self.p {
            return;
        }
        self.sweep += 1;
        if !self.rotated_this_sweep {
            self.done = true;
            self.converged = true;
        } else if self.sweep >= MAX_SWEEPS {
            self.done = true;
        } else {
            self.i = 0;
            self.j = 1;
            self.rotated_this_sweep = false;
            self.refresh_norms();
        }
    }
}

/// The singular values of the `rows` x `cols` matrix `a` (row-major, finite entries), sorted
/// descending.
pub fn singular_values(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut svd = JacobiSvd::new(a, rows, cols);
    svd.finish();
    svd.singular_values().unwrap_or_default()
}

/// a . b with four running sums (a fixed order, so the same inputs give the same bits), which
/// lets the compiler vectorize it.
pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut sums = [0.0f64; 4];
    let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
    let (a_rest, b_rest) = (a4.remainder(), b4.remainder());
    for (x, y) in a4.zip(b4) {
        for k in 0..4 {
            sums[k] += x[k] * y[k];
        }
    }
    let tail: f64 = a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum();
    (sums[0] + sums[1]) + (sums[2] + sums[3]) + tail
}

/// The Euclidean norm without overflow or underflow of the squares (scaled by the largest entry).
fn robust_norm(v: &[f64]) -> f64 {
    let largest = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if largest == 0.0 || !largest.is_finite() {
        return largest;
    }
    largest * v.iter().map(|x| (x / largest).powi(2)).sum::<f64>().sqrt()
}
