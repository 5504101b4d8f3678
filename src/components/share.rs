//! "Copy link" and "Copy embed code": the current state as a link, or as a ready `<iframe>`
//! snippet with the chosen panels.

use crate::params::{Params, PANEL_NAMES};
use crate::web;
use yew::prelude::*;

/// The snippet's iframe for `params` showing `panels`, at page URL `page` (without query).
pub fn embed_snippet(page: &str, params: &Params, panels: &[&'static str]) -> String {
    let mut p = params.clone();
    p.embed = panels.to_vec();
    let title = format!(
        "Activation Lab: {} with {} weights",
        p.config.activation.kind.label(),
        p.config.init.label()
    );
    // Roughly the height of the panels stacked two per row, plus the controls.
    let height = 120 + 470 * panels.len().div_ceil(2).max(1);
    format!(
        "<iframe src=\"{page}?{}\" title=\"{}\" width=\"100%\" height=\"{height}\" loading=\"lazy\" style=\"border: 0\"></iframe>",
        html_escape(&p.to_query()),
        html_escape(&title),
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    pub params: Params,
}

#[function_component]
pub fn Share(props: &ShareProps) -> Html {
    let panels = use_state(|| vec!["stats", "grads"]);
    let status = use_state(String::new);
    let page = web::page_url_without_query();
    let snippet = embed_snippet(&page, &props.params, &panels);
    let link = format!("{page}?{}", props.params.to_query());
    let copy = |text: String, what: &'static str| {
        let status = status.clone();
        Callback::from(move |_| {
            let status = status.clone();
            web::copy_to_clipboard(
                &text,
                Box::new(move |ok| {
                    status.set(if ok {
                        format!("{what} copied.")
                    } else {
                        format!("Could not use the clipboard here: select the {what} below and copy it.")
                    })
                }),
            );
        })
    };
    let toggles = PANEL_NAMES.iter().map(|&name| {
        let checked = panels.contains(&name);
        let panels = panels.clone();
        let onchange = Callback::from(move |_| {
            let mut next: Vec<&'static str> = PANEL_NAMES
                .iter()
                .copied()
                .filter(|n| panels.contains(n) != (*n == name))
                .collect();
            if next.is_empty() {
                next.push("stats");
            }
            panels.set(next);
        });
        let id = format!("embed-{name}");
        html! {
            <span class="toggle">
                <input type="checkbox" id={id.clone()} {checked} {onchange} />
                <label for={id}>{ name }</label>
            </span>
        }
    });
    html! {
        <details class="share">
            <summary>{ "Share and embed" }</summary>
            <div class="share-body">
                <button type="button" id="copy-link" onclick={copy(link.clone(), "Link")}>{ "Copy link" }</button>
                <input type="text" readonly=true aria-label="Link to this state" value={link} class="share-text" />
                <fieldset class="embed-panels">
                    <legend>{ "Panels in the embed" }</legend>
                    { for toggles }
                </fieldset>
                <button type="button" id="copy-embed" onclick={copy(snippet.clone(), "Embed code")}>{ "Copy embed code" }</button>
                <textarea readonly=true rows="3" aria-label="Embed code" class="share-text" id="embed-code" value={snippet} />
                <p class="share-status" role="status" aria-live="polite">{ (*status).clone() }</p>
            </div>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_reproduces_the_state_with_the_chosen_panels() {
        let (params, _) = Params::from_query("act=relu&init=he_normal&depth=12&lock=act");
        let s = embed_snippet("https://example.org/lab/", &params, &["stats", "grads"]);
        assert!(s.starts_with("<iframe src=\"https://example.org/lab/?act=relu&amp;"));
        assert!(s.contains("title=\"Activation Lab: ReLU with He normal"));
        assert!(s.contains("loading=\"lazy\"") && s.contains("width=\"100%\""));
        let src = s.split('"').nth(1).unwrap().replace("&amp;", "&");
        let query = src.split_once('?').unwrap().1;
        let (back, notices) = Params::from_query(query);
        assert!(notices.is_empty());
        assert_eq!(back.config, params.config);
        assert_eq!(back.embed, ["stats", "grads"]);
        assert_eq!(back.lock, ["act"]);
    }
}
