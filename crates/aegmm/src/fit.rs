//! Training the detector: options, the training run and the final mixture estimate.

use std::sync::Arc;

use aegmm_nn::{EpochStats, History, LossFn, LossTerms, TrainConfig, TrainEvent, Trainer};
use tch::{Device, Tensor};

use crate::detector::OutlierAegmm;
use crate::input::{batch_tensor, check_shape, DetectorInput};
use crate::progress::Progress;
use crate::{AegmmError, Result};

/// A metric callback: sees every batch and every epoch of a training run.
type MetricFn<'a> = dyn FnMut(TrainEvent<'_>) + 'a;

/// Everything about a training run that is not a plain setting of [`TrainConfig`].
///
/// ```
/// use aegmm::FitOptions;
///
/// let mut epochs_seen = 0;
/// let options = FitOptions::new()
///     .verbose(false)
///     .log_metric(|event| {
///         if let aegmm::TrainEvent::Epoch(_) = event {
///             epochs_seen += 1;
///         }
///     });
/// # drop(options);
/// ```
#[derive(Default)]
pub struct FitOptions<'a> {
    loss: Option<Arc<LossFn>>,
    verbose: bool,
    log_metric: Option<Box<MetricFn<'a>>>,
    device: Option<Device>,
}

impl<'a> FitOptions<'a> {
    /// The defaults: the SPEC loss, no progress bar, no callback, the detector's device.
    pub fn new() -> Self {
        Self::default()
    }

    /// Minimise `loss` instead of the SPEC objective; it gets the same inputs as
    /// [`aegmm_nn::aegmm_loss`]: the batch, its forward pass, the loss weights of the
    /// [`TrainConfig`] and its covariance jitter `eps`.
    pub fn loss<F>(mut self, loss: F) -> Self
    where
        F: Fn(
                &Tensor,
                &aegmm_nn::Forward,
                aegmm_nn::LossWeights,
                f64,
            ) -> aegmm_nn::Result<LossTerms>
            + Send
            + Sync
            + 'static,
    {
        self.loss = Some(Arc::new(loss));
        self
    }

    /// Draw a progress bar per epoch on standard error (a plain line per epoch when standard
    /// error is not a terminal). Off by default: the library prints nothing otherwise.
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    /// Call `callback` with every batch's loss terms and every finished epoch's means
    /// (alibi-detect's `log_metric`).
    pub fn log_metric<F>(mut self, callback: F) -> Self
    where
        F: FnMut(TrainEvent<'_>) + 'a,
    {
        self.log_metric = Some(Box::new(callback));
        self
    }

    /// Train (and afterwards score) on `device`, moving the networks there first.
    pub fn device(mut self, device: Device) -> Self {
        self.device = Some(device);
        self
    }
}

impl OutlierAegmm {
    /// Trains the networks on `x` (rows first, f32 or f64 arrays or a tensor), then
    /// estimates the mixture over all of `x` batch by batch. `on_epoch` sees each epoch's
    /// loss terms and speed. Returns the per-epoch history.
    pub fn fit<X: DetectorInput + ?Sized>(
        &mut self,
        x: &X,
        train: &TrainConfig,
        on_epoch: &mut dyn FnMut(&EpochStats),
    ) -> Result<History> {
        let options = FitOptions::new().log_metric(|event| {
            if let TrainEvent::Epoch(stats) = event {
                on_epoch(stats);
            }
        });
        self.fit_with(x, train, options)
    }

    /// As [`Self::fit`], with a custom loss, a progress bar, a per-batch and per-epoch
    /// callback or another device ([`FitOptions`]).
    ///
    /// Dropout and other training-only behaviour of the networks is on while training and
    /// off in every scoring call, the final mixture estimate included. libtorch's generator
    /// is seeded with `train.seed` first, so dropout masks repeat from run to run; that
    /// generator is global to the process, so a fit on another thread that draws from it at
    /// the same time changes them.
    ///
    /// A fit that fails part-way leaves the detector unfitted (scoring answers
    /// [`AegmmError::NotFitted`]) rather than pairing new weights with an old mixture.
    pub fn fit_with<X: DetectorInput + ?Sized>(
        &mut self,
        x: &X,
        train: &TrainConfig,
        options: FitOptions<'_>,
    ) -> Result<History> {
        let n = check_shape(x, &self.row_shape)?;
        if train.batch_size > n {
            return Err(AegmmError::Config(format!(
                "batch_size {} is larger than the {n} training rows",
                train.batch_size
            )));
        }
        let FitOptions {
            loss,
            verbose,
            mut log_metric,
            device,
        } = options;
        if let Some(device) = device {
            self.set_device(device)?;
        }
        // One jitter for the batch mixtures and the final one: the detector's.
        let train = TrainConfig {
            eps: self.config().eps,
            ..train.clone()
        };
        let mut trainer = Trainer::new(train.clone())?;
        if let Some(loss) = loss {
            trainer = trainer.with_loss(loss);
        }

        let x_all = batch_tensor(x, 0, n, self.config.input_scaling.as_ref())?;
        self.gmm = None;
        tch::manual_seed(train.seed as i64);
        let mut progress = verbose.then(|| Progress::new(train.epochs));
        let mut observer = |event: TrainEvent<'_>| {
            if let Some(progress) = progress.as_mut() {
                progress.update(event);
            }
            if let Some(callback) = log_metric.as_mut() {
                callback(event);
            }
        };
        let history = trainer.train_observed(&self.net, &self.vs, &x_all, &mut observer)?;
        self.gmm = Some(self.estimate_mixture(&x_all)?);
        Ok(history)
    }
}
