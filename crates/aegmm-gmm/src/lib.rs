//! The Gaussian-mixture half of AEGMM (Zong et al., ICLR 2018), in plain `f64` ndarray code.
//!
//! Given the mixture inputs `z` (`N x D`: latent code plus reconstruction features) and the
//! soft memberships `gamma` (`N x K`) produced by the networks in `aegmm-nn`, this crate
//! estimates the mixture ([`GmmAccumulator`], batch by batch, so a whole training set never
//! has to be in memory), factors each covariance ([`cholesky_with_jitter`]) and scores rows
//! by their sample energy ([`GmmParams::energy`]), the negative log density that the detector
//! in `aegmm` uses as its outlier score. [`percentile`] gives the threshold rule and
//! [`recon_features`] the reference (`f64`) version of the default reconstruction features.
//!
//! ```
//! use aegmm_gmm::GmmAccumulator;
//! use ndarray::array;
//!
//! let z = array![[0.0, 1.0], [0.2, 0.8], [2.0, 3.0], [2.2, 3.1]];
//! let gamma = array![[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]];
//! let mut acc = GmmAccumulator::new(2, 2);
//! acc.update(z.view(), gamma.view()).unwrap();
//! let gmm = acc.finish(1e-6).unwrap();
//! let energy = gmm.energy(array![[0.1, 0.9], [50.0, -50.0]].view()).unwrap();
//! assert!(energy[1] > energy[0]);
//! ```

mod blas;
mod cholesky;
mod energy;
mod error;
mod estimate;
mod percentile;
mod recon;

pub use blas::{blas_threads, set_blas_threads};
pub use cholesky::{cholesky_with_jitter, MAX_JITTER_TRIES};
pub use error::GmmError;
pub use estimate::{GmmAccumulator, GmmParams};
pub use percentile::percentile;
pub use recon::{recon_features, MAX_RELATIVE_DISTANCE};

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, GmmError>;
