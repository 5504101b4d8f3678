//! `derive`: SELU's lambda and alpha solved from its fixed-point conditions for a chosen target
//! variance.

use crate::components::widgets::{Number, Scale};
use lab_core::theory;
use yew::prelude::*;

/// Solves SELU's fixed-point conditions for a chosen target variance.
#[function_component]
pub fn DeriveSelu() -> Html {
    let nu = use_state(|| 1.0f64);
    let result = use_memo(nu.to_bits(), {
        let nu = *nu;
        move |_| theory::derive_selu(nu)
    });
    let on_change = {
        let nu = nu.clone();
        Callback::from(move |v: String| -> String {
            let parsed = v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .unwrap_or(1.0)
                .clamp(0.1, 4.0);
            nu.set(parsed);
            format!("{parsed}")
        })
    };
    let (lambda, alpha) = *result;
    html! {
        <section id="derive-selu" class="panel derive" aria-labelledby="derive-selu-title">
            <h2 id="derive-selu-title">{ "Derive SELU's constants" }</h2>
            <p class="caption">{ "SELU's λ and α are not arbitrary: they are the unique values for which (mean 0, variance ν*) is a fixed point of the map above (Klambauer et al. 2017). Choose the target variance and the two conditions E[selu(z)] = 0 and Var[selu(z)] = ν*, z ~ N(0, ν*), are solved: the first gives α alone, the second then λ, both evaluated to about 32 digits and rounded to the nearest double (ν* = 1 gives the published λ = 1.0507009873554805, α = 1.6732632423543772)." }</p>
            <Number name="nu_star" label="Target variance ν*" value={format!("{}", *nu)} min={0.1} max={4.0}
                scale={Scale::Linear { step: 0.05 }} onchange={on_change} />
            <p class="derived" aria-live="polite">
                { format!("λ = {lambda:.16}, α = {alpha:.16}") }
            </p>
        </section>
    }
}
