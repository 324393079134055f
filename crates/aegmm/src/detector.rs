//! The detector: fit, score, threshold, predict.

use std::sync::Mutex;

use aegmm_gmm::{percentile, GmmAccumulator, GmmParams};
use aegmm_nn::{AegmmNetwork, EpochStats, History, TrainConfig, Trainer};
use ndarray::{Array1, Array2, ArrayBase, Data, Dimension};
use tch::{nn, Kind, Tensor};

use crate::config::AegmmConfig;
use crate::input::{check_input, rows_to_tensor, InputElement};
use crate::prediction::{Meta, Prediction, PredictionData};
use crate::{AegmmError, Result};

static INIT_LOCK: Mutex<()> = Mutex::new(());

/// Name reported in the prediction metadata.
pub const DETECTOR_NAME: &str = "OutlierAEGMM";

/// The AEGMM outlier detector: networks, fitted mixture and threshold.
#[derive(Debug)]
pub struct OutlierAegmm {
    config: AegmmConfig,
    row_shape: Vec<usize>,
    vs: nn::VarStore,
    net: AegmmNetwork,
    gmm: Option<GmmParams>,
    threshold: Option<f64>,
}

impl OutlierAegmm {
    /// A detector for rows of `n_features` values with the default fully connected networks.
    pub fn new(n_features: usize, config: AegmmConfig) -> Result<Self> {
        config.validate()?;
        if n_features == 0 {
            return Err(AegmmError::Config("n_features must be at least 1".into()));
        }
        // libtorch's generator is global: hold it while seeding and drawing initial weights
        // so that detectors built on other threads cannot interleave their draws.
        let guard = INIT_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        tch::manual_seed(config.seed as i64);
        let vs = nn::VarStore::new(config.device);
        let net = AegmmNetwork::tabular(
            &vs.root(),
            n_features,
            &config.layout,
            config.n_gmm,
            config.recon_features.clone(),
        );
        drop(guard);
        let threshold = config.threshold;
        Ok(Self {
            config,
            row_shape: vec![n_features],
            vs,
            net,
            gmm: None,
            threshold,
        })
    }

    /// The construction settings.
    pub fn config(&self) -> &AegmmConfig {
        &self.config
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

    /// Trains the networks on `x` (`N x F`, f32 or f64), then estimates the mixture over all
    /// of `x` batch by batch. `on_epoch` sees each epoch's loss terms and speed.
    pub fn fit<T, S, D>(
        &mut self,
        x: &ArrayBase<S, D>,
        train: &TrainConfig,
        on_epoch: &mut dyn FnMut(&EpochStats),
    ) -> Result<History>
    where
        T: InputElement,
        S: Data<Elem = T>,
        D: Dimension,
    {
        check_input(x, &self.row_shape)?;
        let n = x.shape()[0];
        if train.batch_size > n {
            return Err(AegmmError::Config(format!(
                "batch_size {} is larger than the {n} training rows",
                train.batch_size
            )));
        }
        let trainer = Trainer::new(train.clone())?;
        let x_all = rows_to_tensor(x, 0, n);
        let history = trainer.train(&self.net, &self.vs, &x_all, on_epoch)?;
        self.gmm = Some(self.estimate_mixture(&x_all)?);
        Ok(history)
    }

    /// The energy (outlier score) of every row of `x`, `N`; higher is more unusual.
    pub fn score<T, S, D>(&self, x: &ArrayBase<S, D>) -> Result<Array1<f64>>
    where
        T: InputElement,
        S: Data<Elem = T>,
        D: Dimension,
    {
        let gmm = self.gmm.as_ref().ok_or(AegmmError::NotFitted)?;
        check_input(x, &self.row_shape)?;
        let n = x.shape()[0];
        let mut energy = Vec::with_capacity(n);
        for start in (0..n).step_by(self.config.score_batch_size) {
            let end = (start + self.config.score_batch_size).min(n);
            let (z, _) = self.forward_batch(&rows_to_tensor(x, start, end))?;
            energy.extend(gmm.energy(z.view())?);
        }
        Ok(Array1::from(energy))
    }

    /// The mixture inputs `z = [latent, recon_features]` of every row of `x`, `N x D`, as
    /// scoring computes them (dropout off).
    pub fn mixture_inputs<T, S, D>(&self, x: &ArrayBase<S, D>) -> Result<Array2<f64>>
    where
        T: InputElement,
        S: Data<Elem = T>,
        D: Dimension,
    {
        check_input(x, &self.row_shape)?;
        let n = x.shape()[0];
        let mut rows = Vec::with_capacity(n);
        for start in (0..n).step_by(self.config.score_batch_size) {
            let end = (start + self.config.score_batch_size).min(n);
            rows.push(self.forward_batch(&rows_to_tensor(x, start, end))?.0);
        }
        let views: Vec<_> = rows.iter().map(|r| r.view()).collect();
        ndarray::concatenate(ndarray::Axis(0), &views)
            .map_err(|e| AegmmError::Config(format!("internal shape error: {e}")))
    }

    /// Sets the threshold to the `threshold_perc` percentile (`0..=100`, linear interpolation)
    /// of the energies of `x`, the share of `x` taken as normal; returns it.
    pub fn infer_threshold<T, S, D>(
        &mut self,
        x: &ArrayBase<S, D>,
        threshold_perc: f64,
    ) -> Result<f64>
    where
        T: InputElement,
        S: Data<Elem = T>,
        D: Dimension,
    {
        if !(0.0..=100.0).contains(&threshold_perc) {
            return Err(AegmmError::Config(format!(
                "threshold_perc must be in [0, 100], got {threshold_perc}"
            )));
        }
        let energy = self.score(x)?;
        let threshold = percentile(
            energy.as_slice().unwrap_or(&energy.to_vec()),
            threshold_perc,
        )?;
        self.set_threshold(threshold)?;
        Ok(threshold)
    }

    /// Flags each row of `x` whose energy is strictly above the threshold; with
    /// `return_instance_score` the energies come along.
    pub fn predict<T, S, D>(
        &self,
        x: &ArrayBase<S, D>,
        return_instance_score: bool,
    ) -> Result<Prediction>
    where
        T: InputElement,
        S: Data<Elem = T>,
        D: Dimension,
    {
        let threshold = self.threshold.ok_or(AegmmError::NoThreshold)?;
        let energy = self.score(x)?;
        let is_outlier = energy.iter().map(|&e| u8::from(e > threshold)).collect();
        Ok(Prediction {
            meta: self.meta(),
            data: PredictionData {
                is_outlier,
                instance_score: return_instance_score.then(|| energy.to_vec()),
                feature_score: None,
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

    /// The mixture over all rows of `x`, accumulated one scoring batch at a time.
    fn estimate_mixture(&self, x: &Tensor) -> Result<GmmParams> {
        let n = x.size()[0];
        let k = self.config.n_gmm;
        let d = self.config.layout.latent_dim + self.config.recon_features.width();
        let mut acc = GmmAccumulator::new(k, d);
        let step = self.config.score_batch_size as i64;
        for start in (0..n).step_by(step as usize) {
            let len = step.min(n - start);
            let (z, gamma) = self.forward_batch(&x.narrow(0, start, len))?;
            acc.update(z.view(), gamma.view())?;
        }
        Ok(acc.finish(self.config.eps)?)
    }

    /// `z` (`N x D`) and `gamma` (`N x K`) of a batch, in scoring mode, as `f64` arrays.
    fn forward_batch(&self, batch: &Tensor) -> Result<(Array2<f64>, Array2<f64>)> {
        let fwd = tch::no_grad(|| {
            self.net
                .forward_t(&batch.to_device(self.vs.device()), false)
        });
        Ok((to_array2(&fwd.z)?, to_array2(&fwd.gamma)?))
    }
}

fn to_array2(t: &Tensor) -> Result<Array2<f64>> {
    let (rows, cols) = t.size2()?;
    let values = Vec::<f64>::try_from(
        t.to_kind(Kind::Double)
            .to_device(tch::Device::Cpu)
            .flatten(0, -1),
    )?;
    Array2::from_shape_vec((rows as usize, cols as usize), values)
        .map_err(|e| AegmmError::Config(format!("internal shape error: {e}")))
}
