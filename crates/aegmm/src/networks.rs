//! Which encoder, decoder and density network a detector is built with.
//!
//! The default networks are built from sizes ([`Networks::Dense`], [`Networks::Conv`]). Users
//! bring their own as *builders*: functions that create a `tch` module under the
//! [`nn::Path`] they are given. The path belongs to the detector's own `VarStore`, so the
//! weights train with the detector, are saved with it, and load back into a module built by
//! the same builder (pass it again in [`crate::LoadOptions`]).

use std::fmt;
use std::sync::Arc;

use aegmm_nn::{AegmmNetwork, ConvLayout, JointModel};
use tch::nn::{self, ModuleT};

use crate::config::AegmmConfig;
use crate::{AegmmError, Result};

/// The sizes a user network must fit, handed to every builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkDims {
    /// Shape of one input row (e.g. `[F]` for tables, `[H, W, C]` or `[C, H, W]` for images).
    pub input_shape: Vec<usize>,
    /// Values per row, the product of `input_shape`.
    pub n_features: usize,
    /// Width of the latent code the encoder must return.
    pub latent_dim: usize,
    /// Number `R` of reconstruction features appended to the latent code.
    pub recon_dim: usize,
    /// Width `D = latent_dim + R` of the density network's input.
    pub mixture_dim: usize,
    /// Number `K` of mixture components: the density network's softmax width.
    pub n_gmm: usize,
}

/// Builds one user network under the given path: the encoder (input batch to
/// `N x latent_dim`), the decoder (`N x latent_dim` to as many values as the input) or the
/// density network (`N x mixture_dim` to an `N x n_gmm` softmax).
pub type ModuleBuilder = dyn Fn(&nn::Path, &NetworkDims) -> Box<dyn ModuleT> + Send + Sync;

/// Builds one whole user model under the given path.
pub type JointBuilder = dyn Fn(&nn::Path, &NetworkDims) -> Box<dyn JointModel> + Send + Sync;

/// The networks of a detector.
#[derive(Clone, Default)]
pub enum Networks {
    /// Fully connected `tanh` networks with the sizes of [`AegmmConfig::layout`]; images are
    /// flattened (default).
    #[default]
    Dense,
    /// Convolutional encoder and decoder for images (see [`ConvLayout`]) with the fully
    /// connected density network of [`AegmmConfig::layout`].
    Conv(ConvLayout),
    /// User networks, each created by its builder under the path `encoder`, `decoder` or
    /// `density` of the detector's `VarStore`.
    Custom {
        /// Builds the encoder.
        encoder: Arc<ModuleBuilder>,
        /// Builds the decoder.
        decoder: Arc<ModuleBuilder>,
        /// Builds the density network; it must end in a softmax over `n_gmm`.
        density: Arc<ModuleBuilder>,
    },
    /// One whole user model, created by its builder under the path `model`.
    Joint(Arc<JointBuilder>),
}

impl fmt::Debug for Networks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dense => f.write_str("Dense"),
            Self::Conv(layout) => f.debug_tuple("Conv").field(layout).finish(),
            Self::Custom { .. } => f.write_str("Custom { .. }"),
            Self::Joint(_) => f.write_str("Joint(..)"),
        }
    }
}

impl Networks {
    /// User encoder, decoder and density network from three builders.
    pub fn custom<E, De, Dn, ME, MDe, MDn>(encoder: E, decoder: De, density: Dn) -> Self
    where
        E: Fn(&nn::Path, &NetworkDims) -> ME + Send + Sync + 'static,
        De: Fn(&nn::Path, &NetworkDims) -> MDe + Send + Sync + 'static,
        Dn: Fn(&nn::Path, &NetworkDims) -> MDn + Send + Sync + 'static,
        ME: ModuleT + 'static,
        MDe: ModuleT + 'static,
        MDn: ModuleT + 'static,
    {
        Self::Custom {
            encoder: Arc::new(move |p, d| Box::new(encoder(p, d)) as Box<dyn ModuleT>),
            decoder: Arc::new(move |p, d| Box::new(decoder(p, d)) as Box<dyn ModuleT>),
            density: Arc::new(move |p, d| Box::new(density(p, d)) as Box<dyn ModuleT>),
        }
    }

    /// One whole user model from its builder.
    pub fn joint<B, M>(builder: B) -> Self
    where
        B: Fn(&nn::Path, &NetworkDims) -> M + Send + Sync + 'static,
        M: JointModel + 'static,
    {
        Self::Joint(Arc::new(move |p, d| {
            Box::new(builder(p, d)) as Box<dyn JointModel>
        }))
    }

    /// Whether these are user networks that a load must be given again.
    pub fn is_user_supplied(&self) -> bool {
        matches!(self, Self::Custom { .. } | Self::Joint(_))
    }

    /// Creates the networks under `root` for rows of `dims.input_shape`.
    pub(crate) fn build(
        &self,
        root: &nn::Path,
        dims: &NetworkDims,
        config: &AegmmConfig,
    ) -> Result<AegmmNetwork> {
        let recon = config.recon_features.clone();
        let net = match self {
            Self::Dense => {
                AegmmNetwork::tabular(root, dims.n_features, &config.layout, dims.n_gmm, recon)
            }
            Self::Conv(conv) => {
                if dims.input_shape.len() != 3 {
                    return Err(AegmmError::Config(format!(
                        "convolutional networks need images (rows of three axes, {}), \
                         got rows of shape {:?}",
                        config.image_format.axes(),
                        dims.input_shape
                    )));
                }
                AegmmNetwork::conv(
                    root,
                    &dims.input_shape,
                    config.image_format,
                    conv,
                    &config.layout,
                    dims.n_gmm,
                    recon,
                )?
            }
            Self::Custom {
                encoder,
                decoder,
                density,
            } => AegmmNetwork::from_parts(
                encoder(&(root / "encoder"), dims),
                decoder(&(root / "decoder"), dims),
                density(&(root / "density"), dims),
                dims.latent_dim,
                dims.n_gmm,
                recon,
            ),
            Self::Joint(model) => AegmmNetwork::from_joint(
                model(&(root / "model"), dims),
                dims.latent_dim,
                dims.n_gmm,
                recon,
            ),
        };
        Ok(net)
    }
}
