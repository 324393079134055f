//! The three networks of AEGMM and the forward pass that joins them.

use tch::nn::{self, ModuleT};
use tch::Tensor;

use crate::mlp::{Mlp, Output};
use crate::recon::ReconFeatures;

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

/// Encoder, decoder, reconstruction features and density network.
///
/// Any `tch` module can serve as one of the networks: the encoder maps an input batch to
/// `N x latent_dim`, the decoder maps that back to the input's shape, and the density network
/// maps `N x (latent_dim + R)` to `N x K` memberships ending in a softmax.
#[derive(Debug)]
pub struct AegmmNetwork {
    /// Input to latent code.
    pub encoder: Box<dyn ModuleT>,
    /// Latent code to reconstruction.
    pub decoder: Box<dyn ModuleT>,
    /// Mixture input to memberships (softmax output).
    pub density: Box<dyn ModuleT>,
    /// Features of the reconstruction appended to the latent code.
    pub recon_features: ReconFeatures,
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
        }
    }
}

impl AegmmNetwork {
    /// Default fully connected networks for rows of `n_features` values, with `n_gmm`
    /// mixture components, their weights created under `path`.
    pub fn tabular(
        path: &nn::Path,
        n_features: usize,
        layout: &TabularLayout,
        n_gmm: usize,
        recon_features: ReconFeatures,
    ) -> Self {
        let chain = |first: usize, hidden: &[usize], last: usize| {
            std::iter::once(first)
                .chain(hidden.iter().copied())
                .chain([last])
                .collect::<Vec<_>>()
        };
        let enc = chain(n_features, &layout.encoder_hidden, layout.latent_dim);
        let dec = chain(layout.latent_dim, &layout.decoder_hidden, n_features);
        let z_dim = layout.latent_dim + recon_features.width();
        let dens = chain(z_dim, &layout.density_hidden, n_gmm);
        Self {
            encoder: Box::new(Mlp::new(&(path / "encoder"), &enc, None, Output::Linear)),
            decoder: Box::new(Mlp::new(&(path / "decoder"), &dec, None, Output::Linear)),
            density: Box::new(Mlp::new(
                &(path / "density"),
                &dens,
                layout.density_dropout,
                Output::Softmax,
            )),
            recon_features,
        }
    }

    /// Runs the whole model on a batch `x` (first axis rows); `train` switches dropout on.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Forward {
        let latent = self.encoder.forward_t(x, train).flatten(1, -1);
        let x_hat = self.decoder.forward_t(&latent, train).reshape(x.size());
        let features = self
            .recon_features
            .compute(x, &x_hat)
            .to_kind(latent.kind());
        let z = Tensor::cat(&[&latent, &features], 1);
        let gamma = self.density.forward_t(&z, train);
        Forward {
            latent,
            x_hat,
            z,
            gamma,
        }
    }
}
