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
    /// Euclidean distance `|x - x_hat|` and cosine similarity (`R = 2`). Unlike the relative
    /// distance it keeps the magnitude of a poor reconstruction, which matters on standardised
    /// data where far-off rows and rows near the mean both have a relative distance near 1;
    /// unlike the squared error its tail grows only linearly.
    EuclideanCosine,
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
            Self::EuclideanCosine => f.write_str("EuclideanCosine"),
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
            Self::RelativeDistanceCosine | Self::MseCosine | Self::EuclideanCosine => 2,
            Self::Custom { width, .. } => *width,
        }
    }

    /// The features of `x` and its reconstruction `x_hat` (any shape, first axis rows),
    /// `N x R`. Errors when a user function returns another shape.
    pub fn compute(&self, x: &Tensor, x_hat: &Tensor) -> Result<Tensor> {
        let x = x.flatten(1, -1);
        let x_hat = x_hat.flatten(1, -1);
        let features = match self {
            Self::RelativeDistanceCosine => relative_distance_cosine(&x, &x_hat),
            Self::EuclideanCosine => {
                let dist = (&x - &x_hat).norm_scalaropt_dim(2, 1, false);
                Tensor::stack(&[dist, cosine(&x, &x_hat)], 1)
            }
            Self::MseCosine => {
                let mse = (&x - &x_hat).square().mean_dim(1, false, None::<Kind>);
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

/// Relative distance and cosine with each row pair divided by its largest magnitude first, so
/// that squares neither overflow nor underflow; the floors stay in the input's units.
fn relative_distance_cosine(x: &Tensor, x_hat: &Tensor) -> Tensor {
    let scale = Tensor::cat(&[x.abs(), x_hat.abs()], 1)
        .amax(1, true)
        .detach();
    let scale = scale.where_self(
        &scale.gt(0.0).logical_and(&scale.isfinite()),
        &scale.ones_like(),
    );
    let (xs, hs) = (x / &scale, x_hat / &scale);
    let scale = scale.squeeze_dim(1);

    let norm_x = xs.norm_scalaropt_dim(2, 1, false);
    let norm_hat = hs.norm_scalaropt_dim(2, 1, false);
    let dist = (&xs - &hs).norm_scalaropt_dim(2, 1, false);
    let rel = (dist / norm_x.maximum(&(scale.reciprocal() * NORM_FLOOR)))
        .clamp_max(MAX_RELATIVE_DISTANCE);
    let dot = (&xs * &hs).sum_dim_intlist(1, false, None);
    let cos = dot / (norm_x * norm_hat).maximum(&(scale.square().reciprocal() * NORM_FLOOR));
    Tensor::stack(&[rel, cos], 1)
}

fn cosine(x: &Tensor, x_hat: &Tensor) -> Tensor {
    let dot = (x * x_hat).sum_dim_intlist(1, false, None);
    let norms = x.norm_scalaropt_dim(2, 1, false) * x_hat.norm_scalaropt_dim(2, 1, false);
    dot / norms.clamp_min(NORM_FLOOR)
}
