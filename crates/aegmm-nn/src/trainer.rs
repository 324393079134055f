//! The minibatch training loop.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::nn::{self, OptimizerConfig};
use tch::{Kind, Tensor};

use crate::loss::{aegmm_loss, LossFn, LossWeights};
use crate::network::AegmmNetwork;
use crate::{NnError, Result};

/// Which optimizer updates the weights.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum OptimizerKind {
    /// Adam with the usual betas (0.9, 0.999).
    Adam,
    /// Adam with decoupled weight decay.
    AdamW {
        /// Decoupled weight decay.
        weight_decay: f64,
    },
    /// Stochastic gradient descent.
    Sgd {
        /// Momentum (0 for plain SGD).
        momentum: f64,
    },
}

/// Settings of one training run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    /// Passes over the whole training set (default 50).
    pub epochs: usize,
    /// Rows per optimizer step (default 1024); the last batch of an epoch may be smaller.
    pub batch_size: usize,
    /// Learning rate (default 1e-4).
    pub learning_rate: f64,
    /// Optimizer (default Adam).
    pub optimizer: OptimizerKind,
    /// Weights of the loss terms (default 0.1 and 0.005).
    pub weights: LossWeights,
    /// Covariance jitter of the batch mixtures (default 1e-6). The `aegmm` detector replaces
    /// it with its own `AegmmConfig::eps`, so that training and scoring share one jitter.
    pub eps: f64,
    /// Seed of the per-epoch reshuffle (default 0).
    pub seed: u64,
    /// On a non-finite loss or gradient, skip that batch (no step) and count it in
    /// [`EpochStats::skipped_batches`] instead of stopping with an error (default `false`).
    pub skip_non_finite: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 50,
            batch_size: 1024,
            learning_rate: 1e-4,
            optimizer: OptimizerKind::Adam,
            weights: LossWeights::default(),
            eps: 1e-6,
            seed: 0,
            skip_non_finite: false,
        }
    }
}

impl TrainConfig {
    /// Checks every setting, naming the first one out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(NnError::Config(msg));
        if self.epochs == 0 {
            return bad("epochs must be at least 1".into());
        }
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!(
                "learning_rate must be finite and > 0, got {}",
                self.learning_rate
            ));
        }
        for (name, w) in [
            ("w_energy", self.weights.w_energy),
            ("w_cov_diag", self.weights.w_cov_diag),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return bad(format!("{name} must be finite and >= 0, got {w}"));
            }
        }
        if !(self.eps.is_finite() && self.eps >= 0.0) {
            return bad(format!("eps must be finite and >= 0, got {}", self.eps));
        }
        Ok(())
    }
}

/// Mean loss terms and speed of one epoch.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean total loss over the epoch's batches (weighted by rows).
    pub loss: f64,
    /// Mean reconstruction term.
    pub recon: f64,
    /// Mean energy term (unweighted).
    pub energy: f64,
    /// Mean covariance penalty (unweighted).
    pub cov_diag: f64,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
    /// Training rows per second.
    pub rows_per_sec: f64,
    /// Batches skipped for a non-finite loss or gradient (only with `skip_non_finite`).
    pub skipped_batches: usize,
}

/// Loss terms of one minibatch, right after its optimizer step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatchStats {
    /// 1-based epoch number.
    pub epoch: usize,
    /// 1-based batch number within the epoch.
    pub batch: usize,
    /// Batches per epoch.
    pub n_batches: usize,
    /// Rows in this batch.
    pub rows: usize,
    /// Total loss of the batch.
    pub loss: f64,
    /// Reconstruction term.
    pub recon: f64,
    /// Energy term (unweighted).
    pub energy: f64,
    /// Covariance penalty (unweighted).
    pub cov_diag: f64,
}

/// What the training loop reports as it goes: each batch, then each finished epoch.
#[derive(Debug, Clone, Copy)]
pub enum TrainEvent<'a> {
    /// A batch was trained on.
    Batch(&'a BatchStats),
    /// An epoch ended.
    Epoch(&'a EpochStats),
}

/// Per-epoch record of a training run.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct History {
    /// One entry per epoch, in order.
    pub epochs: Vec<EpochStats>,
}

/// Runs [`TrainConfig`] on a network, with the SPEC objective or a user's [`LossFn`].
#[derive(Clone)]
pub struct Trainer {
    config: TrainConfig,
    loss: Option<Arc<LossFn>>,
}

impl fmt::Debug for Trainer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trainer")
            .field("config", &self.config)
            .field("custom_loss", &self.loss.is_some())
            .finish()
    }
}

#[derive(Default)]
struct Sums {
    skipped: usize,
    rows: f64,
    loss: f64,
    recon: f64,
    energy: f64,
    cov_diag: f64,
}

impl Trainer {
    /// A trainer for a validated configuration.
    pub fn new(config: TrainConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self { config, loss: None })
    }

    /// Minimise `loss` instead of [`aegmm_loss`].
    pub fn with_loss(mut self, loss: Arc<LossFn>) -> Self {
        self.loss = Some(loss);
        self
    }

    /// Trains `net`, whose weights live in `vs`, on `x` (first axis rows, any device), calling
    /// `on_epoch` after each epoch. Each epoch visits every row once in a fresh seeded order.
    pub fn train(
        &self,
        net: &AegmmNetwork,
        vs: &nn::VarStore,
        x: &Tensor,
        on_epoch: &mut dyn FnMut(&EpochStats),
    ) -> Result<History> {
        self.train_observed(net, vs, x, &mut |event| {
            if let TrainEvent::Epoch(stats) = event {
                on_epoch(stats);
            }
        })
    }

    /// As [`Self::train`], calling `observer` after every batch and every epoch.
    pub fn train_observed(
        &self,
        net: &AegmmNetwork,
        vs: &nn::VarStore,
        x: &Tensor,
        observer: &mut dyn FnMut(TrainEvent<'_>),
    ) -> Result<History> {
        let cfg = &self.config;
        let n = x.size()[0] as usize;
        if n == 0 {
            return Err(NnError::Config("the training data has no rows".into()));
        }
        let mut opt = self.optimizer(vs)?;
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let mut order: Vec<i64> = (0..n as i64).collect();
        let mut history = History::default();

        for epoch in 1..=cfg.epochs {
            let start = Instant::now();
            order.shuffle(&mut rng);
            let sums = self.run_epoch(net, vs, &mut opt, x, &order, epoch, observer)?;
            let seconds = start.elapsed().as_secs_f64();
            let stats = EpochStats {
                epoch,
                loss: sums.loss / sums.rows,
                recon: sums.recon / sums.rows,
                energy: sums.energy / sums.rows,
                cov_diag: sums.cov_diag / sums.rows,
                seconds,
                rows_per_sec: n as f64 / seconds,
                skipped_batches: sums.skipped,
            };
            observer(TrainEvent::Epoch(&stats));
            history.epochs.push(stats);
        }
        Ok(history)
    }

    #[allow(clippy::too_many_arguments)]
    fn run_epoch(
        &self,
        net: &AegmmNetwork,
        vs: &nn::VarStore,
        opt: &mut nn::Optimizer,
        x: &Tensor,
        order: &[i64],
        epoch: usize,
        observer: &mut dyn FnMut(TrainEvent<'_>),
    ) -> Result<Sums> {
        let mut sums = Sums::default();
        let n_batches = order.len().div_ceil(self.config.batch_size);
        for (b, idx) in order.chunks(self.config.batch_size).enumerate() {
            match self.step(net, vs, opt, x, idx, epoch, b + 1) {
                Ok(v) => {
                    let rows = idx.len();
                    observer(TrainEvent::Batch(&BatchStats {
                        epoch,
                        batch: b + 1,
                        n_batches,
                        rows,
                        loss: v[0],
                        recon: v[1],
                        energy: v[2],
                        cov_diag: v[3],
                    }));
                    let rows = rows as f64;
                    sums.rows += rows;
                    sums.loss += v[0] * rows;
                    sums.recon += v[1] * rows;
                    sums.energy += v[2] * rows;
                    sums.cov_diag += v[3] * rows;
                }
                Err(NnError::NonFiniteLoss { .. }) if self.config.skip_non_finite => {
                    opt.zero_grad();
                    sums.skipped += 1;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(sums)
    }

    /// One optimizer step on the rows `idx` of `x`; returns `[total, recon, energy, cov_diag]`.
    /// Takes no step when the loss or a gradient is not finite.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        net: &AegmmNetwork,
        vs: &nn::VarStore,
        opt: &mut nn::Optimizer,
        x: &Tensor,
        idx: &[i64],
        epoch: usize,
        batch: usize,
    ) -> Result<[f64; 4]> {
        let idx = Tensor::from_slice(idx).to_device(x.device());
        let rows = x.index_select(0, &idx).to_device(vs.device());
        let fwd = net.forward_t(&rows, true)?;
        let (weights, eps) = (self.config.weights, self.config.eps);
        let loss = match &self.loss {
            Some(loss) => loss(&rows, &fwd, weights, eps),
            None => aegmm_loss(&rows, &fwd, weights, eps),
        };
        let terms = match loss {
            Ok(terms) => terms,
            Err(NnError::NonFiniteMixture) => {
                let recon = f64::try_from((&rows - &fwd.x_hat).square().mean(Kind::Double))?;
                let term = if recon.is_finite() { "energy" } else { "recon" };
                let value = if recon.is_finite() { f64::NAN } else { recon };
                return Err(NnError::NonFiniteLoss {
                    epoch,
                    batch,
                    term,
                    value,
                    recon,
                    energy: f64::NAN,
                    cov_diag: f64::NAN,
                });
            }
            Err(e) => return Err(e),
        };

        let values = Tensor::stack(
            &[&terms.total, &terms.recon, &terms.energy, &terms.cov_diag],
            0,
        );
        let v = Vec::<f64>::try_from(values.to_kind(Kind::Double).to_device(tch::Device::Cpu))?;
        let v = [v[0], v[1], v[2], v[3]];
        check_finite_terms(&v, epoch, batch)?;

        opt.zero_grad();
        terms.total.backward();
        if !gradients_finite(vs)? {
            return Err(NnError::NonFiniteLoss {
                epoch,
                batch,
                term: "gradient",
                value: f64::NAN,
                recon: v[1],
                energy: v[2],
                cov_diag: v[3],
            });
        }
        opt.step();
        Ok(v)
    }

    fn optimizer(&self, vs: &nn::VarStore) -> Result<nn::Optimizer> {
        let lr = self.config.learning_rate;
        let opt = match self.config.optimizer {
            OptimizerKind::Adam => nn::Adam::default().build(vs, lr)?,
            OptimizerKind::AdamW { weight_decay } => nn::AdamW {
                wd: weight_decay,
                ..Default::default()
            }
            .build(vs, lr)?,
            OptimizerKind::Sgd { momentum } => nn::Sgd {
                momentum,
                ..Default::default()
            }
            .build(vs, lr)?,
        };
        Ok(opt)
    }
}

/// `v` holds total, recon, energy and cov_diag; names the first non-finite term, the total
/// only when every term is finite.
fn check_finite_terms(v: &[f64], epoch: usize, batch: usize) -> Result<()> {
    let names = ["total", "recon", "energy", "cov_diag"];
    if v.iter().all(|t| t.is_finite()) {
        return Ok(());
    }
    let (i, value) = (1..v.len())
        .chain([0])
        .map(|i| (i, v[i]))
        .find(|(_, t)| !t.is_finite())
        .unwrap_or((0, v[0]));
    Err(NnError::NonFiniteLoss {
        epoch,
        batch,
        term: names[i],
        value,
        recon: v[1],
        energy: v[2],
        cov_diag: v[3],
    })
}

fn gradients_finite(vs: &nn::VarStore) -> Result<bool> {
    let grads: Vec<Tensor> = vs
        .trainable_variables()
        .iter()
        .map(|t| t.grad())
        .filter(|g| g.defined())
        .map(|g| g.flatten(0, -1))
        .collect();
    if grads.is_empty() {
        return Ok(true);
    }
    Ok(bool::try_from(Tensor::cat(&grads, 0).isfinite().all())?)
}
