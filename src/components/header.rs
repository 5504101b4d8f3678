use crate::charts::Theme;
use crate::components::share::Share;
use crate::params::Params;
use crate::presets::PRESETS;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub params: Params,
    pub theme: Theme,
    /// Asks for the other theme.
    pub on_toggle_theme: Callback<()>,
}

/// Title, tagline, sharing, the theme toggle and the preset gallery (not in embeds).
#[function_component]
pub fn Header(props: &HeaderProps) -> Html {
    let dark = props.theme == Theme::Dark;
    let onclick = props.on_toggle_theme.reform(|_: MouseEvent| ());
    html! {
        <header class="site-header">
            <h1>{ "Activation Lab" }</h1>
            <p class="tagline">{ "How activations and weight initialization shape the signal in a deep network. Pick an activation and an initializer: the network below is simulated in your browser and every plot updates as you move a control. The address bar always holds the current settings: copy it to share exactly these plots." }</p>
            <div class="header-tools">
                <Share params={props.params.clone()} />
                <button type="button" class="theme-toggle" aria-pressed={dark.to_string()} {onclick}>{ "Dark theme" }</button>
            </div>
            <nav class="presets" aria-label="Presets">
                <span class="presets-title">{ "Start from: " }</span>
                { for PRESETS.iter().map(|(name, query)| html! { <a href={*query}>{ *name }</a> }) }
            </nav>
        </header>
    }
}

#[function_component]
pub fn Footer() -> Html {
    html! {
        <footer class="site-footer">
            <p>{ "SELU: Klambauer et al. 2017, Self-Normalizing Neural Networks. GELU: Hendrycks & Gimpel 2016. Signal propagation: Poole et al. 2016, Schoenholz et al. 2017. Everything is computed in this page; nothing is sent anywhere." }</p>
        </footer>
    }
}
