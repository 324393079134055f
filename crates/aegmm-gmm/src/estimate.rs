//! Mixture parameters from `(z, gamma)`: a streaming estimate and the fitted parameters.

use ndarray::{s, Array1, Array2, Array3, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::cholesky::cholesky_with_jitter;
use crate::{GmmError, Result};

/// A fitted Gaussian mixture: `K` components in `D` dimensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GmmParams {
    /// Mixture weights, `K`; they sum to one.
    pub phi: Array1<f64>,
    /// Component means, `K x D`.
    pub mu: Array2<f64>,
    /// Raw component covariances (no jitter), `K x D x D`.
    pub cov: Array3<f64>,
    /// Lower Cholesky factors of `cov + jitter_k I`, `K x D x D`.
    pub chol: Array3<f64>,
    /// `log det(cov_k + jitter_k I)`, `K`.
    pub log_det: Array1<f64>,
    /// The jitter each component needed, `K` (`eps` unless the factorisation had to retry).
    pub jitter: Array1<f64>,
    /// The requested diagonal jitter.
    pub eps: f64,
}

impl GmmParams {
    /// Builds the mixture from weights `phi` (`K`), means `mu` (`K x D`) and raw covariances
    /// `cov` (`K x D x D`), factoring each `cov_k + eps I`.
    pub fn new(phi: Array1<f64>, mu: Array2<f64>, cov: Array3<f64>, eps: f64) -> Result<Self> {
        let (k, d) = mu.dim();
        if phi.len() != k {
            return Err(GmmError::Shape {
                what: "phi length vs. mu rows",
                expected: k,
                got: phi.len(),
            });
        }
        if cov.dim() != (k, d, d) {
            return Err(GmmError::Shape {
                what: "cov elements vs. K x D x D",
                expected: k * d * d,
                got: cov.len(),
            });
        }
        if let Some((col, &value)) = phi
            .indexed_iter()
            .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
        {
            return Err(GmmError::NonFinite {
                what: "phi (must be finite and >= 0)",
                row: 0,
                col,
                value,
            });
        }
        check_finite("mu", mu.view())?;

        let mut chol = Array3::zeros((k, d, d));
        let mut log_det = Array1::zeros(k);
        let mut jitter = Array1::zeros(k);
        for c in 0..k {
            let (l, used) = cholesky_with_jitter(cov.index_axis(Axis(0), c), eps, c)?;
            log_det[c] = 2.0 * l.diag().iter().map(|v| v.ln()).sum::<f64>();
            chol.index_axis_mut(Axis(0), c).assign(&l);
            jitter[c] = used;
        }
        Ok(Self {
            phi,
            mu,
            cov,
            chol,
            log_det,
            jitter,
            eps,
        })
    }

    /// Estimates the mixture from one batch: `z` is `N x D`, `gamma` is `N x K`.
    pub fn from_batch(z: ArrayView2<f64>, gamma: ArrayView2<f64>, eps: f64) -> Result<Self> {
        let mut acc = GmmAccumulator::new(gamma.ncols(), z.ncols());
        acc.update(z, gamma)?;
        acc.finish(eps)
    }

    /// Number of components `K`.
    pub fn n_components(&self) -> usize {
        self.phi.len()
    }

    /// Dimension `D` of the mixture space.
    pub fn dim(&self) -> usize {
        self.mu.ncols()
    }

    /// The covariance penalty `sum_k sum_d 1 / cov_k[d, d]` of the training objective.
    pub fn cov_diag_penalty(&self) -> f64 {
        (0..self.n_components())
            .map(|c| {
                self.cov
                    .slice(s![c, .., ..])
                    .diag()
                    .iter()
                    .map(|v| 1.0 / v)
                    .sum::<f64>()
            })
            .sum()
    }
}

/// Running sums for the mixture estimate, fed batch by batch.
///
/// Each component keeps its total membership, weighted mean and weighted scatter matrix,
/// merged batch by batch with Chan's pairwise update. Memory is `K x D x D` whatever the
/// number of rows, and the result does not depend on the batch size beyond rounding.
#[derive(Debug, Clone)]
pub struct GmmAccumulator {
    rows: usize,
    weight: Array1<f64>,
    mean: Array2<f64>,
    scatter: Array3<f64>,
}

impl GmmAccumulator {
    /// An empty accumulator for `k` components in `d` dimensions.
    pub fn new(k: usize, d: usize) -> Self {
        Self {
            rows: 0,
            weight: Array1::zeros(k),
            mean: Array2::zeros((k, d)),
            scatter: Array3::zeros((k, d, d)),
        }
    }

    /// Rows seen so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Adds a batch: `z` is `N x D`, `gamma` is `N x K` (non-negative memberships).
    pub fn update(&mut self, z: ArrayView2<f64>, gamma: ArrayView2<f64>) -> Result<()> {
        let (k, d) = self.mean.dim();
        if z.ncols() != d {
            return Err(GmmError::Shape {
                what: "z columns",
                expected: d,
                got: z.ncols(),
            });
        }
        if gamma.ncols() != k {
            return Err(GmmError::Shape {
                what: "gamma columns",
                expected: k,
                got: gamma.ncols(),
            });
        }
        if gamma.nrows() != z.nrows() {
            return Err(GmmError::Shape {
                what: "gamma rows",
                expected: z.nrows(),
                got: gamma.nrows(),
            });
        }
        check_finite("z", z)?;
        check_finite("gamma", gamma)?;
        if let Some(((row, col), &value)) = gamma.indexed_iter().find(|(_, v)| **v < 0.0) {
            return Err(GmmError::NonFinite {
                what: "gamma (must be >= 0)",
                row,
                col,
                value,
            });
        }

        for c in 0..k {
            self.merge_component(c, z, gamma.column(c));
        }
        self.rows += z.nrows();
        Ok(())
    }

    fn merge_component(&mut self, c: usize, z: ArrayView2<f64>, g: ArrayView1<f64>) {
        let w_b: f64 = g.sum();
        if w_b <= 0.0 {
            return;
        }
        let mean_b = g.dot(&z) / w_b;
        let centred = &z - &mean_b;
        let weighted = &centred * &g.insert_axis(Axis(1));
        let scatter_b = weighted.t().dot(&centred);

        let w_a = self.weight[c];
        let w = w_a + w_b;
        let delta = &mean_b - &self.mean.row(c);
        let outer = outer(delta.view(), delta.view()) * (w_a * w_b / w);
        let mut scatter = self.scatter.index_axis_mut(Axis(0), c);
        scatter += &(scatter_b + outer);
        let mut mean = self.mean.row_mut(c);
        mean.scaled_add(w_b / w, &delta);
        self.weight[c] = w;
    }

    /// The mixture estimated from everything seen so far, factoring `cov_k + eps I`.
    pub fn finish(&self, eps: f64) -> Result<GmmParams> {
        if self.rows == 0 {
            return Err(GmmError::Empty("the data for the mixture estimate"));
        }
        if let Some((component, &weight)) = self.weight.indexed_iter().find(|(_, w)| **w <= 0.0) {
            return Err(GmmError::EmptyComponent { component, weight });
        }
        let phi = &self.weight / self.rows as f64;
        let cov = &self.scatter / &self.weight.view().insert_axis(Axis(1)).insert_axis(Axis(2));
        GmmParams::new(phi, self.mean.clone(), cov, eps)
    }
}

fn outer(a: ArrayView1<f64>, b: ArrayView1<f64>) -> Array2<f64> {
    a.insert_axis(Axis(1)).dot(&b.insert_axis(Axis(0)))
}

pub(crate) fn check_finite(what: &'static str, a: ArrayView2<f64>) -> Result<()> {
    match a.indexed_iter().find(|(_, v)| !v.is_finite()) {
        Some(((row, col), &value)) => Err(GmmError::NonFinite {
            what,
            row,
            col,
            value,
        }),
        None => Ok(()),
    }
}
