//! Tests of what differs on wasm, run in headless Chromium by wasm-bindgen-test-runner:
//! the browser APIs the app uses, canvas drawing, and the core's maths under wasm's libm.

use crate::charts::{self, activation::ActivationData, Style};
use crate::web;
use lab_core::{Activation, ActivationKind, Config, Simulation};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

fn canvas(css_w: u32, css_h: u32) -> HtmlCanvasElement {
    let document = web::window().unwrap().document().unwrap();
    let c: HtmlCanvasElement = document
        .create_element("canvas")
        .unwrap()
        .dyn_into()
        .unwrap();
    let el: &HtmlElement = c.unchecked_ref();
    el.style()
        .set_property("width", &format!("{css_w}px"))
        .unwrap();
    el.style()
        .set_property("height", &format!("{css_h}px"))
        .unwrap();
    el.style().set_property("display", "block").unwrap();
    document.body().unwrap().append_child(&c).unwrap();
    c
}

/// Fraction of pixels that are not (near) white, and the number of distinct colours.
fn ink(c: &HtmlCanvasElement) -> (f64, usize) {
    let ctx: CanvasRenderingContext2d = c.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    let data = ctx
        .get_image_data(0.0, 0.0, c.width() as f64, c.height() as f64)
        .unwrap()
        .data();
    let mut inked = 0usize;
    let mut colours = std::collections::HashSet::new();
    for px in data.chunks_exact(4) {
        if !(px[0] > 240 && px[1] > 240 && px[2] > 240) {
            inked += 1;
        }
        colours.insert((px[0], px[1], px[2]));
    }
    (inked as f64 / (data.len() / 4) as f64, colours.len())
}

fn small_config() -> Config {
    Config {
        depth: 12,
        width: 32,
        batch: 16,
        ..Config::default()
    }
}

#[wasm_bindgen_test]
fn backing_store_follows_the_device_pixel_ratio() {
    let c = canvas(300, 200);
    assert!(charts::fit_canvas(&c, 2.0));
    assert_eq!((c.width(), c.height()), (600, 400));
    let hidden = canvas(0, 0);
    assert!(
        !charts::fit_canvas(&hidden, 1.0),
        "an unlaid-out canvas is skipped"
    );
}

#[wasm_bindgen_test]
fn every_chart_draws_something_visible() {
    let style = Style {
        dpr: 1.0,
        theme: Default::default(),
    };
    let sim = Simulation::run(small_config()).unwrap();
    let predicted = lab_core::theory::predict_config(&small_config());

    let c = canvas(480, 320);
    charts::fit_canvas(&c, 1.0);
    let data = ActivationData::prepare(
        Activation::new(ActivationKind::Gelu),
        5.0,
        &[ActivationKind::Relu],
        true,
    );
    charts::activation::draw(&c, &data, &style).unwrap();
    let (ink_a, colours_a) = ink(&c);
    assert!(
        ink_a > 0.02 && colours_a > 4,
        "activation: {ink_a} {colours_a}"
    );

    let c = canvas(480, 320);
    charts::fit_canvas(&c, 1.0);
    let stats = charts::stats::StatsData {
        stats: sim.stats(),
        depth: 12,
        log_var: true,
        banner: None,
        predicted: predicted.as_deref(),
    };
    charts::stats::draw(&c, &stats, &style).unwrap();
    let (ink_s, _) = ink(&c);
    assert!(ink_s > 0.02, "stats: {ink_s}");

    let c = canvas(480, 320);
    charts::fit_canvas(&c, 1.0);
    let samples: Vec<&[f32]> = (1..=12).map(|l| sim.samples(l)).collect();
    let (lo, hi) = charts::hist::value_range(sim.stats(), &samples);
    let map = charts::hist::Heatmap::build(&samples, lo, hi);
    charts::hist::draw(&c, &map, 12, None, &style).unwrap();
    let (ink_h, colours_h) = ink(&c);
    assert!(ink_h > 0.3, "the heat map fills its plotting area: {ink_h}");
    assert!(
        colours_h > 10,
        "the heat map has a colour scale: {colours_h}"
    );

    let c = canvas(480, 320);
    charts::fit_canvas(&c, 1.0);
    let grads = charts::grads::GradsData {
        stats: sim.stats(),
        depth: 12,
        banner: Some("test banner".into()),
        chi1: Some(1.0716),
    };
    charts::grads::draw(&c, &grads, &style).unwrap();
    let (ink_g, _) = ink(&c);
    assert!(ink_g > 0.02, "grads: {ink_g}");
}

#[wasm_bindgen_test]
fn theory_charts_draw_something_visible() {
    let style = Style {
        dpr: 1.0,
        theme: Default::default(),
    };
    let config = small_config();
    let sim = Simulation::run(config).unwrap();
    let theory = crate::theory_view::Theory::of(&config);
    let mut job = lab_core::theory::CorrJob::new(&config);
    while !job.step() {}

    let c = canvas(480, 320);
    charts::fit_canvas(&c, 1.0);
    let data = crate::theory_view::corr_data(&theory, config.depth, sim.stats(), &job.values);
    assert_eq!(data.predicted.len(), config.depth);
    charts::corr::draw(&c, &data, &style).unwrap();
    assert!(ink(&c).0 > 0.02, "corr");

    let c = canvas(480, 320);
    charts::fit_canvas(&c, 1.0);
    let bundle = crate::engine::TheoryBundle::cached(&mut None, &config);
    assert!(
        bundle.map.fixed_point.is_some_and(|f| f.stable),
        "SELU's (0, 1) attracts"
    );
    let map = crate::theory_view::map_data(&bundle.map, sim.stats());
    charts::selu_map::draw(&c, &map, &style).unwrap();
    assert!(ink(&c).0 > 0.02, "selu_map");

    let c = canvas(480, 320);
    charts::fit_canvas(&c, 1.0);
    let phase = crate::theory_view::phase_data(&bundle);
    let frame = charts::phase::draw(&c, &phase, &style).unwrap();
    let (ink_p, colours_p) = ink(&c);
    assert!(
        ink_p > 0.3 && colours_p > 10,
        "phase heat map: {ink_p} {colours_p}"
    );
    assert!(frame.x1 > frame.x0 && frame.y1 > frame.y0);
}

#[wasm_bindgen_test]
fn activations_under_wasm_libm_match_the_f64_reference() {
    // wasm has no system libm: exp, ln_1p, tanh come from Rust's own. Check the f32 path against
    // the f64 path, and the f64 path against published values (docs/science.md).
    for kind in ActivationKind::ALL {
        let a = Activation::new(kind);
        for i in -80..=80 {
            let x = i as f32 * 0.125;
            let (f, r) = (a.f(x) as f64, a.f64(x as f64));
            assert!(
                (f - r).abs() <= 2e-6 * r.abs().max(1e-3),
                "{kind:?} f({x}) {f} vs {r}"
            );
            let (d, rd) = (a.df(x) as f64, a.df64(x as f64));
            assert!(
                (d - rd).abs() <= 2e-6 * rd.abs().max(1e-3),
                "{kind:?} f'({x}) {d} vs {rd}"
            );
        }
    }
    let gelu = Activation::new(ActivationKind::Gelu);
    assert!((gelu.f64(-0.751792) - -0.169971).abs() < 1e-6);
    let silu = Activation::new(ActivationKind::Silu);
    assert!((silu.f64(-1.278465) - -0.278465).abs() < 1e-6);
}

#[wasm_bindgen_test]
fn the_simulation_is_deterministic_in_the_browser() {
    let a = Simulation::run(small_config()).unwrap();
    let mut b = Simulation::new(small_config()).unwrap();
    while !b.step(1.0e4) {}
    assert_eq!(a.stats(), b.stats());
    let last = a.stats().last().unwrap();
    assert!(
        (last.post_var - 1.0).abs() < 0.5 && last.post_mean.abs() < 0.3,
        "{last:?}"
    );
}

#[wasm_bindgen_test]
fn url_seed_and_download_helpers_work() {
    web::replace_query("act=relu&depth=3");
    assert_eq!(web::query_string(), "?act=relu&depth=3");
    let seeds: Vec<u32> = (0..4).map(|_| web::fresh_seed()).collect();
    assert!(
        seeds.windows(2).any(|w| w[0] != w[1]),
        "getrandom gives fresh seeds: {seeds:?}"
    );
    web::download_text("test.csv", "text/csv", "a,b\n1,2\n").unwrap();
    assert!(web::now_ms() > 0.0);
    assert!(web::device_pixel_ratio() >= 1.0);
}

#[wasm_bindgen_test]
fn worker_messages_carry_results_and_theory_unchanged() {
    use crate::engine::{codec, wire};
    use lab_core::{Delta, SimView};
    // A run streamed through real JS messages (typed arrays) rebuilds the simulation exactly.
    let config = small_config();
    let mut sim = Simulation::new(config).unwrap();
    let mut view = SimView::new(config);
    let mut corr = lab_core::theory::CorrJob::new(&config);
    while !sim.step(5.0e4) {
        let sent = wire::result(&wire::Result {
            gen: 7,
            delta: Delta::since(&sim, view.samples_len()),
            corr: corr.values.clone(),
            corr_done: false,
        });
        let got = wire::read_result(&sent).expect("a well-formed result");
        assert_eq!(got.gen, 7);
        view.apply(got.delta);
    }
    while !corr.step() {}
    let last = wire::read_result(&wire::result(&wire::Result {
        gen: 7,
        delta: Delta::since(&sim, view.samples_len()),
        corr: corr.values.clone(),
        corr_done: true,
    }))
    .unwrap();
    assert!(last.corr_done);
    assert_eq!(last.corr, corr.values);
    view.apply(last.delta);
    assert_eq!(view, SimView::of(&sim));
    // The theory bundle through a Float64Array keeps every bit.
    let bundle = crate::engine::TheoryBundle::cached(&mut None, &config);
    let (gen, back) = wire::read_theory(&wire::theory(3, &bundle)).unwrap();
    assert_eq!(gen, 3);
    let (a, b) = (codec::encode(&bundle), codec::encode(&back));
    assert!(a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    // Malformed messages are refused, not misread.
    assert!(wire::read_result(&wasm_bindgen::JsValue::from_str("nonsense")).is_err());
    assert!(wire::read_theory(&wire::run_request(1, &config)).is_err());
    // The worker receives the typed configuration, exactly.
    assert_eq!(
        wire::read_run_request(&wire::run_request(5, &config)),
        Ok((5, config))
    );
    assert!(wire::read_run_request(&wire::theory(3, &bundle)).is_err());
}
