//! The memory budget: over random valid small configurations and budgets, the estimate of the
//! bytes a run needs ([`MemoryEstimate`], [`MemoryChoice::bytes`]) is an upper bound of the peak
//! of live heap bytes the run allocates, counted by a counting global allocator in this test
//! binary; the simulation never panics; the backward pass and the weight cache are given up
//! exactly when the budget says so, and a skipped backward pass says why.
//!
//! The allocator counts only the allocations of a thread that is measuring (a thread-local
//! flag, set by `peak_of`), so the test harness's other threads (proptest generating or
//! shrinking another test's cases) cannot inflate a measurement; measurements also hold one lock.

use lab_core::activation::{Activation, ActivationKind};
use lab_core::config::{Config, NormAt, Normalization, BATCH_RANGE, DEPTH_RANGE, WIDTH_RANGE};
use lab_core::init::Initializer;
use lab_core::sim::{
    MemoryBudget, MemoryEstimate, Simulation, DEFAULT_BUDGET_BYTES, MIN_BUDGET_BYTES,
    OVERHEAD_BYTES,
};
use lab_core::KernelPath;
use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Mutex;

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static MEASURING: Mutex<()> = Mutex::new(());

thread_local! {
    /// Whether this thread's allocations are counted (const: no allocation to initialize it).
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    COUNTED.try_with(Cell::get).unwrap_or(false)
}

fn added(bytes: usize) {
    if counted() {
        let now = LIVE.fetch_add(bytes as isize, Ordering::SeqCst) + bytes as isize;
        PEAK.fetch_max(now, Ordering::SeqCst);
    }
}

fn removed(bytes: usize) {
    if counted() {
        LIVE.fetch_sub(bytes as isize, Ordering::SeqCst);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            added(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            added(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        removed(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            // Old and new blocks may both be live during the copy.
            added(new_size);
            removed(layout.size());
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak live bytes allocated by this thread above those live before `run` started, while it
/// ran.
fn peak_of(run: impl FnOnce()) -> usize {
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    COUNTED.with(|c| c.set(true));
    run();
    COUNTED.with(|c| c.set(false));
    (PEAK.load(Ordering::SeqCst) - base).max(0) as usize
}

fn any_config() -> impl Strategy<Value = Config> {
    (
        (
            proptest::sample::select(ActivationKind::ALL.to_vec()),
            proptest::sample::select(Initializer::ALL.to_vec()),
            proptest::sample::select(Normalization::ALL.to_vec()),
            proptest::sample::select(KernelPath::ALL.to_vec()),
        ),
        (1usize..=12, 2usize..=48, 1usize..=24, 1usize..=8),
        (any::<bool>(), any::<u32>(), any::<bool>()),
    )
        .prop_map(
            |(
                (kind, init, norm, kernels),
                (depth, width, batch, groups),
                (post, seed, residual),
            )| {
                // GroupNorm's groups must divide the width: the largest divisor up to `groups`.
                let groups = (1..=groups.min(width))
                    .rev()
                    .find(|g| width % g == 0)
                    .unwrap_or(1);
                Config {
                    activation: Activation::new(kind),
                    init,
                    depth,
                    width,
                    batch,
                    norm,
                    groups,
                    norm_at: if post { NormAt::Post } else { NormAt::Pre },
                    seed: u64::from(seed),
                    kernels,
                    arch: if residual {
                        lab_core::Arch::Residual
                    } else {
                        lab_core::Arch::Plain
                    },
                    ..Config::default()
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_estimate_bounds_what_a_run_allocates(
        config in any_config(),
        room in 0.0f64..=1.2,
        step_flops in prop_oneof![Just(f64::INFINITY), 1e3f64..1e6],
    ) {
        let config = config.validated().expect("valid by construction");
        let estimate = MemoryEstimate::of(&config);
        // Budgets from "the forward pass only" to "everything", so that every choice is tried.
        let budget = MemoryBudget::bytes(
            OVERHEAD_BYTES + estimate.forward + (room * (estimate.total() - estimate.forward) as f64) as u64,
        );
        let choice = estimate.choose(budget);
        let _lock = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
        let mut backward_ran = false;
        let mut skipped = None;
        let peak = peak_of(|| {
            let mut sim = Simulation::with_budget(config, budget).expect("valid");
            while !sim.step(step_flops) {}
            backward_ran = sim.stats().iter().all(|s| !s.grad_rms.is_nan());
            skipped = sim.backward_skipped().map(str::to_string);
        });
        prop_assert!(
            peak as u64 <= choice.bytes,
            "{:?}: peak {} > estimate {} ({:?})", config, peak, choice.bytes, choice
        );
        // The choice: everything that fits, the weights first to go, then the backward pass.
        let room = budget.bytes - OVERHEAD_BYTES;
        prop_assert_eq!(choice.backward, estimate.forward + estimate.backward <= room);
        prop_assert_eq!(choice.cache_weights, estimate.total() <= room);
        prop_assert!(choice.bytes <= room.max(estimate.forward));
        prop_assert_eq!(skipped.is_none(), choice.backward);
        if choice.backward {
            prop_assert!(backward_ran, "every layer has its gradient");
        } else {
            let why = skipped.unwrap();
            prop_assert!(why.contains("memory budget") && why.contains(&format!("{} layers", config.depth)), "{}", why);
        }
    }
}

/// The estimate is not vacuous: at a size where the stored activations dominate, it is within
/// 1.5 times the measured peak.
#[test]
fn the_estimate_is_close_at_a_real_size() {
    let config = Config {
        activation: Activation::new(ActivationKind::Tanh),
        depth: 20,
        width: 128,
        batch: 256,
        norm: Normalization::Layer,
        ..Config::default()
    };
    let choice = MemoryEstimate::of(&config).choose(MemoryBudget::default());
    assert!(choice.backward && choice.cache_weights);
    let _lock = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let peak = peak_of(|| {
        Simulation::run(config).unwrap();
    });
    // Stored h: 20 x 256 x 128 x 4 B = 2.5 MiB; weights 20 x 128^2 x 4 B = 1.25 MiB.
    assert!(
        peak as u64 >= 20 * 256 * 128 * 4 + 20 * 128 * 128 * 4,
        "{peak}"
    );
    assert!(peak as u64 <= choice.bytes, "{peak} > {}", choice.bytes);
    assert!(
        (choice.bytes as f64) < 1.5 * peak as f64,
        "{} vs {peak}",
        choice.bytes
    );
}

/// At the largest settings of every normalization and initializer the forward pass alone fits
/// in the smallest budget, so a run never has to give up the forward pass; with the default
/// budget the backward pass of the largest network is skipped, and says so in plain words.
#[test]
fn the_largest_settings_fit_the_smallest_budget_forward() {
    let (depth, width, batch) = (*DEPTH_RANGE.end(), *WIDTH_RANGE.end(), *BATCH_RANGE.end());
    let _lock = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let mut largest = 0;
    for norm in Normalization::ALL {
        for init in Initializer::ALL {
            for norm_at in [NormAt::Pre, NormAt::Post] {
                let config = Config {
                    depth,
                    width,
                    batch,
                    norm,
                    init,
                    norm_at,
                    groups: width,
                    ..Config::default()
                }
                .validated()
                .unwrap();
                let estimate = MemoryEstimate::of(&config);
                largest = largest.max(estimate.forward);
                let small = estimate.choose(MemoryBudget::bytes(MIN_BUDGET_BYTES));
                assert!(!small.backward && small.bytes + OVERHEAD_BYTES <= MIN_BUDGET_BYTES);
                let sim = Simulation::new(config).unwrap();
                let why = sim
                    .backward_skipped()
                    .expect("too large for the backward pass");
                // 1000 layers x 4096 x 1024 x 4 B = 16000 MiB of h alone.
                assert!(
                    why.contains("1000 layers") && why.contains("4096 x 1024"),
                    "{why}"
                );
                assert!(why.contains("1024 MB (the default"), "{why}");
            }
        }
    }
    // x^0, x, h: 3 x 16 MiB; GroupNorm's f64 inverse stds 32 MiB; the orthogonal sampler
    // 16 MiB + W 4 MiB; samples 1000 x 8 KiB.
    let mib = 1 << 20;
    assert!(largest > 100 * mib && largest < 130 * mib, "{largest}");
    assert_eq!(DEFAULT_BUDGET_BYTES, 1 << 30);
}

// ---------- the Train section ----------

use lab_core::train::{
    generate_2d, train_bytes, Dataset, DropoutKind, OptimizerKind, Settings, Shape2d, Task, Trainer,
};

/// A data set of `n` rows of `d` features in `classes` classes (no grid: not 2-D two-class
/// unless asked).
fn dataset(n: usize, d: usize, classes: usize, seed: u64) -> Dataset {
    if d == 2 && classes == 2 {
        return generate_2d(Shape2d::Circle, 0.1, seed);
    }
    let mut rng = lab_core::Rng::from_seed_and_id(seed, 7);
    let mut x = vec![0.0f32; n * d];
    rng.fill_normal_f32(&mut x, 0.0, 1.0);
    Dataset {
        x,
        y: (0..n).map(|i| (i % classes) as u32).collect(),
        n,
        d,
        classes,
        class_names: (0..classes).map(|c| c.to_string()).collect(),
    }
}

fn any_training() -> impl Strategy<Value = (Settings, (usize, usize, usize))> {
    (
        (
            1usize..=4,
            2usize..=24,
            1usize..=64,
            1usize..=40,
            1usize..=12,
        ),
        (
            proptest::sample::select(Normalization::ALL.to_vec()),
            proptest::sample::select(vec![
                DropoutKind::None,
                DropoutKind::Standard,
                DropoutKind::Alpha,
            ]),
            any::<bool>(),
            any::<bool>(),
        ),
        prop_oneof![
            Just((400usize, 2usize, 2usize)),
            (20usize..=300, 1usize..=40, 2usize..=6)
        ],
        any::<u32>(),
    )
        .prop_map(
            |(
                (depth, width, tbatch, steps, eval_every),
                (norm, dropout, adam, post),
                shape,
                seed,
            )| {
                let groups = (1..=4.min(width))
                    .rev()
                    .find(|g| width % g == 0)
                    .unwrap_or(1);
                (
                    Settings {
                        task: Task::TwoD {
                            shape: Shape2d::Circle,
                            noise: 0.1,
                            data_seed: 1,
                        },
                        depth,
                        width,
                        norm,
                        groups,
                        norm_at: if post { NormAt::Post } else { NormAt::Pre },
                        dropout,
                        dropout_rate: 0.1,
                        optimizer: if adam {
                            OptimizerKind::Adam
                        } else {
                            OptimizerKind::Sgd
                        },
                        tbatch: tbatch.max(2),
                        steps,
                        eval_every,
                        seed: u64::from(seed),
                        ..Settings::default()
                    },
                    shape,
                )
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    #[test]
    fn the_training_estimate_bounds_what_a_run_allocates((settings, (n, d, classes)) in any_training()) {
        let _lock = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
        let mut estimate = 0;
        let peak = peak_of(|| {
            let data = dataset(n, d, classes, settings.seed);
            estimate = train_bytes(&settings, data.n, data.d, data.classes);
            if let Ok(mut trainer) = Trainer::new(settings.clone(), &data) {
                while !trainer.step_n(7) {}
            }
        });
        prop_assert!(peak as u64 <= estimate, "{:?} on {} x {} ({} classes): peak {} > estimate {}", settings, n, d, classes, peak, estimate);
    }
}

/// The largest Train settings need far more than a budget: the estimate says so (parameters
/// alone: 63 x 1024^2 floats, 252 MiB, four copies with Adam).
#[test]
fn the_largest_training_run_is_estimated_above_the_budget() {
    let settings = Settings {
        depth: 64,
        width: 1024,
        tbatch: 1024,
        optimizer: OptimizerKind::Adam,
        ..Settings::default()
    };
    let bytes = train_bytes(&settings, 1797, 64, 10);
    assert!(bytes > 4 * 63 * (1 << 20) * 4, "{bytes}");
    assert!(bytes > DEFAULT_BUDGET_BYTES);
}
