use super::listener::listen;
use crate::web;
use yew::prelude::*;

/// A counter that changes whenever the window is resized or zoomed, so canvases redraw at
/// their new size.
#[hook]
pub fn use_resize() -> u64 {
    let count = use_state(|| 0u64);
    {
        let count = count.clone();
        use_effect_with((), move |_| {
            let n = std::cell::Cell::new(0u64);
            listen(web::window().map(Into::into), "resize", move || {
                n.set(n.get() + 1);
                count.set(n.get());
            })
        });
    }
    *count
}
