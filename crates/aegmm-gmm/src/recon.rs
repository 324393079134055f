//! Reference (`f64`) version of the default reconstruction features.

use ndarray::{Array2, ArrayView2, Axis};

use crate::{GmmError, Result};

/// Upper clip of the relative reconstruction distance.
pub const MAX_RELATIVE_DISTANCE: f64 = 100.0;

const NORM_FLOOR: f64 = 1e-12;

/// Per row of `x` and its reconstruction `x_hat` (both `N x F`, images flattened): the relative
/// distance `min(|x - x_hat| / max(|x|, 1e-12), 100)` and the cosine similarity
/// `x . x_hat / max(|x| |x_hat|, 1e-12)`, as an `N x 2` array. Finite for any finite input,
/// all-zero rows included.
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
        let norm_x = row.dot(&row).sqrt();
        let norm_hat = row_hat.dot(&row_hat).sqrt();
        let diff = &row - &row_hat;
        let dist = diff.dot(&diff).sqrt();
        feat[0] = (dist / norm_x.max(NORM_FLOOR)).min(MAX_RELATIVE_DISTANCE);
        feat[1] = row.dot(&row_hat) / (norm_x * norm_hat).max(NORM_FLOOR);
    }
    Ok(out)
}
