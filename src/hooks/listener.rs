use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::EventTarget;

/// Calls `f` on every `event` of `target` until the returned cleanup runs (an effect's
/// destructor). Does nothing where there is no target.
pub fn listen(
    target: Option<EventTarget>,
    event: &'static str,
    f: impl Fn() + 'static,
) -> impl FnOnce() {
    let listener = Closure::<dyn Fn()>::new(f);
    if let Some(t) = &target {
        t.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref())
            .ok();
    }
    move || {
        if let Some(t) = target {
            t.remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref())
                .ok();
        }
    }
}
