//! Construction settings of the detector.

use aegmm_nn::{ImageFormat, ReconFeatures, TabularLayout};
use tch::Device;

use crate::networks::Networks;
use crate::scaling::InputScaling;
use crate::{AegmmError, Result};

/// How the detector is built. Defaults follow alibi-detect's KDD Cup 99 example.
#[derive(Debug, Clone)]
pub struct AegmmConfig {
    /// Number of mixture components `K` (default 2).
    pub n_gmm: usize,
    /// Layer sizes of the default networks (default encoder 60-30-10, latent 1,
    /// decoder 10-30-60, density 10). `layout.latent_dim` is the latent width for every kind
    /// of [`Networks`], user networks included; the hidden sizes shape only the default ones.
    pub layout: TabularLayout,
    /// The encoder, decoder and density network (default [`Networks::Dense`], fully
    /// connected from `layout`).
    pub networks: Networks,
    /// Reconstruction features appended to the latent code (default relative distance and
    /// cosine similarity, `R = 2`); the mixture dimension is `layout.latent_dim + R`.
    pub recon_features: ReconFeatures,
    /// Axis order of images, for rows of three axes (default channels last,
    /// `N x H x W x C`). User networks get images in this order as given.
    pub image_format: ImageFormat,
    /// Standardisation applied to every input before the networks (default `None`); saved
    /// with the detector.
    pub input_scaling: Option<InputScaling>,
    /// Jitter added to every covariance diagonal before its Cholesky factorisation
    /// (default 1e-6).
    pub eps: f64,
    /// Outlier threshold on the energy; `None` until inferred (default `None`).
    pub threshold: Option<f64>,
    /// Free label reported in the prediction metadata, e.g. `"tabular"` (default `None`).
    pub data_type: Option<String>,
    /// Rows per forward pass when scoring and estimating the final mixture (default 16384).
    pub score_batch_size: usize,
    /// Where the networks run (default CPU).
    pub device: Device,
    /// Seed of the weight initialisation (default 0).
    pub seed: u64,
}

impl Default for AegmmConfig {
    fn default() -> Self {
        Self {
            n_gmm: 2,
            layout: TabularLayout::default(),
            networks: Networks::Dense,
            recon_features: ReconFeatures::default(),
            image_format: ImageFormat::ChannelsLast,
            input_scaling: None,
            eps: 1e-6,
            threshold: None,
            data_type: None,
            score_batch_size: 16_384,
            device: Device::Cpu,
            seed: 0,
        }
    }
}

impl AegmmConfig {
    /// A small network (encoder 16-8, latent 2, decoder 8-16, density 8) for small tables.
    pub fn small() -> Self {
        Self {
            layout: TabularLayout {
                encoder_hidden: vec![16, 8],
                latent_dim: 2,
                decoder_hidden: vec![8, 16],
                density_hidden: vec![8],
                density_dropout: None,
                ..TabularLayout::default()
            },
            ..Self::default()
        }
    }

    /// Checks every setting, naming the first one out of range.
    pub fn validate(&self) -> Result<()> {
        check_device(self.device)?;
        let bad = |msg: String| Err(AegmmError::Config(msg));
        if self.n_gmm == 0 {
            return bad("n_gmm must be at least 1".into());
        }
        if self.layout.latent_dim == 0 {
            return bad("latent_dim must be at least 1".into());
        }
        let layers = [
            &self.layout.encoder_hidden,
            &self.layout.decoder_hidden,
            &self.layout.density_hidden,
        ];
        if layers.iter().any(|l| l.contains(&0)) {
            return bad("hidden layer widths must be at least 1".into());
        }
        if let Some(p) = self.layout.density_dropout {
            if !(0.0..1.0).contains(&p) {
                return bad(format!("density_dropout must be in [0, 1), got {p}"));
            }
        }
        if !(self.eps.is_finite() && self.eps >= 0.0) {
            return bad(format!("eps must be finite and >= 0, got {}", self.eps));
        }
        if let Some(t) = self.threshold {
            if !t.is_finite() {
                return bad(format!("threshold must be finite, got {t}"));
            }
        }
        if self.score_batch_size == 0 {
            return bad("score_batch_size must be at least 1".into());
        }
        Ok(())
    }
}

/// Errors when `device` is a CUDA device libtorch cannot see (a CPU-only libtorch sees none).
pub(crate) fn check_device(device: Device) -> Result<()> {
    if let Device::Cuda(n) = device {
        let available = tch::Cuda::device_count().max(0) as usize;
        if n >= available {
            return Err(AegmmError::Config(format!(
                "device cuda:{n} asked for, but libtorch sees {available} CUDA device(s); use the \
                 CPU, or a CUDA build of libtorch (`cargo xtask --cuda ...`) on a GPU machine"
            )));
        }
    }
    Ok(())
}
