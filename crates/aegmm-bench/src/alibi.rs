//! alibi-detect's KDD Cup 99 example protocol (SPEC section 6).
//!
//! Train on `train_rows` rows drawn with replacement from the `normal` rows, standardised with
//! their mean and population standard deviation; threshold at the 95th percentile of a
//! 1,000-row batch with 5 % attacks; test on a 1,000-row batch with 10 % attacks; score
//! every row of the file as well.

use std::time::Instant;

use aegmm::{AegmmConfig, Device, EpochStats, History, OutlierAegmm, ReconFeatures, TrainConfig};
use ndarray::{Array1, Array2, Axis};
use rand::seq::{index, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::kdd::KddTable;
use crate::metrics::{binary_scores, roc_auc, BinaryScores};
use crate::{BenchError, Result};

/// Settings of one run of the protocol.
#[derive(Debug, Clone, Serialize)]
pub struct AlibiOptions {
    /// Training epochs (protocol: 50).
    pub epochs: usize,
    /// Seed of the sampling, the weight initialisation and the shuffles.
    pub seed: u64,
    /// Rows drawn with replacement from the normal rows for training (protocol: 400,000).
    pub train_rows: usize,
    /// Minibatch size (protocol: 1024).
    pub batch_size: usize,
    /// Adam learning rate (protocol: 1e-3, what alibi-detect 0.13's `fit` uses by default).
    pub learning_rate: f64,
    /// Rows in the threshold batch and in the test batch (protocol: 1,000).
    pub batch_rows: usize,
    /// Percentile of the threshold batch's energies taken as the threshold (protocol: 95).
    pub threshold_perc: f64,
    /// Reconstruction features: `euclid-cos` (Euclidean reconstruction distance and cosine,
    /// the default here), `mse-cos` (mean squared error and cosine, as alibi-detect's page
    /// describes them) or `rel-cos` (the paper's relative distance and cosine).
    pub recon_features: String,
    /// Where the networks run, e.g. `cpu` or `cuda:0`.
    #[serde(serialize_with = "serialize_device")]
    pub device: Device,
}

fn serialize_device<S: serde::Serializer>(
    d: &Device,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{d:?}"))
}

impl Default for AlibiOptions {
    fn default() -> Self {
        Self {
            epochs: 50,
            seed: 0,
            train_rows: 400_000,
            batch_size: 1024,
            learning_rate: 1e-3,
            batch_rows: 1000,
            threshold_perc: 95.0,
            recon_features: "euclid-cos".into(),
            device: Device::Cpu,
        }
    }
}

/// Detection scores on one set of rows.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    /// Rows scored.
    pub rows: usize,
    /// Attack rows among them.
    pub outliers: usize,
    /// ROC AUC of the energy for telling attacks from normal rows.
    pub roc_auc: Option<f64>,
    /// Precision, recall, F1 and accuracy of `energy > threshold`.
    #[serde(flatten)]
    pub scores: BinaryScores,
}

/// Everything measured in one run.
#[derive(Debug, Clone, Serialize)]
pub struct AlibiRun {
    /// The run's settings.
    pub options: AlibiOptions,
    /// The threshold inferred on the threshold batch.
    pub threshold: f64,
    /// The 1,000-row test batch with 10 % attacks.
    pub test: Detection,
    /// Every row of the file.
    pub all_rows: Detection,
    /// Mean seconds per training epoch.
    pub seconds_per_epoch: f64,
    /// Seconds of the whole `fit`: every epoch and the final mixture estimate over the
    /// training rows (what alibi-detect's `fit` also does).
    pub fit_seconds: f64,
    /// Training rows per second over all epochs.
    pub train_rows_per_sec: f64,
    /// Rows per second when scoring every row of the file.
    pub score_rows_per_sec: f64,
    /// Whether every fitted mixture parameter and every score is finite.
    pub finite: bool,
    /// Per-epoch loss terms and speed.
    pub history: History,
}

/// A detector trained by the protocol, with what the rest of the run needs.
struct Trained {
    detector: OutlierAegmm,
    history: History,
    fit_seconds: f64,
    mean: Array1<f64>,
    std: Array1<f64>,
    rng: ChaCha8Rng,
    normal: Vec<usize>,
    attack: Vec<usize>,
}

impl Trained {
    fn scale(&self, x: Array2<f64>) -> Array2<f64> {
        (x - &self.mean) / &self.std
    }
}

/// Draws the training rows, standardises them and fits the detector.
fn train(
    table: &KddTable,
    opts: &AlibiOptions,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Trained> {
    let targets = table.attack_targets();
    let normal: Vec<usize> = (0..targets.len()).filter(|&i| targets[i] == 0).collect();
    let attack: Vec<usize> = (0..targets.len()).filter(|&i| targets[i] == 1).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);

    let train_idx: Vec<usize> = (0..opts.train_rows)
        .map(|_| normal[rng.gen_range(0..normal.len())])
        .collect();
    let x_train = table.x.select(Axis(0), &train_idx);
    let (mean, std) = column_mean_std(&x_train);
    let x_train = (x_train - &mean) / &std;

    let recon_features = match opts.recon_features.as_str() {
        "mse-cos" => ReconFeatures::MseCosine,
        "rel-cos" => ReconFeatures::RelativeDistanceCosine,
        "euclid-cos" => ReconFeatures::EuclideanCosine,
        other => {
            return Err(BenchError::Other(format!(
                "unknown recon features {other:?}: use euclid-cos, mse-cos or rel-cos"
            )))
        }
    };
    let config = AegmmConfig {
        recon_features,
        seed: opts.seed,
        device: opts.device,
        data_type: Some("tabular".into()),
        ..AegmmConfig::default()
    };
    let mut detector = OutlierAegmm::new(table.x.ncols(), config)?;
    let train = TrainConfig {
        epochs: opts.epochs,
        batch_size: opts.batch_size,
        learning_rate: opts.learning_rate,
        seed: opts.seed,
        ..TrainConfig::default()
    };
    let start = Instant::now();
    let history = detector.fit(&x_train, &train, on_epoch)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    Ok(Trained {
        detector,
        history,
        fit_seconds,
        mean,
        std,
        rng,
        normal,
        attack,
    })
}

/// A detector trained by the protocol (no threshold) and every row of the file, scaled as
/// its training rows were.
pub fn fitted_detector(
    table: &KddTable,
    opts: &AlibiOptions,
) -> Result<(OutlierAegmm, Array2<f64>)> {
    let trained = train(table, opts, &mut |_| {})?;
    let x_all = trained.scale(table.x.clone());
    Ok((trained.detector, x_all))
}

/// Runs the protocol once on `table` (the 18 continuous columns, all rows).
pub fn run(
    table: &KddTable,
    opts: &AlibiOptions,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<AlibiRun> {
    let targets = table.attack_targets();
    let mut t = train(table, opts, on_epoch)?;

    let threshold_idx = outlier_batch(&t.normal, &t.attack, opts.batch_rows, 0.05, &mut t.rng);
    let threshold = t.detector.infer_threshold(
        &t.scale(table.x.select(Axis(0), &threshold_idx)),
        opts.threshold_perc,
    )?;

    let test_idx = outlier_batch(&t.normal, &t.attack, opts.batch_rows, 0.10, &mut t.rng);
    let test_scores = t
        .detector
        .score(&t.scale(table.x.select(Axis(0), &test_idx)))?;
    let test_targets: Vec<u8> = test_idx.iter().map(|&i| targets[i]).collect();

    let x_all = t.scale(table.x.clone());
    let start = Instant::now();
    let all_scores = t.detector.score(&x_all)?;
    let score_seconds = start.elapsed().as_secs_f64();

    let history = t.history;
    let epoch_seconds: f64 = history.epochs.iter().map(|e| e.seconds).sum();
    let finite = all_scores.iter().all(|v| v.is_finite())
        && t.detector
            .gmm()
            .is_some_and(|g| g.chol.iter().chain(g.mu.iter()).all(|v| v.is_finite()));
    Ok(AlibiRun {
        options: opts.clone(),
        threshold,
        test: detection(&test_scores, &test_targets, threshold),
        all_rows: detection(&all_scores, &targets, threshold),
        seconds_per_epoch: epoch_seconds / history.epochs.len() as f64,
        fit_seconds: t.fit_seconds,
        train_rows_per_sec: (opts.train_rows * history.epochs.len()) as f64 / epoch_seconds,
        score_rows_per_sec: targets.len() as f64 / score_seconds,
        finite,
        history,
    })
}

/// `rows` row indices, `perc_outlier` of them attacks, all drawn without replacement and
/// shuffled together (alibi-detect's `create_outlier_batch`).
fn outlier_batch(
    normal: &[usize],
    attack: &[usize],
    rows: usize,
    perc_outlier: f64,
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let n_attack = (rows as f64 * perc_outlier).round() as usize;
    let mut idx: Vec<usize> = index::sample(rng, attack.len(), n_attack)
        .iter()
        .map(|i| attack[i])
        .collect();
    idx.extend(
        index::sample(rng, normal.len(), rows - n_attack)
            .iter()
            .map(|i| normal[i]),
    );
    idx.shuffle(rng);
    idx
}

/// Column means and population standard deviations; a constant column gets 1.
fn column_mean_std(x: &Array2<f64>) -> (Array1<f64>, Array1<f64>) {
    let mean = x
        .mean_axis(Axis(0))
        .unwrap_or_else(|| Array1::zeros(x.ncols()));
    let std = x
        .std_axis(Axis(0), 0.0)
        .mapv(|s| if s > 0.0 { s } else { 1.0 });
    (mean, std)
}

fn detection(scores: &Array1<f64>, targets: &[u8], threshold: f64) -> Detection {
    let predicted: Vec<u8> = scores.iter().map(|&s| u8::from(s > threshold)).collect();
    let scores_vec = scores.to_vec();
    Detection {
        rows: targets.len(),
        outliers: targets.iter().filter(|&&t| t == 1).count(),
        roc_auc: roc_auc(&scores_vec, targets),
        scores: binary_scores(&predicted, targets),
    }
}
