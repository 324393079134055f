//! The AEGMM training objective.

use tch::{Kind, Tensor};

use crate::gmm::TchGmm;
use crate::network::Forward;
use crate::Result;

/// Weights of the energy and covariance terms in the objective.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LossWeights {
    /// Weight of the mean sample energy (default 0.1).
    pub w_energy: f64,
    /// Weight of the covariance diagonal penalty (default 0.005).
    pub w_cov_diag: f64,
}

impl Default for LossWeights {
    fn default() -> Self {
        Self {
            w_energy: 0.1,
            w_cov_diag: 0.005,
        }
    }
}

/// Signature of a training objective: the batch `x`, its forward pass, the loss weights and
/// the covariance jitter `eps`, as [`aegmm_loss`] takes them. `total` is what gets minimised;
/// the other three terms are reported in the history (return zeros for terms you do not use).
pub type LossFn = dyn Fn(&Tensor, &Forward, LossWeights, f64) -> Result<LossTerms> + Send + Sync;

/// The objective and its three terms for one batch, all scalar tensors.
#[derive(Debug)]
pub struct LossTerms {
    /// `recon + w_energy * energy + w_cov_diag * cov_diag`, the value to minimise.
    pub total: Tensor,
    /// Mean squared reconstruction error over all elements.
    pub recon: Tensor,
    /// Mean sample energy of the batch under the batch's own mixture.
    pub energy: Tensor,
    /// `sum_k sum_d 1 / cov_k[d, d]` of the batch's mixture.
    pub cov_diag: Tensor,
}

/// The AEGMM loss of batch `x` given its forward pass: reconstruction error plus weighted
/// mean energy plus weighted covariance penalty, with the mixture estimated on the batch
/// (covariance jitter `eps`) so that gradients flow through all of it.
pub fn aegmm_loss(x: &Tensor, fwd: &Forward, weights: LossWeights, eps: f64) -> Result<LossTerms> {
    let recon = (x - &fwd.x_hat).square().mean(fwd.x_hat.kind());
    let gmm = TchGmm::estimate(&fwd.z, &fwd.gamma, eps)?;
    let energy = gmm.energy(&fwd.z).mean(Kind::Double).to_kind(fwd.z.kind());
    let cov_diag = gmm.cov_diag_penalty().to_kind(fwd.z.kind());
    let total = &recon + &energy * weights.w_energy + &cov_diag * weights.w_cov_diag;
    Ok(LossTerms {
        total,
        recon,
        energy,
        cov_diag,
    })
}
