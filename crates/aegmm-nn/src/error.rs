//! Errors of the networks and the training loop.

/// What can go wrong while building, running or training the networks.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// libtorch reported an error.
    #[error("libtorch error: {0}")]
    Torch(#[from] tch::TchError),
    /// A setting is out of its valid range.
    #[error("invalid setting: {0}")]
    Config(String),
    /// The loss became NaN or infinite; no optimizer step was taken on it.
    #[error(
        "non-finite loss at epoch {epoch}, batch {batch}: the {term} term is {value} \
         (recon {recon}, energy {energy}, cov_diag {cov_diag}); no step was taken on it. \
         Lower the learning rate, raise eps, or check the input scaling"
    )]
    NonFiniteLoss {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based batch within the epoch.
        batch: usize,
        /// The first term that is not finite: `recon`, `energy`, `cov_diag`, `total` (a custom
        /// loss whose terms are finite) or `gradient`.
        term: &'static str,
        /// Its value.
        value: f64,
        /// The reconstruction term.
        recon: f64,
        /// The mean energy term (unweighted).
        energy: f64,
        /// The covariance penalty (unweighted).
        cov_diag: f64,
    },
    /// The mixture inputs or parameters hold NaN or infinite values.
    #[error(
        "the mixture inputs are not finite (NaN or infinite values in z or gamma); \
         check the input scaling or lower the learning rate"
    )]
    NonFiniteMixture,
    /// The mixture covariance stayed singular even with the largest jitter.
    #[error(
        "covariance of mixture component {component} is not positive definite even with \
         {jitter:e} added to its diagonal (the latent features collapsed); use a larger eps, \
         a larger batch or fewer components"
    )]
    Cholesky {
        /// Component index.
        component: usize,
        /// The largest jitter tried.
        jitter: f64,
    },
    /// A network returned a tensor of the wrong shape.
    #[error(
        "the {network} network returned a tensor of shape {got:?} for a batch of {rows} rows; \
         expected {expected}. Build it for the detector's input shape, latent_dim and n_gmm"
    )]
    NetworkOutput {
        /// Which network: `encoder`, `decoder`, `density` or `whole model`.
        network: &'static str,
        /// Rows in the batch.
        rows: i64,
        /// The shape that was needed, in words.
        expected: String,
        /// The shape that came back.
        got: Vec<i64>,
    },
    /// The density network's output is not a softmax over the mixture components.
    #[error(
        "the density network's output is not a softmax over the {n_gmm} mixture components: \
         {detail}. End the density network with a softmax over its last axis"
    )]
    NotSoftmax {
        /// Number of components `K`.
        n_gmm: usize,
        /// What was seen (row sums, negative or non-finite entries).
        detail: String,
    },
    /// A user's reconstruction-feature function returned the wrong shape.
    #[error(
        "the reconstruction-feature function returned shape {got:?} for a batch of {rows} \
         rows; expected {rows} x {width} (the width given in ReconFeatures::Custom)"
    )]
    ReconFeatures {
        /// Rows in the batch.
        rows: i64,
        /// The declared width `R`.
        width: usize,
        /// The shape that came back.
        got: Vec<i64>,
    },
}
