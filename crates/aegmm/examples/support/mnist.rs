//! The MNIST one-class protocol shared by `examples/mnist.rs` and `tests/mnist_subsample.rs`:
//! reading the gzipped IDX files, drawing the split, training, and the ROC AUC.

use std::error::Error;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use aegmm::{AegmmConfig, ConvLayout, Networks, OutlierAegmm, TabularLayout, TrainConfig};
use flate2::read::GzDecoder;
use ndarray::{Array4, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Height and width of an MNIST image.
pub const SIDE: usize = 28;

/// The MNIST images, `N x 28 x 28 x 1` with values in `[0, 1]`, and their digits.
pub struct Mnist {
    /// Images, channels last.
    pub images: Array4<f32>,
    /// The digit of each image.
    pub labels: Vec<u8>,
}

/// The repository's `data/mnist` folder.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist")
}

fn read_gz(path: &Path) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut bytes = Vec::new();
    GzDecoder::new(File::open(path).map_err(|e| format!("{}: {e}", path.display()))?)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn be_u32(bytes: &[u8], at: usize) -> usize {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
}

/// Reads the MNIST test images and labels from `dir`.
pub fn load(dir: &Path) -> Result<Mnist, Box<dyn Error>> {
    let images = read_gz(&dir.join("t10k-images-idx3-ubyte.gz"))?;
    let labels = read_gz(&dir.join("t10k-labels-idx1-ubyte.gz"))?;
    if images.len() < 16 || be_u32(&images, 0) != 0x803 {
        return Err("t10k-images-idx3-ubyte.gz is not an IDX3 image file".into());
    }
    if labels.len() < 8 || be_u32(&labels, 0) != 0x801 {
        return Err("t10k-labels-idx1-ubyte.gz is not an IDX1 label file".into());
    }
    let (n, h, w) = (be_u32(&images, 4), be_u32(&images, 8), be_u32(&images, 12));
    if (h, w) != (SIDE, SIDE) || images.len() != 16 + n * h * w || labels.len() != 8 + n {
        return Err("the MNIST files do not hold 28 x 28 images with one label each".into());
    }
    let pixels = images[16..].iter().map(|&p| p as f32 / 255.0).collect();
    Ok(Mnist {
        images: Array4::from_shape_vec((n, h, w, 1), pixels)?,
        labels: labels[8..].to_vec(),
    })
}

/// One run of the one-class protocol.
#[derive(Debug, Clone)]
pub struct Protocol {
    /// The inlier digit.
    pub digit: u8,
    /// Inlier images to train on.
    pub train_rows: usize,
    /// Held-out inlier images in the test set (`None`: all that are not trained on).
    pub test_inliers: Option<usize>,
    /// Images of other digits in the test set (`None`: all of them).
    pub test_outliers: Option<usize>,
    /// Training epochs.
    pub epochs: usize,
    /// Seed of the split, the weights and the shuffling.
    pub seed: u64,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// ROC AUC of the energies with the other digits as the positive class.
    pub roc_auc: f64,
    /// Final training loss.
    pub final_loss: f64,
    /// Seconds spent training.
    pub train_seconds: f64,
    /// Seconds spent scoring the test set.
    pub score_seconds: f64,
    /// Held-out images of the digit in the test set.
    pub test_inliers: usize,
    /// Images of other digits in the test set.
    pub test_outliers: usize,
}

/// The detector used on MNIST: the default convolutional networks, latent code of 4,
/// 2 mixture components.
pub fn config(seed: u64) -> AegmmConfig {
    AegmmConfig {
        n_gmm: 2,
        layout: TabularLayout {
            latent_dim: 4,
            density_hidden: vec![10],
            ..TabularLayout::default()
        },
        networks: Networks::Conv(ConvLayout {
            channels: vec![16, 32],
        }),
        data_type: Some("image".into()),
        seed,
        ..AegmmConfig::default()
    }
}

/// Trains on `train_rows` images of `digit` and scores held-out images of it against images
/// of the other digits.
pub fn run(data: &Mnist, p: &Protocol) -> Result<Outcome, Box<dyn Error>> {
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let mut inliers: Vec<usize> = (0..data.labels.len())
        .filter(|&i| data.labels[i] == p.digit)
        .collect();
    let mut others: Vec<usize> = (0..data.labels.len())
        .filter(|&i| data.labels[i] != p.digit)
        .collect();
    inliers.shuffle(&mut rng);
    others.shuffle(&mut rng);
    let n_in = p
        .test_inliers
        .unwrap_or(inliers.len().saturating_sub(p.train_rows));
    if p.train_rows + n_in > inliers.len() || n_in == 0 {
        return Err(format!(
            "digit {} has {} images: too few for {} training and {n_in} test inliers",
            p.digit,
            inliers.len(),
            p.train_rows,
        )
        .into());
    }
    let n_out = p.test_outliers.unwrap_or(others.len());
    if n_out > others.len() {
        return Err(format!("only {} images show another digit", others.len()).into());
    }
    let train_idx = &inliers[..p.train_rows];
    let mut test_idx = inliers[p.train_rows..p.train_rows + n_in].to_vec();
    test_idx.extend(&others[..n_out]);
    let is_outlier: Vec<bool> = test_idx
        .iter()
        .map(|&i| data.labels[i] != p.digit)
        .collect();

    let x_train = data.images.select(Axis(0), train_idx);
    let x_test = data.images.select(Axis(0), &test_idx);
    let mut detector = OutlierAegmm::with_shape(&[SIDE, SIDE, 1], config(p.seed))?;
    let train = TrainConfig {
        epochs: p.epochs,
        batch_size: 64.min(p.train_rows),
        learning_rate: 1e-3,
        seed: p.seed,
        ..TrainConfig::default()
    };
    let start = Instant::now();
    let history = detector.fit(&x_train, &train, &mut |_| {})?;
    let train_seconds = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let energy = detector.score(&x_test)?;
    let score_seconds = start.elapsed().as_secs_f64();
    Ok(Outcome {
        roc_auc: roc_auc(energy.as_slice().unwrap_or(&energy.to_vec()), &is_outlier),
        final_loss: history.epochs.last().map_or(f64::NAN, |e| e.loss),
        train_seconds,
        score_seconds,
        test_inliers: n_in,
        test_outliers: n_out,
    })
}

/// Area under the ROC curve of `scores` for the positive class `positive`: the chance that
/// a random positive scores above a random negative, ties counting one half.
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = mid;
        }
        i = j + 1;
    }
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    let rank_sum: f64 = (0..scores.len())
        .filter(|&k| positive[k])
        .map(|k| ranks[k])
        .sum();
    (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}
