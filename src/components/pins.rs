//! The pin bar: "Pin this run" keeps the current run's curves as a faded, labelled reference on
//! the stats, grads, hist and corr panels (`pin=` in the URL, at most [`MAX_PINS`]); each pin
//! has its colour, its label and a button that removes it.

use super::Setter;
use crate::hooks::PinnedRun;
use crate::params::{pins_text, same_run, MAX_PINS};
use lab_core::Config;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PinBarProps {
    pub pins: Vec<PinnedRun>,
    /// The current run's setting.
    pub current: Config,
    /// The current run is complete (only a complete run can be pinned).
    pub done: bool,
    pub set: Setter,
}

/// Why the current run cannot be pinned now, if it cannot.
pub fn pin_blocked(pins: &[PinnedRun], current: &Config, done: bool) -> Option<&'static str> {
    if pins.iter().any(|p| same_run(&p.config, current)) {
        Some("This setting is pinned.")
    } else if pins.len() >= MAX_PINS {
        Some("Three runs are pinned; remove one to pin another.")
    } else if !done {
        Some("Pin when the run is complete.")
    } else {
        None
    }
}

#[function_component]
pub fn PinBar(props: &PinBarProps) -> Html {
    let configs: Vec<Config> = props.pins.iter().map(|p| p.config).collect();
    let blocked = pin_blocked(&props.pins, &props.current, props.done);
    let on_pin = {
        let (set, current) = (props.set.clone(), props.current);
        let mut with = configs.clone();
        with.push(current);
        Callback::from(move |_: MouseEvent| {
            set.emit(("pin", pins_text(&with)));
        })
    };
    let remove = |i: usize| {
        let set = props.set.clone();
        let mut without = configs.clone();
        without.remove(i);
        Callback::from(move |_: MouseEvent| {
            set.emit(("pin", pins_text(&without)));
        })
    };
    let clear = {
        let set = props.set.clone();
        Callback::from(move |_: MouseEvent| {
            set.emit(("pin", String::new()));
        })
    };
    html! {
        <div class="pin-bar" role="group" aria-label="Pinned runs">
            <button type="button" class="pin-button" onclick={on_pin} disabled={blocked.is_some()}
                title={blocked.unwrap_or("Keep this run's curves on the stats, grads, hist and corr panels as a reference")}>
                { "Pin this run" }
            </button>
            if props.pins.is_empty() {
                <span class="pin-hint">{ "Pin a run, then change a setting to compare the two (up to three pins; they stay in the link)." }</span>
            } else {
                <ul class="pins">
                    { for props.pins.iter().enumerate().map(|(i, p)| {
                        let state = match &p.state {
                            Some(s) if s.failed.is_some() => " (failed)",
                            Some(s) if s.is_done() => "",
                            Some(_) => " (computing…)",
                            None => " (waiting for the current run)",
                        };
                        html! {
                            <li class="pin" data-pin={(i + 1).to_string()}
                                data-done={p.state.as_ref().is_some_and(|s| s.is_done()).to_string()}>
                                <span class={format!("pin-swatch pin-swatch-{}", i + 1)} aria-hidden="true"></span>
                                <span class="pin-label">{ format!("{}{state}", p.label) }</span>
                                <button type="button" class="pin-remove" onclick={remove(i)}
                                    aria-label={format!("Remove {}", p.label)}>{ "×" }</button>
                            </li>
                        }
                    }) }
                </ul>
                if props.pins.len() > 1 {
                    <button type="button" class="pin-clear" onclick={clear}>{ "Remove all pins" }</button>
                }
            }
        </div>
    }
}
