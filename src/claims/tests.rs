//! One test per class of error of issue 14 whose words are built here, each at settings other
//! than the ones the issue quotes, with references computed independently: closed forms, a
//! composite Simpson rule in f64 written here, published values.

use super::*;
use crate::params::Params;
use lab_core::theory::TheorySummary;
use std::f64::consts::PI;

fn setting(query: &str) -> (Config, TheorySummary) {
    let (params, notices) = Params::from_query(query);
    assert!(notices.is_empty(), "{query}: {notices:?}");
    let config = params.config;
    (config, TheorySummary::of(&config))
}

fn row<'a>(rows: &'a [Row], name: &str) -> &'a str {
    &rows
        .iter()
        .find(|r| r.name.starts_with(name))
        .unwrap()
        .value
}

/// E[g(sqrt(q) z)] by composite Simpson on z in [-14, 14].
fn gauss(q: f64, g: impl Fn(f64) -> f64) -> f64 {
    let (n, a, b) = (8000usize, -14.0f64, 14.0f64);
    let h = (b - a) / n as f64;
    let w = |z: f64| g(q.sqrt() * z) * (-0.5 * z * z).exp() / (2.0 * PI).sqrt();
    let mut sum = w(a) + w(b);
    for i in 1..n {
        sum += if i % 2 == 1 { 4.0 } else { 2.0 } * w(a + i as f64 * h);
    }
    sum * h / 3.0
}

/// Class 1: the table starts at the first layer. SiLU at σ_w² = 3.24 with in_std = 2 starts at
/// q¹ = 12.96, far above its unstable point (SiLU ≈ x/2 near 0, so q_u is where
/// 3.24 E[silu²] = q, below 1 here): it explodes, and the table says so.
#[test]
fn class_1_the_table_follows_the_first_layer() {
    let (config, t) = setting("act=silu&gain=1.8&in_std=2");
    let sw = f64::from(1.8f32).powi(2);
    let silu = |x: f64| x / (1.0 + (-x).exp());
    // Independent: the length map from q¹ grows (V(q) > q all the way up, checked on a ladder).
    let mut q = sw * 4.0;
    for _ in 0..8 {
        let next = sw * gauss(q, |x| silu(x) * silu(x));
        assert!(next > q, "{q} -> {next}");
        q = next;
    }
    let rows = theory_rows(&t, config.activation.kind);
    assert!(row(&rows, "fixed point").contains("grows without bound"));
    assert!(row(&rows, "phase").starts_with("exploding"), "{rows:?}");
    assert_eq!(row(&rows, "first layer"), fmt3(sw * 4.0));
}

/// Class 2: neutral maps. The linear network at gain 1 with small inputs: every variance and
/// correlation is fixed, so no c*, no attracting point.
#[test]
fn class_2_linear_maps_are_neutral_not_attracting() {
    let (config, t) = setting("act=linear&init=xavier_normal&in_std=0.5");
    let rows = theory_rows(&t, config.activation.kind);
    assert!(row(&rows, "phase").starts_with("neutral"), "{rows:?}");
    assert!(row(&rows, "correlation fixed point").starts_with("none: every c"));
    assert_eq!(
        row(&rows, "depth scale ξ_c"),
        "undefined (every c is a fixed point)"
    );
    assert!(row(&rows, "fixed point q*").contains("0.250"), "q¹ = 0.5²");
    let map = MapArrows::of(&t, &config.activation);
    let text = fixed_point_text(map.fixed_point.as_ref());
    assert!(
        text.contains("(0, 0.250); Jacobian eigenvalues 1 and 0: neutral"),
        "{text}"
    );
    assert!(!text.contains("attracting"), "{text}");
    assert!(corr_note(&t, &[0.5; 4]).contains("identity"));
}

/// Class 3: no round-off printed as a value. ReLU at σ_w² = 1.44, σ_b² = 0.09: the eigenvalues
/// are σ_w²/2 = 0.72 and exactly 0 (closed form of V(q) = σ_w² q/2 + σ_b²).
#[test]
fn class_3_eigenvalues_print_without_round_off() {
    let (config, t) = setting("act=relu&gain=1.2&sb=0.3");
    let map = MapArrows::of(&t, &config.activation);
    let text = fixed_point_text(map.fixed_point.as_ref());
    assert!(text.contains("eigenvalues 0.720 and 0:"), "{text}");
    assert!(!text.contains("e-1"), "{text}");
    assert_eq!(num(0.0), "0");
}

/// Class 5: the sigmoid's gradient claim follows σ_w². At gain 3 with LeCun weights (σ_w² = 9)
/// χ₁ = 9 E[σ′(√q* z)²] with q* from the length map, both by the Simpson rule here.
#[test]
fn class_5_sigmoid_gradients_follow_the_weights() {
    let (config, t) = setting("act=sigmoid&gain=3");
    let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
    let dsig = |x: f64| sig(x) * (1.0 - sig(x));
    let sw = 9.0;
    let mut q = 1.0;
    for _ in 0..200 {
        q = sw * gauss(q, |x| sig(x) * sig(x));
    }
    let chi1 = sw * gauss(q, |x| dsig(x) * dsig(x));
    let note = activation_note(&config, Some(&t));
    assert!(
        note.contains(&format!("Here χ₁ = {}", fmt3(chi1))),
        "{note} vs {chi1}"
    );
    assert_eq!(chi1 > 1.0, note.contains("gradients grow"), "{note}");
    assert!(note.contains("only for σ_w² ≤ 1"));
    assert!(!note.contains("drifts"), "the mean is 1/2 from layer 1 on");
    // σ_w² ≤ 1: χ₁ ≤ σ_w²/16.
    let (config, t) = setting("act=sigmoid&gain=0.9");
    assert!(t.mean_field.chi1 <= 0.81 / 16.0);
    assert!(activation_note(&config, Some(&t)).contains("gradients shrink"));
}

/// Class 6: the activation caption names the weights. ReLU: χ₁ = σ_w²/2 for any q, so at gain
/// 1.2 with LeCun weights χ₁ = 0.72 (shrink) and at He weights with gain 1.1, 1.21 (grow).
#[test]
fn class_6_the_slope_rule_includes_the_weights() {
    let (config, t) = setting("act=relu&gain=1.2");
    let text = activation_caption(&config, Some(&t));
    assert!(
        text.contains("χ₁ = 0.720: the signal collapses and gradients shrink"),
        "{text}"
    );
    let (config, t) = setting("act=relu&init=he_normal&gain=1.1");
    let text = activation_caption(&config, Some(&t));
    assert!(
        text.contains("χ₁ = 1.210: the signal explodes and gradients grow"),
        "{text}"
    );
    assert!(text.contains("σ_w² E[f′(h)²]"));
}

/// Class 7: leaky ReLU's matching gain depends on the initializer: σ_w² = 2/(1 + s²), so with
/// He (2/fan_in) the gain is 1/sqrt(1 + s²), with LeCun or square Xavier sqrt(2/(1 + s²)).
#[test]
fn class_7_leaky_gain_follows_the_initializer() {
    for (init, s) in [("he_uniform", 0.3f64), ("he_normal", 0.05)] {
        let (config, _) = setting(&format!("act=leaky_relu&slope={s}&init={init}"));
        let s = f64::from(config.activation.slope);
        let g = leaky_matching_gain(&config);
        assert!((g - 1.0 / (1.0 + s * s).sqrt()).abs() < 1e-6, "{init}: {g}");
    }
    let (config, _) = setting("act=leaky_relu&slope=0.3&init=xavier_normal");
    let s = f64::from(config.activation.slope);
    let g = leaky_matching_gain(&config);
    assert!((g - (2.0 / (1.0 + s * s)).sqrt()).abs() < 1e-6, "{g}");
    assert!(activation_note(&config, None).contains(&fmt3(g)));
}

/// Class 8: the map caption states Theorem 1's domain and whether it holds, and where the
/// arrows lead at this setting: SELU at gain 1.2 is outside the theorem; ELU at gain 1.3 has a
/// point reached from everywhere on the plot (no "drain"); GELU at gain 1.55 has an unstable
/// point inside the plot.
#[test]
fn class_8_the_map_caption_follows_the_setting() {
    let (config, t) = setting("act=selu&gain=1.2");
    let map = MapArrows::of(&t, &config.activation);
    let note = map_note(&config, &t, &map);
    assert!(
        note.contains("τ ∈ [0.95, 1.1]") && note.contains("outside that domain"),
        "{note}"
    );
    let (config, t) = setting("act=selu&gain=1.02");
    let map = MapArrows::of(&t, &config.activation);
    assert!(map_note(&config, &t, &map).contains("inside that domain"));
    let (config, t) = setting("act=elu&gain=1.3");
    let map = MapArrows::of(&t, &config.activation);
    let note = map_note(&config, &t, &map);
    assert!(
        note.contains("every path leads to") && !note.contains("drain"),
        "{note}"
    );
    let (config, t) = setting("act=gelu&gain=1.55");
    let map = MapArrows::of(&t, &config.activation);
    assert!(map_note(&config, &t, &map).contains("unstable fixed point separates"));
}

/// Class 9: with BatchNorm the grads note reports the simulated growth: 8× over 3 layers is 2×
/// per layer; nothing without BatchNorm.
#[test]
fn class_9_batchnorm_gradients_are_reported() {
    let (config, _) = setting("act=tanh&norm=batch");
    let note = grads_note(&config, &[8.0, 4.0, 2.0, 1.0]).unwrap();
    assert!(
        note.contains("8.000× from layer 4 to layer 1, a factor 2.000 per layer"),
        "{note}"
    );
    assert!(note.contains("Yang et al. 2019"));
    let (config, _) = setting("act=tanh");
    assert!(grads_note(&config, &[8.0, 1.0]).is_none());
}

/// Class 10: "ordered means c → 1" only with a finite q*. Mish at gain 0.9 collapses (Mish ≈
/// 0.6 x near 0, so V(q) ≈ 0.29 q): the note explains the shrinking scale instead; tanh at
/// gain 1.5 with bias 0.5 (finite q*, ordered by chi_1 < 1) keeps the c → 1 claim.
#[test]
fn class_10_ordered_means_c_to_1_only_with_a_live_signal() {
    let (_, t) = setting("act=mish&gain=0.9");
    assert_eq!(t.mean_field.length, LengthFixedPoint::Collapses);
    let note = corr_note(&t, &[0.5, 0.45]);
    assert!(
        note.contains("shrinking scale") && !note.contains("perfectly correlated"),
        "{note}"
    );
    assert!(note.contains("c = 0.450 at layer 2"));
    let (_, t) = setting("act=tanh&gain=1.1&sb=0.7");
    assert_eq!(t.mean_field.phase, Phase::Ordered);
    assert!(corr_note(&t, &[]).contains("perfectly correlated"));
}

/// Class 12: ELU's note does not make SELU's pair the only self-normalizing one.
#[test]
fn class_12_other_selu_pairs_exist() {
    let (config, t) = setting("act=elu&alpha=0.5");
    let note = activation_note(&config, Some(&t));
    assert!(
        note.contains("(λ, α) pairs") && !note.contains("only SELU"),
        "{note}"
    );
    // The Derive panel's other pairs: nu* = 3 gives a different, valid pair.
    let (l, a) = lab_core::derive_selu(3.0);
    assert!(l > 1.0507 && a > 1.6733, "{l} {a}");
}

/// Class 13: the ReLU line is vertical: χ₁ = σ_w²/2 at every σ_b² of the grid.
#[test]
fn class_13_relu_line_is_vertical() {
    let (_, t) = setting("act=relu&sb=0.4");
    assert!(
        phase_note(&t, false).contains("vertical at σ_w² = 2 (He initialization) for every σ_b²")
    );
    assert!(
        (t.mean_field.chi1 - 0.5).abs() < 1e-12,
        "LeCun: σ_w²/2 whatever q*"
    );
}

/// Class 14: both extrema of GELU exact − tanh, against the high-precision values.
#[test]
fn class_14_gelu_difference_has_a_trough_and_a_peak() {
    let ext = gelu_difference_extrema();
    assert_eq!(ext.len(), 2, "{ext:?}");
    let (trough, peak) = (ext[0], ext[1]);
    assert!(
        (trough.0 - 2.699).abs() < 1e-3 && (trough.1 + 4.73e-4).abs() < 5e-6,
        "{trough:?}"
    );
    assert!(
        (peak.0 - 1.365).abs() < 1e-3 && (peak.1 - 2.34e-4).abs() < 5e-6,
        "{peak:?}"
    );
    let text = gelu_difference_text();
    assert!(
        text.contains("-4.73e-4 at |x| = 2.699") && text.contains("+2.34e-4 at |x| = 1.36"),
        "{text}"
    );
}

/// Class 15: labels that contradict the page. SELU at gain 1.01 is weakly chaotic with the
/// growth per layer sqrt(χ₁) − 1; ELU with wider inputs is critical only as q → 0; with
/// LayerNorm the table shows nothing the theory cannot say; "None" is just "None".
#[test]
fn class_15_labels_say_what_holds() {
    let (config, t) = setting("act=selu&gain=1.01");
    let label = phase_label(&t.mean_field, config.activation.kind);
    let pct = (t.mean_field.chi1.sqrt() - 1.0) * 100.0;
    assert!(t.mean_field.chi1 > 1.0 && t.mean_field.chi1 < WEAKLY_CHAOTIC);
    assert!(
        label.starts_with("weakly chaotic") && label.contains(&format!("{pct:.1}%")),
        "{label}"
    );
    assert!(label.contains("forward pass"));
    let (config, t) = setting("act=elu&in_std=2");
    assert_eq!(t.mean_field.length, LengthFixedPoint::Collapses);
    let label = phase_label(&t.mean_field, config.activation.kind);
    assert!(
        label.starts_with("critical only in the limit q → 0"),
        "{label}"
    );
    let (config, t) = setting("act=tanh&norm=layer");
    assert!(theory_rows(&t, config.activation.kind).is_empty());
    assert!(t.caveat.is_some());
    assert_eq!(Normalization::None.label(), "None");
    // Every row is explained in one line.
    let (config, t) = setting("act=tanh&gain=1.4&sb=0.1");
    for r in theory_rows(&t, config.activation.kind) {
        assert!(!r.meaning.is_empty() && !r.meaning.contains('\n'), "{r:?}");
    }
}

/// The orthogonal caveat: the theory sees only σ_w², so orthogonal and Gaussian weights of the
/// same variance (square layers: σ_w² = gain²) get the same mean field and predictions.
#[test]
fn orthogonal_weights_get_the_gaussian_prediction() {
    let (_, orth) = setting("act=tanh&init=orthogonal&gain=1.3&sb=0.2");
    let (_, gauss) = setting("act=tanh&init=xavier_normal&gain=1.3&sb=0.2");
    assert_eq!(orth.mean_field, gauss.mean_field);
    assert_eq!(orth.layers, gauss.layers);
    assert!(orth.caveat.unwrap().contains("same variance"));
}

/// Issue 15 (text follows the settings): the grads panel states the mean-field slope of the
/// current activation, not SELU's. References: SELU's chi_1 at LeCun normal by the Simpson rule
/// here (sigma_w^2 = 1, q* = 1, phi' = lambda for z > 0 and lambda alpha e^z below; a Simpson
/// panel across the kink at 0 would be off by 1e-3); ReLU with He
/// normal has chi_1 = 2 * 1/2 = 1 exactly; tanh at gain 0.8 has q* = 0, so chi_1 = 0.64 tanh'(0)^2
/// = 0.64 and sqrt(chi_1) = 0.8.
#[test]
fn grads_slope_follows_the_activation() {
    let (lambda, alpha): (f64, f64) = (1.050_700_987_355_480_5, 1.673_263_242_354_377_3);
    // E[phi'(z)^2] = lambda^2 / 2 + (lambda alpha)^2 E[e^(2z); z < 0], the second part by the
    // Simpson rule on [-14, 0] (the kink at 0 is an end point, not inside a panel).
    let (n, a) = (8000usize, -14.0f64);
    let h = -a / n as f64;
    let f = |z: f64| (2.0 * z).exp() * (-0.5 * z * z).exp() / (2.0 * PI).sqrt();
    let inner: f64 = (1..n)
        .map(|i| f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 })
        .sum();
    let tail = (f(a) + f(0.0) + inner) * h / 3.0;
    let selu_chi1 = lambda * lambda / 2.0 + (lambda * alpha).powi(2) * tail;
    let (config, t) = setting("act=selu&init=lecun_normal");
    assert!(
        (t.mean_field.chi1 - selu_chi1).abs() < 1e-6,
        "{} vs {selu_chi1}",
        t.mean_field.chi1
    );
    let note = grads_slope_note(&config, Some(selu_chi1), &[]).unwrap();
    assert!(
        note.contains("χ₁ = 1.072") && note.contains("grows about 3.5% per layer"),
        "{note}"
    );

    let (config, _) = setting("act=relu&init=he_normal");
    let note = grads_slope_note(&config, Some(1.0), &[]).unwrap();
    assert!(
        note.contains("keeps its size") && !note.contains("SELU"),
        "{note}"
    );

    let (config, t) = setting("act=tanh&gain=0.8");
    assert!(
        (t.mean_field.chi1 - 0.64).abs() < 1e-6,
        "{}",
        t.mean_field.chi1
    );
    // Simulated: RMS 1 at layer 1 and 4 at layer 3, a factor (1/4)^(1/2) = 0.5 per layer.
    let note = grads_slope_note(&config, Some(0.64), &[1.0, 2.0, 4.0]).unwrap();
    assert!(note.contains("shrinks about 20% per layer"), "{note}");
    assert!(
        note.contains("shrinks about 50% per layer toward the input (a factor 0.500 per layer from layer 3 to layer 1)"),
        "{note}"
    );

    let (config, _) = setting("act=gelu&norm=layer");
    let note = grads_slope_note(&config, None, &[2.0, 1.0]).unwrap();
    assert!(
        note.starts_with("LayerNorm") && note.contains("a factor 2.000 per layer"),
        "{note}"
    );
    let (config, _) = setting("act=gelu&norm=batch");
    assert!(grads_slope_note(&config, None, &[2.0, 1.0]).is_none());
}

/// Issue 11: the stats panel names what its two lines are, before or after the normalization.
#[test]
fn stats_lines_say_where_the_normalization_is() {
    let (config, _) = setting("norm=batch");
    let t = stats_quantities(&config);
    assert!(
        t.contains("h after the BatchNorm") && t.contains("x = φ(h)"),
        "{t}"
    );
    let (config, _) = setting("norm=group&groups=4&norm_at=post");
    let t = stats_quantities(&config);
    assert!(
        t.contains("raw pre-activations h") && t.contains("x = GroupNorm (4 groups)(φ(h))"),
        "{t}"
    );
    let (config, _) = setting("norm_at=post");
    assert!(!stats_quantities(&config).contains("after"));
}

/// BatchNorm after the activation gets the measured factor without Yang et al.'s claim, which
/// is about BatchNorm before it; LayerNorm after it names phi(h) as what it divides.
#[test]
fn norm_notes_follow_the_placement() {
    let (config, _) = setting("act=tanh&norm=batch&norm_at=post");
    let note = grads_note(&config, &[1.0, 2.0, 4.0]).unwrap();
    assert!(
        !note.contains("Yang") && note.contains("0.250× from layer 3 to layer 1"),
        "{note}"
    );
    let (config, _) = setting("norm=layer&norm_at=post");
    let note = grads_slope_note(&config, None, &[]).unwrap();
    assert!(note.contains("standard deviation of φ(h)"), "{note}");
}

/// The theory caveat names every normalization and where it sits; Yang et al.'s BatchNorm claim
/// only where it applies (BatchNorm before the activation); orthogonal weights keep theirs. It
/// says which prediction is drawn: restarting from q = 1 before the activation, q = sigma_w^2 +
/// sigma_b^2 after it (2 for He, 1.25 for LeCun with sb = 0.5), none for groups too small,
/// the stream's growth for residual blocks.
#[test]
fn the_theory_caveat_follows_the_normalization() {
    for (query, expected) in [
        (
            "norm=group",
            "With GroupNorm every layer's pre-activations are reset to mean 0 and variance 1 per example",
        ),
        (
            "norm=rms",
            "With RMSNorm every layer's pre-activations are reset to mean square 1",
        ),
        (
            "norm=batch&norm_at=post",
            "With BatchNorm every layer's outputs (after the activation) are reset to mean 0",
        ),
        ("norm=batch", "Yang et al. 2019"),
        ("norm=layer", "the prediction restarts from q = 1 at every layer"),
        (
            "norm=layer&norm_at=post&init=he_normal",
            "from layer 2 on every layer's pre-activations have q = σ_w² + σ_b² = 2:",
        ),
        (
            "norm=rms&norm_at=post&sb=0.5",
            "q = σ_w² + σ_b² = 1.25:",
        ),
        ("norm=group&groups=64&width=128", "groups of 2 units, fewer than 16"),
        ("norm=group&groups=128&width=128", "(h − h)/√ε = 0"),
        ("norm=layer&width=8", "groups of 8 units, fewer than 16"),
        ("arch=residual", "q_in = the stream's second moment"),
        ("arch=residual&norm=layer", "q_in = 1 after LayerNorm"),
        ("arch=residual&norm=batch", "BatchNorm couples the examples"),
    ] {
        let (_, t) = setting(query);
        let caveat = t.caveat.unwrap();
        assert!(caveat.contains(expected), "{query}: {caveat}");
        assert_eq!(caveat.contains("Yang"), query == "norm=batch", "{query}");
        // A prediction is drawn exactly where the caveat says so.
        assert_eq!(
            t.layers.is_some(),
            caveat.contains("dotted green lines show"),
            "{query}: {caveat}"
        );
        assert!(!t.classic, "{query}");
    }
    let (_, t) = setting("init=orthogonal");
    assert!(t.caveat.unwrap().contains("same variance"));
    assert!(t.classic);
}

/// Issue 13, honest waiting. 2 s for 10% of the work is 20 s in all, 18 s left ("about 20 s");
/// 100 layers in 20 s is 0.2 s a layer, so 5 layers take about a second. At depth 10 the same is
/// 2 s a layer: only a smaller batch or width helps. Short runs get no word.
#[test]
fn long_runs_say_how_long_and_what_would_be_live() {
    let (config, _) = setting("depth=100&batch=4096&width=1024");
    let text = waiting_text(&config, 0.1, 2000.0).unwrap();
    assert!(text.starts_with("About 20 s left"), "{text}");
    assert!(
        text.contains("depth = 5 instead of 100 would take about a second"),
        "{text}"
    );
    // 50% in 4 s: 4 s left, no word.
    assert_eq!(waiting_text(&config, 0.5, 4000.0), None);
    let (config, _) = setting("depth=10&batch=4096&width=1024");
    let text = waiting_text(&config, 0.1, 2000.0).unwrap();
    assert!(
        text.contains("one layer takes about 2.000 s at batch 4096 and width 1024"),
        "{text}"
    );
    assert_eq!(duration_words(5.0), None);
    assert_eq!(duration_words(300.0).as_deref(), Some("about 5 min"));
}

/// Residual blocks (issue 11): the captions say what is plotted (the branch's h, the stream x,
/// with s = 1/sqrt(50) = 0.141), and the gradient statement's claim is checked on simulated
/// runs: ReLU with LeCun weights, which vanishes in a plain stack of 60 layers, does not in
/// residual blocks, with or without LayerNorm (the stream's gradient reaches every block).
#[test]
fn residual_captions_say_what_is_plotted_and_hold() {
    let (config, _) = setting("arch=residual&res_scale_rule=inv_sqrt_depth&norm=layer");
    let q = stats_quantities(&config);
    assert!(
        q.contains("h = LayerNorm(x)·W + b") && q.contains("s = 0.141"),
        "{q}"
    );
    assert!(corr_quantity(&config).contains("residual streams"));
    assert!(hist_relu_note(&config).contains("stream"));
    for query in [
        "arch=residual&act=relu&init=lecun_normal&depth=60&width=64&batch=32",
        "arch=residual&act=relu&init=lecun_normal&depth=60&width=64&batch=32&norm=layer",
    ] {
        let (config, _) = setting(query);
        let sim = lab_core::sim::Simulation::run(config).unwrap();
        let grad_rms: Vec<f64> = sim.stats().iter().map(|s| s.grad_rms).collect();
        assert!(grad_rms[0] >= grad_rms[59], "{query}: {grad_rms:?}");
        let note = grads_slope_note(&config, None, &grad_rms).unwrap();
        assert!(note.contains("does not vanish"), "{note}");
        assert!(note.contains("In this run it grows"), "{query}: {note}");
        assert_eq!(grads_note(&config, &grad_rms), None);
    }
    let (plain, _) = setting("act=relu&init=lecun_normal&depth=60&width=64&batch=32");
    let sim = lab_core::sim::Simulation::run(plain).unwrap();
    assert!(sim.stats()[0].grad_rms < 1e-3 * sim.stats()[59].grad_rms);
    let (zero, _) = setting("arch=residual&res_scale=0");
    assert!(grads_slope_note(&zero, None, &[])
        .unwrap()
        .contains("every block is the identity"));
    assert!(hist_relu_note(&zero).contains("it is the input at every block"));
    let (config, t) = setting("arch=residual&norm=layer");
    let map = lab_core::theory::MapArrows::of(&t, &config.activation);
    assert!(map_note(&config, &t, &map).contains("the residual network's stream"));
}
