//! Reference (`f64`) version of the default reconstruction features.

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};

use crate::{GmmError, Result};

/// Upper clip of the relative reconstruction distance.
pub const MAX_RELATIVE_DISTANCE: f64 = 100.0;

const NORM_FLOOR: f64 = 1e-12;

/// Per row of `x` and its reconstruction `x_hat` (both `N x F`, images flattened): the relative
/// distance `min(|x - x_hat| / max(|x|, 1e-12), 100)` and the cosine similarity
/// `x . x_hat / max(|x| |x_hat|, 1e-12)`, as an `N x 2` array.
///
/// Finite for any finite input, all-zero rows included: each row pair is divided by its
/// largest magnitude first, so squares neither overflow nor underflow.
pub fn recon_features(x: ArrayView2<f64>, x_hat: ArrayView2<f64>) -> Result<Array2<f64>> {
    if x.dim() != x_hat.dim() {
        return Err(GmmError::Shape {
            what: "x_hat elements vs. x",
            expected: x.len(),
            got: x_hat.len(),
        });
    }
    let mut out = Array2::zeros((x.nrows(), 2));
    for ((row, row_hat), mut feat) in x
        .outer_iter()
        .zip(x_hat.outer_iter())
        .zip(out.axis_iter_mut(Axis(0)))
    {
        let [rel, cos] = row_features(row, row_hat);
        feat[0] = rel;
        feat[1] = cos;
    }
    Ok(out)
}

fn row_features(x: ArrayView1<f64>, x_hat: ArrayView1<f64>) -> [f64; 2] {
    let max_abs = |a: ArrayView1<f64>| a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = max_abs(x).max(max_abs(x_hat));
    let scale = if scale > 0.0 && scale.is_finite() {
        scale
    } else {
        1.0
    };
    let xs = &x / scale;
    let hs = &x_hat / scale;

    let norm_x = xs.dot(&xs).sqrt();
    let norm_hat = hs.dot(&hs).sqrt();
    let diff = &xs - &hs;
    let dist = diff.dot(&diff).sqrt();
    // Floors stated in the input's units, carried into the scaled ones.
    let rel = (dist / norm_x.max(NORM_FLOOR / scale)).min(MAX_RELATIVE_DISTANCE);
    let cos_denom = (norm_x * norm_hat).max(NORM_FLOOR / scale / scale);
    let cos = if cos_denom > 0.0 {
        xs.dot(&hs) / cos_denom
    } else {
        0.0
    };
    [rel, cos]
}
