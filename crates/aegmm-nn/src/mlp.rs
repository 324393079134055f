//! Fully connected networks built from layer sizes.

use tch::nn::{self, ModuleT};
use tch::Tensor;

/// What the last layer of an [`Mlp`] emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The affine output as it is (latent codes, reconstructions).
    Linear,
    /// A softmax over the last axis (mixture memberships).
    Softmax,
}

/// A stack of linear layers with `tanh` between them and a linear or softmax output.
///
/// `sizes = [in, h1, ..., out]`; inputs of more than two axes (images) are flattened to
/// `N x in` first. With `dropout = Some(p)`, dropout of rate `p` is applied before the output
/// layer in training only.
#[derive(Debug)]
pub struct Mlp {
    layers: Vec<nn::Linear>,
    dropout: Option<f64>,
    output: Output,
}

impl Mlp {
    /// Builds the layers under `path` (named `0`, `1`, ...). `sizes` needs at least two entries.
    pub fn new(path: &nn::Path, sizes: &[usize], dropout: Option<f64>, output: Output) -> Self {
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                nn::linear(
                    path / i.to_string(),
                    w[0] as i64,
                    w[1] as i64,
                    Default::default(),
                )
            })
            .collect();
        Self {
            layers,
            dropout,
            output,
        }
    }
}

impl ModuleT for Mlp {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let last = self.layers.len() - 1;
        let mut h = xs.flatten(1, -1);
        for (i, layer) in self.layers.iter().enumerate() {
            if i == last {
                if let Some(p) = self.dropout {
                    h = h.dropout(p, train);
                }
            }
            h = h.apply(layer);
            if i < last {
                h = h.tanh();
            }
        }
        match self.output {
            Output::Linear => h,
            Output::Softmax => h.softmax(-1, None),
        }
    }
}
