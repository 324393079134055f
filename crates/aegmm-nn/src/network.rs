//! The networks of AEGMM and the forward pass that joins them.

use tch::nn::{self, ModuleT};
use tch::{Kind, Tensor};

use crate::conv::{conv_autoencoder, ConvLayout, ImageFormat};
use crate::mlp::{Mlp, Output, WeightInit};
use crate::recon::ReconFeatures;
use crate::{NnError, Result};

/// How far a row of memberships may sum away from one and still count as a softmax.
const SOFTMAX_TOLERANCE: f64 = 1e-4;

/// Everything one forward pass produces for a batch of `N` inputs.
#[derive(Debug)]
pub struct Forward {
    /// Latent code `z_c`, `N x latent_dim`.
    pub latent: Tensor,
    /// Reconstruction `x_hat`, same shape as the input.
    pub x_hat: Tensor,
    /// Mixture input `z = [z_c, recon_features(x, x_hat)]`, `N x D`.
    pub z: Tensor,
    /// Mixture memberships, `N x K`, rows summing to one.
    pub gamma: Tensor,
}

/// What a whole user model returns for a batch of `N` inputs.
#[derive(Debug)]
pub struct ModelOutput {
    /// Latent code, `N x latent_dim` (further axes are flattened).
    pub latent: Tensor,
    /// Reconstruction, as many elements as the input (reshaped to the input's shape).
    pub x_hat: Tensor,
    /// Mixture memberships, `N x K`, a softmax over the last axis.
    pub gamma: Tensor,
}

/// One model that does the encoder's, the decoder's and the density network's work at once
/// (alibi-detect's `aegmm` argument).
///
/// The detector still builds the mixture input `z = [latent, recon_features(x, x_hat)]`
/// itself from the configured [`ReconFeatures`]; `gamma` is whatever the model computes, in
/// the paper's design the density network applied to that same `z` (call
/// [`ReconFeatures::compute`] inside the model to get it).
pub trait JointModel: std::fmt::Debug + Send {
    /// The forward pass on batch `x` (first axis rows); `train` switches dropout and the like.
    fn forward_t(&self, x: &Tensor, train: bool) -> ModelOutput;
}

#[derive(Debug)]
enum Body {
    Parts {
        encoder: Box<dyn ModuleT>,
        decoder: Box<dyn ModuleT>,
        density: Box<dyn ModuleT>,
    },
    Joint(Box<dyn JointModel>),
}

/// Encoder, decoder, reconstruction features and density network, or one whole model.
///
/// Any `tch` module can serve as one of the networks: the encoder maps an input batch to
/// `N x latent_dim`, the decoder maps that back to as many elements as the input, and the
/// density network maps `N x (latent_dim + R)` to `N x K` memberships ending in a softmax.
/// Every forward pass checks these shapes and returns an error naming the network that got
/// them wrong; [`check_softmax`] checks the memberships' values.
#[derive(Debug)]
pub struct AegmmNetwork {
    body: Body,
    recon_features: ReconFeatures,
    latent_dim: usize,
    n_gmm: usize,
}

/// Layer sizes of the default fully connected networks (hidden layers `tanh`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TabularLayout {
    /// Hidden layer widths of the encoder, input side first.
    pub encoder_hidden: Vec<usize>,
    /// Width of the (linear) latent code.
    pub latent_dim: usize,
    /// Hidden layer widths of the decoder, latent side first.
    pub decoder_hidden: Vec<usize>,
    /// Hidden layer widths of the density network.
    pub density_hidden: Vec<usize>,
    /// Dropout rate before the density network's softmax layer, in training only.
    pub density_dropout: Option<f64>,
    /// How the layers' weights are drawn (default tch's Kaiming uniform; Glorot uniform is
    /// Keras's and alibi-detect's, `TorchLinear` PyTorch's).
    #[serde(default)]
    pub weight_init: WeightInit,
}

impl Default for TabularLayout {
    /// alibi-detect's KDD example: encoder 60-30-10, latent 1, decoder 10-30-60, density 10.
    fn default() -> Self {
        Self {
            encoder_hidden: vec![60, 30, 10],
            latent_dim: 1,
            decoder_hidden: vec![10, 30, 60],
            density_hidden: vec![10],
            density_dropout: None,
            weight_init: WeightInit::default(),
        }
    }
}

fn chain(first: usize, hidden: &[usize], last: usize) -> Vec<usize> {
    std::iter::once(first)
        .chain(hidden.iter().copied())
        .chain([last])
        .collect()
}

/// The default density network under `path`: `layout.density_hidden` tanh layers, the
/// optional dropout, then a softmax over `n_gmm`, for mixture inputs of `z_dim`.
fn density_mlp(path: &nn::Path, z_dim: usize, layout: &TabularLayout, n_gmm: usize) -> Mlp {
    let sizes = chain(z_dim, &layout.density_hidden, n_gmm);
    Mlp::with_init(
        path,
        &sizes,
        layout.density_dropout,
        Output::Softmax,
        layout.weight_init,
    )
}

impl AegmmNetwork {
    /// Default fully connected networks for rows of `n_features` values (images flattened),
    /// with `n_gmm` mixture components, their weights created under `path`.
    pub fn tabular(
        path: &nn::Path,
        n_features: usize,
        layout: &TabularLayout,
        n_gmm: usize,
        recon_features: ReconFeatures,
    ) -> Self {
        let enc = chain(n_features, &layout.encoder_hidden, layout.latent_dim);
        let dec = chain(layout.latent_dim, &layout.decoder_hidden, n_features);
        let z_dim = layout.latent_dim + recon_features.width();
        Self {
            body: Body::Parts {
                encoder: Box::new(Mlp::with_init(
                    &(path / "encoder"),
                    &enc,
                    None,
                    Output::Linear,
                    layout.weight_init,
                )),
                decoder: Box::new(Mlp::with_init(
                    &(path / "decoder"),
                    &dec,
                    None,
                    Output::Linear,
                    layout.weight_init,
                )),
                density: Box::new(density_mlp(&(path / "density"), z_dim, layout, n_gmm)),
            },
            recon_features,
            latent_dim: layout.latent_dim,
            n_gmm,
        }
    }

    /// Default convolutional encoder and decoder ([`ConvLayout`]) for images of shape
    /// `image_shape` (three axes in `format`), with the fully connected density network of
    /// `layout` (whose `latent_dim` sets the latent width).
    pub fn conv(
        path: &nn::Path,
        image_shape: &[usize],
        format: ImageFormat,
        conv: &ConvLayout,
        layout: &TabularLayout,
        n_gmm: usize,
        recon_features: ReconFeatures,
    ) -> Result<Self> {
        let (encoder, decoder) = conv_autoencoder(
            &(path / "encoder"),
            &(path / "decoder"),
            image_shape,
            format,
            conv,
            layout.latent_dim,
        )?;
        let z_dim = layout.latent_dim + recon_features.width();
        Ok(Self {
            body: Body::Parts {
                encoder: Box::new(encoder),
                decoder: Box::new(decoder),
                density: Box::new(density_mlp(&(path / "density"), z_dim, layout, n_gmm)),
            },
            recon_features,
            latent_dim: layout.latent_dim,
            n_gmm,
        })
    }

    /// User networks: an encoder to `N x latent_dim`, a decoder back to the input's size and
    /// a density network from `N x (latent_dim + R)` to an `N x n_gmm` softmax.
    pub fn from_parts(
        encoder: Box<dyn ModuleT>,
        decoder: Box<dyn ModuleT>,
        density: Box<dyn ModuleT>,
        latent_dim: usize,
        n_gmm: usize,
        recon_features: ReconFeatures,
    ) -> Self {
        Self {
            body: Body::Parts {
                encoder,
                decoder,
                density,
            },
            recon_features,
            latent_dim,
            n_gmm,
        }
    }

    /// One whole user model returning latent code, reconstruction and memberships.
    pub fn from_joint(
        model: Box<dyn JointModel>,
        latent_dim: usize,
        n_gmm: usize,
        recon_features: ReconFeatures,
    ) -> Self {
        Self {
            body: Body::Joint(model),
            recon_features,
            latent_dim,
            n_gmm,
        }
    }

    /// The reconstruction features appended to the latent code.
    pub fn recon_features(&self) -> &ReconFeatures {
        &self.recon_features
    }

    /// Width of the latent code.
    pub fn latent_dim(&self) -> usize {
        self.latent_dim
    }

    /// Number of mixture components `K`.
    pub fn n_gmm(&self) -> usize {
        self.n_gmm
    }

    /// Dimension `D = latent_dim + R` of the mixture input.
    pub fn mixture_dim(&self) -> usize {
        self.latent_dim + self.recon_features.width()
    }

    /// Runs the whole model on a batch `x` (first axis rows); `train` switches dropout on.
    ///
    /// Errors, naming the network, when a network returns a tensor of the wrong shape.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Result<Forward> {
        let rows = x.size().first().copied().unwrap_or(0);
        match &self.body {
            Body::Parts {
                encoder,
                decoder,
                density,
            } => {
                let latent = self.check_latent(encoder.forward_t(x, train), rows, "encoder")?;
                let x_hat = check_x_hat(decoder.forward_t(&latent, train), x, "decoder")?;
                let z = self.mixture_input(x, &latent, &x_hat)?;
                let gamma = self.check_gamma(density.forward_t(&z, train), rows, "density")?;
                Ok(Forward {
                    latent,
                    x_hat,
                    z,
                    gamma,
                })
            }
            Body::Joint(model) => {
                let out = model.forward_t(x, train);
                let latent = self.check_latent(out.latent, rows, "whole model's latent")?;
                let x_hat = check_x_hat(out.x_hat, x, "whole model's reconstruction")?;
                let gamma = self.check_gamma(out.gamma, rows, "whole model's density")?;
                let z = self.mixture_input(x, &latent, &x_hat)?;
                Ok(Forward {
                    latent,
                    x_hat,
                    z,
                    gamma,
                })
            }
        }
    }

    fn mixture_input(&self, x: &Tensor, latent: &Tensor, x_hat: &Tensor) -> Result<Tensor> {
        let features = self
            .recon_features
            .compute(x, x_hat)?
            .to_kind(latent.kind());
        Ok(Tensor::cat(&[latent, &features], 1))
    }

    fn check_latent(&self, latent: Tensor, rows: i64, network: &'static str) -> Result<Tensor> {
        let size = latent.size();
        let width = self.latent_dim as i64;
        if size.first() != Some(&rows) || latent.numel() as i64 != rows * width {
            return Err(NnError::NetworkOutput {
                network,
                rows,
                expected: format!("{rows} x {width} (latent_dim)"),
                got: size,
            });
        }
        Ok(latent.reshape([rows, width]))
    }

    fn check_gamma(&self, gamma: Tensor, rows: i64, network: &'static str) -> Result<Tensor> {
        let k = self.n_gmm as i64;
        if gamma.size() != [rows, k] {
            return Err(NnError::NetworkOutput {
                network,
                rows,
                expected: format!("{rows} x {k} (n_gmm)"),
                got: gamma.size(),
            });
        }
        Ok(gamma)
    }
}

fn check_x_hat(x_hat: Tensor, x: &Tensor, network: &'static str) -> Result<Tensor> {
    if x_hat.numel() != x.numel() || x_hat.size().first() != x.size().first() {
        return Err(NnError::NetworkOutput {
            network,
            rows: x.size().first().copied().unwrap_or(0),
            expected: format!("{:?} (the input's shape)", x.size()),
            got: x_hat.size(),
        });
    }
    Ok(x_hat.reshape(x.size()))
}

/// Checks that `gamma` (`N x n_gmm`) is a softmax: finite entries in `[0, 1]` whose rows sum
/// to one (within 1e-4).
pub fn check_softmax(gamma: &Tensor, n_gmm: usize) -> Result<()> {
    let size = gamma.size();
    if size.len() != 2 || size[1] != n_gmm as i64 {
        return Err(NnError::NotSoftmax {
            n_gmm,
            detail: format!("its shape is {size:?}, not N x {n_gmm}"),
        });
    }
    let gamma = gamma
        .detach()
        .to_kind(Kind::Double)
        .to_device(tch::Device::Cpu);
    let values = Vec::<f64>::try_from(gamma.flatten(0, -1))?;
    if let Some(v) = values
        .iter()
        .find(|v| !(v.is_finite() && (0.0..=1.0).contains(*v)))
    {
        return Err(NnError::NotSoftmax {
            n_gmm,
            detail: format!("it has an entry {v} outside [0, 1]"),
        });
    }
    let worst = values
        .chunks(n_gmm.max(1))
        .map(|row| (row.iter().sum::<f64>() - 1.0).abs())
        .fold(0.0, f64::max);
    if worst > SOFTMAX_TOLERANCE {
        return Err(NnError::NotSoftmax {
            n_gmm,
            detail: format!("a row's sum differs from 1 by {worst:.3e}"),
        });
    }
    Ok(())
}
