//! Per-feature standardisation of the input, kept with the detector.

use ndarray::{ArrayBase, Axis, Data, Dimension};
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

use crate::input::InputElement;
use crate::{AegmmError, Result};

/// Standardisation `(x - mean) / std` per feature, applied in `f64` to every input before the
/// networks see it (training, scoring, thresholds). Features are the values of one row in
/// the order of the input's axes (an image's pixels and channels flattened), `F` of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputScaling {
    /// Mean of each feature, `F`.
    pub mean: Vec<f64>,
    /// Standard deviation of each feature, `F`; every entry finite and > 0.
    pub std: Vec<f64>,
}

impl InputScaling {
    /// The mean and population standard deviation of every feature of `x` (rows first); a
    /// constant feature gets a standard deviation of 1.
    pub fn from_data<T, S, D>(x: &ArrayBase<S, D>) -> Result<Self>
    where
        T: InputElement,
        S: Data<Elem = T>,
        D: Dimension,
    {
        let n = x.len_of(Axis(0));
        if n == 0 {
            return Err(AegmmError::EmptyInput);
        }
        let rows = x
            .mapv(|v| v.to_f64())
            .into_shape_with_order((n, x.len() / n))
            .map_err(|e| AegmmError::Config(format!("cannot flatten the rows of x: {e}")))?;
        let mean = rows.mean_axis(Axis(0)).ok_or(AegmmError::EmptyInput)?;
        let std = rows
            .std_axis(Axis(0), 0.0)
            .mapv(|s| if s > 0.0 { s } else { 1.0 });
        let scaling = Self {
            mean: mean.to_vec(),
            std: std.to_vec(),
        };
        scaling.validate(x.len() / n)?;
        Ok(scaling)
    }

    /// Number of features `F`.
    pub fn len(&self) -> usize {
        self.mean.len()
    }

    /// Whether there are no features.
    pub fn is_empty(&self) -> bool {
        self.mean.is_empty()
    }

    /// Checks that there are `n_features` finite means and finite positive deviations.
    pub fn validate(&self, n_features: usize) -> Result<()> {
        if self.mean.len() != n_features || self.std.len() != n_features {
            return Err(AegmmError::Config(format!(
                "input_scaling has {} means and {} deviations, the input has {n_features} \
                 features per row",
                self.mean.len(),
                self.std.len()
            )));
        }
        if let Some((i, m)) = self.mean.iter().enumerate().find(|(_, m)| !m.is_finite()) {
            return Err(AegmmError::Config(format!(
                "input_scaling.mean[{i}] is {m}; it must be finite"
            )));
        }
        if let Some((i, s)) = self
            .std
            .iter()
            .enumerate()
            .find(|(_, s)| !(s.is_finite() && **s > 0.0))
        {
            return Err(AegmmError::Config(format!(
                "input_scaling.std[{i}] is {s}; it must be finite and > 0"
            )));
        }
        Ok(())
    }

    /// `(x - mean) / std` of an `f64` batch (rows first, `F` values per row).
    pub(crate) fn apply(&self, x: &Tensor) -> Result<Tensor> {
        let shape = x.size();
        let mean = Tensor::from_slice(&self.mean).to_device(x.device());
        let std = Tensor::from_slice(&self.std).to_device(x.device());
        let flat = x.f_reshape([shape[0], self.mean.len() as i64])?;
        Ok(((flat - mean) / std).to_kind(Kind::Double).reshape(shape))
    }
}
