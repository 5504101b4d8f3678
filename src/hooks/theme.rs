use super::listener::listen;
use crate::charts::Theme;
use crate::web;
use yew::prelude::*;

/// The colour theme in force: the URL's choice (`light`, `dark`), or for `auto` the system's
/// preference, followed live. Also keeps `<html data-theme>` (which drives the CSS) equal to
/// it. The charts receive it through a Yew context, not from the DOM.
#[hook]
pub fn use_theme(choice: &'static str) -> Theme {
    let system_dark = use_state(|| web::dark_query().is_some_and(|q| q.matches()));
    {
        let system_dark = system_dark.clone();
        use_effect_with((), move |_| {
            let query = web::dark_query();
            let target = query.clone().map(Into::into);
            listen(target, "change", move || {
                system_dark.set(query.as_ref().is_some_and(|q| q.matches()));
            })
        });
    }
    let theme = resolve(choice, *system_dark);
    use_effect_with(theme, |theme| web::apply_theme(theme.name()));
    theme
}

/// The theme for a URL choice and the system's preference.
pub fn resolve(choice: &str, system_dark: bool) -> Theme {
    match choice {
        "dark" => Theme::Dark,
        "light" => Theme::Light,
        _ if system_dark => Theme::Dark,
        _ => Theme::Light,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_choice_wins_over_the_system() {
        assert_eq!(resolve("dark", false), Theme::Dark);
        assert_eq!(resolve("light", true), Theme::Light);
        assert_eq!(resolve("auto", true), Theme::Dark);
        assert_eq!(resolve("auto", false), Theme::Light);
    }
}
