//! The neural half of AEGMM (Zong et al., ICLR 2018) on libtorch through `tch`.
//!
//! An [`AegmmNetwork`] chains an encoder, a decoder, the reconstruction features
//! ([`ReconFeatures`]) and a density network into the mixture inputs `z` and memberships
//! `gamma`. The networks are the default fully connected ([`Mlp`]) or convolutional
//! ([`ConvLayout`]) ones, any user `tch` modules, or one whole user model ([`JointModel`]).
//! [`TchGmm`] is the differentiable twin of `aegmm-gmm`'s `f64` mixture math, so the
//! training objective ([`aegmm_loss`]: reconstruction + energy + covariance penalty) passes
//! gradients through the Cholesky factor, the triangular solve and the log-determinant.
//! [`Trainer`] runs the seeded, fully reshuffled minibatch loop on CPU or CUDA with that
//! objective or a user's [`LossFn`], reports every batch and epoch ([`TrainEvent`]), and
//! refuses to take an optimizer step on a non-finite loss. The detector API lives in the
//! `aegmm` crate.

mod conv;
mod error;
mod gmm;
mod loss;
mod mlp;
mod network;
mod recon;
mod trainer;

pub use conv::{conv_autoencoder, ConvDecoder, ConvEncoder, ConvLayout, ImageFormat};
pub use error::NnError;
pub use gmm::{TchGmm, MAX_JITTER_TRIES};
pub use loss::{aegmm_loss, LossFn, LossTerms, LossWeights};
pub use mlp::{Mlp, Output, WeightInit};
pub use network::{check_softmax, AegmmNetwork, Forward, JointModel, ModelOutput, TabularLayout};
pub use recon::{ReconFeatures, ReconFn};
pub use trainer::{
    BatchStats, EpochStats, History, OptimizerKind, TrainConfig, TrainEvent, Trainer,
};

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, NnError>;
