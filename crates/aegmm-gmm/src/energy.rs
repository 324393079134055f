//! Sample energy: the negative log density of rows under a fitted mixture.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use ndarray_linalg::{Diag, SolveTriangular, UPLO};

use crate::estimate::{check_finite, GmmParams};
use crate::{GmmError, Result};

impl GmmParams {
    /// Sample energy of each row of `z` (`N x D`), returned as `N` values.
    ///
    /// `E(z) = -log sum_k phi_k N(z; mu_k, cov_k + jitter_k I)`, evaluated with a max-shifted
    /// log-sum-exp so that rows far from every component keep their exact (large) energy.
    /// Energy can be negative where the density exceeds one.
    pub fn energy(&self, z: ArrayView2<f64>) -> Result<Array1<f64>> {
        let d = self.dim();
        if z.ncols() != d {
            return Err(GmmError::Shape {
                what: "z columns",
                expected: d,
                got: z.ncols(),
            });
        }
        check_finite("z", z)?;

        let log_terms = self.log_terms(z)?;
        Ok(log_terms.map_axis(Axis(1), |a| -log_sum_exp(a.iter().copied())))
    }

    /// `log phi_k + log N(z_i; mu_k, cov_k)` for every row and component, `N x K`.
    fn log_terms(&self, z: ArrayView2<f64>) -> Result<Array2<f64>> {
        let n = z.nrows();
        let d = self.dim() as f64;
        let log_2pi = (2.0 * std::f64::consts::PI).ln();
        let mut out = Array2::zeros((n, self.n_components()));
        for c in 0..self.n_components() {
            let centred_t = (&z - &self.mu.row(c)).reversed_axes();
            let chol = self.chol.index_axis(Axis(0), c);
            let v = chol
                .solve_triangular(UPLO::Lower, Diag::NonUnit, &centred_t.as_standard_layout())
                .map_err(|e| {
                    GmmError::Invalid(format!("triangular solve of component {c}: {e}"))
                })?;
            let maha = v.map_axis(Axis(0), |col| col.dot(&col));
            let base = self.phi[c].ln() - 0.5 * (d * log_2pi + self.log_det[c]);
            out.column_mut(c).assign(&maha.mapv(|m| base - 0.5 * m));
        }
        Ok(out)
    }
}

fn log_sum_exp(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let max = values.clone().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + values.map(|v| (v - max).exp()).sum::<f64>().ln()
}
