//! The one list of panels. Pure (no web imports): the URL table (`embed=`) reads it too.

macro_rules! panels {
    ($($id:ident => $name:literal, $title:literal;)*) => {
        /// Every panel, in page order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum PanelId {
            $($id),*
        }

        impl PanelId {
            pub const ALL: &'static [PanelId] = &[$(PanelId::$id),*];
            /// URL names (`embed=`), in the order of [`PanelId::ALL`].
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// The panel's URL name, also its element id `panel-NAME`.
            pub fn name(self) -> &'static str {
                match self {
                    $(PanelId::$id => $name),*
                }
            }

            pub fn title(self) -> &'static str {
                match self {
                    $(PanelId::$id => $title),*
                }
            }
        }
    };
}

panels! {
    Activation => "activation", "Activation";
    Stats => "stats", "Layer statistics: mean and variance";
    Hist => "hist", "Distribution of post-activations per layer";
    Grads => "grads", "Backward signal (gradient) per layer";
    Corr => "corr", "Correlation of input pairs: order or chaos";
    Jacobian => "jacobian", "Jacobian singular values: dynamical isometry";
    SeluMap => "selu_map", "The self-normalization map (mean, variance) → next layer";
    Phase => "phase", "Phase diagram: order to chaos";
    Derive => "derive", "Derive SELU's constants";
    Train => "train", "Train: does it stay normalized while it learns?";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_list() {
        assert_eq!(PanelId::ALL.len(), PanelId::NAMES.len());
        for (id, name) in PanelId::ALL.iter().zip(PanelId::NAMES) {
            assert_eq!(id.name(), *name);
        }
    }
}
