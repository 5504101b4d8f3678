//! "Share and embed": the current state as a link, and an embed builder for a lesson: choose
//! the panels, and for each control whether students may change it, see it locked, or not see
//! it; the snippet is an `<iframe>` with only the non-default settings in its URL plus the
//! script that sizes the frame, and a live preview shows the embed as the course page will.

use crate::params::{self, Group, Params, PANEL_NAMES};
use crate::web;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

/// What students may do with one control in the embed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Change,
    Locked,
    Hidden,
}

impl Access {
    const ALL: [Access; 3] = [Access::Change, Access::Locked, Access::Hidden];

    fn name(self) -> &'static str {
        match self {
            Access::Change => "change",
            Access::Locked => "locked",
            Access::Hidden => "hidden",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Access::Change => "students may change",
            Access::Locked => "locked (shown, read-only)",
            Access::Hidden => "hidden",
        }
    }

    fn from_name(name: &str) -> Access {
        Access::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .unwrap_or(Access::Change)
    }

    /// The access `p` gives the control `name` (hidden wins over locked, as on the page).
    pub fn of(p: &Params, name: &str) -> Access {
        if p.hides(name) {
            Access::Hidden
        } else if p.locks(name) {
            Access::Locked
        } else {
            Access::Change
        }
    }
}

/// `params` as the embed builder shows it: the chosen panels, and `lock` / `hide` set from
/// `access` (one entry per control name, in [`params::CONTROL_NAMES`] order).
pub fn embed_params(
    params: &Params,
    panels: &[&'static str],
    access: &[(&'static str, Access)],
) -> Params {
    let mut p = params.clone();
    p.embed = panels.to_vec();
    p.lock = access
        .iter()
        .filter(|(_, a)| *a == Access::Locked)
        .map(|(n, _)| *n)
        .collect();
    p.hide = access
        .iter()
        .filter(|(_, a)| *a == Access::Hidden)
        .map(|(n, _)| *n)
        .collect();
    p
}

/// The embed's URL at page URL `page` (without query): only the non-default settings.
pub fn embed_url(page: &str, p: &Params) -> String {
    format!("{page}?{}", p.to_short_query())
}

/// A stable id for the frame of `src` (FNV-1a of the URL), so that two embeds on one course
/// page size their own frames.
fn frame_id(src: &str) -> String {
    let hash = src.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("activation-lab-{hash:08x}")
}

/// The snippet: the `<iframe>` for `p` (with `p.embed` as its panels) at page URL `page`, and
/// the script that sets the frame's height from the embed's height messages. The frame starts
/// at an estimate (the panels stacked two per row, plus the controls).
pub fn embed_snippet(page: &str, p: &Params) -> String {
    let src = embed_url(page, p);
    let id = frame_id(&src);
    let title = format!(
        "Activation Lab: {} with {} weights",
        p.config.activation.kind.label(),
        p.config.init.label()
    );
    let height = 120 + 470 * p.embed.len().div_ceil(2).max(1);
    format!(
        "<iframe id=\"{id}\" src=\"{}\" title=\"{}\" width=\"100%\" height=\"{height}\" loading=\"lazy\" style=\"border: 0\"></iframe>\n\
         <script>\n\
         \x20 // Activation Lab reports its height after every change; this sizes the frame to it.\n\
         \x20 addEventListener(\"message\", (e) => {{\n\
         \x20   const frame = document.getElementById(\"{id}\");\n\
         \x20   if (frame && e.source === frame.contentWindow && e.data && e.data.type === \"activation-lab:height\") {{\n\
         \x20     frame.style.height = e.data.height + \"px\";\n\
         \x20   }}\n\
         \x20 }});\n\
         </script>",
        html_escape(&src),
        html_escape(&title),
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The controls the builder lists, by group: the sidebar's groups, then the Train section's.
fn builder_groups() -> Vec<(Group, Vec<&'static params::Field>)> {
    Group::SIDEBAR
        .iter()
        .copied()
        .chain([Group::Train])
        .map(|g| {
            let fields = params::FIELDS
                .iter()
                .filter(|f| {
                    params::CONTROL_NAMES.contains(&f.name)
                        && f.control.and_then(|c| c.group) == Some(g)
                })
                .collect();
            (g, fields)
        })
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    pub params: Params,
}

#[function_component]
pub fn Share(props: &ShareProps) -> Html {
    let panels = use_state(|| {
        if props.params.embed.is_empty() {
            vec!["stats", "grads"]
        } else {
            props.params.embed.clone()
        }
    });
    let access = use_state(|| {
        params::CONTROL_NAMES
            .iter()
            .map(|&n| (n, Access::of(&props.params, n)))
            .collect::<Vec<_>>()
    });
    let preview = use_state(|| false);
    let preview_height = use_state(|| None::<i32>);
    let status = use_state(String::new);
    let page = web::page_url_without_query();
    let embedded = embed_params(&props.params, &panels, &access);
    let snippet = embed_snippet(&page, &embedded);
    let src = embed_url(&page, &embedded);
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
    let rows = builder_groups().into_iter().filter(|(_, f)| !f.is_empty()).map(|(g, fields)| {
        let items = fields.into_iter().map(|f| {
            let current = access
                .iter()
                .find(|(n, _)| *n == f.name)
                .map_or(Access::Change, |(_, a)| *a);
            let access = access.clone();
            let name = f.name;
            let onchange = Callback::from(move |e: Event| {
                let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() else {
                    return;
                };
                let chosen = Access::from_name(&select.value());
                let next = access
                    .iter()
                    .map(|&(n, a)| (n, if n == name { chosen } else { a }))
                    .collect();
                access.set(next);
            });
            let id = format!("embed-access-{name}");
            let label = f.control.map_or(f.label, |c| c.label);
            html! {
                <div class="embed-access">
                    <label for={id.clone()}>{ label }<span class="muted">{ format!(" ({name})") }</span></label>
                    <select id={id} {onchange}>
                        { for Access::ALL.iter().map(|a| html! {
                            <option value={a.name()} selected={*a == current}>{ a.label() }</option>
                        }) }
                    </select>
                </div>
            }
        });
        html! {
            <fieldset class="embed-group">
                <legend>{ g.legend() }</legend>
                { for items }
            </fieldset>
        }
    });
    let on_preview = {
        let preview = preview.clone();
        Callback::from(move |e: Event| {
            let on = e
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .is_some_and(|i| i.checked());
            preview.set(on);
        })
    };
    html! {
        <details class="share">
            <summary>{ "Share and embed" }</summary>
            <div class="share-body">
                <button type="button" id="copy-link" onclick={copy(link.clone(), "Link")}>{ "Copy link" }</button>
                <input type="text" readonly=true aria-label="Link to this state" value={link} class="share-text" />
                <h3 class="embed-title">{ "Embed in a course page" }</h3>
                <fieldset class="embed-panels">
                    <legend>{ "Panels in the embed" }</legend>
                    { for toggles }
                </fieldset>
                <details class="embed-controls">
                    <summary>{ "Controls in the embed" }</summary>
                    <p class="muted">{ "For each control: whether students may change it, see it locked at this page's value, or not see it. A group whose controls are all hidden is left out." }</p>
                    { for rows }
                </details>
                <button type="button" id="copy-embed" onclick={copy(snippet.clone(), "Embed code")}>{ "Copy embed code" }</button>
                <textarea readonly=true rows="6" aria-label="Embed code" class="share-text" id="embed-code" value={snippet} />
                <p class="muted">{ "The script sizes the frame to the embed's content after every change; where a course platform strips scripts, the frame keeps its estimated height and scrolls." }</p>
                <p class="share-status" role="status" aria-live="polite">{ (*status).clone() }</p>
                <span class="toggle">
                    <input type="checkbox" id="embed-preview-toggle" checked={*preview} onchange={on_preview} />
                    <label for="embed-preview-toggle">{ "Show a live preview" }</label>
                </span>
                if *preview {
                    <Preview src={src} height={preview_height} />
                }
            </div>
        </details>
    }
}

#[derive(Properties, PartialEq)]
struct PreviewProps {
    src: String,
    height: UseStateHandle<Option<i32>>,
}

/// The embed in a frame, sized by its own height messages (as the snippet's script does).
#[function_component]
fn Preview(props: &PreviewProps) -> Html {
    let frame = use_node_ref();
    {
        let (frame, height) = (frame.clone(), props.height.clone());
        use_effect_with((), move |_| {
            let listener =
                Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                    let Some(el) = frame.cast::<web_sys::Element>() else {
                        return;
                    };
                    let own =
                        js_sys::Reflect::get(&el, &"contentWindow".into()).unwrap_or(JsValue::NULL);
                    let from_frame = e.source().is_some_and(|s| js_sys::Object::is(&s, &own));
                    let data = e.data();
                    let kind = js_sys::Reflect::get(&data, &"type".into())
                        .ok()
                        .and_then(|v| v.as_string());
                    let h = js_sys::Reflect::get(&data, &"height".into())
                        .ok()
                        .and_then(|v| v.as_f64());
                    if let (true, Some("activation-lab:height"), Some(h)) =
                        (from_frame, kind.as_deref(), h)
                    {
                        if h.is_finite() && h > 0.0 {
                            height.set(Some(h.min(20_000.0) as i32));
                        }
                    }
                });
            let window = web_sys::window();
            if let Some(w) = &window {
                w.add_event_listener_with_callback("message", listener.as_ref().unchecked_ref())
                    .ok();
            }
            move || {
                if let Some(w) = window {
                    w.remove_event_listener_with_callback(
                        "message",
                        listener.as_ref().unchecked_ref(),
                    )
                    .ok();
                }
            }
        });
    }
    // The height through the CSSOM, not a style attribute, which a strict content security
    // policy (style-src 'self') refuses.
    {
        let frame = frame.clone();
        let height = props.height.unwrap_or(600);
        use_effect_with(height, move |h| {
            if let Some(el) = frame.cast::<web_sys::HtmlElement>() {
                el.style().set_property("height", &format!("{h}px")).ok();
            }
        });
    }
    html! {
        <iframe ref={frame} class="embed-preview" id="embed-preview" src={props.src.clone()}
            title="Preview of the embed" loading="lazy"></iframe>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_reproduces_the_state_with_the_chosen_panels_and_controls() {
        let (params, _) = Params::from_query("act=relu&init=he_normal&depth=12&lock=act");
        let access: Vec<_> = params::CONTROL_NAMES
            .iter()
            .map(|&n| {
                let a = match n {
                    "seed" | "kernels" => Access::Hidden,
                    _ => Access::of(&params, n),
                };
                (n, a)
            })
            .collect();
        let p = embed_params(&params, &["stats", "grads"], &access);
        let s = embed_snippet("https://example.org/lab/", &p);
        assert!(s.starts_with("<iframe id=\"activation-lab-"));
        assert!(s.contains(" src=\"https://example.org/lab/?act=relu&amp;"));
        assert!(s.contains("title=\"Activation Lab: ReLU with He normal"));
        assert!(s.contains("loading=\"lazy\"") && s.contains("width=\"100%\""));
        // The resize script addresses this frame by its id and checks the message's source.
        let id = s.split('"').nth(1).unwrap();
        assert!(s.contains(&format!("document.getElementById(\"{id}\")")));
        assert!(s.contains("e.source === frame.contentWindow"));
        let src = s
            .split(" src=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&amp;", "&");
        let query = src.split_once('?').unwrap().1;
        // Only what differs from the defaults.
        let keys: Vec<&str> = query
            .split('&')
            .map(|kv| kv.split('=').next().unwrap())
            .collect();
        assert_eq!(keys, ["act", "init", "depth", "embed", "hide", "lock"]);
        let (back, notices) = Params::from_query(query);
        assert!(notices.is_empty());
        assert_eq!(back.config, params.config);
        assert_eq!(back.embed, ["stats", "grads"]);
        assert_eq!(back.lock, ["act"]);
        assert_eq!(back.hide, ["seed", "kernels"]);
    }

    #[test]
    fn every_control_appears_once_in_the_builder() {
        let listed: Vec<&str> = builder_groups()
            .into_iter()
            .flat_map(|(_, f)| f.into_iter().map(|f| f.name))
            .collect();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), listed.len(), "a control listed twice");
        for name in params::CONTROL_NAMES {
            assert!(listed.contains(name), "{name} missing from the builder");
        }
    }

    #[test]
    fn frames_of_different_embeds_get_different_ids() {
        assert_ne!(
            frame_id("https://a/?act=relu"),
            frame_id("https://a/?act=selu")
        );
        assert_eq!(frame_id("x"), frame_id("x"));
    }
}
