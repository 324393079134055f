//! What the detector accepts as input, and turning it into checked `f32` batches.

use ndarray::{ArrayBase, Axis, Data, Dimension};
use tch::{Kind, Tensor};

use crate::scaling::InputScaling;
use crate::{AegmmError, Result};

/// Element types of `ndarray` inputs; values are converted to `f32` for the networks.
pub trait InputElement: Copy + tch::kind::Element {
    /// The value as `f64`, for checks and messages.
    fn to_f64(self) -> f64;
    /// The value as `f32`, what the networks compute in.
    fn to_f32(self) -> f32;
}

impl InputElement for f32 {
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn to_f32(self) -> f32 {
        self
    }
}

impl InputElement for f64 {
    fn to_f64(self) -> f64 {
        self
    }
    fn to_f32(self) -> f32 {
        self as f32
    }
}

/// A batch of inputs, rows along the first axis: an `ndarray` array of `f32` or `f64` (any
/// view or owned array) or a `tch::Tensor` of any numeric kind on any device.
///
/// Both go the same way into the networks: the values of each row, in the order of the
/// input's own axes, converted to `f32` (after the optional [`InputScaling`], computed in
/// `f64`), so an `f64` array, an `f64` tensor and the same values in `f32` score alike.
pub trait DetectorInput {
    /// The shape, rows first.
    fn input_shape(&self) -> Vec<usize>;

    /// Rows `start..end` as a tensor of the input's own element kind.
    fn rows(&self, start: usize, end: usize) -> Result<Tensor>;
}

impl<T, S, D> DetectorInput for ArrayBase<S, D>
where
    T: InputElement,
    S: Data<Elem = T>,
    D: Dimension,
{
    fn input_shape(&self) -> Vec<usize> {
        self.shape().to_vec()
    }

    fn rows(&self, start: usize, end: usize) -> Result<Tensor> {
        let rows = self.slice_axis(Axis(0), (start..end).into());
        let values: Vec<T> = rows.iter().copied().collect();
        let mut shape: Vec<i64> = self.shape().iter().map(|&s| s as i64).collect();
        shape[0] = (end - start) as i64;
        Ok(Tensor::from_slice(&values).f_reshape(shape)?)
    }
}

impl DetectorInput for Tensor {
    fn input_shape(&self) -> Vec<usize> {
        self.size().iter().map(|&s| s as usize).collect()
    }

    fn rows(&self, start: usize, end: usize) -> Result<Tensor> {
        Ok(self.f_narrow(0, start as i64, (end - start) as i64)?)
    }
}

/// Checks that `x` has rows of shape `row_shape` and at least one row; returns the number
/// of rows.
pub(crate) fn check_shape<X: DetectorInput + ?Sized>(x: &X, row_shape: &[usize]) -> Result<usize> {
    let shape = x.input_shape();
    if shape.len() != row_shape.len() + 1 || shape[1..] != *row_shape {
        return Err(AegmmError::Shape {
            expected: format!("N x {}", join(row_shape)),
            got: join(&shape),
        });
    }
    if shape[0] == 0 {
        return Err(AegmmError::EmptyInput);
    }
    Ok(shape[0])
}

/// Rows `start..end` of `x` as the `f32` tensor the networks see (CPU or the input's device),
/// scaled when `scaling` is given; errors on the first value that is not finite in `f32`,
/// naming its row (counted from the start of `x`) and flattened column.
pub(crate) fn batch_tensor<X: DetectorInput + ?Sized>(
    x: &X,
    start: usize,
    end: usize,
    scaling: Option<&InputScaling>,
) -> Result<Tensor> {
    let raw = x.rows(start, end)?;
    let batch = match scaling {
        Some(scaling) => scaling
            .apply(&raw.to_kind(Kind::Double))?
            .to_kind(Kind::Float),
        None => raw.to_kind(Kind::Float),
    };
    if bool::try_from(batch.isfinite().all())? {
        return Ok(batch);
    }
    let flat_bad = batch.isfinite().logical_not().flatten(0, -1).nonzero();
    let index = i64::try_from(flat_bad.get(0).get(0))?;
    let value = raw.flatten(0, -1).double_value(&[index]);
    let row_len = (batch.numel() / (end - start)).max(1);
    Err(AegmmError::NonFiniteInput {
        row: start + index as usize / row_len,
        col: index as usize % row_len,
        value,
    })
}

fn join(dims: &[usize]) -> String {
    dims.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(" x ")
}
