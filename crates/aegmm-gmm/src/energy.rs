//! Sample energy: the negative log density of rows under a fitted mixture.

use ndarray::{Array1, Array2, ArrayView2, Axis};

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
    ///
    /// Row by row: `v = L_k^-1 (z_i - mu_k)` by forward substitution with the Cholesky factor
    /// (`D` is a handful, so a plain loop over rows beats a LAPACK call per component, which
    /// needs the centred rows transposed and copied first), then `|v|^2`.
    fn log_terms(&self, z: ArrayView2<f64>) -> Result<Array2<f64>> {
        let (n, k, d) = (z.nrows(), self.n_components(), self.dim());
        let log_2pi = (2.0 * std::f64::consts::PI).ln();
        let base: Vec<f64> = (0..k)
            .map(|c| self.phi[c].ln() - 0.5 * (d as f64 * log_2pi + self.log_det[c]))
            .collect();
        if let Some(c) = (0..k).find(|&c| (0..d).any(|i| self.chol[[c, i, i]] == 0.0)) {
            return Err(GmmError::Invalid(format!(
                "the Cholesky factor of component {c} has a zero on its diagonal"
            )));
        }
        let mut out = Array2::zeros((n, k));
        let mut v = vec![0.0; d];
        for (row, mut terms) in z.outer_iter().zip(out.outer_iter_mut()) {
            for c in 0..k {
                let chol = self.chol.index_axis(Axis(0), c);
                let mu = self.mu.row(c);
                let mut maha = 0.0;
                for i in 0..d {
                    let mut s = row[i] - mu[i];
                    for j in 0..i {
                        s -= chol[[i, j]] * v[j];
                    }
                    v[i] = s / chol[[i, i]];
                    maha += v[i] * v[i];
                }
                terms[c] = base[c] - 0.5 * maha;
            }
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
