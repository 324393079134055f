//! AEGMM: unsupervised outlier detection with the Deep Autoencoding Gaussian Mixture Model
//! (Zong et al., ICLR 2018, "DAGMM"), in the spirit of alibi-detect's `OutlierAEGMM`.
//!
//! An autoencoder compresses each row to a small latent code, two reconstruction features
//! join it, a density network gives soft mixture memberships, and a Gaussian mixture fitted on
//! those gives every row an energy (negative log density): the outlier score. The networks and
//! training loop live in `aegmm-nn` (libtorch), the `f64` mixture math in `aegmm-gmm`; this
//! crate ties them into a detector: [`OutlierAegmm::fit`], [`OutlierAegmm::infer_threshold`],
//! [`OutlierAegmm::predict`].
//!
//! ```
//! use aegmm::{AegmmConfig, OutlierAegmm, TrainConfig};
//! use ndarray::Array2;
//!
//! // 300 inliers on a line in 4-d space, then one row far off it.
//! let mut x = Array2::<f32>::from_shape_fn((300, 4), |(i, j)| (i as f32 / 300.0) * (j as f32 + 1.0));
//! let mut detector = OutlierAegmm::new(4, AegmmConfig::small())?;
//! let train = TrainConfig { epochs: 5, batch_size: 64, learning_rate: 1e-3, ..Default::default() };
//! detector.fit(&x, &train, &mut |_| {})?;
//! detector.infer_threshold(&x, 95.0)?;
//! x.row_mut(0).assign(&ndarray::arr1(&[5.0, -5.0, 5.0, -5.0]));
//! let prediction = detector.predict(&x, true)?;
//! println!("{}", serde_json::to_string(&prediction)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod detector;
mod error;
mod fit;
mod input;
mod networks;
mod persist;
mod prediction;
mod progress;
mod scaling;
mod threshold;

pub use aegmm_gmm::GmmParams;
pub use aegmm_nn::{
    BatchStats, ConvLayout, EpochStats, Forward, History, ImageFormat, JointModel, LossFn,
    LossTerms, LossWeights, ModelOutput, OptimizerKind, ReconFeatures, TabularLayout, TrainConfig,
    TrainEvent,
};
pub use config::AegmmConfig;
pub use detector::{OutlierAegmm, DETECTOR_NAME};
pub use error::AegmmError;
pub use fit::FitOptions;
pub use input::{DetectorInput, InputElement};
pub use networks::{JointBuilder, ModuleBuilder, NetworkDims, Networks};
pub use persist::{LoadOptions, FORMAT_VERSION};
pub use prediction::{Meta, PredictOptions, Prediction, PredictionData};
pub use scaling::InputScaling;
pub use tch::Device;
pub use threshold::threshold_for_share;

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, AegmmError>;
