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
        input: None,
        pins: &[],
    };
    charts::stats::draw(&c, &stats, &style).unwrap();
    let (ink_s, _) = ink(&c);
    assert!(ink_s > 0.02, "stats: {ink_s}");

    let c = canvas(480, 320);
    charts::fit_canvas(&c, 1.0);
    let samples: Vec<&[f32]> = (1..=12).map(|l| sim.samples(l)).collect();
    let (lo, hi) = charts::hist::value_range(sim.stats(), &samples);
    let map = charts::hist::Heatmap::build(&samples, lo, hi);
    charts::hist::draw(&c, &map, 12, None, &[], &style).unwrap();
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
        pins: &[],
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
    let bundle = crate::engine::TheoryBundle::of(&config);
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
            reused: 0,
            shards: 1,
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
        reused: 2,
        shards: 3,
    }))
    .unwrap();
    assert_eq!(last.reused, 2);
    assert_eq!(last.shards, 3);
    assert!(last.corr_done);
    assert_eq!(last.corr, corr.values);
    view.apply(last.delta);
    assert_eq!(view, SimView::of(&sim));
    // The theory bundle through a Float64Array keeps every bit.
    let bundle = crate::engine::TheoryBundle::of(&config);
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
    // A request needs the Jacobian unless it says not (a pinned run).
    let request = wire::run_request(6, &config);
    assert!(wire::wants_jacobian(&request));
    wire::without_jacobian(&request);
    assert!(!wire::wants_jacobian(&request));
    assert_eq!(wire::read_run_request(&request), Ok((6, config)));
}

// ---------------------------------------------------------------------------------------------
// The Train lab's charts, with data from a short real run on the circle task and edge data.

/// Pixels within `tol` (per channel) of `rgb`.
fn pixels_near(c: &HtmlCanvasElement, rgb: (u8, u8, u8), tol: u8) -> usize {
    let ctx: CanvasRenderingContext2d = c.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    let data = ctx
        .get_image_data(0.0, 0.0, c.width() as f64, c.height() as f64)
        .unwrap()
        .data();
    data.chunks_exact(4)
        .filter(|px| {
            px[0].abs_diff(rgb.0) <= tol
                && px[1].abs_diff(rgb.1) <= tol
                && px[2].abs_diff(rgb.2) <= tol
        })
        .count()
}

fn rgb(c: plotters::style::RGBColor) -> (u8, u8, u8) {
    (c.0, c.1, c.2)
}

/// A short run on the circle task: depth 4, width 16, 300 steps, an evaluation every 50.
fn circle_trainer(seed: u64, steps: usize) -> lab_core::train::Trainer {
    use lab_core::train::{generate_2d, Settings, Shape2d, Task, Trainer};
    let task = Task::TwoD {
        shape: Shape2d::Circle,
        noise: 0.1,
        data_seed: 1,
    };
    let data = task.dataset(None).unwrap();
    assert_eq!(data, generate_2d(Shape2d::Circle, 0.1, 1));
    let settings = Settings {
        task,
        depth: 4,
        width: 16,
        tbatch: 32,
        lr: 0.05,
        steps,
        eval_every: 50,
        seed,
        ..Settings::default()
    };
    let mut t = Trainer::new(settings, &data).unwrap();
    while !t.step_n(100) {}
    t
}

fn train_style() -> Style {
    Style {
        dpr: 1.0,
        theme: Default::default(),
    }
}

#[wasm_bindgen_test]
fn train_charts_draw_a_real_run() {
    use charts::{decision, loss, train_stats, weights};
    let style = train_style();
    let a = circle_trainer(1, 300);
    let b = circle_trainer(2, 300);
    let (ha, hb) = (&a.history, &b.history);
    assert_eq!(ha.evals.len(), 7, "steps 0, 50, ..., 300");
    assert!(ha.diverged_at.is_none());

    // Loss: two runs, blue solid and vermillion dashed.
    let c = canvas(640, 420);
    charts::fit_canvas(&c, 1.0);
    let data = loss::LossData {
        runs: vec![
            loss::LossRun::from_history("seed 1", ha),
            loss::LossRun::from_history("seed 2", hb),
        ],
        steps: 300,
        log_y: false,
        chance_loss: Some(2f64.ln()),
    };
    loss::draw(&c, &data, &style).unwrap();
    let (ink_l, colours_l) = ink(&c);
    let (blue, red) = (
        pixels_near(&c, rgb(charts::BLUE), 30),
        pixels_near(&c, rgb(charts::VERMILLION), 30),
    );
    assert!(ink_l > 0.03 && colours_l > 20, "loss: {ink_l} {colours_l}");
    assert!(blue > 200 && red > 150, "both runs are drawn: {blue} {red}");
    let log = loss::LossData {
        log_y: true,
        ..data.clone()
    };
    loss::draw(&c, &log, &style).unwrap();
    assert!(ink(&c).0 > 0.03, "log loss");

    // Probe statistics: three heat maps with colour bars, and the hover frame.
    let c = canvas(640, 480);
    charts::fit_canvas(&c, 1.0);
    let mut stats = train_stats::TrainStatsData::from_history("seed 1", ha);
    stats.cursor = Some(3);
    assert_eq!(stats.layers, 4);
    let frame = train_stats::draw(&c, &stats, &style).unwrap();
    let (ink_t, colours_t) = ink(&c);
    assert!(
        ink_t > 0.3 && colours_t > 40,
        "train_stats: {ink_t} {colours_t}"
    );
    assert_eq!(frame.panels.len(), 3);
    let p = frame.panels[2];
    assert!(p.x1 - p.x0 > 300.0 && p.y1 - p.y0 > 60.0, "{p:?}");
    assert_eq!(frame.at(p.x0 + 1.0, p.y1 - 1.0), Some((0, 0)));
    assert_eq!(frame.at(p.x1 - 1.0, p.y0 + 1.0), Some((6, 3)));
    assert!(
        pixels_near(&c, (68, 1, 84), 40) + pixels_near(&c, (253, 231, 37), 40) > 50,
        "viridis colour bar"
    );

    // Weights: two runs against the Theorem 1 box.
    let c = canvas(640, 480);
    charts::fit_canvas(&c, 1.0);
    let w = weights::WeightsData {
        runs: vec![
            weights::WeightsRun::from_history("seed 1", ha),
            weights::WeightsRun::from_history("seed 2", hb),
        ],
        steps: 300,
    };
    weights::draw(&c, &w, &style).unwrap();
    let (ink_w, colours_w) = ink(&c);
    assert!(
        ink_w > 0.05 && colours_w > 20,
        "weights: {ink_w} {colours_w}"
    );
    assert!(
        pixels_near(&c, rgb(charts::BLUE), 30) > 200
            && pixels_near(&c, rgb(charts::VERMILLION), 30) > 100,
        "both runs"
    );

    // Decision map with the points.
    let c = canvas(420, 400);
    charts::fit_canvas(&c, 1.0);
    let d = decision::DecisionData::from_trainer(&a);
    assert_eq!(d.p1.len(), 64 * 64);
    assert_eq!(d.train.len() + d.test.len(), 500);
    let (lo, hi) = (d.x1[0], d.x1[63]);
    assert!(
        d.train.iter().all(|p| p.0 >= lo && p.0 <= hi),
        "points in the map's original coordinates"
    );
    decision::draw(&c, &d, &style).unwrap();
    let (ink_d, colours_d) = ink(&c);
    assert!(
        ink_d > 0.4 && colours_d > 20,
        "decision: {ink_d} {colours_d}"
    );
    let (orange, blue) = (
        pixels_near(&c, rgb(decision::CLASS0), 2),
        pixels_near(&c, rgb(decision::CLASS1), 2),
    );
    assert!(
        orange > 100 && blue > 100,
        "points of both classes: {orange} {blue}"
    );
    let tint1 = decision::map_colour(1.0);
    let tint0 = decision::map_colour(0.0);
    let (m1, m0) = (
        pixels_near(&c, (tint1[0], tint1[1], tint1[2]), 40),
        pixels_near(&c, (tint0[0], tint0[1], tint0[2]), 40),
    );
    assert!(
        m1 > 1000 && m0 > 1000,
        "the map shows both classes: {m1} {m0}"
    );
}

#[wasm_bindgen_test]
fn train_charts_survive_edge_data() {
    use charts::{decision, loss, train_stats, weights};
    let style = train_style();
    let c = canvas(480, 360);
    charts::fit_canvas(&c, 1.0);

    // Empty: axes and the waiting note, no panics.
    loss::draw(
        &c,
        &loss::LossData {
            steps: 100,
            ..Default::default()
        },
        &style,
    )
    .unwrap();
    assert!(ink(&c).0 > 0.005, "empty loss still has axes");
    let frame = train_stats::draw(&c, &Default::default(), &style).unwrap();
    assert_eq!(frame.at(200.0, 100.0), None);
    assert!(ink(&c).0 > 0.005);
    weights::draw(&c, &Default::default(), &style).unwrap();
    decision::draw(&c, &Default::default(), &style).unwrap();

    // One evaluation (step 0 only).
    let one = circle_trainer(3, 1);
    let mut h = one.history.clone();
    h.evals.truncate(1);
    h.batch_loss.clear();
    loss::draw(
        &c,
        &loss::LossData {
            runs: vec![loss::LossRun::from_history("", &h)],
            steps: 1,
            log_y: true,
            chance_loss: Some(2f64.ln()),
        },
        &style,
    )
    .unwrap();
    assert!(
        pixels_near(&c, rgb(charts::BLUE), 30) > 10,
        "the one evaluation's markers"
    );
    let frame = train_stats::draw(
        &c,
        &train_stats::TrainStatsData::from_history("", &h),
        &style,
    )
    .unwrap();
    assert_eq!(frame.evals, 1);
    assert!(ink(&c).0 > 0.3, "a one-column heat map fills its panels");
    weights::draw(
        &c,
        &weights::WeightsData {
            runs: vec![weights::WeightsRun::from_history("", &h)],
            steps: 0,
        },
        &style,
    )
    .unwrap();
    // Points without a map.
    let mut d = decision::DecisionData::from_trainer(&one);
    d.p1.clear();
    decision::draw(&c, &d, &style).unwrap();
    assert!(pixels_near(&c, rgb(decision::CLASS1), 2) > 100);

    // Diverged: three runs, the last with NaN/inf values from step 120 on.
    let real = circle_trainer(4, 300).history;
    let mut bad = real.clone();
    bad.batch_loss.truncate(120);
    bad.batch_loss.push(f64::NAN);
    bad.diverged_at = Some(121);
    bad.evals.truncate(4);
    for p in &mut bad.evals[3].layers {
        p.post_var = f64::INFINITY;
        p.grad_rms = f64::NAN;
        p.tau_mean = f64::NAN;
    }
    bad.evals[3].test_loss = f64::NAN;
    let runs = vec![
        loss::LossRun::from_history("a", &real),
        loss::LossRun::from_history("b", &real),
        loss::LossRun::from_history("diverged", &bad),
    ];
    let c = canvas(640, 420);
    charts::fit_canvas(&c, 1.0);
    for log_y in [false, true] {
        loss::draw(
            &c,
            &loss::LossData {
                runs: runs.clone(),
                steps: 300,
                log_y,
                chance_loss: Some(2f64.ln()),
            },
            &style,
        )
        .unwrap();
        assert!(
            pixels_near(&c, rgb(charts::GREEN), 30) > 50,
            "the third run in green, with its divergence mark"
        );
    }
    let mut stats = train_stats::TrainStatsData::from_history("diverged", &bad);
    stats.cursor = Some(99);
    let frame = train_stats::draw(&c, &stats, &style).unwrap();
    assert_eq!(frame.evals, 4);
    assert!(
        pixels_near(&c, train_stats::NOT_FINITE.into(), 0) > 100,
        "non-finite cells are grey"
    );
    weights::draw(
        &c,
        &weights::WeightsData {
            runs: vec![weights::WeightsRun::from_history("diverged", &bad)],
            steps: 300,
        },
        &style,
    )
    .unwrap();
    assert!(pixels_near(&c, rgb(charts::BLUE), 30) > 50);
    // A map with NaN and out-of-range probabilities.
    let mut d = decision::DecisionData::from_trainer(&one);
    d.p1[0] = f32::NAN;
    d.p1[1] = 7.0;
    decision::draw(&c, &d, &style).unwrap();
}

/// The chart layer at its limits: tiny canvases, constant data, NaN and infinite values. Every
/// chart draws (or reports an error) without panicking, and the tick labels it records never
/// overlap.
#[wasm_bindgen_test]
fn charts_survive_tiny_canvases_and_odd_data() {
    let style = Style {
        dpr: 1.0,
        theme: Default::default(),
    };
    let sim = Simulation::run(small_config()).unwrap();
    let mut odd: Vec<lab_core::LayerStats> = sim.stats().to_vec();
    for (i, s) in odd.iter_mut().enumerate() {
        match i % 3 {
            0 => s.post_mean = f64::NAN,
            1 => s.post_var = f64::INFINITY,
            _ => s.grad_rms = 1.0, // constant
        }
    }
    let assert_apart = |what: &str, labels: &[[i32; 4]]| {
        for (i, a) in labels.iter().enumerate() {
            for b in &labels[..i] {
                let apart = a[0] + a[2] <= b[0]
                    || b[0] + b[2] <= a[0]
                    || a[1] + a[3] <= b[1]
                    || b[1] + b[3] <= a[1];
                assert!(apart, "{what}: labels {a:?} and {b:?} overlap");
            }
        }
    };
    for (w, h) in [(1, 1), (24, 16), (90, 60), (480, 90)] {
        for stats in [sim.stats(), &odd[..]] {
            let what = format!("{w}x{h}");
            let c = canvas(w, h);
            charts::fit_canvas(&c, 1.0);
            let data = charts::stats::StatsData {
                stats,
                depth: 12,
                log_var: w % 2 == 0,
                banner: Some("exploded at layer 3".into()),
                predicted: None,
                input: Some((1.0, 4.0)),
                pins: &[],
            };
            charts::axes::start_record();
            let _ = charts::stats::draw(&c, &data, &style);
            assert_apart(
                &format!("stats {what}"),
                &charts::axes::take_record().labels,
            );
            let grads = charts::grads::GradsData {
                stats,
                depth: 12,
                banner: None,
                chi1: Some(f64::NAN),
                pins: &[],
            };
            charts::axes::start_record();
            let _ = charts::grads::draw(&c, &grads, &style);
            assert_apart(
                &format!("grads {what}"),
                &charts::axes::take_record().labels,
            );
        }
    }
    // A wide enough chart labels its axes.
    let c = canvas(480, 320);
    charts::fit_canvas(&c, 1.0);
    charts::axes::start_record();
    let grads = charts::grads::GradsData {
        stats: &odd,
        depth: 12,
        banner: None,
        chi1: None,
        pins: &[],
    };
    charts::grads::draw(&c, &grads, &style).unwrap();
    assert!(charts::axes::take_record().labels.len() >= 4);
}

/// Resolves after about `ms` milliseconds (a timer: a later task).
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// The page's path from a worker's results to a drawn chart: `soon_open` runs after the current
/// task's microtasks and before the next task, and what it (or a microtask it queues, as Yew's
/// render) asks `in_this_frame` for runs in the same task, before any timer; outside an open
/// frame, `in_this_frame` waits for an animation frame, not for the microtasks.
#[wasm_bindgen_test]
async fn an_open_frame_draws_in_the_same_task() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let log: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    let push = |log: &Rc<RefCell<Vec<&'static str>>>, what| {
        let log = log.clone();
        move || log.borrow_mut().push(what)
    };
    web::after_ms(0, push(&log, "timer"));
    {
        let log = log.clone();
        assert!(web::soon_open(move || {
            log.borrow_mut().push("open");
            // A render queued as a microtask asks for a draw, as a chart's effect does.
            let inner = log.clone();
            let render = wasm_bindgen::closure::Closure::once_into_js(move || {
                let log = inner.clone();
                assert!(web::in_this_frame(move || log.borrow_mut().push("drawn")));
                inner.borrow_mut().push("rendered");
            });
            web_sys::window()
                .unwrap()
                .queue_microtask(render.unchecked_ref());
            log.borrow_mut().push("dispatched");
        }));
    }
    assert!(log.borrow().is_empty(), "soon_open does not run at once");
    sleep(30).await;
    assert_eq!(
        *log.borrow(),
        ["open", "dispatched", "rendered", "drawn", "timer"]
    );
    // The frame is closed again: a draw asked for now waits for an animation frame.
    let later: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    assert!(web::in_this_frame(push(&later, "frame")));
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL))
        .await
        .unwrap();
    assert!(later.borrow().is_empty(), "not in the microtasks after it");
}
