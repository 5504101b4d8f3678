//! The controls, generated from the URL table: each field's row gives its label, range, scale,
//! unit and group, so a range is written once (in `params.rs`).

use crate::components::widgets::{Number, Select};
use crate::components::Setter;
use crate::params::{self, Field, Group, Params, Widget};
use crate::web;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ParamControlProps {
    /// The field's URL name.
    pub name: &'static str,
    /// The element ids' prefix (the phone bar's copies need their own).
    #[prop_or(AttrValue::Static("ctl-"))]
    pub id_prefix: AttrValue,
    pub params: Params,
    pub set: Setter,
    /// A shorter label than the table's (the phone bar's).
    #[prop_or_default]
    pub label: Option<AttrValue>,
}

/// One parameter's control, as its table row describes it (nothing for a field without one).
#[function_component]
pub fn ParamControl(props: &ParamControlProps) -> Html {
    let Some((field, control)) = params::field(props.name).and_then(|f| Some((f, f.control?)))
    else {
        return html! {};
    };
    let name = field.name;
    let disabled = props.params.locks(name);
    let value = props.params.get(name);
    let set = props.set.clone();
    let label = props
        .label
        .clone()
        .unwrap_or(AttrValue::Static(control.label));
    match control.widget {
        Widget::Number(scale) => {
            let (min, max) = field.range();
            html! {
                <Number name={name} id_prefix={props.id_prefix.clone()} {label} unit={control.unit} value={value} {min} {max} {scale} {disabled}
                    onchange={Callback::from(move |raw: String| set.emit((name, raw)))} />
            }
        }
        Widget::Select(options) => {
            let options = options()
                .into_iter()
                .map(|(v, l)| (AttrValue::from(v), AttrValue::from(l)))
                .collect::<Vec<_>>();
            html! {
                <Select name={name} id_prefix={props.id_prefix.clone()} {label} value={value} {options} {disabled}
                    onchange={Callback::from(move |v: String| { set.emit((name, v)); })} />
            }
        }
    }
}

/// The sidebar's fields of `group` that are shown now.
fn shown_in(group: Group, p: &Params) -> Vec<&'static Field> {
    params::FIELDS
        .iter()
        .filter(|f| {
            f.control.is_some_and(|c| {
                c.group == Some(group) && c.shown.is_none_or(|shown| shown(p)) && !p.hides(f.name)
            })
        })
        .collect()
}

/// The controls the phone bar repeats (what a lesson changes most), with their short labels.
pub const QUICK: &[(&str, &str)] = &[
    ("act", "Activation"),
    ("init", "Initializer"),
    ("depth", "Depth"),
];

/// On a narrow screen, a bar that stays at the top while the plots scroll, with the activation,
/// the initializer and the depth (those not hidden), so a change and its effect are on screen
/// together: one row of the three when they fit, short labels. Hidden on wide screens, where
/// the sidebar stays in view (static/style.css).
#[function_component]
pub fn QuickBar(props: &SidebarProps) -> Html {
    let p = &props.params;
    let shown: Vec<(&str, &str)> = QUICK.iter().copied().filter(|n| !p.hides(n.0)).collect();
    if shown.is_empty() {
        return html! {};
    }
    html! {
        <div class="quick-bar" role="group" aria-label="Main controls">
            { for shown.into_iter().map(|(name, label)| html! {
                <ParamControl {name} id_prefix="quick-" params={p.clone()} set={props.set.clone()}
                    label={Some(AttrValue::Static(label))} />
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SidebarProps {
    pub params: Params,
    pub set: Setter,
}

/// Every control, grouped; a group whose controls are all hidden is left out.
#[function_component]
pub fn Sidebar(props: &SidebarProps) -> Html {
    let p = &props.params;
    let groups = Group::SIDEBAR.iter().filter_map(|&g| {
        let fields = shown_in(g, p);
        if fields.is_empty() {
            return None;
        }
        let controls = fields.iter().map(|f| {
            let control = html! { <ParamControl name={f.name} params={p.clone()} set={props.set.clone()} /> };
            if f.name == "seed" {
                let set = props.set.clone();
                let onclick = Callback::from(move |_: MouseEvent| {
                    set.emit(("seed", web::fresh_seed().to_string()));
                });
                html! {
                    <div class="seed-row">
                        { control }
                        <button type="button" id="new-seed" {onclick} disabled={p.locks("seed")}>{ "New seed" }</button>
                    </div>
                }
            } else {
                control
            }
        });
        Some(html! {
            <fieldset>
                <legend>{ g.legend() }</legend>
                { for controls }
            </fieldset>
        })
    });
    html! {
        <aside class="controls" aria-label="Controls">
            { for groups }
        </aside>
    }
}

/// Whether every sidebar control is hidden (the layout then drops the sidebar).
pub fn all_hidden(p: &Params) -> bool {
    params::FIELDS
        .iter()
        .filter(|f| {
            f.control
                .and_then(|c| c.group)
                .is_some_and(|g| Group::SIDEBAR.contains(&g))
        })
        .all(|f| p.hides(f.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hideable_control_has_a_row_and_every_sidebar_row_is_hideable() {
        for name in params::CONTROL_NAMES {
            let f = params::field(name).unwrap_or_else(|| panic!("{name}"));
            assert!(f.control.and_then(|c| c.group).is_some(), "{name}");
        }
        for f in params::FIELDS {
            if f.control.and_then(|c| c.group).is_some() {
                assert!(params::CONTROL_NAMES.contains(&f.name), "{}", f.name);
            }
        }
    }

    #[test]
    fn only_the_chosen_activations_parameters_are_shown() {
        let (p, _) = Params::from_query("act=leaky_relu");
        let names: Vec<_> = shown_in(Group::Activation, &p)
            .iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, ["act", "slope"]);
        // CELU shares ELU's alpha: the control follows the activation table.
        let (p, _) = Params::from_query("act=celu");
        let names: Vec<_> = shown_in(Group::Activation, &p)
            .iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, ["act", "alpha"]);
        let (p, _) = Params::from_query("act=selu&hide=act");
        assert!(shown_in(Group::Activation, &p).is_empty());
    }
}
