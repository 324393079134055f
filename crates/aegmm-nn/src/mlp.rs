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

/// How the weights and biases of fully connected layers are drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WeightInit {
    /// Glorot (Xavier) uniform weights, `U(+-sqrt(6 / (fan_in + fan_out)))`, zero biases:
    /// Keras's `Dense` default, so alibi-detect's (and the DAGMM authors' TensorFlow) networks,
    /// and the scale meant for `tanh` layers.
    GlorotUniform,
    /// PyTorch's `nn.Linear` default: weights and biases `U(+-1 / sqrt(fan_in))`, as the
    /// PyTorch DAGMM reimplementations start.
    TorchLinear,
    /// tch's `nn::linear` default and aegmm's: Kaiming uniform for ReLU,
    /// `U(+-sqrt(6 / fan_in))`, biases `U(+-1 / sqrt(fan_in))`; weights about 2.4 times
    /// PyTorch's.
    #[default]
    TchKaimingUniform,
}

impl WeightInit {
    fn linear_config(self, fan_in: usize, fan_out: usize) -> nn::LinearConfig {
        let (fan_in, fan_out) = (fan_in as f64, fan_out as f64);
        let uniform = |bound: f64| nn::Init::Uniform {
            lo: -bound,
            up: bound,
        };
        match self {
            WeightInit::GlorotUniform => nn::LinearConfig {
                ws_init: uniform((6.0 / (fan_in + fan_out)).sqrt()),
                bs_init: Some(nn::Init::Const(0.0)),
                bias: true,
            },
            WeightInit::TorchLinear => nn::LinearConfig {
                ws_init: uniform(1.0 / fan_in.sqrt()),
                bs_init: Some(uniform(1.0 / fan_in.sqrt())),
                bias: true,
            },
            WeightInit::TchKaimingUniform => nn::LinearConfig::default(),
        }
    }
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
    /// Builds the layers under `path` (named `0`, `1`, ...), initialised with
    /// [`WeightInit::TchKaimingUniform`]. `sizes` needs at least two entries.
    pub fn new(path: &nn::Path, sizes: &[usize], dropout: Option<f64>, output: Output) -> Self {
        Self::with_init(path, sizes, dropout, output, WeightInit::default())
    }

    /// As [`Self::new`], with the layers drawn as `init` says.
    pub fn with_init(
        path: &nn::Path,
        sizes: &[usize],
        dropout: Option<f64>,
        output: Output,
        init: WeightInit,
    ) -> Self {
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                nn::linear(
                    path / i.to_string(),
                    w[0] as i64,
                    w[1] as i64,
                    init.linear_config(w[0], w[1]),
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
