use super::*;

#[test]
fn default_round_trips_through_the_url() {
    let p = Params::default();
    let (back, notices) = Params::from_query(&p.to_query());
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(back, p);
}

#[test]
fn every_field_round_trips() {
    let q = "act=gelu_tanh&slope=0.2&alpha=1.5&beta=2&init=orthogonal&gain=1.25&sb=0.1&depth=7\
             &width=33&batch=5&in_mean=-1.5&in_std=2&norm=layer&seed=4294967295&c0=-0.25&xmax=8\
             &overlay=relu,tanh&gelu_diff=1&log_var=1&theory=0";
    let (p, notices) = Params::from_query(q);
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(p.config.activation.kind, ActivationKind::GeluTanh);
    assert_eq!(p.config.activation.slope, 0.2);
    assert_eq!(p.config.init, Initializer::Orthogonal);
    assert_eq!(p.config.depth, 7);
    assert_eq!(p.config.seed, u32::MAX as u64);
    assert_eq!(p.config.norm, Normalization::Layer);
    assert_eq!(p.overlay, vec![ActivationKind::Relu, ActivationKind::Tanh]);
    assert!(p.gelu_diff && p.log_var && !p.theory);
    assert_eq!(p.config.input_corr, -0.25);
    let (again, n2) = Params::from_query(&p.to_query());
    assert!(n2.is_empty());
    assert_eq!(again, p);
}

#[test]
fn out_of_range_numbers_clamp_to_the_nearest_valid_value_with_a_notice() {
    let (p, notices) = Params::from_query("depth=5000&width=1&batch=-3&gain=99&in_std=-1");
    assert_eq!(p.config.depth, 1000);
    assert_eq!(p.config.width, 2);
    assert_eq!(p.config.batch, 1);
    assert_eq!(p.config.gain, 5.0);
    assert_eq!(p.config.input_std, 0.0);
    let names: Vec<_> = notices.iter().map(|n| n.param.as_str()).collect();
    assert_eq!(names, ["depth", "width", "batch", "gain", "in_std"]);
    assert!(notices[0].message.contains("1000"));
}

#[test]
fn garbage_falls_back_to_the_default_with_a_notice() {
    let (p, notices) = Params::from_query(
        "act=swishy&init=&depth=abc&gain=NaN&seed=1.5&norm=groupy&bogus=1&sb=inf",
    );
    let d = Params::default();
    assert_eq!(p.config.activation.kind, d.config.activation.kind);
    assert_eq!(p.config.init, d.config.init);
    assert_eq!(p.config.depth, d.config.depth);
    assert_eq!(p.config.gain, d.config.gain);
    assert_eq!(p.config.seed, 2, "1.5 rounds to the nearest integer");
    assert_eq!(p.config.norm, Normalization::None);
    assert_eq!(p.config.bias_std, 0.0);
    assert_eq!(notices.len(), 8, "{notices:?}");
    assert!(notices.iter().any(|n| n.param == "bogus"));
}

#[test]
fn embed_hide_and_lock_keep_known_names() {
    let (p, n) = Params::from_query("embed=stats,grads,nope&hide=init&lock=act,depth");
    assert_eq!(p.embed, ["stats", "grads"]);
    assert_eq!(p.hide, ["init"]);
    assert_eq!(p.lock, ["act", "depth"]);
    assert_eq!(n.len(), 1, "{n:?}");
    assert!(p.shows_panel("stats") && !p.shows_panel("hist"));
    assert!(Params::default().shows_panel("hist"));
    let (again, n2) = Params::from_query(&p.to_query());
    assert!(n2.is_empty());
    assert_eq!(again, p);
}

#[test]
fn non_integer_depth_rounds() {
    let (p, n) = Params::from_query("depth=12.4");
    assert_eq!(p.config.depth, 12);
    assert_eq!(n.len(), 1);
}

#[test]
fn percent_coding_round_trips_and_tolerates_bad_escapes() {
    assert_eq!(percent_decode("a%2Cb+c"), "a,b c");
    assert_eq!(percent_decode("100%"), "100%");
    assert_eq!(percent_decode("%zz%4"), "%zz%4");
    assert_eq!(percent_encode("relu,tanh"), "relu,tanh");
    assert_eq!(percent_encode("a b&c"), "a%20b%26c");
}

#[test]
fn overlay_drops_unknown_names_and_duplicates() {
    let (p, n) = Params::from_query("overlay=relu,nope,relu,%20tanh");
    assert_eq!(p.overlay, vec![ActivationKind::Relu, ActivationKind::Tanh]);
    assert_eq!(n.len(), 1);
}

#[test]
fn the_table_lists_every_url_name_of_the_core() {
    for k in ActivationKind::ALL {
        assert!(ACT_NAMES.contains(&k.name()), "{}", k.name());
    }
    for i in Initializer::ALL {
        assert!(INIT_NAMES.contains(&i.name()), "{}", i.name());
    }
    for n in Normalization::ALL {
        assert!(NORM_NAMES.contains(&n.name()));
    }
    assert_eq!(ACT_NAMES.len(), ActivationKind::ALL.len());
    assert_eq!(INIT_NAMES.len(), Initializer::ALL.len());
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A value as people and programs put them in URLs: names from the tables, numbers
    /// small and huge, percent escapes (valid or not), arbitrary unicode.
    fn value() -> impl Strategy<Value = String> {
        let names: Vec<&'static str> = ACT_NAMES
            .iter()
            .chain(INIT_NAMES)
            .chain(NORM_NAMES)
            .chain(PANEL_NAMES)
            .copied()
            .collect();
        prop_oneof![
            proptest::sample::select(names).prop_map(str::to_string),
            any::<f64>().prop_map(|v| v.to_string()),
            any::<i64>().prop_map(|v| v.to_string()),
            Just("1e400".to_string()),
            Just("-1e-400".to_string()),
            Just("99999999999999999999999999".to_string()),
            Just("NaN".to_string()),
            Just("inf".to_string()),
            "(%[0-9A-Fa-fgG]{0,2}|[a-z0-9,+.=&-]){0,12}",
            "\\PC{0,12}",
        ]
    }

    /// A query string: known keys (some repeated), unknown keys, stray separators.
    fn query() -> impl Strategy<Value = String> {
        let keys: Vec<&'static str> = FIELDS.iter().map(|f| f.name).collect();
        let key = prop_oneof![
            4 => proptest::sample::select(keys).prop_map(str::to_string),
            1 => "\\PC{0,6}",
        ];
        let pair = prop_oneof![
            8 => (key, value()).prop_map(|(k, v)| format!("{k}={v}")),
            1 => "\\PC{0,8}",
        ];
        (any::<bool>(), proptest::collection::vec(pair, 0..12))
            .prop_map(|(q, pairs)| format!("{}{}", if q { "?" } else { "" }, pairs.join("&")))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn any_query_parses_and_round_trips_through_its_canonical_url(q in query()) {
            let (p, _) = Params::from_query(&q);
            let canonical = p.to_query();
            let (back, notices) = Params::from_query(&canonical);
            prop_assert!(notices.is_empty(), "{canonical}: {notices:?}");
            prop_assert_eq!(&back, &p);
            prop_assert_eq!(back.to_query(), canonical);
        }

        #[test]
        fn arbitrary_text_never_panics(q in "\\PC{0,80}", bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = Params::from_query(&q);
            let _ = Params::from_query(&String::from_utf8_lossy(&bytes));
            let _ = percent_decode(&q);
        }
    }
}

/// GroupNorm's groups must divide the width: whatever the order in the URL, a dividing value
/// is kept; one that does not falls back to the nearest divisor (the divisors of 100 nearest to
/// 8 are 10, at distance 2, and 5, at 3), with a notice; without GroupNorm nothing is checked.
#[test]
fn group_norm_groups_divide_the_width() {
    let (p, notices) = Params::from_query("norm=group&groups=3&width=12");
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(p.config.groups, 3);
    assert!(p.config.validated().is_ok());
    let (p, notices) = Params::from_query("norm=group&width=100&groups=8");
    assert_eq!(p.config.groups, 10);
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].param, "groups");
    assert!(
        notices[0].message.contains("using 10"),
        "{}",
        notices[0].message
    );
    assert!(p.config.validated().is_ok());
    // 7 at width 24 lies between the divisors 6 and 8, both at distance 1: the smaller wins.
    let (p, _) = Params::from_query("norm=group&width=24&groups=7");
    assert_eq!(p.config.groups, 6);
    let (p, notices) = Params::from_query("width=100&groups=8");
    assert!(notices.is_empty());
    assert_eq!(p.config.groups, 8, "not checked without GroupNorm");
}

/// Four compared runs, each setting every run key to a long valid value.
fn longest_runs() -> String {
    let run = "act:leaky_relu,slope:0.0123456789,alpha:1.23456789,beta:9.87654321,\
               init:xavier_uniform,gain:1.23456789,sb:1.23456789,norm:group,norm_at:post,groups:16,\
               dropout:standard,\
               rate:0.123456789,opt:adam,lr:0.000123456789,momentum:0.987654321";
    [run; 4].join(";")
}

#[test]
fn the_longest_real_links_fit_the_size_limits() {
    let mut p = Params::default();
    assert_eq!(p.set("runs", &longest_runs()), None);
    assert_eq!(
        p.set("overlay", &ActivationKind::ALL.map(|k| k.name()).join(",")),
        None
    );
    let runs = p.get("runs");
    let query = p.to_query();
    assert!(
        runs.len() < 1000 && runs.len() < MAX_VALUE_BYTES,
        "{}",
        runs.len()
    );
    assert!(
        query.len() < 1500 && query.len() < MAX_QUERY_BYTES,
        "{}",
        query.len()
    );
    let (back, notices) = Params::from_query(&query);
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(back.to_query(), query);
}

#[test]
fn links_and_values_over_the_limits_are_refused_before_reading() {
    // A link one byte over the limit, made of valid settings: not read at all.
    let mut query = "depth=7".to_string();
    while query.len() < MAX_QUERY_BYTES + 1 {
        query.push_str("&seed=3");
    }
    query.truncate(MAX_QUERY_BYTES + 1);
    let (p, notices) = Params::from_query(&query);
    assert_eq!(p, Params::default());
    assert_eq!(notices.len(), 1);
    assert!(
        notices[0]
            .message
            .contains(&format!("{} bytes", MAX_QUERY_BYTES + 1)),
        "{notices:?}"
    );
    // At the limit it is read.
    query.truncate(MAX_QUERY_BYTES);
    let (p, _) = Params::from_query(&query);
    assert_eq!(p.get("depth"), "7");
    // One value over its limit (typed or in a link): refused, the current value kept.
    let mut p = Params::default();
    let long = format!("5{}", " ".repeat(MAX_VALUE_BYTES));
    let notice = p.set("depth", &long).expect("a notice");
    assert!(
        notice
            .message
            .contains(&format!("{} bytes", MAX_VALUE_BYTES + 1)),
        "{notice:?}"
    );
    assert_eq!(p, Params::default());
    // Just under, the same text (spaces trimmed) is a valid depth.
    assert_eq!(p.set("depth", &long[..MAX_VALUE_BYTES]), None);
    assert_eq!(p.get("depth"), "5");
}

/// A pin keeps a whole setting: only what differs from the defaults is written (the activation
/// always), and reading the text back gives the same configuration.
#[test]
fn pins_round_trip_compactly() {
    let (p, notices) =
        Params::from_query("pin=act:relu,init:he_normal;act:tanh,gain:1.5,depth:100,norm:batch");
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(p.pins.len(), 2);
    assert_eq!(p.pins[0].activation.kind, ActivationKind::Relu);
    assert_eq!(p.pins[0].init, Initializer::HeNormal);
    assert_eq!(p.pins[0].depth, Config::default().depth);
    assert_eq!(p.pins[1].gain, 1.5);
    assert_eq!(p.pins[1].depth, 100);
    assert_eq!(p.pins[1].norm, Normalization::Batch);
    assert_eq!(
        p.get("pin"),
        "act:relu,init:he_normal;act:tanh,gain:1.5,depth:100,norm:batch"
    );
    // The defaults pinned: the activation alone.
    assert_eq!(pin_text(&Config::default()), "act:selu");
    let (back, n2) = Params::from_query(&p.to_query());
    assert!(n2.is_empty(), "{n2:?}");
    assert_eq!(back, p);
    assert!(p
        .to_short_query()
        .contains("pin=act:relu,init:he_normal;act:tanh"));
    assert!(!Params::default().to_short_query().contains("pin"));
    // A residual run pins as residual, with its branch scale rule.
    let (r, notices) = Params::from_query(
        "pin=act:gelu,norm:layer,arch:residual,res_scale_rule:inv_sqrt_depth;act:relu,arch:residual,res_scale:0.5",
    );
    assert!(notices.is_empty(), "{notices:?}");
    assert!(r.pins[0].is_residual() && r.pins[1].is_residual());
    assert_eq!(r.pins[1].branch_scale(), 0.5);
    assert_eq!(
        r.get("pin"),
        "act:gelu,norm:layer,arch:residual,res_scale_rule:inv_sqrt_depth;act:relu,arch:residual,res_scale:0.5"
    );
}

/// Bad pins fall back like the parameters they name, with one notice: unknown keys are
/// dropped, values out of range clamp, a fourth pin and a repeated one are ignored.
#[test]
fn invalid_pins_fall_back_with_a_notice() {
    let (p, notices) = Params::from_query("pin=act:swishy,depth:5000,colour:red;act:relu");
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].param, "pin");
    let m = &notices[0].message;
    assert!(m.contains("colour") && m.contains("1000"), "{m}");
    assert_eq!(p.pins[0].activation.kind, ActivationKind::Selu);
    assert_eq!(p.pins[0].depth, 1000);
    assert_eq!(p.get("pin"), "act:selu,depth:1000;act:relu");

    let (p, notices) = Params::from_query("pin=act:relu;act:tanh;act:relu;act:elu;act:mish");
    assert_eq!(notices.len(), 1);
    let names: Vec<_> = p.pins.iter().map(|c| c.activation.kind).collect();
    assert_eq!(
        names,
        [
            ActivationKind::Relu,
            ActivationKind::Tanh,
            ActivationKind::Elu
        ]
    );
    assert!(notices[0].message.contains("same setting"), "{notices:?}");

    // GroupNorm's groups are fitted to the pin's own width.
    let (p, notices) = Params::from_query("pin=act:relu,norm:group,width:100,groups:8");
    assert_eq!(p.pins[0].groups, 10);
    assert_eq!(notices.len(), 1);
    assert!(p.pins[0].validated().is_ok());
}

/// The legend says what a pin is, and what differs from the run on screen.
#[test]
fn pin_labels_name_the_setting() {
    let current = Config::default();
    let relu_he = Config {
        activation: lab_core::Activation::new(ActivationKind::Relu),
        init: Initializer::HeNormal,
        ..current
    };
    assert_eq!(pin_label(0, &relu_he, &current), "pin 1: ReLU, He normal");
    let deep_bn = Config {
        depth: 100,
        norm: Normalization::Batch,
        ..current
    };
    assert_eq!(
        pin_label(2, &deep_bn, &current),
        "pin 3: SELU, LeCun normal, depth 100, BatchNorm"
    );
    let gelu = Config {
        activation: lab_core::Activation::new(ActivationKind::GeluTanh),
        ..current
    };
    assert_eq!(
        pin_label(1, &gelu, &current),
        "pin 2: GELU tanh, LeCun normal"
    );
}

/// The slide export's settings line: the network in words, what differs from the defaults,
/// the seed.
#[test]
fn settings_line_names_the_network() {
    assert_eq!(
        settings_line(&Config::default()),
        "SELU, LeCun normal, depth 50, width 128, batch 128, seed 1"
    );
    let (p, _) = Params::from_query("act=leaky_relu&slope=0.2&norm=batch&in_mean=1&seed=7&alpha=2");
    assert_eq!(
        settings_line(&p.config),
        "Leaky ReLU, LeCun normal, depth 50, width 128, batch 128, slope 0.2, in_mean 1, BatchNorm, seed 7"
    );
}
