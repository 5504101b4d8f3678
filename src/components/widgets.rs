//! Reusable labelled controls built on native inputs, so keyboards and screen readers work.

use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

pub use crate::params::Scale;
use crate::params::LOG_STEPS;
use gloo_timers::callback::Timeout;

/// A number typed in a box applies this long after the last keystroke (or at once on Enter).
pub const TYPE_DEBOUNCE_MS: u32 = 400;

/// What a number box says while its text cannot be applied as typed (None when it can): out of
/// `[min, max]`, or not a number. Pure, for the tests.
pub fn typed_hint(text: &str, min: f64, max: f64) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && (min..=max).contains(&v) => None,
        Ok(v) if v.is_finite() => Some(format!(
            "{t} is outside {min} to {max}; Enter uses {}.",
            if v < min { min } else { max }
        )),
        _ => Some(format!("\"{t}\" is not a number.")),
    }
}

#[derive(Properties, PartialEq)]
pub struct SelectProps {
    /// The URL name; also the element id (prefixed with `ctl-`, or `id_prefix`).
    pub name: AttrValue,
    /// The element id's prefix (a second copy of a control needs its own ids).
    #[prop_or(AttrValue::Static("ctl-"))]
    pub id_prefix: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    /// (value, label) pairs.
    pub options: Vec<(AttrValue, AttrValue)>,
    pub onchange: Callback<String>,
    /// Read-only (an instructor locked it with `lock=`).
    #[prop_or_default]
    pub disabled: bool,
}

#[function_component]
pub fn Select(props: &SelectProps) -> Html {
    let id = format!("{}{}", props.id_prefix, props.name);
    let onchange = {
        let cb = props.onchange.clone();
        Callback::from(move |e: Event| {
            if let Some(sel) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
            {
                cb.emit(sel.value());
            }
        })
    };
    html! {
        <div class="control">
            <label for={id.clone()}>{ &props.label }</label>
            <select id={id} name={props.name.clone()} {onchange} disabled={props.disabled}>
                { for props.options.iter().map(|(v, l)| html! {
                    <option value={v.clone()} selected={*v == props.value}>{ l }</option>
                }) }
            </select>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct NumberProps {
    pub name: AttrValue,
    /// The element id's prefix (see [`SelectProps::id_prefix`]).
    #[prop_or(AttrValue::Static("ctl-"))]
    pub id_prefix: AttrValue,
    pub label: AttrValue,
    /// Canonical text of the value in use.
    pub value: AttrValue,
    pub min: f64,
    pub max: f64,
    pub scale: Scale,
    /// Unit spoken after the value by screen readers ("layers", "units").
    #[prop_or_default]
    pub unit: AttrValue,
    #[prop_or_default]
    pub disabled: bool,
    /// Receives the raw text and returns the canonical text actually used (after validation),
    /// which the number box then shows.
    pub onchange: Callback<String, String>,
}

/// A slider for quick, live changes plus a number box for exact values; a typed value applies
/// [`TYPE_DEBOUNCE_MS`] after the last keystroke when it is in range (at once on Enter), and a
/// hint beside the box says why it does not otherwise.
#[function_component]
pub fn Number(props: &NumberProps) -> Html {
    let id = format!("{}{}", props.id_prefix, props.name);
    let hint = use_state(|| None::<String>);
    let pending = use_mut_ref(|| None::<Timeout>);
    // What the person is typing, until they commit it (Enter or leaving the box). The page
    // re-renders while the simulation streams in; without this the box would be reset mid-typing.
    let draft = use_state(|| None::<String>);
    let value: f64 = props.value.parse().unwrap_or(props.min);
    let position = props.scale.position_of(value, props.min, props.max);
    let (pmin, pmax, step) = match props.scale {
        Scale::Linear { step } => (props.min, props.max, step),
        Scale::LogInt | Scale::Log => (0.0, LOG_STEPS, 1.0),
    };
    let valuetext = if props.unit.is_empty() {
        props.value.to_string()
    } else {
        format!("{} {}", props.value, props.unit)
    };
    let on_slide = {
        let cb = props.onchange.clone();
        let draft = draft.clone();
        let (scale, min, max) = (props.scale, props.min, props.max);
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            {
                let pos: f64 = input.value().parse().unwrap_or(0.0);
                let v = scale.value_at(pos, min, max);
                draft.set(None);
                cb.emit(format!("{v}"));
            }
        })
    };
    let on_key = {
        let cb = props.onchange.clone();
        let (scale, min, max) = (props.scale, props.min, props.max);
        Callback::from(move |e: KeyboardEvent| {
            let steps = match e.key().as_str() {
                "ArrowRight" | "ArrowUp" => 1.0,
                "ArrowLeft" | "ArrowDown" => -1.0,
                "PageUp" => 10.0,
                "PageDown" => -10.0,
                _ => return,
            };
            if let Some(v) = scale.key_step(value, steps, min, max) {
                e.prevent_default();
                cb.emit(format!("{v}"));
            }
        })
    };
    let on_type = {
        let draft = draft.clone();
        let (hint, pending) = (hint.clone(), pending.clone());
        let cb = props.onchange.clone();
        let (min, max) = (props.min, props.max);
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            {
                let text = input.value();
                draft.set(Some(text.clone()));
                // A new keystroke replaces the pending application (dropping cancels it).
                pending.borrow_mut().take();
                let why = typed_hint(&text, min, max);
                if why.is_none() && !text.trim().is_empty() {
                    let cb = cb.clone();
                    *pending.borrow_mut() = Some(Timeout::new(TYPE_DEBOUNCE_MS, move || {
                        cb.emit(text);
                    }));
                }
                hint.set(why);
            }
        })
    };
    let on_commit = {
        let cb = props.onchange.clone();
        let draft = draft.clone();
        let (hint, pending) = (hint.clone(), pending.clone());
        Callback::from(move |e: Event| {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            {
                pending.borrow_mut().take();
                hint.set(None);
                draft.set(None);
                let used = cb.emit(input.value());
                // Show the value in use even when it equals the previous one (then Yew would
                // not touch the element and the rejected text would stay).
                input.set_value(&used);
            }
        })
    };
    html! {
        <div class="control number">
            <label for={id.clone()}>{ &props.label }</label>
            <div class="number-row">
                <input type="range" class="slider" aria-label={props.label.clone()}
                    id={format!("{id}-slider")}
                    min={pmin.to_string()} max={pmax.to_string()} step={step.to_string()}
                    value={position.to_string()}
                    aria-valuetext={valuetext}
                    disabled={props.disabled}
                    oninput={on_slide} onkeydown={on_key} />
                <input type="number" id={id.clone()} name={props.name.clone()} inputmode="decimal"
                    aria-describedby={hint.is_some().then(|| format!("{id}-hint"))}
                    min={props.min.to_string()} max={props.max.to_string()}
                    step={match props.scale { Scale::Linear { step } => step.to_string(), Scale::LogInt | Scale::Log => "1".to_string() }}
                    value={(*draft).clone().unwrap_or_else(|| props.value.to_string())}
                    disabled={props.disabled}
                    oninput={on_type}
                    onchange={on_commit} />
            </div>
            if let Some(h) = &*hint {
                <p class="field-hint" id={format!("{id}-hint")} role="status">{ h }</p>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ToggleProps {
    pub name: AttrValue,
    pub label: AttrValue,
    pub checked: bool,
    pub onchange: Callback<bool>,
}

#[function_component]
pub fn Toggle(props: &ToggleProps) -> Html {
    let id = format!("ctl-{}", props.name);
    let onchange = {
        let cb = props.onchange.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            {
                cb.emit(input.checked());
            }
        })
    };
    html! {
        <div class="control toggle">
            <input type="checkbox" id={id.clone()} checked={props.checked} {onchange} />
            <label for={id}>{ &props.label }</label>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_slider_keys_always_move_by_at_least_one() {
        let s = Scale::LogInt;
        // Depth 1..1000: one arrow step from 20 would round back to 20 at the native step.
        assert_eq!(
            s.value_at(s.position_of(20.0, 1.0, 1000.0) + 1.0, 1.0, 1000.0),
            20.0
        );
        assert_eq!(s.key_step(20.0, 1.0, 1.0, 1000.0), Some(21.0));
        assert_eq!(s.key_step(20.0, -1.0, 1.0, 1000.0), Some(19.0));
        // 1% of the log range per press at larger values: 500 sits on grid position 900
        // (1000^0.9 = 501.2), one press goes to 910: 1000^0.91 = 537.0.
        assert_eq!(s.key_step(500.0, 1.0, 1.0, 1000.0), Some(537.0));
        // Page Up: a factor 1000^0.1 = 1.995.
        assert_eq!(s.key_step(100.0, 10.0, 1.0, 1000.0), Some(200.0));
        assert_eq!(s.key_step(1000.0, 1.0, 1.0, 1000.0), Some(1000.0));
        assert_eq!(s.key_step(1.0, -1.0, 1.0, 1000.0), Some(1.0));
        assert_eq!(
            Scale::Linear { step: 0.1 }.key_step(1.0, 1.0, 0.0, 3.0),
            None
        );
    }

    #[test]
    fn log_scale_hits_both_ends_and_round_trips_common_sizes() {
        let s = Scale::LogInt;
        assert_eq!(s.value_at(0.0, 2.0, 1024.0), 2.0);
        assert_eq!(s.value_at(1000.0, 2.0, 1024.0), 1024.0);
        for w in [2.0, 16.0, 128.0, 512.0, 1024.0] {
            let p = s.position_of(w, 2.0, 1024.0);
            assert_eq!(s.value_at(p, 2.0, 1024.0), w);
        }
    }

    #[test]
    fn typed_numbers_out_of_range_or_not_numbers_get_a_hint() {
        assert_eq!(typed_hint("60", 1.0, 1000.0), None);
        assert_eq!(typed_hint(" ", 1.0, 1000.0), None);
        assert_eq!(
            typed_hint("2000", 1.0, 1000.0).as_deref(),
            Some("2000 is outside 1 to 1000; Enter uses 1000.")
        );
        assert_eq!(
            typed_hint("0", 1.0, 1000.0).as_deref(),
            Some("0 is outside 1 to 1000; Enter uses 1.")
        );
        assert_eq!(
            typed_hint("1e", 1.0, 1000.0).as_deref(),
            Some("\"1e\" is not a number.")
        );
        assert!(typed_hint("inf", 1.0, 1000.0).is_some());
    }
}
