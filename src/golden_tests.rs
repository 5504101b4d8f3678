//! Golden exports: every panel's CSV for every preset and a set of edge settings, computed the
//! way the page computes them (the worker's simulation streamed through `Delta`s into the page's
//! `SimView`, the theory bundle, the correlation job), compared byte for byte with the files in
//! `tests/golden/`. They were saved before the code was restructured, so a refactoring that moves
//! a number fails here. A deliberate change of a number is a documented fix: regenerate with
//! `GOLDEN_UPDATE=1 cargo test -p activation-lab golden` and say why in the commit.

use crate::charts::activation::ActivationData;
use crate::csv;
use crate::engine::TheoryBundle;
use crate::params::Params;
use crate::theory_view;
use lab_core::theory::CorrJob;
use lab_core::{Delta, SimView, Simulation};
use std::path::PathBuf;

/// The edge settings beside the presets: the smallest network in each dimension, an explosion,
/// each normalization, orthogonal weights, the scalar kernels, every other activation once.
const EDGES: &[(&str, &str)] = &[
    ("default", ""),
    ("depth1", "depth=1"),
    ("width2", "width=2&depth=20"),
    ("batch1", "batch=1&depth=20"),
    (
        "explosion",
        "act=relu&init=normal&gain=2&depth=120&width=64&batch=32",
    ),
    (
        "batchnorm",
        "act=relu&norm=batch&depth=30&width=64&batch=64",
    ),
    (
        "layernorm",
        "act=gelu&norm=layer&depth=30&width=64&batch=64",
    ),
    (
        "groupnorm",
        "act=relu&init=he_normal&norm=group&groups=4&depth=30&width=64&batch=64",
    ),
    (
        "batchnorm_post",
        "act=relu&init=he_normal&norm=batch&norm_at=post&depth=30&width=64&batch=64",
    ),
    (
        "rmsnorm",
        "act=silu&norm=rms&depth=30&width=64&batch=64&in_mean=1",
    ),
    ("orthogonal", "act=tanh&init=orthogonal&depth=40&width=64"),
    ("scalar", "kernels=scalar&depth=20&width=64&batch=32"),
    (
        "leaky",
        "act=leaky_relu&slope=0.2&init=he_uniform&depth=20&width=32",
    ),
    (
        "swish",
        "act=silu&beta=2&init=xavier_normal&depth=20&width=32&sb=0.3",
    ),
    (
        "elu_alpha",
        "act=elu&alpha=0.5&init=lecun_uniform&depth=20&width=32&in_mean=1",
    ),
    (
        "sigmoid",
        "act=sigmoid&init=xavier_uniform&depth=20&width=32&c0=-0.3",
    ),
    ("softplus", "act=softplus&depth=20&width=32&in_std=3"),
    (
        "gelu_tanh",
        "act=gelu_tanh&depth=20&width=32&xmax=12&overlay=selu,silu",
    ),
    ("mish", "act=mish&depth=20&width=32"),
    ("celu", "act=celu&alpha=0.7&depth=20&width=32"),
];

/// Every panel's export for one URL, named by panel.
fn exports(query: &str) -> Vec<(&'static str, String)> {
    let (params, notices) = Params::from_query(query);
    assert!(notices.is_empty(), "{query}: {notices:?}");
    let config = params.config;

    // The simulation as the worker runs it, streamed into the page's copy as the worker sends it.
    let mut sim = Simulation::new(config).unwrap();
    let mut view = SimView::new(config);
    while !sim.step(4.0e6) {
        let seen = view.samples_len();
        view.apply(Delta::since(&sim, seen));
    }
    let seen = view.samples_len();
    view.apply(Delta::since(&sim, seen));
    assert!(view.is_done(), "{query}");

    let bundle = TheoryBundle::of(&config);
    let mut corr = CorrJob::new(&config);
    while !corr.step() {}

    let activation = ActivationData::prepare(
        config.activation,
        params.xmax,
        &params.overlay,
        params.gelu_diff,
    );
    let layers = csv::layers_csv(view.stats());
    vec![
        (
            "activation",
            csv::activation_csv(&activation.points, activation.gelu_diff.as_deref()),
        ),
        ("stats", layers.clone()),
        ("grads", layers),
        (
            "hist",
            csv::hist_csv(&crate::panels::hist::heatmap_of(&view)),
        ),
        (
            "corr",
            theory_view::corr_csv(&bundle.theory, view.stats(), config.depth, &corr.values),
        ),
        ("phase", theory_view::phase_csv(&bundle.phase)),
        ("selu_map", theory_view::map_csv(&bundle.map)),
    ]
}

fn cases() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = crate::presets::PRESETS
        .iter()
        .enumerate()
        .map(|(i, (_, q))| (format!("preset{i}"), q.trim_start_matches('?').to_string()))
        .collect();
    out.extend(EDGES.iter().map(|(n, q)| (n.to_string(), q.to_string())));
    out
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn every_panel_export_is_byte_identical_to_the_saved_one() {
    let update = std::env::var_os("GOLDEN_UPDATE").is_some();
    let dir = dir();
    let mut index = String::from("# name\tquery\n");
    let mut mismatches = Vec::new();
    for (name, query) in cases() {
        index.push_str(&format!("{name}\t{query}\n"));
        for (panel, text) in exports(&query) {
            let path = dir.join(format!("{name}-{panel}.csv"));
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &text).unwrap();
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(saved) if saved == text => {}
                Ok(saved) => {
                    let line = saved
                        .lines()
                        .zip(text.lines())
                        .position(|(a, b)| a != b)
                        .map_or("a line count".to_string(), |i| format!("line {}", i + 1));
                    mismatches.push(format!("{name}-{panel}.csv (?{query}): differs at {line}"));
                }
                Err(e) => mismatches.push(format!("{}: {e}", path.display())),
            }
        }
    }
    let index_path = dir.join("INDEX.tsv");
    if update {
        std::fs::write(&index_path, &index).unwrap();
    } else {
        let saved = std::fs::read_to_string(&index_path).unwrap_or_default();
        assert_eq!(
            saved, index,
            "the list of golden URLs changed: regenerate deliberately"
        );
    }
    assert!(
        mismatches.is_empty(),
        "{} exports moved:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
