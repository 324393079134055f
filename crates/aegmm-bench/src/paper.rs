//! The DAGMM paper's protocol (SPEC section 6): 50/50 random split, training on the inliers
//! of the training half, the top `ratio` of test energies flagged, precision, recall and F1
//! of the anomaly class.

use std::path::Path;
use std::time::Instant;

use aegmm::{AegmmConfig, Device, OutlierAegmm, TabularLayout, TrainConfig, WeightInit};
use aegmm_gmm::percentile;
use ndarray::{Array1, Array2, Axis};
use rand::seq::{index, SliceRandom};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::metrics::{binary_scores, roc_auc};
use crate::{kdd, odds, BenchError, Result};

/// The paper's four data sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PaperDataset {
    /// KDD Cup 99 10 %: `normal.` rows (about 20 %) are the anomaly.
    Kdd,
    /// KDD Cup 99 with every `normal.` row and attacks drawn to be 20 %: attacks are the anomaly.
    KddRev,
    /// ODDS Thyroid (6 features, 2.5 % anomalies).
    Thyroid,
    /// ODDS Arrhythmia (274 features, 15 % anomalies).
    Arrhythmia,
}

/// The paper's figures for a data set (its Table 2).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PaperFigures {
    /// Precision, where quoted here.
    pub precision: Option<f64>,
    /// Recall, where quoted here.
    pub recall: Option<f64>,
    /// F1.
    pub f1: f64,
}

/// Network and training settings of one data set, from the paper's section 4.
#[derive(Debug, Clone, Serialize)]
pub struct PaperSetup {
    /// Layer sizes (estimation net: hidden 10 tanh, dropout 0.5).
    pub layout: TabularLayout,
    /// Mixture components.
    pub n_gmm: usize,
    /// Training epochs.
    pub epochs: usize,
    /// Minibatch size.
    pub batch_size: usize,
    /// Share of test rows flagged.
    pub ratio: f64,
}

impl PaperDataset {
    /// All four, in the paper's order.
    pub const ALL: [PaperDataset; 4] = [Self::Kdd, Self::Thyroid, Self::Arrhythmia, Self::KddRev];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Kdd => "kdd",
            Self::KddRev => "kdd-rev",
            Self::Thyroid => "thyroid",
            Self::Arrhythmia => "arrhythmia",
        }
    }

    /// The data set called `name`.
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| {
                BenchError::Other(format!(
                    "unknown data set {name:?}: use kdd, kdd-rev, thyroid or arrhythmia"
                ))
            })
    }

    /// What the paper reports.
    pub fn paper(self) -> PaperFigures {
        match self {
            Self::Kdd => PaperFigures {
                precision: Some(0.9297),
                recall: Some(0.9442),
                f1: 0.9369,
            },
            Self::KddRev => PaperFigures {
                precision: None,
                recall: None,
                f1: 0.938,
            },
            Self::Thyroid => PaperFigures {
                precision: None,
                recall: None,
                f1: 0.4782,
            },
            Self::Arrhythmia => PaperFigures {
                precision: None,
                recall: None,
                f1: 0.4983,
            },
        }
    }

    /// The paper's networks and training settings.
    pub fn setup(self) -> PaperSetup {
        let layout = |enc: &[usize], latent: usize| TabularLayout {
            encoder_hidden: enc.to_vec(),
            latent_dim: latent,
            decoder_hidden: enc.iter().rev().copied().collect(),
            density_hidden: vec![10],
            density_dropout: Some(0.5),
            ..TabularLayout::default()
        };
        match self {
            Self::Kdd => PaperSetup {
                layout: layout(&[60, 30, 10], 1),
                n_gmm: 4,
                epochs: 200,
                batch_size: 1024,
                ratio: 0.2,
            },
            Self::KddRev => PaperSetup {
                layout: layout(&[60, 30, 10], 1),
                n_gmm: 2,
                epochs: 400,
                batch_size: 1024,
                ratio: 0.2,
            },
            Self::Thyroid => PaperSetup {
                layout: layout(&[12, 4], 1),
                n_gmm: 2,
                epochs: 20_000,
                batch_size: 1024,
                ratio: 0.025,
            },
            Self::Arrhythmia => PaperSetup {
                layout: layout(&[10], 2),
                n_gmm: 2,
                epochs: 10_000,
                batch_size: 128,
                ratio: 0.15,
            },
        }
    }
}

/// Rows and anomaly labels (1 = anomaly) of a data set, unscaled.
#[derive(Debug, Clone)]
pub struct PaperData {
    /// `N x F` features.
    pub x: Array2<f64>,
    /// 1 for the anomaly class.
    pub anomaly: Vec<u8>,
}

/// Reads a data set from the repository's `data/` folder. KDD-Rev draws its attack rows with
/// `seed`; the others do not depend on it.
pub fn load(dataset: PaperDataset, data_dir: &Path, seed: u64) -> Result<PaperData> {
    match dataset {
        PaperDataset::Kdd | PaperDataset::KddRev => {
            let dir = data_dir.join("kddcup99");
            let table = kdd::read_one_hot(
                &dir.join("kddcup.data_10_percent.gz"),
                &dir.join("kddcup.names"),
            )?;
            let normal: Vec<u8> = table
                .labels
                .iter()
                .map(|l| u8::from(l == "normal"))
                .collect();
            if dataset == PaperDataset::Kdd {
                return Ok(PaperData {
                    x: table.x,
                    anomaly: normal,
                });
            }
            let normals: Vec<usize> = (0..normal.len()).filter(|&i| normal[i] == 1).collect();
            let attacks: Vec<usize> = (0..normal.len()).filter(|&i| normal[i] == 0).collect();
            let n_attack = normals.len() / 4; // attacks are 20 % of the result
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_4b44);
            let mut rows = normals.clone();
            rows.extend(
                index::sample(&mut rng, attacks.len(), n_attack)
                    .iter()
                    .map(|i| attacks[i]),
            );
            let anomaly = rows.iter().map(|&i| 1 - normal[i]).collect();
            Ok(PaperData {
                x: table.x.select(Axis(0), &rows),
                anomaly,
            })
        }
        PaperDataset::Thyroid | PaperDataset::Arrhythmia => {
            let (x, anomaly) = odds::read_csv(
                &data_dir
                    .join("odds")
                    .join(format!("{}.csv", dataset.name())),
            )?;
            Ok(PaperData { x, anomaly })
        }
    }
}

/// The outcome of one seed on one data set.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PaperRun {
    /// Data set name.
    pub dataset: String,
    /// Seed of the split, the initialisation, the shuffles and dropout.
    pub seed: u64,
    /// Epochs trained.
    pub epochs: usize,
    /// Training rows (inliers of the training half).
    pub train_rows: usize,
    /// Test rows (the other half).
    pub test_rows: usize,
    /// Precision of the anomaly class among the flagged rows.
    pub precision: f64,
    /// Recall of the anomaly class.
    pub recall: f64,
    /// F1 of the anomaly class.
    pub f1: f64,
    /// ROC AUC of the test energies.
    pub roc_auc: Option<f64>,
    /// Wall-clock training seconds.
    pub train_seconds: f64,
    /// Training rows per second over all epochs.
    pub rows_per_sec: f64,
    /// Whether every test energy is finite.
    pub finite: bool,
    /// How the networks' weights were drawn.
    #[serde(default)]
    pub weight_init: WeightInit,
}

/// Runs the protocol for one seed; `epochs` overrides the paper's when given.
pub fn run(
    dataset: PaperDataset,
    data: &PaperData,
    seed: u64,
    epochs: Option<usize>,
    device: Device,
) -> Result<PaperRun> {
    run_with(
        dataset,
        data,
        seed,
        epochs,
        device,
        WeightInit::default(),
        None,
    )
}

/// As [`run`], with the networks' weights drawn as `init` says and, when given, another
/// covariance jitter than the library's default `eps`.
pub fn run_with(
    dataset: PaperDataset,
    data: &PaperData,
    seed: u64,
    epochs: Option<usize>,
    device: Device,
    init: WeightInit,
    eps: Option<f64>,
) -> Result<PaperRun> {
    let mut setup = dataset.setup();
    setup.layout.weight_init = init;
    let epochs = epochs.unwrap_or(setup.epochs);
    let n = data.anomaly.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let (train_half, test) = order.split_at(n / 2);
    let train: Vec<usize> = train_half
        .iter()
        .copied()
        .filter(|&i| data.anomaly[i] == 0)
        .collect();

    let x_train = data.x.select(Axis(0), &train);
    let (min, range) = min_max(&x_train);
    let scale = |x: Array2<f64>| (x - &min) / &range;
    let x_train = scale(x_train);
    let x_test = scale(data.x.select(Axis(0), test));
    let y_test: Vec<u8> = test.iter().map(|&i| data.anomaly[i]).collect();

    let config = AegmmConfig {
        n_gmm: setup.n_gmm,
        layout: setup.layout.clone(),
        eps: eps.unwrap_or(AegmmConfig::default().eps),
        seed,
        device,
        data_type: Some("tabular".into()),
        ..AegmmConfig::default()
    };
    let mut detector = OutlierAegmm::new(x_train.ncols(), config)?;
    let batch_size = setup.batch_size.min(x_train.nrows());
    let train_config = TrainConfig {
        epochs,
        batch_size,
        learning_rate: 1e-4,
        seed,
        ..TrainConfig::default()
    };
    let start = Instant::now();
    detector.fit(&x_train, &train_config, &mut |_| {})?;
    let train_seconds = start.elapsed().as_secs_f64();

    let energy = detector.score(&x_test)?;
    let finite = energy.iter().all(|e| e.is_finite());
    let flagged = flag_top(&energy, setup.ratio)?;
    let scores = binary_scores(&flagged, &y_test);
    Ok(PaperRun {
        weight_init: init,
        dataset: dataset.name().to_string(),
        seed,
        epochs,
        train_rows: train.len(),
        test_rows: test.len(),
        precision: scores.precision,
        recall: scores.recall,
        f1: scores.f1,
        roc_auc: roc_auc(&energy.to_vec(), &y_test),
        train_seconds,
        rows_per_sec: (train.len() * epochs) as f64 / train_seconds,
        finite,
    })
}

/// 1 for the rows whose energy is above the `1 - ratio` quantile of all energies.
fn flag_top(energy: &Array1<f64>, ratio: f64) -> Result<Vec<u8>> {
    let threshold = percentile(&energy.to_vec(), 100.0 * (1.0 - ratio))
        .map_err(|e| BenchError::Other(e.to_string()))?;
    Ok(energy.iter().map(|&e| u8::from(e > threshold)).collect())
}

/// Column minimum and range of the training rows; a constant column gets range 1.
fn min_max(x: &Array2<f64>) -> (Array1<f64>, Array1<f64>) {
    let min = x.fold_axis(Axis(0), f64::INFINITY, |&m, &v| m.min(v));
    let max = x.fold_axis(Axis(0), f64::NEG_INFINITY, |&m, &v| m.max(v));
    let range = (&max - &min).mapv(|r| if r > 0.0 { r } else { 1.0 });
    (min, range)
}
