//! Helpers shared by the kernel tests (`kernels.rs`, `relaxed.rs`, and the wasm kernel tests in
//! `src/wasm_kernel_tests.rs`, which include this file).

use lab_core::rng::Rng;

/// Entries of mixed magnitude and sign, some exactly zero, some negative zero, from the stream
/// `id` of `seed`.
pub fn data(len: usize, seed: u64, id: u64) -> Vec<f32> {
    let mut rng = Rng::from_seed_and_id(seed, id);
    (0..len)
        .map(|i| match i % 11 {
            3 => 0.0,
            7 => -0.0,
            _ => (rng.normal() * 10f64.powf(rng.uniform() * 4.0 - 2.0)) as f32,
        })
        .collect()
}

pub fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}
