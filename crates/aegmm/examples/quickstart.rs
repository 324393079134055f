//! Quickstart: fit the detector on synthetic data with planted outliers, infer a threshold,
//! and print the JSON of `predict(X, true)` on standard output (and nothing else).
//!
//! ```text
//! eval "$(cargo xtask env)"
//! cargo run -p aegmm --example quickstart
//! ```

use aegmm::{AegmmConfig, OutlierAegmm, Prediction, TrainConfig};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `n_in` rows near a plane in 6-d space, then `n_out` rows drawn far and wide.
fn planted_outliers(n_in: usize, n_out: usize, rng: &mut ChaCha8Rng) -> Array2<f32> {
    let mut x = Array2::<f32>::zeros((n_in + n_out, 6));
    for (i, mut row) in x.outer_iter_mut().enumerate() {
        let (a, b): (f32, f32) = (rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0));
        for (j, v) in row.iter_mut().enumerate() {
            *v = if i < n_in {
                a * (j as f32 + 1.0) / 6.0 + b * (j % 2) as f32 + rng.gen_range(-0.02..0.02)
            } else {
                rng.gen_range(-3.0..3.0)
            };
        }
    }
    x
}

/// Fits on 1000 inliers, infers the threshold on a test batch of 95 inliers and 5 planted
/// outliers (the last five rows), and predicts that batch.
pub fn prediction() -> Result<Prediction, Box<dyn std::error::Error>> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let x_train = planted_outliers(1000, 0, &mut rng);
    let x_test = planted_outliers(95, 5, &mut rng);

    let config = AegmmConfig {
        data_type: Some("tabular".into()),
        ..AegmmConfig::small()
    };
    let mut detector = OutlierAegmm::new(6, config)?;
    let train = TrainConfig {
        epochs: 20,
        batch_size: 100,
        learning_rate: 3e-3,
        ..TrainConfig::default()
    };
    detector.fit(&x_train, &train, &mut |_| {})?;
    detector.infer_threshold(&x_test, 95.0)?;

    Ok(detector.predict(&x_test, true)?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", serde_json::to_string_pretty(&prediction()?)?);
    Ok(())
}
