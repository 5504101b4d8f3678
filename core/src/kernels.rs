//! Dense matrix kernels of the simulation.
//!
//! These safe scalar versions *define* the results: each output element is accumulated in f32
//! in a fixed order (the order written in each function's documentation) with separate
//! multiplies and adds, so results are bit-reproducible on every platform. Faster versions
//! (e.g. wasm simd128) must reproduce exactly that order and be tested against these.
//!
//! Layout: matrices are row-major; a weight matrix W is fan_in x fan_out with W[i][j] at
//! `w[i * fan_out + j]`, and a batch of row vectors x is rows x fan_in, so h = x W.
//!
//! Three code paths ([`KernelPath`]) compute every kernel: `Scalar`, the definitions below,
//! `Simd`, register-blocked versions written over `crate::lanes` (wasm simd128 `v128`
//! instructions in the browser, plain arrays that the compiler vectorizes natively), and
//! `Relaxed`. The `Simd` path performs, for every output element, exactly the same f32 additions
//! and multiplications in the same order as the `Scalar` path, so both give bit-identical results
//! (tests/kernels.rs and the wasm tests check this).
//!
//! `Relaxed` is the `Simd` code with each multiply-add `acc + a * b` replaced by one fused
//! multiply-add (`F32x4::mul_add`), in the same order; its definitions are the `*_fused`
//! references ([`matmul_fused`], [`dot_fused`], [`matmul_transposed_fused`],
//! [`matmul_grad_w_fused`]: the scalar definitions' order, `f32::mul_add` for every term).
//! - Natively, and in a wasm build without relaxed SIMD, the multiply-add is `f32::mul_add`,
//!   always fused, so `Relaxed` equals the references bit for bit (tests/relaxed.rs). Without
//!   an FMA instruction (the default wasm build, or x86-64 built without `-C target-cpu` that
//!   has FMA) it is a software `fmaf`: exact, but many times slower than `Simd`; the page never
//!   asks the default wasm build for it except in the fallback described in the app's
//!   `engine::modules`.
//! - In a wasm build with `target_feature = "relaxed-simd"` it is `f32x4.relaxed_madd`, which
//!   the engine may compute fused or as a multiply and an add. On a CPU with FMA, Chromium fuses,
//!   and `Relaxed` equals the references bit for bit; otherwise it equals `Simd` bit for bit
//!   (the wasm tests check whichever holds). Either way each output of a length-k sum is within
//!   k eps sum |a_i b_i| of the exact sum (Higham, Accuracy and Stability, 3.1), so `Relaxed`
//!   and `Simd` differ by at most 2 k eps sum |a_i b_i|: the documented tolerance. Results may
//!   therefore differ between machines, which is why `Simd` stays the default.
//!
//! The activations and the statistics have no multiply-add in their definitions to fuse:
//! `Relaxed` evaluates them as `Simd` does (the polynomials of `crate::vecmath` keep their
//! separate multiplies and adds, so their documented accuracy holds unchanged).
//!
//! Keeping `Scalar` scalar: the wasm build enables simd128 for the whole crate, so LLVM would
//! autovectorize the scalar loops (the i-k-j inner loop is a textbook case) and the `Scalar` path
//! would no longer be the baseline it is meant to be. Each factor read from W (or d) in the
//! scalar inner loops therefore passes through [`core::hint::black_box`], which the optimizer
//! must treat as an unknown value: loops containing it are not vectorized. It does not change
//! any value, so the results stay those documented here. It costs a little more than plain
//! scalar code would; the native benchmark (`cargo bench -p lab-core`) shows the price.

use crate::lanes::{mul_add1, F32x4};

named_enum! {
    /// Which implementation of the kernels (and of the vectorized activations) runs.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
    pub enum KernelPath {
        /// The safe scalar definitions (libm activations evaluated in f64).
        Scalar = ("scalar", "Scalar (f64 definitions)"),
        /// Register-blocked SIMD kernels (bit-identical matmuls) and vectorized polynomial
        /// activations.
        #[default]
        Simd = ("simd", "SIMD (f32 lanes)"),
        /// The `Simd` kernels with every multiply-add of the matmuls fused (`relaxed_madd` in a
        /// build with relaxed SIMD): results equal the `*_fused` references where the machine
        /// fuses, and may differ between machines (see the module documentation).
        Relaxed = ("relaxed", "Relaxed SIMD (fused multiply-add)"),
    }
}

/// An opaque copy of `v` (see the module documentation: it keeps the scalar loops scalar).
#[inline(always)]
fn scalar(v: f32) -> f32 {
    core::hint::black_box(v)
}

/// Rows processed together so that each row of W is loaded once per group (cache reuse only:
/// the group size does not change any result).
const ROW_GROUP: usize = 4;

/// out = x W for a block of rows: `x` is rows x n_in, `w` is n_in x n_out, `out` is rows x n_out
/// (overwritten).
///
/// Order (i-k-j): out[r][j] = (((0 + x[r][0] W[0][j]) + x[r][1] W[1][j]) + ...) + x[r][n_in-1]
/// W[n_in-1][j]. The inner loop runs along a row of W and a row of out, which compilers vectorize.
pub fn matmul(x: &[f32], w: &[f32], n_in: usize, n_out: usize, out: &mut [f32]) {
    if !matmul_has_work(x, w, n_in, n_out, out) {
        return;
    }
    for (x_rows, out_rows) in x
        .chunks(ROW_GROUP * n_in)
        .zip(out.chunks_mut(ROW_GROUP * n_out))
    {
        out_rows.fill(0.0);
        for (k, w_row) in w.chunks_exact(n_out).enumerate() {
            for (x_row, out_row) in x_rows
                .chunks_exact(n_in)
                .zip(out_rows.chunks_exact_mut(n_out))
            {
                let a = x_row[k];
                for (o, &wv) in out_row.iter_mut().zip(w_row) {
                    *o += a * scalar(wv);
                }
            }
        }
    }
}

/// Lanes of the dot product in [`matmul_transposed`].
pub const DOT_LANES: usize = 8;

/// Dot product with [`DOT_LANES`] partial sums: lane l accumulates a[i] b[i] for i = l mod 8 in
/// increasing i over the whole multiples of 8; the lanes are combined as
/// ((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7)); the remaining a.len() mod 8 products are
/// then added in increasing i.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot: lengths differ");
    let whole = a.len() / DOT_LANES * DOT_LANES;
    let mut lanes = [0.0f32; DOT_LANES];
    for (ca, cb) in a[..whole]
        .chunks_exact(DOT_LANES)
        .zip(b[..whole].chunks_exact(DOT_LANES))
    {
        for l in 0..DOT_LANES {
            lanes[l] += ca[l] * scalar(cb[l]);
        }
    }
    let mut sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5]))
        + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
    for (&ai, &bi) in a[whole..].iter().zip(&b[whole..]) {
        sum += ai * bi;
    }
    sum
}

/// Checks the shapes of out = x W (panics on a mismatch, a caller's bug); with an empty W,
/// zeroes `out` and returns false.
fn matmul_has_work(x: &[f32], w: &[f32], n_in: usize, n_out: usize, out: &mut [f32]) -> bool {
    assert_eq!(w.len(), n_in * n_out, "matmul: W must be n_in x n_out");
    assert_eq!(
        x.len() * n_out,
        out.len() * n_in,
        "matmul: x and out must have the same rows"
    );
    if n_in == 0 || n_out == 0 {
        out.fill(0.0);
        return false;
    }
    true
}

/// Checks the shapes of out = d W^T (panics on a mismatch); with an empty W, zeroes `out` and
/// returns false.
fn transposed_has_work(d: &[f32], w: &[f32], n_in: usize, n_out: usize, out: &mut [f32]) -> bool {
    assert_eq!(
        w.len(),
        n_in * n_out,
        "matmul_transposed: W must be n_in x n_out"
    );
    assert_eq!(
        d.len() * n_in,
        out.len() * n_out,
        "matmul_transposed: d and out must have the same rows"
    );
    if n_in == 0 || n_out == 0 {
        out.fill(0.0);
        return false;
    }
    true
}

/// out = d W^T for a block of rows (the backward pass): `d` is rows x n_out, `w` is n_in x n_out,
/// `out` is rows x n_in (overwritten); out[r][i] = [`dot`](d[r], W[i]).
pub fn matmul_transposed(d: &[f32], w: &[f32], n_in: usize, n_out: usize, out: &mut [f32]) {
    if !transposed_has_work(d, w, n_in, n_out, out) {
        return;
    }
    for (d_rows, out_rows) in d
        .chunks(ROW_GROUP * n_out)
        .zip(out.chunks_mut(ROW_GROUP * n_in))
    {
        for (i, w_row) in w.chunks_exact(n_out).enumerate() {
            for (d_row, out_row) in d_rows
                .chunks_exact(n_out)
                .zip(out_rows.chunks_exact_mut(n_in))
            {
                out_row[i] = dot(d_row, w_row);
            }
        }
    }
}

/// dW = x^T d (overwritten), the weight gradient of h = x W: `x` is rows x n_in, `d` is
/// rows x n_out (dL/dh), `dw` is n_in x n_out.
///
/// Order: dW[i][j] = (((0 + x[0][i] d[0][j]) + x[1][i] d[1][j]) + ...) + x[rows-1][i]
/// d[rows-1][j] (rows ascending), i.e. for each row r in turn, dW[i][:] += x[r][i] d[r][:].
pub fn matmul_grad_w(x: &[f32], d: &[f32], n_in: usize, n_out: usize, dw: &mut [f32]) {
    let rows = check_grad_w(x, d, n_in, n_out, dw);
    dw.fill(0.0);
    if n_out == 0 {
        return;
    }
    for r in 0..rows {
        let x_row = &x[r * n_in..(r + 1) * n_in];
        let d_row = &d[r * n_out..(r + 1) * n_out];
        for (&a, dw_row) in x_row.iter().zip(dw.chunks_exact_mut(n_out)) {
            for (o, &dv) in dw_row.iter_mut().zip(d_row) {
                *o += a * scalar(dv);
            }
        }
    }
}

/// Checks the shapes of [`matmul_grad_w`] and returns the number of rows.
fn check_grad_w(x: &[f32], d: &[f32], n_in: usize, n_out: usize, dw: &[f32]) -> usize {
    assert_eq!(
        dw.len(),
        n_in * n_out,
        "matmul_grad_w: dW must be n_in x n_out"
    );
    let rows = x
        .len()
        .checked_div(n_in)
        .or_else(|| d.len().checked_div(n_out))
        .unwrap_or(0);
    assert!(
        x.len() == rows * n_in && d.len() == rows * n_out,
        "matmul_grad_w: x and d must have the same rows"
    );
    rows
}

/// [`matmul`] with each multiply-add fused: the same i-k-j order, out[r][j] =
/// fma(x[r][n_in-1], W[n_in-1][j], ... fma(x[r][1], W[1][j], fma(x[r][0], W[0][j], 0))), one
/// rounding per term (`f32::mul_add`). The reference of the `Relaxed` path.
pub fn matmul_fused(x: &[f32], w: &[f32], n_in: usize, n_out: usize, out: &mut [f32]) {
    if !matmul_has_work(x, w, n_in, n_out, out) {
        return;
    }
    for (x_row, out_row) in x.chunks_exact(n_in).zip(out.chunks_exact_mut(n_out)) {
        out_row.fill(0.0);
        for (&a, w_row) in x_row.iter().zip(w.chunks_exact(n_out)) {
            for (o, &wv) in out_row.iter_mut().zip(w_row) {
                *o = a.mul_add(wv, *o);
            }
        }
    }
}

/// [`dot`] with each multiply-add fused (`f32::mul_add`): the same 8 lanes, combined in the same
/// order, then the remaining products added one fused step at a time.
pub fn dot_fused(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot_fused: lengths differ");
    let whole = a.len() / DOT_LANES * DOT_LANES;
    let mut lanes = [0.0f32; DOT_LANES];
    for (ca, cb) in a[..whole]
        .chunks_exact(DOT_LANES)
        .zip(b[..whole].chunks_exact(DOT_LANES))
    {
        for l in 0..DOT_LANES {
            lanes[l] = ca[l].mul_add(cb[l], lanes[l]);
        }
    }
    let mut sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5]))
        + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
    for (&ai, &bi) in a[whole..].iter().zip(&b[whole..]) {
        sum = ai.mul_add(bi, sum);
    }
    sum
}

/// [`matmul_transposed`] with each multiply-add fused: out[r][i] = [`dot_fused`](d[r], W[i]).
pub fn matmul_transposed_fused(d: &[f32], w: &[f32], n_in: usize, n_out: usize, out: &mut [f32]) {
    if !transposed_has_work(d, w, n_in, n_out, out) {
        return;
    }
    for (d_row, out_row) in d.chunks_exact(n_out).zip(out.chunks_exact_mut(n_in)) {
        for (o, w_row) in out_row.iter_mut().zip(w.chunks_exact(n_out)) {
            *o = dot_fused(d_row, w_row);
        }
    }
}

/// [`matmul_grad_w`] with each multiply-add fused: rows ascending, dW[i][j] = fma(x[r][i],
/// d[r][j], dW[i][j]).
pub fn matmul_grad_w_fused(x: &[f32], d: &[f32], n_in: usize, n_out: usize, dw: &mut [f32]) {
    let rows = check_grad_w(x, d, n_in, n_out, dw);
    dw.fill(0.0);
    if n_out == 0 {
        return;
    }
    for r in 0..rows {
        let x_row = &x[r * n_in..(r + 1) * n_in];
        let d_row = &d[r * n_out..(r + 1) * n_out];
        for (&a, dw_row) in x_row.iter().zip(dw.chunks_exact_mut(n_out)) {
            for (o, &dv) in dw_row.iter_mut().zip(d_row) {
                *o = a.mul_add(dv, *o);
            }
        }
    }
}

/// [`matmul`] by the chosen path: `Scalar` and `Simd` are bit-identical; `Relaxed` equals
/// [`matmul_fused`] where the machine fuses (always natively).
pub fn matmul_with(
    path: KernelPath,
    x: &[f32],
    w: &[f32],
    n_in: usize,
    n_out: usize,
    out: &mut [f32],
) {
    match path {
        KernelPath::Scalar => matmul(x, w, n_in, n_out, out),
        KernelPath::Simd => {
            if !matmul_has_work(x, w, n_in, n_out, out) {
                return;
            }
            let rows = x.len() / n_in;
            gemm::<Separate>(x, n_in, 1, rows, n_in, w, n_out, out);
        }
        KernelPath::Relaxed => {
            if !matmul_has_work(x, w, n_in, n_out, out) {
                return;
            }
            let rows = x.len() / n_in;
            gemm::<Fused>(x, n_in, 1, rows, n_in, w, n_out, out);
        }
    }
}

/// [`matmul_transposed`] by the chosen path: `Scalar` and `Simd` are bit-identical; `Relaxed`
/// equals [`matmul_transposed_fused`] where the machine fuses.
pub fn matmul_transposed_with(
    path: KernelPath,
    d: &[f32],
    w: &[f32],
    n_in: usize,
    n_out: usize,
    out: &mut [f32],
) {
    match path {
        KernelPath::Scalar => matmul_transposed(d, w, n_in, n_out, out),
        KernelPath::Simd => {
            if !transposed_has_work(d, w, n_in, n_out, out) {
                return;
            }
            dots::<Separate>(d, w, n_in, n_out, out);
        }
        KernelPath::Relaxed => {
            if !transposed_has_work(d, w, n_in, n_out, out) {
                return;
            }
            dots::<Fused>(d, w, n_in, n_out, out);
        }
    }
}

/// dw = x^T d (overwritten): x is rows x n_in, d is rows x n_out, dw is n_in x n_out (the weight
/// gradient); [`matmul_grad_w`] by the chosen path (`Scalar` and `Simd` bit-identical; `Relaxed`
/// equals [`matmul_grad_w_fused`] where the machine fuses).
pub fn matmul_grad_w_with(
    path: KernelPath,
    x: &[f32],
    d: &[f32],
    n_in: usize,
    n_out: usize,
    dw: &mut [f32],
) {
    match path {
        KernelPath::Scalar => matmul_grad_w(x, d, n_in, n_out, dw),
        KernelPath::Simd | KernelPath::Relaxed => {
            let rows = check_grad_w(x, d, n_in, n_out, dw);
            if rows == 0 || n_in == 0 || n_out == 0 {
                dw.fill(0.0);
                return;
            }
            // dW = A d with A[i][r] = x[r][i]: row stride 1, column stride n_in.
            if path == KernelPath::Relaxed {
                gemm::<Fused>(x, 1, n_in, n_in, rows, d, n_out, dw);
            } else {
                gemm::<Separate>(x, 1, n_in, n_in, rows, d, n_out, dw);
            }
        }
    }
}

/// Rows of C computed together by [`gemm`] (each loaded B vector is used this many times).
const GEMM_ROWS: usize = 4;
/// Vectors of 4 columns computed together by [`gemm`]: 4 rows x 8 columns = 8 accumulators, which
/// with the two B vectors and the broadcast A value fit the 16 vector registers that V8 uses on
/// x86-64 without spilling.
const GEMM_VECTORS: usize = 2;

/// C = A B (overwritten) with A addressed by strides, A[i][k] = a[i * a_row + k * a_col], B
/// kdim x n row-major and C m x n row-major. Every C[i][j] is accumulated as
/// (((0 + A[i][0] B[0][j]) + A[i][1] B[1][j]) + ...) with k ascending, which is the order of
/// [`matmul`] (A = x) and of [`matmul_grad_w`] (A = x^T).
///
/// Blocking: strips of 8 columns of B (which stay in L1 while every block of 4 rows of A passes
/// over them), then 4 columns, then single columns; blocks of 4 rows, then the remaining rows.
#[allow(clippy::too_many_arguments)]
fn gemm<M: Madd>(
    a: &[f32],
    a_row: usize,
    a_col: usize,
    m: usize,
    kdim: usize,
    b: &[f32],
    n: usize,
    c: &mut [f32],
) {
    let a = Strided { a, a_row, a_col };
    let mut j0 = 0;
    while j0 + 4 * GEMM_VECTORS <= n {
        gemm_strip::<M, GEMM_VECTORS>(&a, m, kdim, b, n, j0, c);
        j0 += 4 * GEMM_VECTORS;
    }
    while j0 + 4 <= n {
        gemm_strip::<M, 1>(&a, m, kdim, b, n, j0, c);
        j0 += 4;
    }
    for j in j0..n {
        for i in 0..m {
            let mut acc = 0.0f32;
            for k in 0..kdim {
                acc = M::madd1(a.at(i, k), b[k * n + j], acc);
            }
            c[i * n + j] = acc;
        }
    }
}

/// A matrix read through strides.
struct Strided<'a> {
    a: &'a [f32],
    a_row: usize,
    a_col: usize,
}

impl Strided<'_> {
    #[inline(always)]
    fn at(&self, i: usize, k: usize) -> f32 {
        self.a[i * self.a_row + k * self.a_col]
    }
}

/// Columns j0..j0 + 4 V of C, all rows, in blocks of [`GEMM_ROWS`] rows.
#[inline(always)]
fn gemm_strip<M: Madd, const V: usize>(
    a: &Strided,
    m: usize,
    kdim: usize,
    b: &[f32],
    n: usize,
    j0: usize,
    c: &mut [f32],
) {
    let mut i0 = 0;
    while i0 + GEMM_ROWS <= m {
        gemm_block::<M, GEMM_ROWS, V>(a, i0, kdim, b, n, j0, c);
        i0 += GEMM_ROWS;
    }
    for i in i0..m {
        gemm_block::<M, 1, V>(a, i, kdim, b, n, j0, c);
    }
}

/// The R x 4V block of C at (i0, j0): R x V vector accumulators, k ascending.
#[inline(always)]
fn gemm_block<M: Madd, const R: usize, const V: usize>(
    a: &Strided,
    i0: usize,
    kdim: usize,
    b: &[f32],
    n: usize,
    j0: usize,
    c: &mut [f32],
) {
    let mut acc = [[F32x4::splat(0.0); V]; R];
    // Offsets of A[i0 + r][k] advanced by a_col per k, and B rows by iteration: no index
    // products in the inner loop.
    let mut a_at: [usize; R] = core::array::from_fn(|r| (i0 + r) * a.a_row);
    for b_row in b.chunks_exact(n).take(kdim) {
        let b_strip = &b_row[j0..j0 + 4 * V];
        let mut bv = [F32x4::splat(0.0); V];
        for (v, bv) in bv.iter_mut().enumerate() {
            *bv = F32x4::load(&b_strip[4 * v..4 * v + 4]);
        }
        for (acc_row, at) in acc.iter_mut().zip(&mut a_at) {
            let av = F32x4::splat(a.a[*at]);
            *at += a.a_col;
            for (acc, &bv) in acc_row.iter_mut().zip(&bv) {
                *acc = M::madd(av, bv, *acc);
            }
        }
    }
    for (r, acc_row) in acc.iter().enumerate() {
        let c_row = &mut c[(i0 + r) * n + j0..(i0 + r) * n + j0 + 4 * V];
        for (v, acc) in acc_row.iter().enumerate() {
            acc.store(&mut c_row[4 * v..]);
        }
    }
}

/// Bytes of W that [`dots`] keeps in the L1 cache while every row of d passes over them.
const DOTS_W_BLOCK_BYTES: usize = 16 * 1024;

/// out[r][i] = dot(d[r], W[i]) for every row r of d and i < n_in, in the order of [`dot`]: lanes
/// 0-3 and 4-7 are two 4-lane accumulators. Blocks of 2 rows of d x 2 rows of W (8
/// accumulators), then single rows.
///
/// Cache blocking: W is taken in blocks of rows of about [`DOTS_W_BLOCK_BYTES`] (16 rows at
/// n_out = 256), and every pair of d rows passes over one block before the next block starts,
/// so W is read from memory once per block instead of once per pair of d rows (at width 256, W
/// is 256 KiB: it does not fit L1, and the unblocked loop streamed it from L2 for every pair).
/// Each output is still one [`dot`] in its own order: blocking changes no value.
fn dots<M: Madd>(d: &[f32], w: &[f32], n_in: usize, n_out: usize, out: &mut [f32]) {
    let rows = d.len() / n_out;
    let block = (DOTS_W_BLOCK_BYTES / (4 * n_out)).max(2) & !1;
    let mut b0 = 0;
    while b0 < n_in {
        let b1 = (b0 + block).min(n_in);
        let mut r0 = 0;
        while r0 + 2 <= rows {
            dots_rows::<M, 2>(d, w, n_in, n_out, r0, b0..b1, out);
            r0 += 2;
        }
        if r0 < rows {
            dots_rows::<M, 1>(d, w, n_in, n_out, r0, b0..b1, out);
        }
        b0 = b1;
    }
}

/// Rows r0..r0 + RD of out, columns (W rows) `cols`, W rows in pairs.
#[inline(always)]
fn dots_rows<M: Madd, const RD: usize>(
    d: &[f32],
    w: &[f32],
    n_in: usize,
    n_out: usize,
    r0: usize,
    cols: core::ops::Range<usize>,
    out: &mut [f32],
) {
    let mut i0 = cols.start;
    while i0 + 2 <= cols.end {
        dots_block::<M, RD, 2>(d, w, n_in, n_out, r0, i0, out);
        i0 += 2;
    }
    if i0 < cols.end {
        dots_block::<M, RD, 1>(d, w, n_in, n_out, r0, i0, out);
    }
}

/// The RD x RW dot products of rows r0.. of d with rows i0.. of W.
#[inline(always)]
fn dots_block<M: Madd, const RD: usize, const RW: usize>(
    d: &[f32],
    w: &[f32],
    n_in: usize,
    n_out: usize,
    r0: usize,
    i0: usize,
    out: &mut [f32],
) {
    let d_rows: [&[f32]; RD] = core::array::from_fn(|q| &d[(r0 + q) * n_out..(r0 + q + 1) * n_out]);
    let w_rows: [&[f32]; RW] = core::array::from_fn(|q| &w[(i0 + q) * n_out..(i0 + q + 1) * n_out]);
    let zero = F32x4::splat(0.0);
    let mut lo = [[zero; RW]; RD];
    let mut hi = [[zero; RW]; RD];
    let whole = n_out / DOT_LANES * DOT_LANES;
    let mut c = 0;
    while c < whole {
        let wv: [(F32x4, F32x4); RW] = core::array::from_fn(|q| {
            (
                F32x4::load(&w_rows[q][c..]),
                F32x4::load(&w_rows[q][c + 4..]),
            )
        });
        for p in 0..RD {
            let d_lo = F32x4::load(&d_rows[p][c..]);
            let d_hi = F32x4::load(&d_rows[p][c + 4..]);
            for q in 0..RW {
                lo[p][q] = M::madd(d_lo, wv[q].0, lo[p][q]);
                hi[p][q] = M::madd(d_hi, wv[q].1, hi[p][q]);
            }
        }
        c += DOT_LANES;
    }
    for p in 0..RD {
        for q in 0..RW {
            // (l0 + l4, l1 + l5, l2 + l6, l3 + l7), then combined as in `dot`.
            let s = (lo[p][q] + hi[p][q]).to_array();
            let mut sum = (s[0] + s[1]) + (s[2] + s[3]);
            for (&dv, &wv) in d_rows[p][whole..].iter().zip(&w_rows[q][whole..]) {
                sum = M::madd1(dv, wv, sum);
            }
            out[(r0 + p) * n_in + i0 + q] = sum;
        }
    }
}

/// How the blocked kernels accumulate a product: `acc + a * b` with two roundings
/// ([`Separate`], the `Simd` path) or one ([`Fused`], the `Relaxed` path).
trait Madd {
    fn madd(a: F32x4, b: F32x4, acc: F32x4) -> F32x4;
    fn madd1(a: f32, b: f32, acc: f32) -> f32;
}

/// A multiply, then an add: the scalar definitions' arithmetic.
struct Separate;

impl Madd for Separate {
    #[inline(always)]
    fn madd(a: F32x4, b: F32x4, acc: F32x4) -> F32x4 {
        acc + a * b
    }
    #[inline(always)]
    fn madd1(a: f32, b: f32, acc: f32) -> f32 {
        acc + a * b
    }
}

/// One multiply-add ([`F32x4::mul_add`]: `relaxed_madd` in a relaxed-SIMD build, else
/// `f32::mul_add`).
struct Fused;

impl Madd for Fused {
    #[inline(always)]
    fn madd(a: F32x4, b: F32x4, acc: F32x4) -> F32x4 {
        a.mul_add(b, acc)
    }
    #[inline(always)]
    fn madd1(a: f32, b: f32, acc: f32) -> f32 {
        mul_add1(a, b, acc)
    }
}
