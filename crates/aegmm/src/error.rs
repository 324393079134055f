//! Errors of the detector.

use std::path::PathBuf;

/// What can go wrong with the detector; each message says what was wrong and where.
#[derive(Debug, thiserror::Error)]
pub enum AegmmError {
    /// The mixture math refused its input.
    #[error(transparent)]
    Gmm(#[from] aegmm_gmm::GmmError),
    /// The networks or the training loop failed.
    #[error(transparent)]
    Nn(#[from] aegmm_nn::NnError),
    /// libtorch reported an error.
    #[error("libtorch error: {0}")]
    Torch(#[from] tch::TchError),
    /// A setting is out of its valid range.
    #[error("invalid setting: {0}")]
    Config(String),
    /// The input has no rows.
    #[error("the input has no rows")]
    EmptyInput,
    /// The input's shape does not fit the detector.
    #[error("wrong input shape: expected {expected}, got {got}")]
    Shape {
        /// What the detector was built for.
        expected: String,
        /// What was given.
        got: String,
    },
    /// An input value is NaN or infinite.
    #[error("input value at row {row}, column {col} is {value}; inputs must be finite")]
    NonFiniteInput {
        /// Row (0-based).
        row: usize,
        /// Column (0-based; the flattened index for images).
        col: usize,
        /// The value.
        value: f64,
    },
    /// Scoring, prediction or saving was asked of a detector that has not been fitted.
    #[error("the detector is not fitted yet: call fit first")]
    NotFitted,
    /// `predict` was called before a threshold exists.
    #[error("no threshold is set: call infer_threshold or give one in the config")]
    NoThreshold,
    /// Reading or writing a saved detector failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file is not a readable saved detector (not safetensors, damaged, or not ours).
    #[error("{} is not a readable aegmm detector file: {detail}", path.display())]
    CorruptSave {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// A saved detector has a format version this library does not read.
    #[error(
        "{} holds an aegmm detector in format version {found}; this library reads format \
         version {supported} only: load it with the aegmm version that wrote it and save it \
         again with this one",
        path.display()
    )]
    FormatVersion {
        /// The file.
        path: PathBuf,
        /// The version found in the file.
        found: String,
        /// The version this library reads.
        supported: u32,
    },
    /// A saved detector lacks one of its parts.
    #[error(
        "{} is incomplete: {missing} is missing. The file was cut short or changed after \
         saving: save the detector again",
        path.display()
    )]
    IncompleteSave {
        /// The file.
        path: PathBuf,
        /// The part that is missing.
        missing: String,
    },
    /// The saved weights do not fit the networks they are loaded into.
    #[error(
        "the weights in {} do not fit the configured networks: {detail}. Load it with the \
         networks (and the same builders) it was saved with",
        path.display()
    )]
    WeightsMismatch {
        /// The file.
        path: PathBuf,
        /// Which tensors are missing, extra or of another shape.
        detail: String,
    },
    /// A saved detector needs user code that the load was not given.
    #[error(
        "{} was saved with user-supplied {what}; pass the same {what} in LoadOptions to \
         load it",
        path.display()
    )]
    NeedsUserParts {
        /// The file.
        path: PathBuf,
        /// What must be passed again.
        what: &'static str,
    },
}
