//! Errors of the detector.

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
    /// Scoring or prediction was asked of a detector that has not been fitted.
    #[error("the detector is not fitted yet: call fit first")]
    NotFitted,
    /// `predict` was called before a threshold exists.
    #[error("no threshold is set: call infer_threshold or give one in the config")]
    NoThreshold,
}
