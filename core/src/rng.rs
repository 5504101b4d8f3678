//! The core's seeded pseudo-random number generator and its streams.
//!
//! **Generator.** xoshiro256++ (Blackman & Vigna, "Scrambled linear pseudorandom number
//! generators", ACM TOMS 2021; reference code at <https://prng.di.unimi.it/>), period 2^256 - 1.
//!
//! **Streams.** Every random quantity of a simulation comes from its own stream, identified by
//! `(seed, stream id)` with the ids of [`Stream::id`]: 0 the input x^0, 1 the backward seed g,
//! 2l the weights W^l and 2l + 1 the biases b^l of layer l (l >= 1), and u64::MAX the input pairs
//! of the correlation panel (a layer would need l = 2^63 - 1 to reach it). A stream's 256-bit state is
//! four consecutive outputs of SplitMix64 (Steele, Lea & Flood 2014; the seeding recommended by
//! the xoshiro authors) started from `mix64(seed) ^ mix64(stream id + 0x632b_e59b_d9b4_e019)`,
//! where `mix64` is SplitMix64's output finalizer (a bijection on u64). So a stream depends on
//! nothing but the seed and its id: layer l's weights are the same whatever the depth, width of
//! other layers, batch size or how the work was sliced, and regenerating a stream reproduces it
//! bit for bit.
//!
//! **Uniforms** use the top 53 bits of an output: `(x >> 11) * 2^-53` in [0, 1).
//! **Normals** use the ziggurat method with 256 layers (Marsaglia & Tsang 2000; see
//! `crate::ziggurat`): one output per value about 99% of the time, so about 6 times the rate of
//! the Box-Muller transform in f64 that it replaced (still available as
//! [`Rng::normal_box_muller`]; figures in BENCHMARKS.md). Every normal of a stream comes from that
//! stream only, so regenerating a stream still reproduces it bit for bit.

/// Identifies one independent random stream of a simulation (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
    /// The network input x^0.
    Input,
    /// The fixed backward seed g = dL/dx^depth.
    BackwardSeed,
    /// Weights of layer l (1-based).
    Weights(usize),
    /// Biases of layer l (1-based).
    Biases(usize),
    /// The correlated input pairs of the correlation panel (see [`crate::sim::CORR_PAIRS`]).
    PairInput,
}

impl Stream {
    /// The stream id: Input 0, BackwardSeed 1, Weights(l) 2l, Biases(l) 2l + 1, PairInput
    /// u64::MAX (added later, far from the layer ids so that no existing stream changed).
    pub fn id(self) -> u64 {
        match self {
            Stream::Input => 0,
            Stream::BackwardSeed => 1,
            Stream::Weights(layer) => 2 * layer as u64,
            Stream::Biases(layer) => 2 * layer as u64 + 1,
            Stream::PairInput => u64::MAX,
        }
    }
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
/// Offset that keeps stream id 0 away from mix64's fixed point at 0.
const STREAM_OFFSET: u64 = 0x632b_e59b_d9b4_e019;

/// SplitMix64's output function: a bijective mix of 64 bits.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// SplitMix64 (Steele, Lea & Flood 2014), used only to seed xoshiro256++.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(state: u64) -> Self {
        SplitMix64 { state }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix64(self.state)
    }
}

/// xoshiro256++ (with the cached second value of [`Rng::normal_box_muller`]).
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
    spare_normal: Option<f64>,
}

impl Rng {
    /// The generator of stream `stream` for `seed` (see the module documentation).
    pub fn stream(seed: u64, stream: Stream) -> Self {
        Rng::from_seed_and_id(seed, stream.id())
    }

    /// The generator for a raw `(seed, stream id)` pair.
    pub fn from_seed_and_id(seed: u64, stream_id: u64) -> Self {
        let mut sm = SplitMix64::new(mix64(seed) ^ mix64(stream_id.wrapping_add(STREAM_OFFSET)));
        let mut s = [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()];
        if s == [0; 4] {
            // The all-zero state is xoshiro's only invalid one; SplitMix64 essentially never gives it.
            s[0] = GOLDEN_GAMMA;
        }
        Rng {
            s,
            spare_normal: None,
        }
    }

    /// A generator with an explicit xoshiro256++ state (for test vectors); must not be all zero.
    pub fn from_state(s: [u64; 4]) -> Self {
        Rng {
            s,
            spare_normal: None,
        }
    }

    /// Next 64 random bits (xoshiro256++).
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) from the top 53 bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1] (never 0, so its logarithm is finite).
    pub(crate) fn uniform_open0(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal N(0, 1) value (the ziggurat, see the module documentation).
    pub fn normal(&mut self) -> f64 {
        // The slow paths' uniforms come from the same stream, after the draw that needed them.
        crate::ziggurat::normal(crate::ziggurat::tables(), self)
    }

    /// A standard normal by the Box-Muller transform in f64 (the core's sampler before the
    /// ziggurat; kept for the benchmark's comparison and as a second, independent sampler for
    /// tests): r = sqrt(-2 ln u1), angle 2 pi u2, returns r cos(angle) and keeps r sin(angle)
    /// for the next call.
    pub fn normal_box_muller(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let radius = (-2.0 * self.uniform_open0().ln()).sqrt();
        let angle = std::f64::consts::TAU * self.uniform();
        let (sin, cos) = angle.sin_cos();
        self.spare_normal = Some(radius * sin);
        radius * cos
    }

    /// Fills `out` with N(mean, std^2) values computed in f64 and rounded to f32.
    pub fn fill_normal_f32(&mut self, out: &mut [f32], mean: f64, std: f64) {
        let tables = crate::ziggurat::tables();
        for v in out {
            *v = (mean + std * crate::ziggurat::normal(tables, self)) as f32;
        }
    }
}
