//! Runs a [`Simulation`] in short slices on the main thread so the page stays responsive,
//! publishing partial results as they come. A newer configuration supersedes the one in flight:
//! its loop sees `alive == false` and stops (latest wins).

use crate::theory_view::CorrJob;
use crate::web::now_ms;
use gloo_timers::callback::Timeout;
use lab_core::Simulation;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Milliseconds of computation per slice before yielding to the browser.
const SLICE_MS: f64 = 12.0;
/// Work units are sized in flops; this is one unit request, the stepper bounds each unit.
const STEP_FLOPS: f64 = 2.0e6;
/// Least time between two published partial results (each redraws the plots).
const PUBLISH_MS: f64 = 120.0;

pub type SharedSim = Rc<RefCell<Simulation>>;
pub type SharedCorr = Rc<RefCell<CorrJob>>;

/// Starts stepping `sim` until it is done or `alive` turns false. `publish` is called after
/// slices (throttled) and once at the end.
/// After the simulation, the same slices compute the correlation prediction `corr`.
pub fn start(sim: SharedSim, corr: SharedCorr, alive: Rc<Cell<bool>>, publish: Rc<dyn Fn()>) {
    let last_publish = Rc::new(Cell::new(now_ms()));
    slice(sim, corr, alive, publish, last_publish, true);
}

fn slice(
    sim: SharedSim,
    corr: SharedCorr,
    alive: Rc<Cell<bool>>,
    publish: Rc<dyn Fn()>,
    last_publish: Rc<Cell<f64>>,
    first: bool,
) {
    if !alive.get() {
        return;
    }
    let start = now_ms();
    let done = {
        let mut s = sim.borrow_mut();
        let mut c = corr.borrow_mut();
        let mut done = s.is_done() && c.is_done();
        while !done && now_ms() - start < SLICE_MS {
            done = if s.is_done() {
                c.step()
            } else {
                s.step(STEP_FLOPS) && c.is_done()
            };
        }
        done
    };
    let now = now_ms();
    if done || first || now - last_publish.get() >= PUBLISH_MS {
        last_publish.set(now);
        publish();
    }
    if !done {
        Timeout::new(0, move || {
            slice(sim, corr, alive, publish, last_publish, false)
        })
        .forget();
    }
}
