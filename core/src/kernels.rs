//! Dense matrix kernels of the simulation.
//!
//! These safe scalar versions *define* the results: each output element is accumulated in f32
//! in a fixed order (the order written in each function's documentation) with separate
//! multiplies and adds, so results are bit-reproducible on every platform. Faster versions
//! (e.g. wasm simd128) must reproduce exactly that order and be tested against these.
//!
//! Layout: matrices are row-major; a weight matrix W is fan_in x fan_out with W[i][j] at
//! `w[i * fan_out + j]`, and a batch of row vectors x is rows x fan_in, so h = x W.

/// Rows processed together so that each row of W is loaded once per group (cache reuse only:
/// the group size does not change any result).
const ROW_GROUP: usize = 4;

/// out = x W for a block of rows: `x` is rows x n_in, `w` is n_in x n_out, `out` is rows x n_out
/// (overwritten).
///
/// Order (i-k-j): out[r][j] = (((0 + x[r][0] W[0][j]) + x[r][1] W[1][j]) + ...) + x[r][n_in-1]
/// W[n_in-1][j]. The inner loop runs along a row of W and a row of out, which compilers vectorize.
pub fn matmul(x: &[f32], w: &[f32], n_in: usize, n_out: usize, out: &mut [f32]) {
    assert_eq!(w.len(), n_in * n_out, "matmul: W must be n_in x n_out");
    assert_eq!(
        x.len() * n_out,
        out.len() * n_in,
        "matmul: x and out must have the same rows"
    );
    if n_in == 0 || n_out == 0 {
        out.fill(0.0);
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
                    *o += a * wv;
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
            lanes[l] += ca[l] * cb[l];
        }
    }
    let mut sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5]))
        + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
    for (&ai, &bi) in a[whole..].iter().zip(&b[whole..]) {
        sum += ai * bi;
    }
    sum
}

/// out = d W^T for a block of rows (the backward pass): `d` is rows x n_out, `w` is n_in x n_out,
/// `out` is rows x n_in (overwritten); out[r][i] = [`dot`](d[r], W[i]).
pub fn matmul_transposed(d: &[f32], w: &[f32], n_in: usize, n_out: usize, out: &mut [f32]) {
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
