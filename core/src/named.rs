//! [`named_enum!`]: a fieldless enum declared with each variant's URL name and label, from which
//! `ALL`, `NAMES`, `name`, `label` and `from_name` are generated (the activations have their own,
//! richer table in `activation/table.rs`).

/// Declares `enum $name { $variant, ... }` with `ALL` (declaration order), `NAMES`, `name()`
/// (the stable URL name), `label()` (human-readable) and `from_name()`.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = ($url:literal, $label:literal)
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($url),*].len()] = [$($name::$variant),*];
            /// Every URL name, in the order of `ALL`.
            pub const NAMES: [&'static str; [$($url),*].len()] = [$($url),*];

            /// Stable name used in the URL.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $url,)*
                }
            }

            /// Human-readable label.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)*
                }
            }

            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.name() == name)
            }
        }
    };
}
