//! Everything the mean-field theory adds to the page for one configuration, in the core's
//! types: computed in the worker (100-400 ms for the phase grid and the chaotic-phase
//! correlation fixed point) and posted to the page in one message.

use lab_core::theory::{point_on_grid, MapArrows, PhaseGrid, TheorySummary};
use lab_core::{Activation, Config};
use std::rc::Rc;

/// What the theory of one configuration leaves for the next ([`TheoryBundle::cached`]): the
/// phase grid of its activation, and its summary.
#[derive(Default)]
pub struct TheoryCache {
    grid: Option<(Activation, Rc<PhaseGrid>)>,
    summary: Option<(Config, TheorySummary)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TheoryBundle {
    pub theory: Rc<TheorySummary>,
    /// chi_1 over the phase map for this activation.
    pub phase: Rc<PhaseGrid>,
    /// Where the current (sigma_w^2, sigma_b^2) sits on the phase map, if inside it.
    pub current: Option<(f64, f64)>,
    /// The (mean, variance) map's arrows and fixed point.
    pub map: Rc<MapArrows>,
}

impl TheoryBundle {
    /// The bundle for `config` around its summary `theory`, sharing `grid` (the phase grid of
    /// the same activation; it depends on nothing else).
    fn with_summary(config: &Config, grid: &Rc<PhaseGrid>, theory: TheorySummary) -> TheoryBundle {
        let current = point_on_grid(&grid.sw, &grid.sb, (theory.sigma_w2, theory.sigma_b2));
        let map = MapArrows::of(&theory, &config.activation);
        TheoryBundle {
            theory: Rc::new(theory),
            phase: grid.clone(),
            current,
            map: Rc::new(map),
        }
    }

    /// The bundle for `config`, computed from scratch.
    pub fn of(config: &Config) -> TheoryBundle {
        TheoryBundle::cached(&mut TheoryCache::default(), config)
    }

    /// The bundle for `config`, computing the phase grid only when `cache` holds another
    /// activation's, and the mean field only when `cache` holds the summary of other settings
    /// than depth ([`TheorySummary::for_depth`]: a depth drag recomputes only the per-layer
    /// predictions). The result is the same as [`TheoryBundle::of`]'s.
    pub fn cached(cache: &mut TheoryCache, config: &Config) -> TheoryBundle {
        let grid = match &cache.grid {
            Some((act, grid)) if *act == config.activation => grid.clone(),
            _ => {
                let grid = Rc::new(PhaseGrid::of(&config.activation));
                cache.grid = Some((config.activation, grid.clone()));
                grid
            }
        };
        let theory = cache
            .summary
            .as_ref()
            .and_then(|(c, t)| t.for_depth(c, config))
            .unwrap_or_else(|| TheorySummary::of(config));
        cache.summary = Some((*config, theory.clone()));
        TheoryBundle::with_summary(config, &grid, theory)
    }
}
