//! Differentiable mixture estimate and sample energy on tensors.

use tch::{Kind, Tensor};

use crate::{NnError, Result};

/// How many times the jitter is multiplied by ten before the estimate gives up.
pub const MAX_JITTER_TRIES: usize = 8;

/// A Gaussian mixture held as tensors, estimated from `(z, gamma)` with gradients intact.
///
/// Whatever the networks compute in, the mixture is computed in `f64`: covariances of tight
/// clusters are too ill-conditioned for an `f32` Cholesky factor and log-determinant. The
/// tensors here are `f64`; [`Self::energy`] returns `f64` energies.
#[derive(Debug)]
pub struct TchGmm {
    /// Mixture weights, `K`.
    pub phi: Tensor,
    /// Component means, `K x D`.
    pub mu: Tensor,
    /// Raw covariances, `K x D x D`.
    pub cov: Tensor,
    /// Lower Cholesky factors of `cov + jitter I`, `K x D x D`.
    pub chol: Tensor,
    /// `log det(cov_k + jitter I)`, `K`.
    pub log_det: Tensor,
    /// The jitter that was needed (`eps` unless a retry was needed).
    pub jitter: f64,
}

impl TchGmm {
    /// Estimates the mixture from `z` (`N x D`) and memberships `gamma` (`N x K`).
    ///
    /// Factors `cov_k + eps I`; when a component is not positive definite, retries with ten
    /// times the jitter, at most [`MAX_JITTER_TRIES`] times, then errors naming the component.
    pub fn estimate(z: &Tensor, gamma: &Tensor, eps: f64) -> Result<Self> {
        let (phi, mu, cov) = Self::moments(z, gamma);
        Self::from_params(phi, mu, cov, eps)
    }

    /// The weighted moments of `z` (`N x D`) under memberships `gamma` (`N x K`), in `f64`:
    /// weights `phi` (`K`), means `mu` (`K x D`) and raw covariances `cov` (`K x D x D`).
    pub fn moments(z: &Tensor, gamma: &Tensor) -> (Tensor, Tensor, Tensor) {
        let z = z.to_kind(Kind::Double);
        let gamma = gamma.to_kind(Kind::Double);
        let n = z.size()[0] as f64;
        let weight = gamma.sum_dim_intlist(0, false, None);
        let phi = &weight / n;
        let mu = gamma.transpose(0, 1).matmul(&z) / weight.unsqueeze(1);
        let centred = z.unsqueeze(1) - mu.unsqueeze(0);
        let weighted = &centred * gamma.unsqueeze(2);
        let cov = Tensor::einsum("nkd,nke->kde", &[&weighted, &centred], None::<i64>)
            / weight.unsqueeze(1).unsqueeze(2);
        (phi, mu, cov)
    }

    /// The mixture with weights `phi` (`K`), means `mu` (`K x D`) and raw covariances `cov`
    /// (`K x D x D`), factoring each `cov_k + eps I` with the same retries as [`Self::estimate`].
    pub fn from_params(phi: Tensor, mu: Tensor, cov: Tensor, eps: f64) -> Result<Self> {
        let (phi, mu, cov) = (
            phi.to_kind(Kind::Double),
            mu.to_kind(Kind::Double),
            cov.to_kind(Kind::Double),
        );
        let finite = [&phi, &mu, &cov]
            .iter()
            .all(|t| bool::try_from(t.isfinite().all()).unwrap_or(false));
        if !finite {
            return Err(NnError::NonFiniteMixture);
        }
        let d = mu.size()[1];
        let eye = Tensor::eye(d, (cov.kind(), cov.device()));
        let mut jitter = eps;
        let mut attempt = 0;
        loop {
            let (chol, info) = (&cov + &eye * jitter).linalg_cholesky_ex(false, false);
            match first_failed(&info, &chol)? {
                None => {
                    let log_det = chol
                        .diagonal(0, -2, -1)
                        .log()
                        .sum_dim_intlist(-1, false, None)
                        * 2.0;
                    return Ok(Self {
                        phi,
                        mu,
                        cov,
                        chol,
                        log_det,
                        jitter,
                    });
                }
                Some(component) if attempt == MAX_JITTER_TRIES => {
                    return Err(NnError::Cholesky { component, jitter });
                }
                Some(_) => {
                    jitter = if jitter > 0.0 { jitter * 10.0 } else { 1e-12 };
                    attempt += 1;
                }
            }
        }
    }

    /// Sample energy of each row of `z` (`N x D`), `N`; max-shifted log-sum-exp.
    pub fn energy(&self, z: &Tensor) -> Tensor {
        let z = z.to_kind(Kind::Double);
        let d = z.size()[1] as f64;
        let centred = (z.unsqueeze(0) - self.mu.unsqueeze(1)).transpose(1, 2);
        let v = self
            .chol
            .linalg_solve_triangular(&centred, false, true, false);
        let maha = v.square().sum_dim_intlist(1, false, None);
        let log_2pi = (2.0 * std::f64::consts::PI).ln();
        let log_norm = self.phi.log() - (&self.log_det + d * log_2pi) * 0.5;
        let log_terms = log_norm.unsqueeze(1) - maha * 0.5;
        -log_terms.logsumexp(0, false)
    }

    /// Covariance penalty `sum_k sum_d 1 / max(cov_k[d, d], jitter)`, a scalar.
    ///
    /// A variance below the Cholesky jitter counts as the jitter, so a batch whose `z` has a
    /// constant column (a batch of one row, say) gives a large but finite penalty instead of
    /// an infinite one; real variances are far above the jitter and count exactly.
    pub fn cov_diag_penalty(&self) -> Tensor {
        self.cov
            .diagonal(0, -2, -1)
            .clamp_min(self.jitter.max(f64::MIN_POSITIVE))
            .reciprocal()
            .sum(self.cov.kind())
    }
}

/// The first component whose factorisation failed or is not finite, if any.
fn first_failed(info: &Tensor, chol: &Tensor) -> Result<Option<usize>> {
    let info = Vec::<i64>::try_from(info.to_kind(Kind::Int64).to_device(tch::Device::Cpu))?;
    let finite = chol
        .isfinite()
        .flatten(1, -1)
        .all_dim(1, false)
        .to_device(tch::Device::Cpu);
    let finite = Vec::<bool>::try_from(finite)?;
    Ok(info.iter().zip(&finite).position(|(&i, &ok)| i != 0 || !ok))
}
