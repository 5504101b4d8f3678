use crate::web;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
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
            let listener = Closure::<dyn Fn()>::new(move || {
                n.set(n.get() + 1);
                count.set(n.get());
            });
            let window = web::window();
            if let Some(w) = &window {
                w.add_event_listener_with_callback("resize", listener.as_ref().unchecked_ref())
                    .ok();
            }
            move || {
                if let Some(w) = window {
                    w.remove_event_listener_with_callback(
                        "resize",
                        listener.as_ref().unchecked_ref(),
                    )
                    .ok();
                }
            }
        });
    }
    *count
}
