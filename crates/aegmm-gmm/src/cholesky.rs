//! Cholesky factorisation of a covariance with a growing diagonal jitter.

use ndarray::{Array2, ArrayView2};
use ndarray_linalg::{Cholesky, UPLO};

use crate::{GmmError, Result};

/// How many times the jitter is multiplied by ten before [`cholesky_with_jitter`] gives up.
pub const MAX_JITTER_TRIES: usize = 8;

/// Lower Cholesky factor of `cov + jitter * I` (`D x D`), first with `jitter = eps`, then with
/// ten times more on each failure, at most [`MAX_JITTER_TRIES`] more times.
///
/// Returns the factor and the jitter that worked. `component` only names the mixture
/// component in the error, which is returned when every try fails or `cov` is not finite.
pub fn cholesky_with_jitter(
    cov: ArrayView2<f64>,
    eps: f64,
    component: usize,
) -> Result<(Array2<f64>, f64)> {
    let d = cov.nrows();
    if cov.ncols() != d {
        return Err(GmmError::Shape {
            what: "covariance columns",
            expected: d,
            got: cov.ncols(),
        });
    }
    if !(eps.is_finite() && eps >= 0.0) {
        return Err(GmmError::Invalid(format!(
            "eps must be finite and >= 0, got {eps}"
        )));
    }
    if let Some(((row, col), &value)) = cov.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(GmmError::NonFinite {
            what: "covariance",
            row,
            col,
            value,
        });
    }

    let scale = cov
        .diag()
        .iter()
        .map(|v| v.abs())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut jitter = eps;
    for _ in 0..=MAX_JITTER_TRIES {
        let mut shifted = cov.to_owned();
        shifted.diag_mut().mapv_inplace(|v| v + jitter);
        if let Ok(chol) = shifted.cholesky(UPLO::Lower) {
            if chol.diag().iter().all(|v| v.is_finite() && *v > 0.0) {
                return Ok((chol, jitter));
            }
        }
        jitter = if jitter > 0.0 {
            jitter * 10.0
        } else {
            scale * 1e-12
        };
    }
    Err(GmmError::Cholesky {
        component,
        jitter: jitter / 10.0,
    })
}
