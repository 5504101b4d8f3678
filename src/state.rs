//! One state, one action enum, one reducer (Yew's function_todomvc pattern).

use crate::params::{Notice, Params};
use std::rc::Rc;
use yew::Reducible;

/// Most notices kept on screen at once; older ones are dropped first.
const MAX_NOTICES: usize = 8;

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Everything that lives in the URL.
    pub params: Params,
    /// Visible, dismissible messages about replaced values.
    pub notices: Vec<Notice>,
}

pub enum Action {
    /// Set one URL parameter from text (typed, slid or chosen); invalid text gets a notice.
    Set {
        name: &'static str,
        raw: String,
    },
    /// Dismiss the notice at this index.
    Dismiss(usize),
    DismissAll,
}

impl State {
    pub fn from_query(query: &str) -> State {
        let (params, mut notices) = Params::from_query(query);
        notices.truncate(MAX_NOTICES);
        State { params, notices }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Set { name, raw } => {
                let notice = next.params.set(name, &raw);
                // A change of width, groups or normalization can leave GroupNorm's groups not
                // dividing the width.
                let fitted = next.params.fit_groups();
                // A newer notice about the same parameter replaces the older one; a valid value
                // clears it.
                next.notices
                    .retain(|n| n.param != name && !(fitted.is_some() && n.param == "groups"));
                for n in notice.into_iter().chain(fitted) {
                    next.notices.push(n);
                    if next.notices.len() > MAX_NOTICES {
                        next.notices.remove(0);
                    }
                }
            }
            Action::Dismiss(i) => {
                if i < next.notices.len() {
                    next.notices.remove(i);
                }
            }
            Action::DismissAll => next.notices.clear(),
        }
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_value_clears_the_notice_about_that_parameter() {
        let s = Rc::new(State::from_query("depth=0"));
        assert_eq!(s.notices.len(), 1);
        let s = s.reduce(Action::Set {
            name: "depth",
            raw: "20".into(),
        });
        assert!(s.notices.is_empty());
        assert_eq!(s.params.config.depth, 20);
    }

    #[test]
    fn typed_garbage_keeps_the_value_and_says_so() {
        let s = Rc::new(State::from_query(""));
        let s = s.reduce(Action::Set {
            name: "width",
            raw: "wide".into(),
        });
        assert_eq!(s.params.config.width, 128);
        assert_eq!(s.notices[0].param, "width");
        let s = s.reduce(Action::Dismiss(0));
        assert!(s.notices.is_empty());
    }

    /// Changing the width under GroupNorm refits the groups (8 does not divide 100: 10 does, and
    /// is nearer than 5) and says so; a later valid width keeps the groups and the notice goes.
    #[test]
    fn a_new_width_refits_group_norm_groups() {
        let s = Rc::new(State::from_query("norm=group&groups=8"));
        assert!(s.notices.is_empty());
        let s = s.reduce(Action::Set {
            name: "width",
            raw: "100".into(),
        });
        assert_eq!(s.params.config.groups, 10);
        assert_eq!(s.notices.len(), 1);
        assert_eq!(s.notices[0].param, "groups");
        let s = s.reduce(Action::Set {
            name: "groups",
            raw: "20".into(),
        });
        assert_eq!(s.params.config.groups, 20);
        assert!(s.notices.is_empty(), "{:?}", s.notices);
    }
}
