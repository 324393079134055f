//! The detector: construction, scoring and prediction.

use std::sync::Mutex;

use aegmm_gmm::{GmmAccumulator, GmmParams};
use aegmm_nn::{check_softmax, AegmmNetwork, Forward};
use ndarray::{Array1, Array2, Axis};
use tch::{nn, Device, Kind, Tensor};

use crate::config::AegmmConfig;
use crate::input::{batch_tensor, check_shape, DetectorInput};
use crate::networks::NetworkDims;
use crate::prediction::{Meta, PredictOptions, Prediction, PredictionData};
use crate::{AegmmError, Result};

static INIT_LOCK: Mutex<()> = Mutex::new(());

/// Name reported in the prediction metadata.
pub const DETECTOR_NAME: &str = "OutlierAEGMM";

/// The AEGMM outlier detector: networks, fitted mixture and threshold.
#[derive(Debug)]
pub struct OutlierAegmm {
    pub(crate) config: AegmmConfig,
    pub(crate) row_shape: Vec<usize>,
    pub(crate) vs: nn::VarStore,
    pub(crate) net: AegmmNetwork,
    pub(crate) gmm: Option<GmmParams>,
    pub(crate) threshold: Option<f64>,
}

/// Energies of a batch and, when asked, each feature's squared reconstruction error.
struct BatchScores {
    energy: Vec<f64>,
    features: Option<Array2<f64>>,
}

impl OutlierAegmm {
    /// A detector for rows of `n_features` values.
    pub fn new(n_features: usize, config: AegmmConfig) -> Result<Self> {
        Self::with_shape(&[n_features], config)
    }

    /// A detector for rows of shape `row_shape`: `[F]` for tables, `[H, W, C]` or `[C, H, W]`
    /// for images (as `config.image_format` says), any other shape for user networks.
    ///
    /// Builds the networks of `config.networks` and runs them once on two all-zero rows: a
    /// network that returns the wrong shape, or a density network whose output is not a
    /// softmax over `n_gmm`, is an error here, before any training.
    pub fn with_shape(row_shape: &[usize], config: AegmmConfig) -> Result<Self> {
        config.validate()?;
        if row_shape.is_empty() || row_shape.contains(&0) {
            return Err(AegmmError::Config(format!(
                "every axis of a row needs at least one value, got row shape {row_shape:?}"
            )));
        }
        let n_features = row_shape.iter().product();
        if let Some(scaling) = &config.input_scaling {
            scaling.validate(n_features)?;
        }
        let dims = NetworkDims {
            input_shape: row_shape.to_vec(),
            n_features,
            latent_dim: config.layout.latent_dim,
            recon_dim: config.recon_features.width(),
            mixture_dim: config.layout.latent_dim + config.recon_features.width(),
            n_gmm: config.n_gmm,
        };

        single_threaded_blas();

        // libtorch's generator is global: hold it while seeding and drawing initial weights
        // so that detectors built on other threads cannot interleave their draws.
        let guard = INIT_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        tch::manual_seed(config.seed as i64);
        let vs = nn::VarStore::new(config.device);
        let net = config.networks.build(&vs.root(), &dims, &config);
        drop(guard);

        let detector = Self {
            threshold: config.threshold,
            config,
            row_shape: row_shape.to_vec(),
            vs,
            net: net?,
            gmm: None,
        };
        detector.probe_networks()?;
        Ok(detector)
    }

    /// The construction settings.
    pub fn config(&self) -> &AegmmConfig {
        &self.config
    }

    /// Shape of one input row.
    pub fn row_shape(&self) -> &[usize] {
        &self.row_shape
    }

    /// The `VarStore` holding every network weight.
    pub fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }

    /// Where the networks run.
    pub fn device(&self) -> Device {
        self.vs.device()
    }

    /// Moves the networks (and all later training and scoring) to `device`; errors, leaving
    /// the detector where it was, when libtorch cannot see that device.
    pub fn set_device(&mut self, device: Device) -> Result<()> {
        crate::config::check_device(device)?;
        self.vs.set_device(device);
        self.config.device = device;
        Ok(())
    }

    /// The mixture fitted over the whole training set, once `fit` has run.
    pub fn gmm(&self) -> Option<&GmmParams> {
        self.gmm.as_ref()
    }

    /// The current outlier threshold on the energy.
    pub fn threshold(&self) -> Option<f64> {
        self.threshold
    }

    /// The network weights by name (shallow copies sharing storage with the detector).
    pub fn variables(&self) -> std::collections::HashMap<String, Tensor> {
        self.vs.variables()
    }

    /// Sets the threshold by hand; it must be finite.
    pub fn set_threshold(&mut self, threshold: f64) -> Result<()> {
        if !threshold.is_finite() {
            return Err(AegmmError::Config(format!(
                "threshold must be finite, got {threshold}"
            )));
        }
        self.threshold = Some(threshold);
        Ok(())
    }

    /// Sets how many rows are scored at once (memory for speed; scores do not depend on it
    /// beyond float rounding). Zero is refused and the old size kept.
    pub fn set_score_batch_size(&mut self, rows: usize) -> Result<()> {
        if rows == 0 {
            return Err(AegmmError::Config(
                "score_batch_size must be at least 1, got 0".into(),
            ));
        }
        self.config.score_batch_size = rows;
        Ok(())
    }

    /// The energy (outlier score) of every row of `x`, `N`; higher is more unusual.
    pub fn score<X: DetectorInput + ?Sized>(&self, x: &X) -> Result<Array1<f64>> {
        Ok(Array1::from(self.score_batches(x, false)?.energy))
    }

    /// Each feature's squared reconstruction error `(x - x_hat)^2` for every row of `x`,
    /// `N x F` (images flattened in the order of their axes), in the units the networks see.
    pub fn feature_score<X: DetectorInput + ?Sized>(&self, x: &X) -> Result<Array2<f64>> {
        let scores = self.score_batches(x, true)?;
        scores
            .features
            .ok_or_else(|| AegmmError::Config("internal: feature scores were not kept".into()))
    }

    /// The mixture inputs `z = [latent, recon_features]` of every row of `x`, `N x D`, as
    /// scoring computes them (dropout off).
    pub fn mixture_inputs<X: DetectorInput + ?Sized>(&self, x: &X) -> Result<Array2<f64>> {
        let n = check_shape(x, &self.row_shape)?;
        let mut rows = Vec::with_capacity(n.div_ceil(self.config.score_batch_size));
        for (start, end) in self.batches(n) {
            let fwd = self.forward_eval(&self.input_batch(x, start, end)?)?;
            rows.push(to_array2(&fwd.z)?);
        }
        concat_rows(&rows)
    }

    /// Flags each row of `x` whose energy is strictly above the threshold; with
    /// `return_instance_score` the energies come along.
    pub fn predict<X: DetectorInput + ?Sized>(
        &self,
        x: &X,
        return_instance_score: bool,
    ) -> Result<Prediction> {
        let options = PredictOptions {
            return_instance_score,
            return_feature_score: false,
        };
        self.predict_with(x, &options)
    }

    /// As [`Self::predict`], with every option of [`PredictOptions`], per-feature
    /// reconstruction errors included.
    pub fn predict_with<X: DetectorInput + ?Sized>(
        &self,
        x: &X,
        options: &PredictOptions,
    ) -> Result<Prediction> {
        let threshold = self.threshold.ok_or(AegmmError::NoThreshold)?;
        let scores = self.score_batches(x, options.return_feature_score)?;
        let is_outlier = scores
            .energy
            .iter()
            .map(|&e| u8::from(e > threshold))
            .collect();
        let feature_score = scores
            .features
            .map(|f| f.outer_iter().map(|row| row.to_vec()).collect());
        Ok(Prediction {
            meta: self.meta(),
            data: PredictionData {
                is_outlier,
                instance_score: options.return_instance_score.then_some(scores.energy),
                feature_score,
            },
        })
    }

    /// The metadata block of predictions.
    pub fn meta(&self) -> Meta {
        Meta {
            name: DETECTOR_NAME.into(),
            detector_type: "outlier".into(),
            data_type: self.config.data_type.clone(),
            online: false,
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }

    /// Energies of every row of `x`, and each feature's squared error when `features`.
    fn score_batches<X: DetectorInput + ?Sized>(
        &self,
        x: &X,
        features: bool,
    ) -> Result<BatchScores> {
        let gmm = self.gmm.as_ref().ok_or(AegmmError::NotFitted)?;
        let n = check_shape(x, &self.row_shape)?;
        let mut energy = Vec::with_capacity(n);
        let mut errors = Vec::new();
        for (start, end) in self.batches(n) {
            let batch = self.input_batch(x, start, end)?;
            let fwd = self.forward_eval(&batch)?;
            energy.extend(gmm.energy(to_array2(&fwd.z)?.view())?);
            if features {
                let squared = (&batch - &fwd.x_hat).square().flatten(1, -1);
                errors.push(to_array2(&squared)?);
            }
        }
        let features = if features {
            Some(concat_rows(&errors)?)
        } else {
            None
        };
        Ok(BatchScores { energy, features })
    }

    /// `(start, end)` of each scoring batch over `n` rows.
    pub(crate) fn batches(&self, n: usize) -> impl Iterator<Item = (usize, usize)> {
        let step = self.config.score_batch_size;
        (0..n)
            .step_by(step)
            .map(move |start| (start, (start + step).min(n)))
    }

    /// Rows `start..end` of `x`, checked, scaled and on the networks' device.
    pub(crate) fn input_batch<X: DetectorInput + ?Sized>(
        &self,
        x: &X,
        start: usize,
        end: usize,
    ) -> Result<Tensor> {
        let batch = batch_tensor(x, start, end, self.config.input_scaling.as_ref())?;
        Ok(batch.to_device(self.vs.device()))
    }

    /// The forward pass of a prepared batch in scoring mode (dropout off, no gradients).
    pub(crate) fn forward_eval(&self, batch: &Tensor) -> Result<Forward> {
        Ok(tch::no_grad(|| self.net.forward_t(batch, false))?)
    }

    /// The mixture over all rows of `x` (prepared, any device), one scoring batch at a time.
    pub(crate) fn estimate_mixture(&self, x: &Tensor) -> Result<GmmParams> {
        let n = x.size()[0] as usize;
        let mut acc = GmmAccumulator::new(self.config.n_gmm, self.net.mixture_dim());
        for (start, end) in self.batches(n) {
            let batch = x
                .narrow(0, start as i64, (end - start) as i64)
                .to_device(self.vs.device());
            let fwd = self.forward_eval(&batch)?;
            acc.update(to_array2(&fwd.z)?.view(), to_array2(&fwd.gamma)?.view())?;
        }
        Ok(acc.finish(self.config.eps)?)
    }

    /// Runs the networks once on two all-zero rows and checks every output.
    fn probe_networks(&self) -> Result<()> {
        let mut shape = vec![2_i64];
        shape.extend(self.row_shape.iter().map(|&s| s as i64));
        let zeros = Tensor::zeros(shape, (Kind::Float, self.vs.device()));
        let fwd = self.forward_eval(&zeros)?;
        check_softmax(&fwd.gamma, self.config.n_gmm)?;
        Ok(())
    }
}

/// Puts OpenBLAS on one thread, once per process, when the first detector is built.
///
/// libtorch's matrix products land in OpenBLAS when both are loaded (see
/// [`aegmm_gmm::set_blas_threads`]); a second, spinning thread pool made training and scoring
/// slower and made libtorch's thread setting (`tch::set_num_threads`) not the whole story. The
/// mixture math itself works on `D x D` matrices and never needs BLAS threads.
fn single_threaded_blas() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| aegmm_gmm::set_blas_threads(1));
}

/// Per-batch arrays stacked back into one, rows in order.
fn concat_rows(batches: &[Array2<f64>]) -> Result<Array2<f64>> {
    let views: Vec<_> = batches.iter().map(|b| b.view()).collect();
    ndarray::concatenate(Axis(0), &views)
        .map_err(|e| AegmmError::Config(format!("internal shape error: {e}")))
}

/// A 2-d tensor as an `f64` array on the CPU.
pub(crate) fn to_array2(t: &Tensor) -> Result<Array2<f64>> {
    let (rows, cols) = t.size2()?;
    let values = Vec::<f64>::try_from(
        t.to_kind(Kind::Double)
            .to_device(Device::Cpu)
            .flatten(0, -1),
    )?;
    Array2::from_shape_vec((rows as usize, cols as usize), values)
        .map_err(|e| AegmmError::Config(format!("internal shape error: {e}")))
}
