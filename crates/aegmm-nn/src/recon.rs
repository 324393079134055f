//! Reconstruction features appended to the latent code.

use std::fmt;
use std::sync::Arc;

use tch::{Kind, Tensor};

use crate::{NnError, Result};

/// Upper clip of the relative reconstruction distance.
const MAX_RELATIVE_DISTANCE: f64 = 100.0;
const NORM_FLOOR: f64 = 1e-12;

/// Signature of a user's feature function: `(x, x_hat)` flattened to `N x F`, to `N x R`.
pub type ReconFn = dyn Fn(&Tensor, &Tensor) -> Tensor + Send + Sync;

/// Which features of the reconstruction join the latent code in `z`.
#[derive(Clone, Default)]
pub enum ReconFeatures {
    /// Relative Euclidean distance (clipped at 100) and cosine similarity (`R = 2`); the
    /// default.
    #[default]
    RelativeDistanceCosine,
    /// Mean squared error and cosine similarity, as alibi-detect's page describes (`R = 2`).
    MseCosine,
    /// A user function of `(x, x_hat)` (`N x F` each) returning `N x width` features.
    Custom {
        /// Number of features per row it returns.
        width: usize,
        /// The function; it must be differentiable in `x_hat` for training.
        func: Arc<ReconFn>,
    },
}

impl fmt::Debug for ReconFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RelativeDistanceCosine => f.write_str("RelativeDistanceCosine"),
            Self::MseCosine => f.write_str("MseCosine"),
            Self::Custom { width, .. } => write!(f, "Custom {{ width: {width} }}"),
        }
    }
}

impl ReconFeatures {
    /// A user function of `(x, x_hat)` (both `N x F`) returning `N x width` features;
    /// `width` may be 0. It must be differentiable in `x_hat` for training.
    pub fn custom<F>(width: usize, func: F) -> Self
    where
        F: Fn(&Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
    {
        Self::Custom {
            width,
            func: Arc::new(func),
        }
    }

    /// Number of features `R` per row.
    pub fn width(&self) -> usize {
        match self {
            Self::RelativeDistanceCosine | Self::MseCosine => 2,
            Self::Custom { width, .. } => *width,
        }
    }

    /// The features of `x` and its reconstruction `x_hat` (any shape, first axis rows),
    /// `N x R`. Errors when a user function returns another shape.
    pub fn compute(&self, x: &Tensor, x_hat: &Tensor) -> Result<Tensor> {
        let x = x.flatten(1, -1);
        let x_hat = x_hat.flatten(1, -1);
        let features = match self {
            Self::RelativeDistanceCosine => {
                let norm_x = x.norm_scalaropt_dim(2, 1, false);
                let rel =
                    (&x - &x_hat).norm_scalaropt_dim(2, 1, false) / norm_x.clamp_min(NORM_FLOOR);
                Tensor::stack(
                    &[rel.clamp_max(MAX_RELATIVE_DISTANCE), cosine(&x, &x_hat)],
                    1,
                )
            }
            Self::MseCosine => {
                let mse = (&x - &x_hat).square().mean_dim(1, false, Kind::Float);
                Tensor::stack(&[mse, cosine(&x, &x_hat)], 1)
            }
            Self::Custom { width, func } => {
                let out = func(&x, &x_hat);
                let rows = x.size()[0];
                let fits =
                    out.size().first() == Some(&rows) && out.numel() as i64 == rows * *width as i64;
                if !fits {
                    return Err(NnError::ReconFeatures {
                        rows,
                        width: *width,
                        got: out.size(),
                    });
                }
                out.reshape([rows, *width as i64])
            }
        };
        Ok(features)
    }
}

fn cosine(x: &Tensor, x_hat: &Tensor) -> Tensor {
    let dot = (x * x_hat).sum_dim_intlist(1, false, None);
    let norms = x.norm_scalaropt_dim(2, 1, false) * x_hat.norm_scalaropt_dim(2, 1, false);
    dot / norms.clamp_min(NORM_FLOOR)
}
