//! AEGMM: unsupervised outlier detection with the Deep Autoencoding Gaussian Mixture Model
//! (Zong et al., ICLR 2018, "DAGMM"), in the spirit of alibi-detect's `OutlierAEGMM`.
//!
//! An autoencoder compresses each row to a small latent code, reconstruction features join
//! it, a density network gives soft mixture memberships, and a Gaussian mixture fitted on
//! those gives every row an energy (negative log density): the outlier score. The networks and
//! training loop live in `aegmm-nn` (libtorch), the `f64` mixture math in `aegmm-gmm`; this
//! crate ties them into a detector.
//!
//! ```
//! use aegmm::{AegmmConfig, OutlierAegmm, TrainConfig};
//! use ndarray::Array2;
//!
//! // 300 inliers on a line in 4-d space, then one row far off it.
//! let mut x = Array2::<f32>::from_shape_fn((300, 4), |(i, j)| {
//!     (i as f32 / 300.0) * (j as f32 + 1.0)
//! });
//! let mut detector = OutlierAegmm::new(4, AegmmConfig::small())?;
//! let train = TrainConfig {
//!     epochs: 5,
//!     batch_size: 64,
//!     learning_rate: 1e-3,
//!     ..Default::default()
//! };
//! detector.fit(&x, &train, &mut |_| {})?;
//! detector.infer_threshold(&x, 95.0)?;
//! x.row_mut(0).assign(&ndarray::arr1(&[5.0, -5.0, 5.0, -5.0]));
//! let prediction = detector.predict(&x, true)?;
//! println!("{}", serde_json::to_string(&prediction)?);
//!
//! // One file holds everything; the loaded detector scores every row bit for bit alike.
//! let path = std::env::temp_dir().join(format!("aegmm-doc-{}.st", std::process::id()));
//! detector.save(&path)?;
//! let loaded = OutlierAegmm::load(&path)?;
//! assert_eq!(loaded.score(&x)?, detector.score(&x)?);
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The parts
//!
//! - **Construction**: [`OutlierAegmm::new`] (rows of `F` values) or
//!   [`OutlierAegmm::with_shape`] (images `H x W x C` or `C x H x W`, as
//!   [`AegmmConfig::image_format`] says) with an [`AegmmConfig`]: `n_gmm`, the latent width
//!   (`layout.latent_dim`), the [`Networks`] (dense, convolutional, or yours), the
//!   [`ReconFeatures`] (default, mean squared error + cosine, or a function of any width
//!   `R >= 0`), `eps`, the threshold, the `data_type` label and an optional [`InputScaling`].
//! - **Training**: [`OutlierAegmm::fit`] with a [`TrainConfig`] (epochs, batch size, learning
//!   rate, [`OptimizerKind`] Adam, AdamW or SGD, [`LossWeights`], seed), or
//!   [`OutlierAegmm::fit_with`] and [`FitOptions`] for a custom loss, a progress bar, a
//!   per-batch and per-epoch metric callback, or another device. Both return the [`History`].
//! - **Scores and thresholds**: [`OutlierAegmm::score`] (energies),
//!   [`OutlierAegmm::feature_score`] (squared reconstruction error per feature), and the
//!   threshold from a percentile ([`OutlierAegmm::infer_threshold`]), an expected share of
//!   outliers ([`OutlierAegmm::infer_threshold_contamination`]) or a false-positive rate on
//!   labelled inliers ([`OutlierAegmm::infer_threshold_fpr`]). Inputs are `f32` or `f64`
//!   `ndarray` arrays or `tch` tensors ([`DetectorInput`]).
//! - **Prediction**: [`OutlierAegmm::predict`] and [`OutlierAegmm::predict_with`] return a
//!   [`Prediction`] whose JSON has alibi-detect's layout: `meta` {name, detector_type,
//!   data_type, online, version} and `data` {is_outlier, instance_score, feature_score}.
//! - **Save and load**: [`OutlierAegmm::save`] writes one safetensors file atomically;
//!   [`OutlierAegmm::load`] and [`OutlierAegmm::load_with`] read it back and refuse another
//!   format version, a missing part or weights that do not fit, each with its own
//!   [`AegmmError`].
//!
//! # Your own networks
//!
//! A user network is a *builder*: a function that creates a `tch` module under the
//! [`tch::nn::Path`] it is given, sized from the [`NetworkDims`] it is handed. The path lies in
//! the detector's own `VarStore`, so the weights train, save and load with the detector. The
//! density network must end in a softmax over `n_gmm`; the detector runs every network once
//! when it is built and refuses wrong shapes or a density output that is not a softmax.
//! Saved files hold the weights but not the code: **to load a detector built with
//! [`Networks::Custom`] or [`Networks::Joint`] (or [`ReconFeatures::Custom`]), pass the same
//! builders (or function, of the same width) in [`LoadOptions`]**; other builders whose
//! weights do not fit are refused with [`AegmmError::WeightsMismatch`].
//!
//! ```
//! use aegmm::{AegmmConfig, LoadOptions, NetworkDims, Networks, OutlierAegmm, TrainConfig};
//! use tch::nn;
//!
//! fn networks() -> Networks {
//!     let dense = |p: &nn::Path, a: usize, b: usize| {
//!         nn::linear(p / "0", a as i64, b as i64, Default::default())
//!     };
//!     Networks::custom(
//!         move |p: &nn::Path, d: &NetworkDims| dense(p, d.n_features, d.latent_dim),
//!         move |p: &nn::Path, d: &NetworkDims| dense(p, d.latent_dim, d.n_features),
//!         move |p: &nn::Path, d: &NetworkDims| {
//!             nn::seq_t()
//!                 .add(dense(p, d.mixture_dim, d.n_gmm))
//!                 .add_fn(|x| x.softmax(-1, tch::Kind::Float))
//!         },
//!     )
//! }
//!
//! let x = ndarray::Array2::<f32>::from_shape_fn((200, 3), |(i, j)| {
//!     ((i * (j + 1)) % 17) as f32 / 17.0
//! });
//! let config = AegmmConfig { networks: networks(), ..AegmmConfig::small() };
//! let mut detector = OutlierAegmm::new(3, config)?;
//! let train = TrainConfig { epochs: 2, batch_size: 50, ..Default::default() };
//! detector.fit(&x, &train, &mut |_| {})?;
//!
//! let path = std::env::temp_dir().join(format!("aegmm-doc-user-{}.st", std::process::id()));
//! detector.save(&path)?;
//! let options = LoadOptions { networks: Some(networks()), ..LoadOptions::default() };
//! let loaded = OutlierAegmm::load_with(&path, options)?;
//! assert_eq!(loaded.score(&x)?, detector.score(&x)?);
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! One whole model returning latent code, reconstruction and memberships implements
//! [`JointModel`] and is passed as [`Networks::joint`].

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
    TrainEvent, WeightInit,
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
