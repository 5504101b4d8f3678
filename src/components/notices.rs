use crate::params::Notice;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NoticesProps {
    pub notices: Vec<Notice>,
    /// Dismisses the notice at this index.
    pub on_dismiss: Callback<usize>,
    pub on_dismiss_all: Callback<()>,
}

/// Messages about replaced values, each dismissible.
#[function_component]
pub fn Notices(props: &NoticesProps) -> Html {
    if props.notices.is_empty() {
        return html! {};
    }
    let items = props.notices.iter().enumerate().map(|(i, n)| {
        let onclick = props.on_dismiss.reform(move |_: MouseEvent| i);
        html! {
            <li class="notice" data-param={n.param.clone()}>
                <span>{ &n.message }</span>
                <button type="button" class="dismiss" {onclick} aria-label={format!("Dismiss notice about {}", n.param)}>{ "×" }</button>
            </li>
        }
    });
    html! {
        <section class="notices" aria-label="Notices" role="alert">
            <ul>{ for items }</ul>
            if props.notices.len() > 1 {
                <button type="button" class="dismiss-all" onclick={props.on_dismiss_all.reform(|_: MouseEvent| ())}>{ "Dismiss all" }</button>
            }
        </section>
    }
}
