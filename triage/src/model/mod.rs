//! The statistical half of triage: a linear model over hashed word and character n-grams, trained at build time
//! (see `build.rs`) on the corpus in `triage/train/` and embedded in the binary. It reads the whole message, so
//! it recognises what a message is about when no lexicon phrase matches ("a payment to you I cannot place",
//! "is there live support?"); the rules around it keep the labels whose cost of a miss is high and veto or
//! confirm what the model says (see `crate::combine`).

pub(crate) mod format;
pub(crate) mod heads;
pub(crate) mod text;

// Used by build.rs; compiled into the crate only for their unit tests and for cross-validation.
#[cfg(any(test, feature = "training"))]
pub(crate) mod corpus;
#[cfg(any(test, feature = "training"))]
pub(crate) mod fit;
#[cfg(any(test, feature = "training"))]
pub(crate) mod labelled;
#[cfg(any(test, feature = "training"))]
pub(crate) mod train;

use heads::HEADS;

static MODEL: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/triage-model.bin"));

/// Sizes of the embedded model, for documentation and `explain`.
pub(crate) mod info {
    include!(concat!(env!("OUT_DIR"), "/triage-model-info.rs"));
    const _: () = assert!(
        FEATURES > 1_000 && MESSAGES > UNITS,
        "the model was trained on the corpus"
    );
}

/// The embedded model, read in place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Model {
    view: format::View<'static>,
}

/// Per-head probabilities of one message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scores(pub [f32; HEADS]);

impl Model {
    /// The model `build.rs` embedded.
    pub(crate) fn embedded() -> Model {
        Model {
            view: format::View::new(MODEL).expect("build.rs writes a model of this crate's heads"),
        }
    }

    /// A model trained at run time (cross-validation); `None` when the bytes are not one.
    #[cfg(feature = "training")]
    pub(crate) fn from_bytes(bytes: &'static [u8]) -> Option<Model> {
        format::View::new(bytes).map(|view| Model { view })
    }

    /// Scores `text`.
    pub(crate) fn scores(&self, text: &str) -> Scores {
        let mut hashes = Vec::with_capacity(256);
        text::features(text, &mut hashes);
        let z = self.view.logits(&hashes);
        Scores(z.map(|z| 1.0 / (1.0 + (-z).exp())))
    }
}

impl Scores {
    /// Probability of head `h`.
    pub(crate) fn p(&self, h: usize) -> f32 {
        self.0[h]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_model_is_valid_and_sized() {
        let model = Model::embedded();
        assert_eq!(model.view.features(), info::FEATURES);
        let s = model.scores("Where is my parcel? Tracking has not moved in a week.");
        assert!(s.p(heads::ORDERS) > 0.5, "{s:?}");
        assert!(s.p(heads::LEGAL) < 0.5, "{s:?}");
    }
}
