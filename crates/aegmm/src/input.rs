//! Turning user arrays into checked `f32` tensors.

use ndarray::{ArrayBase, Axis, Data, Dimension};
use tch::Tensor;

use crate::{AegmmError, Result};

/// Element types accepted as input; values are converted to `f32` for the networks.
pub trait InputElement: Copy {
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

/// Checks `x` (first axis rows) against the per-row shape `row_shape` and that every value
/// is finite in `f32`, naming the first bad row and (flattened) column.
pub(crate) fn check_input<T, S, D>(x: &ArrayBase<S, D>, row_shape: &[usize]) -> Result<()>
where
    T: InputElement,
    S: Data<Elem = T>,
    D: Dimension,
{
    let shape = x.shape();
    if shape.len() != row_shape.len() + 1 || &shape[1..] != row_shape {
        return Err(AegmmError::Shape {
            expected: format!("N x {}", join(row_shape)),
            got: join(shape),
        });
    }
    if shape[0] == 0 {
        return Err(AegmmError::EmptyInput);
    }
    let row_len: usize = row_shape.iter().product();
    match x.iter().enumerate().find(|(_, v)| !v.to_f32().is_finite()) {
        Some((i, v)) => Err(AegmmError::NonFiniteInput {
            row: i / row_len,
            col: i % row_len,
            value: v.to_f64(),
        }),
        None => Ok(()),
    }
}

/// Rows `start..end` of `x` as an `f32` tensor of shape `(end - start) x row_shape`.
pub(crate) fn rows_to_tensor<T, S, D>(x: &ArrayBase<S, D>, start: usize, end: usize) -> Tensor
where
    T: InputElement,
    S: Data<Elem = T>,
    D: Dimension,
{
    let rows = x.slice_axis(Axis(0), (start..end).into());
    let values: Vec<f32> = rows.iter().map(|v| v.to_f32()).collect();
    let mut shape: Vec<i64> = x.shape().iter().map(|&s| s as i64).collect();
    shape[0] = (end - start) as i64;
    Tensor::from_slice(&values).reshape(shape)
}

fn join(dims: &[usize]) -> String {
    dims.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(" x ")
}
