//! The gallery of presets: named starting points for a lesson, each a link with its URL
//! parameters.

/// Named starting points for a lesson: each is a link with its URL parameters.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "SELU keeps (0, 1)",
        "?act=selu&init=lecun_normal&depth=100&width=256",
    ),
    (
        "SELU pulls an off-centre input back",
        "?act=selu&init=lecun_normal&in_mean=1&in_std=2",
    ),
    (
        "ReLU with LeCun init vanishes",
        "?act=relu&init=lecun_normal&depth=100&log_var=1",
    ),
    (
        "ReLU with He init holds",
        "?act=relu&init=he_normal&depth=100&log_var=1",
    ),
    (
        "ELU is not self-normalizing",
        "?act=elu&init=lecun_normal&depth=100&log_var=1",
    ),
    (
        "BatchNorm rescues ELU's forward pass (not its gradients)",
        "?act=elu&init=lecun_normal&depth=100&norm=batch",
    ),
    (
        "GELU exact vs tanh",
        "?act=gelu&gelu_diff=1&overlay=gelu_tanh,relu",
    ),
    (
        "tanh at the edge of chaos",
        "?act=tanh&init=lecun_normal&gain=1.327&sb=0.2236&depth=100",
    ),
    (
        "Linear with N(0, 1) weights explodes",
        "?act=linear&init=normal&depth=60",
    ),
    (
        "GroupNorm between LayerNorm and per-unit normalization",
        "?act=relu&init=he_normal&norm=group&groups=8&depth=50",
    ),
    (
        "RMSNorm does not centre",
        "?act=relu&init=he_normal&norm=rms&depth=50",
    ),
    (
        "BatchNorm after ReLU (the SNN paper's baseline)",
        "?act=relu&init=he_normal&norm=batch&norm_at=post&depth=50",
    ),
    (
        "Residual GELU with LayerNorm: the transformer's block",
        "?act=gelu&init=lecun_normal&arch=residual&norm=layer&depth=50",
    ),
    (
        "Residual without normalization explodes",
        "?act=relu&init=he_normal&arch=residual&depth=50&log_var=1",
    ),
    (
        "Dynamical isometry",
        "?act=tanh&init=orthogonal&gain=1.0421&sb=0.01&in_std=0.205&depth=100&width=256",
    ),
];

/// The Train section's comparisons: each a link whose `runs=` trains several networks side
/// by side on the same data, split, minibatch order and seed.
pub const TRAIN_PRESETS: &[(&str, &str)] = &[
    (
        "SNN vs BatchNorm, depth 8",
        "?task=digits&depth=8&width=64&opt=sgd&lr=0.05&momentum=0&steps=600&runs=act:selu,init:lecun_normal,norm:none;act:relu,init:he_normal,norm:batch",
    ),
    (
        "SNN vs BatchNorm, depth 16",
        "?task=digits&depth=16&width=64&opt=sgd&lr=0.05&momentum=0&steps=600&runs=act:selu,init:lecun_normal,norm:none;act:relu,init:he_normal,norm:batch",
    ),
    (
        "SNN vs BatchNorm, depth 32",
        "?task=digits&depth=32&width=64&opt=sgd&lr=0.05&momentum=0&steps=600&runs=act:selu,init:lecun_normal,norm:none;act:relu,init:he_normal,norm:batch",
    ),
    (
        "ReLU with LeCun weights cannot learn when deep",
        "?task=digits&depth=32&width=64&opt=sgd&lr=0.05&momentum=0&steps=600&runs=act:relu,init:lecun_normal;act:relu,init:he_normal",
    ),
    (
        "SELU with standard vs alpha dropout",
        "?task=digits&act=selu&init=lecun_normal&depth=16&width=64&opt=sgd&lr=0.05&momentum=0&steps=600&runs=dropout:standard,rate:0.1;dropout:alpha,rate:0.1;dropout:none",
    ),
    (
        "GELU with LayerNorm",
        "?task=spiral&noise=0.1&act=gelu&init=lecun_normal&depth=16&width=32&opt=adam&lr=0.003&steps=2000&runs=norm:layer;norm:none",
    ),
];

#[cfg(test)]
mod tests {
    use super::PRESETS;
    use crate::params::Params;
    use crate::theory_view::Theory;
    use lab_core::theory::Phase;

    #[test]
    fn presets_are_valid_links() {
        for (name, query) in PRESETS.iter().chain(super::TRAIN_PRESETS) {
            let (_, notices) = Params::from_query(query);
            assert!(notices.is_empty(), "{name}: {notices:?}");
        }
    }

    #[test]
    fn the_edge_of_chaos_preset_is_critical() {
        // docs/science.md#mean-field-theory: tanh's critical line passes through
        // (sigma_b^2, sigma_w^2) = (0.05, 1.761).
        let (_, query) = PRESETS
            .iter()
            .find(|p| p.0.contains("edge of chaos"))
            .unwrap();
        let (params, _) = Params::from_query(query);
        let theory = Theory::of(&params.config);
        assert!((theory.sigma_w2 - 1.761).abs() < 2e-3 && (theory.sigma_b2 - 0.05).abs() < 1e-4);
        assert_eq!(
            theory.mean_field.phase,
            Phase::Critical,
            "chi_1 = {}",
            theory.mean_field.chi1
        );
    }

    /// "Dynamical isometry": tanh at the edge of chaos with a small q* (sigma_b^2 = 1e-4, so
    /// the network works near tanh's linear part; Pennington, Schoenholz & Ganguli 2017) and an
    /// input at q*, so that chi_1 = 1 from the first layer on.
    #[test]
    fn the_dynamical_isometry_preset_is_critical_from_the_input_on() {
        let (_, query) = PRESETS
            .iter()
            .find(|p| p.0 == "Dynamical isometry")
            .unwrap();
        let (params, _) = Params::from_query(query);
        let theory = Theory::of(&params.config);
        assert_eq!(
            theory.mean_field.phase,
            Phase::Critical,
            "chi_1 = {}",
            theory.mean_field.chi1
        );
        let q_star = theory.mean_field.q_star.unwrap();
        let c = params.config;
        let q1 = theory.sigma_w2 * f64::from(c.input_std).powi(2) + theory.sigma_b2;
        assert!((q1 / q_star - 1.0).abs() < 0.01, "q1 {q1}, q* {q_star}");
        assert_eq!(c.init, lab_core::Initializer::Orthogonal);
        assert!(c.width <= lab_core::MAX_JACOBIAN_WIDTH);
    }
}
