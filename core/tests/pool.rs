//! Shards that run apart and talk only by reports ([`ShardSet`], [`RemoteShard`]), the way the
//! page's workers do: the views built from the coordinator's deltas end equal, bit for bit, to
//! the view of one simulation of the whole batch, whatever the number of shards and however the
//! reports and the work interleave.

use lab_core::activation::{Activation, ActivationKind};
use lab_core::config::{Arch, Config, NormAt, Normalization};
use lab_core::init::Initializer;
use lab_core::sim::{RemoteShard, ShardSet, Simulation};
use lab_core::{Rng, SimView, Stream};

fn config(norm: Normalization, norm_at: NormAt, arch: Arch, batch: usize) -> Config {
    Config {
        activation: Activation::new(ActivationKind::Selu),
        init: Initializer::LecunNormal,
        bias_std: 0.05,
        depth: 6,
        width: 9,
        batch,
        norm,
        norm_at,
        arch,
        groups: 3,
        seed: 11,
        ..Config::default()
    }
}

/// Runs the shards to the end; each round, a shard picked by `schedule` works a little or
/// reports (reports may arrive while the coordinator is mid-layer, or waits). The
/// coordinator's deltas go into `view`, as they do on the page.
fn drive(set: &mut ShardSet, remotes: &mut [RemoteShard], schedule: u64, view: &mut SimView) {
    let mut pick = Rng::stream(schedule, Stream::Input);
    let mut rounds = 0;
    let mut sent = vec![(0, 0); remotes.len()];
    while !set.is_done() {
        rounds += 1;
        assert!(rounds < 1_000_000, "the pool does not finish");
        let who = (pick.next_u64() % (remotes.len() as u64 + 1)) as usize;
        let flops = 2e3 * (1 + pick.next_u64() % 50) as f64;
        if who == 0 {
            set.step(flops);
        } else {
            let remote = &mut remotes[who - 1];
            remote.step(flops);
            if pick.next_u64().is_multiple_of(3) || remote.is_done() {
                let report = remote.report();
                // Each layer's partials and gradient sums go out once: a deep network's
                // reports do not grow with the layers already sent.
                sent[who - 1].0 += report.parts.len();
                sent[who - 1].1 += report.grads.len();
                set.apply(who, report).unwrap();
            }
        }
        if let Some(sums) = set.exchange().unwrap() {
            for r in remotes.iter_mut() {
                r.resume(&sums);
            }
        }
        if pick.next_u64().is_multiple_of(4) {
            view.apply(set.delta_since(view.samples_len()));
        }
    }
    view.apply(set.delta_since(view.samples_len()));
    for (parts, grads) in sent {
        assert!(
            parts <= set.config().depth && grads <= set.config().depth,
            "{parts} parts and {grads} gradient sums sent"
        );
    }
}

/// `config` started in `shards` shards: the coordinator's set and the other shards.
fn start(config: Config, shards: usize) -> (ShardSet, Vec<RemoteShard>) {
    let set = ShardSet::new(Simulation::new(config).unwrap(), shards);
    let remotes = set
        .remote_rows()
        .iter()
        .map(|rows| RemoteShard::new(Simulation::new(config).unwrap(), rows.clone()))
        .collect();
    (set, remotes)
}

/// Runs `config` as `shards` shards ([`drive`]); returns the view and the number of shards.
fn pooled(config: Config, shards: usize, schedule: u64) -> (SimView, usize) {
    let (mut set, mut remotes) = start(config, shards);
    let mut view = SimView::new(config);
    drive(&mut set, &mut remotes, schedule, &mut view);
    (view, set.shards())
}

#[test]
fn a_pool_gives_one_simulations_results() {
    let mut split = 0;
    for norm in Normalization::ALL {
        for norm_at in [NormAt::Pre, NormAt::Post] {
            for arch in [Arch::Plain, Arch::Residual] {
                for batch in [20, 70, 130] {
                    let config = config(norm, norm_at, arch, batch);
                    let whole = SimView::of(&Simulation::run(config).unwrap());
                    for shards in [1, 2, 3] {
                        for schedule in 0..3 {
                            let (view, used) = pooled(config, shards, schedule);
                            split += usize::from(used > 1);
                            assert_eq!(
                                used,
                                shards.min(batch.div_ceil(32)),
                                "{batch} rows in {shards} shards"
                            );
                            assert!(
                                view == whole,
                                "{norm:?} {norm_at:?} {arch:?} batch {batch}, {shards} shards, \
                                 schedule {schedule}"
                            );
                        }
                    }
                }
            }
        }
    }
    assert!(split > 0);
}

/// A report that does not continue the last, or from a shard the run does not have, is an
/// error, not a panic.
#[test]
fn a_bad_report_is_an_error() {
    let config = config(Normalization::None, NormAt::Pre, Arch::Plain, 100);
    let mut set = ShardSet::new(Simulation::new(config).unwrap(), 2);
    let mut remote = RemoteShard::new(
        Simulation::new(config).unwrap(),
        set.remote_rows()[0].clone(),
    );
    while !remote.step(1e9) {}
    let mut report = remote.report();
    assert!(set.apply(2, report.clone()).is_err());
    assert!(set.apply(0, report.clone()).is_err());
    report.parts_from = 3;
    assert!(set.apply(1, report).is_err());
}

/// A finished pool continued to a deeper network (every shard continues its own rows) gives
/// one fresh simulation's results of the deeper network; an unfinished pool, or other shards,
/// do not continue.
#[test]
fn a_finished_pool_continues_to_a_deeper_network() {
    for norm in [
        Normalization::None,
        Normalization::Batch,
        Normalization::Layer,
    ] {
        for arch in [Arch::Plain, Arch::Residual] {
            let config = config(norm, NormAt::Pre, arch, 130);
            let deeper = Config {
                depth: 10,
                ..config
            };
            let whole = SimView::of(&Simulation::run(deeper).unwrap());
            for shards in [2, 3] {
                let (mut set, mut remotes) = start(config, shards);
                drive(&mut set, &mut remotes, 1, &mut SimView::new(config));
                let Ok(mut set) = set.extend(deeper, shards) else {
                    panic!("{norm:?} {arch:?} {shards}: a finished pool continues");
                };
                let mut remotes: Vec<RemoteShard> = remotes
                    .into_iter()
                    .map(|r| {
                        r.extend(deeper)
                            .unwrap_or_else(|_| panic!("a shard continues"))
                    })
                    .collect();
                let mut view = SimView::new(deeper);
                drive(&mut set, &mut remotes, 2, &mut view);
                assert!(
                    view == whole,
                    "{norm:?} {arch:?}, {shards} shards, continued"
                );
                assert_eq!(set.own().layers_forwarded(), 10);
                // A shallower network is not cut from shards (their partners would keep the
                // deeper results): the pool starts afresh.
                let shallower = Config { depth: 4, ..config };
                assert!(
                    set.extend(shallower, shards).is_err(),
                    "{norm:?} {arch:?} {shards}: a pool is not cut"
                );
            }
            // Unfinished, or split otherwise: not continued.
            let (mut set, _) = start(config, 2);
            set.step(1e4);
            let set = set
                .extend(deeper, 2)
                .err()
                .expect("an unfinished pool does not continue");
            assert!(
                set.extend(deeper, 3).is_err(),
                "other shards do not continue"
            );
        }
    }
}

/// A network whose layers are a few tens of microseconds of work is computed in one piece:
/// the messages would cost more than they save. From 1e6 flops per layer (2 batch width^2)
/// on, it is split.
#[test]
fn small_networks_are_not_split() {
    let of = |width, batch| Config {
        width,
        batch,
        ..Config::default()
    };
    // 2 * 1024 * 16^2 = 524288 flops per layer.
    assert_eq!(lab_core::sim::pool_rows(&of(16, 1024), 3).len(), 1);
    // 2 * 1024 * 32^2 = 2097152.
    assert_eq!(lab_core::sim::pool_rows(&of(32, 1024), 3).len(), 3);
    // 2 * 128 * 63^2 = 1016064 (just above), 2 * 128 * 62^2 = 984064 (just below).
    assert_eq!(lab_core::sim::pool_rows(&of(63, 128), 2).len(), 2);
    assert_eq!(lab_core::sim::pool_rows(&of(62, 128), 2).len(), 1);
    // The default view (50 x 128 x 128) is split.
    assert_eq!(lab_core::sim::pool_rows(&Config::default(), 2).len(), 2);
}
