//! Every sentence the page shows that depends on the setting, computed for the current setting
//! from the theory (lab_core::theory) or the simulation: the theory table's rows, the phase
//! label, the per-activation notes and the captions of the activation, grads, corr, map and
//! phase panels. Pure functions of plain data, tested natively; docs/claims.md lists every
//! claim with its source and its test.

use lab_core::theory::{
    gain_and_sb, LayerFixedPoint, LengthFixedPoint, MapArrows, MeanField, Phase, TheorySummary,
};
use lab_core::{Activation, ActivationKind, Config, Normalization};

/// chi_1 up to this counts as "weakly" chaotic: the gradient RMS grows by at most 5% per layer.
const WEAKLY_CHAOTIC: f64 = 1.1025;

/// A number for prose: 0 (or round-off below 1e-12 around it, as [`fmt3`] treats it) as "0",
/// otherwise [`fmt3`].
/// A number for a sentence: three decimals, or two significant digits in scientific
/// notation when very small or large; round-off around an exact zero reads as 0.
pub fn fmt3(v: f64) -> String {
    if v.is_nan() {
        return "undefined".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "∞" } else { "−∞" }.to_string();
    }
    // Round-off around an exact zero (3e-16 for a mean that is 0) reads as 0.
    let v = if v.abs() < 1e-12 { 0.0 } else { v };
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e4) {
        format!("{v:.2e}")
    } else {
        format!("{v:.3}")
    }
}

pub fn num(v: f64) -> String {
    if v.abs() < 1e-12 {
        "0".to_string()
    } else {
        fmt3(v)
    }
}

/// Per-layer percentage change of the gradient RMS, sqrt(chi_1) - 1, as "3.5%".
fn percent_per_layer(chi1: f64) -> String {
    format!("{:.1}%", (chi1.sqrt() - 1.0).abs() * 100.0)
}

/// The phase of the table, with what it means at this setting (issue 14, items 1, 2, 15).
pub fn phase_label(mf: &MeanField, kind: ActivationKind) -> String {
    let root = mf.chi1.sqrt();
    match (mf.length, mf.phase) {
        _ if mf.every_q_fixed && mf.every_c_fixed => {
            "neutral: every variance and every correlation is a fixed point, so nothing is pulled back or pushed away; the simulated variance wanders with the finite-width noise".to_string()
        }
        _ if mf.every_q_fixed => format!(
            "neutral: every q is a fixed point, so q stays at the first layer's q¹ = {} (up to finite-width noise) and gradients keep their size (χ₁ = 1)",
            fmt3(mf.q_first)
        ),
        (LengthFixedPoint::Collapses, Phase::Critical) => "critical only in the limit q → 0: χ₁ → 1 as the signal fades, so the signal and the gradients decay, slowly (not exponentially), rather than propagate: not the edge of chaos with a live signal".to_string(),
        (LengthFixedPoint::Collapses, _) => format!(
            "ordered and collapsing: q → 0, and the gradient RMS is multiplied by about {} per layer",
            fmt3(root)
        ),
        (LengthFixedPoint::Diverges, _) => format!(
            "exploding: q grows without bound, and the gradient RMS is multiplied by about {} per layer (χ₁'s limit for large q)",
            fmt3(root)
        ),
        (_, Phase::Ordered) => format!(
            "ordered: nearby inputs become perfectly correlated (c → 1) and the gradient RMS is multiplied by {} per layer",
            fmt3(root)
        ),
        (_, Phase::Critical) => {
            "critical (edge of chaos): χ₁ = 1 at q*, where signals and gradients propagate deepest".to_string()
        }
        (_, Phase::Chaotic) if mf.chi1 <= WEAKLY_CHAOTIC => {
            let extra = if kind == ActivationKind::Selu {
                "; the SNN paper's guarantee is about the forward pass"
            } else {
                ""
            };
            format!(
                "weakly chaotic: the backward signal grows about {} per layer{extra}",
                percent_per_layer(mf.chi1)
            )
        }
        (_, Phase::Chaotic) => format!(
            "chaotic: nearby inputs decorrelate (c → c* < 1) and the gradient RMS is multiplied by {} per layer",
            fmt3(root)
        ),
    }
}

/// One row of the theory table: the quantity, its value, and what it is in one line.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub name: &'static str,
    pub value: String,
    pub meaning: &'static str,
}

/// The theory table for this setting: empty with a normalization layer or residual blocks (the
/// theory of random plain un-normalized networks does not apply; the caveat says so), otherwise q¹, q*, χ₁, ξ_q, ξ_c,
/// c* and the phase, each explained.
pub fn theory_rows(t: &TheorySummary, kind: ActivationKind) -> Vec<Row> {
    if !t.classic {
        return Vec::new();
    }
    let mf = &t.mean_field;
    let q_star = match mf.length {
        _ if mf.every_q_fixed => format!("every q (stays at q¹ = {})", fmt3(mf.q_first)),
        LengthFixedPoint::Finite(q) if mf.neutral => format!("{} (neutral: slope 1)", fmt3(q)),
        LengthFixedPoint::Finite(q) => fmt3(q),
        LengthFixedPoint::Collapses => "none (q collapses to 0)".to_string(),
        LengthFixedPoint::Diverges => "none (q grows without bound)".to_string(),
    };
    let chi1 = match mf.length {
        LengthFixedPoint::Collapses => format!("{} (its limit as q → 0)", fmt3(mf.chi1)),
        LengthFixedPoint::Diverges => format!("{} (its limit as q → ∞)", fmt3(mf.chi1)),
        LengthFixedPoint::Finite(_) => fmt3(mf.chi1),
    };
    let c_star = if mf.every_c_fixed {
        "none: every c is a fixed point (the correlation map is the identity)".to_string()
    } else if mf.c_star.is_nan() {
        "none (no finite q*)".to_string()
    } else {
        fmt3(mf.c_star)
    };
    let scale = |v: f64| {
        if v.is_nan() {
            "undefined (no finite q*)".to_string()
        } else {
            fmt3(v)
        }
    };
    vec![
        Row {
            name: "σ_w², σ_b²",
            value: format!("{}, {}", fmt3(t.sigma_w2), fmt3(t.sigma_b2)),
            meaning: "weight variance × fan_in and bias variance of this setting",
        },
        Row {
            name: "first layer q¹",
            value: fmt3(mf.q_first),
            meaning: "second moment of layer 1's pre-activations, σ_w² (in_mean² + in_std²) + σ_b²: where the length map starts",
        },
        Row {
            name: "fixed point q*",
            value: q_star,
            meaning: "the pre-activation variance the layers settle at under the length map q ↦ σ_w² E[φ(√q z)²] + σ_b²",
        },
        Row {
            name: "χ₁ = σ_w² E[φ′(√q* z)²]",
            value: chi1,
            meaning: "factor per layer of the mean squared gradient (the RMS changes by √χ₁), and the slope of the correlation map at c = 1",
        },
        Row {
            name: "depth scale ξ_q",
            value: scale(mf.xi_q),
            meaning: "layers over which q approaches q*, or collapses to 0 (as e^(−l/ξ_q)); ∞: no exponential approach",
        },
        Row {
            name: "depth scale ξ_c",
            value: if mf.every_c_fixed {
                "undefined (every c is a fixed point)".to_string()
            } else {
                scale(mf.xi_c)
            },
            meaning: "layers over which two inputs' correlation approaches c*; networks train up to about 6 ξ_c layers (Schoenholz et al. 2017)",
        },
        Row {
            name: "correlation fixed point c*",
            value: c_star,
            meaning: "the correlation that any two different inputs' pre-activations settle at",
        },
        Row {
            name: "phase",
            value: phase_label(mf, kind),
            meaning: "by χ₁: < 1 ordered, = 1 critical, > 1 chaotic",
        },
    ]
}

/// The activation panel's general sentence, with the weights (issue 14, item 6).
pub fn activation_caption(config: &Config, t: Option<&TheorySummary>) -> String {
    let general = "Every layer multiplies a small change flowing backward by f′ and by the weights: the mean squared gradient changes per layer by χ₁ = σ_w² E[f′(h)²] (Poole et al. 2016), so |f′| < 1 alone does not make signals shrink (ReLU has |f′| ≤ 1, yet with He weights its gradients hold).";
    match t {
        Some(t) if config.norm == Normalization::None => format!(
            "{general} At this setting σ_w² = {} and χ₁ = {}: {}.",
            fmt3(t.sigma_w2),
            fmt3(t.mean_field.chi1),
            trend(&t.mean_field)
        ),
        _ => general.to_string(),
    }
}

/// What chi_1 says about the gradients, with the limits named when q collapses or diverges.
fn trend(mf: &MeanField) -> &'static str {
    match (mf.length, mf.phase) {
        (LengthFixedPoint::Collapses, Phase::Critical) => {
            "χ₁ → 1 only as the signal fades (q → 0), and the gradients decay with it, slowly"
        }
        (LengthFixedPoint::Collapses, _) => {
            "the signal collapses and gradients shrink toward the input"
        }
        (LengthFixedPoint::Diverges, _) => {
            "the signal explodes and gradients grow toward the input"
        }
        _ => gradient_trend(mf.chi1),
    }
}

fn gradient_trend(chi1: f64) -> &'static str {
    match Phase::of_chi1(chi1) {
        Phase::Ordered => "gradients shrink toward the input",
        Phase::Critical => "gradients keep their size",
        Phase::Chaotic => "gradients grow toward the input",
    }
}

/// The gain that gives sigma_w^2 = 2 / (1 + s^2) (leaky ReLU's variance-preserving weight
/// variance) with this configuration's initializer and width.
pub fn leaky_matching_gain(config: &Config) -> f64 {
    let s = f64::from(config.activation.slope);
    gain_and_sb(config, 2.0 / (1.0 + s * s), 0.0).0
}

/// What to look for in the activation panel, for the activation and the setting
/// (docs/science.md#activations; issue 14, items 5, 7, 12, 14).
pub fn activation_note(config: &Config, t: Option<&TheorySummary>) -> String {
    let act = config.activation;
    let chi1_here = t
        .filter(|_| config.norm == Normalization::None)
        .map(|t| &t.mean_field);
    match act.kind {
        ActivationKind::Selu => "SELU's slope λ ≈ 1.0507 above 0 and its floor at −λα ≈ −1.758 below: stretching small values and squashing large negative ones is what pulls the mean back to 0 and the variance back to 1 under LeCun normal weights.".to_string(),
        ActivationKind::Relu => "f′ is 1 for positive inputs and 0 otherwise: half of a zero-mean input is cut away, so each layer keeps only half of the second moment. Without bias, LeCun weights (variance 1/fan_in) therefore halve it every layer; He weights (2/fan_in) make up for exactly that.".to_string(),
        ActivationKind::LeakyRelu => {
            let s = f64::from(act.slope);
            format!(
                "Like ReLU, but negative inputs keep a small slope s, so no unit is ever completely dead. The weight variance that keeps the signal's size is σ_w² = 2/(1 + s²) = {}; with {} that takes gain {} (PyTorch's gain sqrt(2/(1 + s²)) assumes LeCun's 1/fan_in; with He's 2/fan_in it is 1/sqrt(1 + s²)).",
                fmt3(2.0 / (1.0 + s * s)),
                config.init.label(),
                fmt3(leaky_matching_gain(config))
            )
        }
        ActivationKind::Elu => "ELU has SELU's shape (α(eˣ − 1) below 0) but not its scale: with α = 1 it never stretches, so under LeCun weights the variance decays layer after layer. ELU is not self-normalizing; only (λ, α) pairs that satisfy the two fixed-point conditions (the Derive panel: SELU's for ν* = 1, others for other ν*) are.".to_string(),
        ActivationKind::Gelu => "GELU = x·Φ(x): the input weighted by the chance that a standard normal is below it. It is deterministic (the expectation of a random 0/1 mask, not a random function) and dips to −0.170 at x ≈ −0.752. PyTorch's GELU is this exact form unless approximate='tanh'.".to_string(),
        ActivationKind::GeluTanh => format!(
            "The tanh approximation of GELU differs from the exact erf form by at most {}: tick the difference toggle to see it. jax.nn.gelu uses this approximation by default; PyTorch and TensorFlow default to the exact form.",
            gelu_difference_text()
        ),
        ActivationKind::Silu => "SiLU/Swish = x·sigmoid(βx) dips to −0.278 at x ≈ −1.278 (β = 1). Like GELU it is smooth and not monotonic, and it is not self-normalizing: under LeCun weights the signal shrinks toward 0.".to_string(),
        ActivationKind::Tanh => format!(
            "tanh is odd with f′(0) = 1: small signals pass unchanged, large ones saturate. At σ_w² = 1 without bias χ₁ → 1 only as the signal fades (q → 0, slowly); with bias the edge of chaos moves to larger σ_w² (the phase map), and larger gains push tanh into the chaotic phase.{}",
            chi1_here
                .map(|mf| format!(" Here χ₁ = {}: {}.", fmt3(mf.chi1), trend(mf)))
                .unwrap_or_default()
        ),
        ActivationKind::Sigmoid => format!(
            "The sigmoid's slope is at most 1/4 and its outputs are all positive: from layer 1 on the post-activation mean is 1/2, not 0. Per layer the mean squared gradient changes by χ₁ = σ_w² E[σ′(h)²] ≤ σ_w²/16, so gradients shrink by at least 4× per layer only for σ_w² ≤ 1; larger weights can make them grow.{}",
            chi1_here
                .map(|mf| format!(" Here χ₁ = {}: {}.", fmt3(mf.chi1), trend(mf)))
                .unwrap_or_default()
        ),
        ActivationKind::Softplus => "softplus ln(1 + eˣ) is a smooth ReLU whose outputs are all positive; its derivative is the sigmoid.".to_string(),
        ActivationKind::Mish => "Mish = x·tanh(softplus(x)) is smooth and not monotonic like SiLU, and dips to −0.309 at x ≈ −1.192. It is not self-normalizing: under LeCun weights the signal shrinks toward 0.".to_string(),
        ActivationKind::Celu => "CELU = max(0, x) + min(0, α(e^(x/α) − 1)) rescales ELU's negative branch so that its slope is 1 on both sides of 0 for every α: continuously differentiable. α = 1 is ELU; α → 0 is ReLU.".to_string(),
        ActivationKind::Linear => "With no nonlinearity the network is one matrix product: without bias the variance is multiplied by σ_w² each layer, so anything but σ_w² = 1 vanishes or explodes; at σ_w² = 1 every variance and every correlation is a fixed point (neutral, nothing pulls them back), and orthogonal weights at gain 1 preserve every input's length exactly.".to_string(),
        // An activation added to the core's table without a note here: the panel says only
        // what the caption computes.
        #[allow(unreachable_patterns)]
        _ => String::new(),
    }
}

/// The extrema of GELU exact minus its tanh approximation for x > 0 (the difference is even):
/// (x, difference) at the trough and the peak, by bisection on the difference of the
/// derivatives between sign changes found on a 0.01 grid over (0, 8].
pub fn gelu_difference_extrema() -> Vec<(f64, f64)> {
    let exact = Activation::new(ActivationKind::Gelu);
    let approx = Activation::new(ActivationKind::GeluTanh);
    let d = |x: f64| exact.f64(x) - approx.f64(x);
    let slope = |x: f64| exact.df64(x) - approx.df64(x);
    let mut out = Vec::new();
    let step = 0.01;
    for i in 1..800 {
        let (mut a, mut b) = (i as f64 * step, (i + 1) as f64 * step);
        if slope(a).signum() == slope(b).signum() {
            continue;
        }
        for _ in 0..60 {
            let m = 0.5 * (a + b);
            if slope(m).signum() == slope(a).signum() {
                a = m;
            } else {
                b = m;
            }
        }
        let x = 0.5 * (a + b);
        if d(x).abs() > 1e-5 {
            out.push((x, d(x)));
        }
    }
    out.sort_by(|p, q| p.1.total_cmp(&q.1));
    out
}

/// "−4.73e-4 at |x| = 2.699 (the tanh form is larger there) and +2.34e-4 at |x| = 1.365".
pub fn gelu_difference_text() -> String {
    let ext = gelu_difference_extrema();
    let part = |(x, d): (f64, f64)| format!("{:+.2e} at |x| = {:.3}", d, x);
    match (ext.first(), ext.last()) {
        (Some(&lo), Some(&hi)) if lo.1 < 0.0 && hi.1 > 0.0 => format!(
            "{} (a trough: the tanh form is larger there), with a second extremum of {}",
            part(lo),
            part(hi)
        ),
        _ => "about 5e-4".to_string(),
    }
}

/// The grads panel's note on the current run (issue 14, item 9): with BatchNorm, how much the
/// simulated gradient RMS grew from the last layer to the first.
pub fn grads_note(config: &Config, grad_rms: &[f64]) -> Option<String> {
    // Residual blocks have their own statement ([`grads_slope_note`]).
    if config.norm != Normalization::Batch || config.is_residual() {
        return None;
    }
    let (first, last) = (grad_rms.first()?, grad_rms.last()?);
    if !(first.is_finite() && last.is_finite() && *last > 0.0) || grad_rms.len() < 2 {
        return None;
    }
    let growth = first / last;
    let layers = grad_rms.len() - 1;
    let measured = format!(
        "Here the gradient RMS changes {}× from layer {} to layer 1, a factor {} per layer.",
        fmt3(growth),
        grad_rms.len(),
        fmt3(growth.powf(1.0 / layers as f64))
    );
    Some(if config.norm_at == lab_core::NormAt::Post {
        // Yang et al.'s result is about BatchNorm on h, before the activation.
        format!("BatchNorm after the activation fixes the statistics of x, not the backward pass. {measured}")
    } else {
        format!(
            "BatchNorm fixes the forward statistics, not the backward pass: at initialization its gradients grow toward the input (Yang et al. 2019, a mean-field theory of batch normalization: normalizing by the batch's own statistics couples the examples, and the backward pass through every BatchNorm layer amplifies the gradient). {measured}"
        )
    })
}

/// How a per-layer factor f of the backward RMS reads: "grows about 3.5% per layer",
/// "shrinks about 12% per layer" or "keeps its size" (within 0.05%).
fn per_layer_words(f: f64) -> String {
    let pct = (f - 1.0).abs() * 100.0;
    let amount = if pct >= 9.95 {
        format!("{pct:.0}%")
    } else {
        format!("{pct:.1}%")
    };
    if pct < 0.05 {
        "keeps its size from layer to layer".to_string()
    } else if f > 1.0 {
        format!("grows about {amount} per layer")
    } else {
        format!("shrinks about {amount} per layer")
    }
}

/// The simulated per-layer factor of the backward RMS from the last layer to layer 1,
/// (rms_1 / rms_L)^(1 / (L - 1)), when both ends are finite and positive.
fn simulated_factor(grad_rms: &[f64]) -> Option<f64> {
    let (first, last) = (*grad_rms.first()?, *grad_rms.last()?);
    (grad_rms.len() >= 2 && first.is_finite() && last.is_finite() && first > 0.0 && last > 0.0)
        .then(|| (first / last).powf(1.0 / (grad_rms.len() - 1) as f64))
}

/// The grads panel's statement on the slope at this setting (issue 15: the text follows the
/// settings): the mean-field factor sqrt(chi_1) per layer toward the input when the theory
/// covers the setting (`chi1`, no normalization), and what the simulation shows. BatchNorm has
/// its own note ([`grads_note`]); LayerNorm gets the simulated factor with what the layer does.
pub fn grads_slope_note(config: &Config, chi1: Option<f64>, grad_rms: &[f64]) -> Option<String> {
    let simulated = simulated_factor(grad_rms).map(|f| {
        format!(
            "In this run it {} toward the input (a factor {} per layer from layer {} to layer 1).",
            per_layer_words(f),
            fmt3(f),
            grad_rms.len()
        )
    });
    if config.is_residual() {
        return Some(if config.branch_scale() == 0.0 {
            "With s = 0 every block is the identity: the branches add nothing to the stream and receive no gradient (∂L/∂h = s·φ'(h)·∂L/∂x = 0).".to_string()
        } else {
            format!(
                "Residual blocks: through the skip connections the stream's gradient reaches every block whole, and each branch adds its own part on the way down (∂L/∂x^(l−1) = ∂L/∂x^l + the branch's share), so the plotted ∂L/∂h = s·φ'(h)·∂L/∂x^l does not vanish toward the input the way a deep plain stack's can. {}",
                simulated.unwrap_or_default()
            )
        });
    }
    // What the normalization sees: h, or phi(h) when it sits after the activation.
    let what = if config.norm_at == lab_core::NormAt::Post {
        "φ(h)"
    } else {
        "h"
    };
    match config.norm {
        Normalization::Batch => None,
        Normalization::Layer => Some(format!(
            "LayerNorm fixes each example's forward statistics; backward, it divides by that example's standard deviation of {what} and removes the components along the mean and along the normalized vector, so nothing holds the gradient's size fixed. {}",
            simulated.unwrap_or_default()
        )),
        Normalization::Group if config.groups == config.width => Some(format!(
            "GroupNorm with one unit per group sets every {what} to exactly 0 (each unit minus its own mean), so the network forgets its input and no gradient reaches the layers below."
        )),
        Normalization::Group => Some(format!(
            "GroupNorm does LayerNorm's work on each of its {} groups of {} units: backward, it divides by each group's standard deviation and removes, per group, the components along the mean and along the normalized vector. {}",
            config.groups,
            config.width / config.groups.max(1),
            simulated.unwrap_or_default()
        )),
        Normalization::Rms => Some(format!(
            "RMSNorm divides each example by its root mean square and does not centre it: backward, it divides by that root mean square and removes only the component along the normalized vector. {}",
            simulated.unwrap_or_default()
        )),
        Normalization::None => {
            let theory = chi1.filter(|c| c.is_finite() && *c > 0.0).map(|c| {
                format!(
                    "Mean-field theory at this setting: χ₁ = {}, so the backward RMS {} toward the input (a factor √χ₁ = {}).",
                    fmt3(c),
                    per_layer_words(c.sqrt()),
                    fmt3(c.sqrt())
                )
            });
            let text = [theory, simulated].into_iter().flatten().collect::<Vec<_>>().join(" ");
            (!text.is_empty()).then_some(text)
        }
    }
}

/// A normalization's short name ("BatchNorm", "GroupNorm (8 groups)", ...).
pub fn norm_name(config: &Config) -> String {
    match config.norm {
        Normalization::None => "no normalization".to_string(),
        Normalization::Batch => "BatchNorm".to_string(),
        Normalization::Layer => "LayerNorm".to_string(),
        Normalization::Group => format!("GroupNorm ({} groups)", config.groups),
        Normalization::Rms => "RMSNorm".to_string(),
    }
}

/// What the stats panel's two lines are at this setting (issue 11: the panels say which
/// quantities are before and after the normalization).
pub fn stats_quantities(config: &Config) -> String {
    let name = norm_name(config);
    if config.is_residual() {
        let input = if config.norm == Normalization::None {
            "x".to_string()
        } else {
            format!("{name}(x)")
        };
        return format!(
            "of each residual branch's pre-activations h = {input}·W + b (dashed) and of the residual stream x ← x + s·φ(h) after each block (solid; branch scale s = {})",
            fmt3(f64::from(config.branch_scale()))
        );
    }
    match (config.norm, config.norm_at) {
        (Normalization::None, _) => {
            "of the pre-activations h (dashed) and of the post-activations x = φ(h) (solid)"
                .to_string()
        }
        (_, lab_core::NormAt::Pre) => format!(
            "of the pre-activations h after the {name} (dashed) and of the post-activations x = φ(h) (solid)"
        ),
        (_, lab_core::NormAt::Post) => format!(
            "of the raw pre-activations h (dashed; the {name} comes after the activation) and of the post-activations x = {name}(φ(h)) (solid)"
        ),
    }
}

/// What the corr panel's blue line is at this setting: the cosine of the pairs' (normalized)
/// pre-activations in a plain stack, of their residual streams in a residual network.
pub fn corr_quantity(config: &Config) -> &'static str {
    if config.is_residual() {
        "Blue: the cosine similarity of each pair's residual streams x after each block, averaged over the pairs."
    } else if config.norm != Normalization::None && !config.norm_after_activation() {
        "Blue: the cosine similarity of each pair's normalized pre-activations h, averaged over the pairs."
    } else {
        "Blue: the cosine similarity of each pair's pre-activations h, averaged over the pairs."
    }
}

/// The hist panel's remark on ReLU at this setting: half of every layer's values at exactly 0
/// in a plain stack with ReLU last; not for residual streams or a normalization after ReLU.
pub fn hist_relu_note(config: &Config) -> &'static str {
    if config.is_residual() && config.branch_scale() == 0.0 {
        "In a residual network each column is the stream x after a block, x + s·φ(h); with s = 0 it is the input at every block."
    } else if config.is_residual() {
        "In a residual network each column is the stream x after a block, x + s·φ(h), not φ(h) itself: every branch adds its spread to the stream, and with ReLU, whose outputs are never negative, the stream's mean climbs block by block."
    } else if config.norm_after_activation() {
        "With the normalization after the activation each column is norm(φ(h)): ReLU's zeros are normalized with the rest; the centring ones (BatchNorm, LayerNorm, GroupNorm) move them below 0, RMSNorm keeps them at 0."
    } else {
        "ReLU piles about half of every layer's values at exactly 0 (the pre-activations are symmetric about 0 over the units, whatever the weights)."
    }
}

/// A wait of `secs` seconds in words when it is at least 10 s: "about 40 s", "about 3 min",
/// "about 2.5 h" (None below 10 s, or for a non-finite wait).
pub fn duration_words(secs: f64) -> Option<String> {
    if !secs.is_finite() || secs < 10.0 {
        None
    } else if secs < 90.0 {
        Some(format!("about {:.0} s", (secs / 10.0).round() * 10.0))
    } else if secs < 90.0 * 60.0 {
        Some(format!("about {:.0} min", (secs / 60.0).round()))
    } else {
        Some(format!("about {:.1} h", secs / 3600.0))
    }
}

/// The status line's honest wait (issue 13): once a run has worked for `elapsed_ms` (at least
/// 1.5 s) and done the fraction `progress` of its work (from the flop estimates), the time left
/// at the measured speed, when that is 10 s or more, and what would be live. Every layer costs
/// the same at a given batch and width, so the measured time per layer says how many layers take
/// about a second; when one layer alone takes longer, only a smaller batch or width helps.
pub fn waiting_text(config: &Config, progress: f64, elapsed_ms: f64) -> Option<String> {
    if !(progress > 1e-4 && progress < 1.0 && elapsed_ms >= 1500.0) {
        return None;
    }
    let total_s = elapsed_ms / 1000.0 / progress;
    let left = duration_words(total_s * (1.0 - progress))?;
    let per_layer = total_s / config.depth.max(1) as f64;
    let offer = if per_layer <= 1.0 {
        let depth = ((1.0 / per_layer).floor() as usize).clamp(1, config.depth);
        format!(
            "depth = {depth} instead of {} would take about a second at this batch and width.",
            config.depth
        )
    } else {
        format!(
            "one layer takes about {} s at batch {} and width {}: a smaller batch or width computes faster.",
            fmt3(per_layer),
            config.batch,
            config.width
        )
    };
    let mut left = left;
    left[..1].make_ascii_uppercase();
    Some(format!(
        "{left} left at this computer's measured speed; {offer}"
    ))
}

/// The corr panel's statement for this setting (issue 14, item 10): what the prediction does
/// and why, from the mean field and the predicted c^l (`predicted`, layers 1, 2, ...).
pub fn corr_note(t: &TheorySummary, predicted: &[f64]) -> String {
    if !t.classic {
        return "The mean-field correlation map describes plain networks without normalization; with a normalization layer or residual blocks it does not apply, so no prediction is drawn.".to_string();
    }
    let mf = &t.mean_field;
    let end = predicted
        .iter()
        .rposition(|c| c.is_finite())
        .map(|i| {
            format!(
                " The prediction reaches c = {} at layer {}.",
                fmt3(predicted[i]),
                i + 1
            )
        })
        .unwrap_or_default();
    let body = match mf.length {
        _ if mf.every_c_fixed => "Here the correlation map is the identity (a linear network without bias): every pair keeps its correlation, and none is pulled anywhere.".to_string(),
        LengthFixedPoint::Collapses => format!(
            "Here q collapses to 0, so χ₁ = {} (its limit as q → 0) measures a shrinking scale, not a loss of distinctness: what c does depends on the activation near 0 (one that is linear there, like GELU or SiLU ≈ x/2, freezes the correlations).",
            fmt3(mf.chi1)
        ),
        LengthFixedPoint::Diverges => "Here q grows without bound, so the fixed-point picture does not apply; the dashed line follows the map layer by layer.".to_string(),
        LengthFixedPoint::Finite(_) => match mf.phase {
            Phase::Ordered => format!("Here the phase is ordered (χ₁ = {}): every pair becomes perfectly correlated (c → 1), and the network can no longer tell inputs apart.", fmt3(mf.chi1)),
            Phase::Critical => "Here χ₁ = 1 (the edge of chaos): the approach to c* = 1 is slowest, so information survives deepest.".to_string(),
            Phase::Chaotic => format!("Here the phase is chaotic (χ₁ = {}): pairs decorrelate toward c* = {}.", fmt3(mf.chi1), fmt3(mf.c_star)),
        },
    };
    format!("{body}{end}")
}

/// The map panel's fixed-point sentence (issue 14, items 2 and 3): exact zeros as 0, a
/// neutral eigenvalue as exactly 1.
pub fn fixed_point_text(f: Option<&LayerFixedPoint>) -> String {
    let Some(f) = f else {
        return "No fixed point with positive variance reached from the first layer: the variance collapses to 0 or grows without bound.".to_string();
    };
    let ev = |(re, im): (f64, f64)| {
        if f.neutral && re == 1.0 && im == 0.0 {
            "1".to_string()
        } else if im == 0.0 {
            num(re)
        } else {
            format!("{} ± {}i", num(re), num(im.abs()))
        }
    };
    let verdict = if f.neutral {
        "neutral (an eigenvalue 1: the variance is neither pulled back nor pushed away)"
    } else if f.stable {
        "attracting (both inside the unit circle)"
    } else {
        "repelling (an eigenvalue outside the unit circle)"
    };
    format!(
        "Fixed point (mean, variance) = ({}, {}); Jacobian eigenvalues {} and {}: {}.",
        num(f.mean),
        num(f.var),
        ev(f.eigenvalues[0]),
        ev(f.eigenvalues[1]),
        verdict
    )
}

/// The map panel's "look for" for this setting (issue 14, item 8): Theorem 1's domain and
/// whether this setting is in it, and where the plotted arrows lead.
pub fn map_note(config: &Config, t: &TheorySummary, map: &MapArrows) -> String {
    let tau = t.sigma_w2;
    let is_selu = config.activation.kind == ActivationKind::Selu;
    let in_theorem = is_selu && (0.95..=1.1).contains(&tau) && t.sigma_b2 == 0.0;
    let theorem = format!(
        "Klambauer et al. 2017 (Theorem 1) prove an attracting fixed point near (0, 1) for SELU when μ ∈ [−0.1, 0.1], ν ∈ [0.8, 1.5], ω ∈ [−0.1, 0.1] and τ ∈ [0.95, 1.1]; here ω = 0 and τ = σ_w² = {}, {}.",
        fmt3(tau),
        if in_theorem {
            "inside that domain"
        } else if is_selu {
            "outside that domain (or with bias), so the theorem does not apply"
        } else {
            "but the activation is not SELU, so the theorem does not apply"
        }
    );
    let norm = if config.is_residual() {
        " The map describes a plain stack's layers; the blue line is the residual network's stream, which adds each block's output to what came before, so it does not follow the arrows."
    } else if config.norm == Normalization::None {
        ""
    } else {
        " The map describes layers without normalization; the blue line is the normalized network."
    };
    let paths = match (map.from_lowest, map.from_highest) {
        _ if map.all_converge() => match &map.fixed_point {
            Some(f) => format!(
                "On this plot every path leads to ({}, {}): the map depends on (μ, ν) only through s = σ_w²(ν + μ²) + σ_b², and the length map takes both ends of the plotted range of s to the same q*. That is a property of this map at this setting, wider than the theorem's domain.",
                num(f.mean),
                num(f.var)
            ),
            None => String::new(),
        },
        (LengthFixedPoint::Collapses, LengthFixedPoint::Collapses) => {
            "At this setting every path on this plot drains the variance toward 0.".to_string()
        }
        (LengthFixedPoint::Diverges, LengthFixedPoint::Diverges) => {
            "At this setting every path on this plot grows without bound.".to_string()
        }
        (LengthFixedPoint::Collapses, LengthFixedPoint::Diverges) => "At this setting small variances drain toward 0 and large ones grow without bound: an unstable fixed point separates them.".to_string(),
        (LengthFixedPoint::Finite(_), LengthFixedPoint::Finite(_)) => "At this setting the map is neutral: each path stops after one step at the point its own s = σ_w²(ν + μ²) + σ_b² gives (a line of fixed points), and nothing pulls it further.".to_string(),
        _ => "At this setting the paths on this plot end in different places, depending on where they start.".to_string(),
    };
    format!("{theorem} {paths}{norm}")
}

/// The phase panel's caption tail for the current setting (issue 14, items 4 and 13).
pub fn phase_note(t: &TheorySummary, jumps: bool) -> String {
    let mut out = String::from(
        "Each point of the map starts the length map at q = 1. For ReLU χ₁ = σ_w²/2 whatever q* is, so the line is vertical at σ_w² = 2 (He initialization) for every σ_b²; for tanh it bends from (1, 0) up to the right.",
    );
    if jumps {
        out.push_str(" Dashed: χ₁ jumps across 1 between neighbouring points because q* jumps: the layers collapse on one side and diverge on the other, and no point there has χ₁ = 1.");
    }
    if (t.mean_field.q_first - 1.0).abs() > 1e-9 && t.classic {
        out.push_str(&format!(
            " Your network starts at q¹ = {} (the table's numbers start there), which can differ where a jump is near.",
            fmt3(t.mean_field.q_first)
        ));
    }
    out
}

#[cfg(test)]
mod tests;
