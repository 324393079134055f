//! Errors of the mixture math.

/// What can go wrong in the mixture math; each message says what to change.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum GmmError {
    /// Two arrays that must agree in a dimension do not.
    #[error("shape mismatch: {what} (expected {expected}, got {got})")]
    Shape {
        /// Which array and axis.
        what: &'static str,
        /// The size that was needed.
        expected: usize,
        /// The size that was given.
        got: usize,
    },
    /// No rows were given where at least one is needed.
    #[error("{0} is empty: at least one row is needed")]
    Empty(&'static str),
    /// A value is NaN or infinite.
    #[error("{what} has a non-finite value ({value}) at row {row}, column {col}")]
    NonFinite {
        /// Which array.
        what: &'static str,
        /// Row index (0-based).
        row: usize,
        /// Column index (0-based).
        col: usize,
        /// The offending value.
        value: f64,
    },
    /// A component received no membership weight at all, so its mean is undefined.
    #[error(
        "mixture component {component} has zero total membership (sum of gamma = {weight}); \
         use fewer components or more varied data"
    )]
    EmptyComponent {
        /// Component index.
        component: usize,
        /// Its total membership.
        weight: f64,
    },
    /// The covariance stayed non positive definite even with the largest jitter tried.
    #[error(
        "covariance of mixture component {component} is not positive definite even with \
         {jitter:e} added to its diagonal; the latent features are collapsed (constant or \
         duplicated columns): use a larger eps, fewer components or more varied data"
    )]
    Cholesky {
        /// Component index.
        component: usize,
        /// The largest jitter tried.
        jitter: f64,
    },
    /// A setting is out of its valid range.
    #[error("invalid setting: {0}")]
    Invalid(String),
}
