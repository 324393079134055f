//! Convolutional encoder and decoder for images.

use tch::nn::{self, ModuleT};
use tch::Tensor;

use crate::{NnError, Result};

const KERNEL: i64 = 4;
const STRIDE: i64 = 2;
const PADDING: i64 = 1;

/// How the axes of one image are ordered in the input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ImageFormat {
    /// Height x width x channels, batches `N x H x W x C` (numpy, TensorFlow, alibi-detect).
    #[default]
    ChannelsLast,
    /// Channels x height x width, batches `N x C x H x W` (PyTorch).
    ChannelsFirst,
}

impl ImageFormat {
    /// `(channels, height, width)` of an image of shape `shape` (three axes) in this format.
    pub fn chw(self, shape: &[usize]) -> Result<(usize, usize, usize)> {
        match (self, shape) {
            (Self::ChannelsLast, &[h, w, c]) => Ok((c, h, w)),
            (Self::ChannelsFirst, &[c, h, w]) => Ok((c, h, w)),
            _ => Err(NnError::Config(format!(
                "an image must have three axes ({}), got shape {shape:?}",
                self.axes()
            ))),
        }
    }

    /// The axes of one image in words.
    pub fn axes(self) -> &'static str {
        match self {
            Self::ChannelsLast => "height x width x channels",
            Self::ChannelsFirst => "channels x height x width",
        }
    }
}

/// Channel widths of the default convolutional networks.
///
/// Every encoder layer is a 4 x 4 convolution of stride 2 and padding 1 followed by ReLU, so
/// each halves the height and width (rounding down); a linear layer then maps to the latent
/// code. The decoder mirrors it with transposed convolutions back to the exact input size,
/// its last layer linear.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConvLayout {
    /// Output channels of each encoder convolution, input side first (default 16, 32).
    pub channels: Vec<usize>,
}

impl Default for ConvLayout {
    fn default() -> Self {
        Self {
            channels: vec![16, 32],
        }
    }
}

/// Image sizes after each encoder layer: `sizes[0]` is the input, `sizes[i + 1]` the output
/// of convolution `i`.
fn stage_sizes(h: usize, w: usize, layers: usize) -> Vec<(i64, i64)> {
    let mut sizes = vec![(h as i64, w as i64)];
    for _ in 0..layers {
        let (h, w) = *sizes.last().unwrap_or(&(0, 0));
        let out = |n: i64| (n + 2 * PADDING - KERNEL) / STRIDE + 1;
        sizes.push((out(h), out(w)));
    }
    sizes
}

/// Convolutions from an image to its latent code.
#[derive(Debug)]
pub struct ConvEncoder {
    format: ImageFormat,
    convs: Vec<nn::Conv2D>,
    to_latent: nn::Linear,
}

/// Transposed convolutions from a latent code back to an image.
#[derive(Debug)]
pub struct ConvDecoder {
    format: ImageFormat,
    from_latent: nn::Linear,
    first: (i64, i64, i64),
    deconvs: Vec<Deconv>,
}

/// A 4 x 4 transposed convolution of stride 2 whose output padding may differ per axis, so
/// that odd heights and widths come back exactly.
#[derive(Debug)]
struct Deconv {
    weight: Tensor,
    bias: Tensor,
    output_padding: [i64; 2],
}

impl Deconv {
    fn new(path: &nn::Path, in_channels: i64, out_channels: i64, output_padding: [i64; 2]) -> Self {
        Self {
            weight: path.var(
                "weight",
                &[in_channels, out_channels, KERNEL, KERNEL],
                nn::init::DEFAULT_KAIMING_UNIFORM,
            ),
            bias: path.zeros("bias", &[out_channels]),
            output_padding,
        }
    }

    fn forward(&self, xs: &Tensor) -> Tensor {
        xs.conv_transpose2d(
            &self.weight,
            Some(&self.bias),
            [STRIDE, STRIDE],
            [PADDING, PADDING],
            self.output_padding,
            1,
            [1, 1],
        )
    }
}

/// Builds the default convolutional encoder and decoder for images of shape `image_shape`
/// (three axes in `format`) and latent codes of `latent_dim`, under `encoder` and `decoder`.
pub fn conv_autoencoder(
    encoder: &nn::Path,
    decoder: &nn::Path,
    image_shape: &[usize],
    format: ImageFormat,
    layout: &ConvLayout,
    latent_dim: usize,
) -> Result<(ConvEncoder, ConvDecoder)> {
    let (c, h, w) = format.chw(image_shape)?;
    let layers = layout.channels.len();
    if layers == 0 || layout.channels.contains(&0) {
        return Err(NnError::Config(
            "ConvLayout.channels needs at least one layer and no zero width".into(),
        ));
    }
    let sizes = stage_sizes(h, w, layers);
    // A 4 x 4 kernel with padding 1 needs at least 2 x 2 pixels coming in.
    if sizes[..layers].iter().any(|&(h, w)| h < 2 || w < 2) {
        return Err(NnError::Config(format!(
            "images of {h} x {w} are too small for {layers} convolutions of stride 2: \
             use fewer ConvLayout.channels (each halves height and width)"
        )));
    }
    let widths: Vec<i64> = std::iter::once(c)
        .chain(layout.channels.iter().copied())
        .map(|c| c as i64)
        .collect();
    let conv_cfg = nn::ConvConfig {
        stride: STRIDE,
        padding: PADDING,
        ..Default::default()
    };
    let convs = widths
        .windows(2)
        .enumerate()
        .map(|(i, pair)| {
            nn::conv2d(
                encoder / format!("conv{i}"),
                pair[0],
                pair[1],
                KERNEL,
                conv_cfg,
            )
        })
        .collect();
    let (last_h, last_w) = sizes[layers];
    let flat = widths[layers] * last_h * last_w;
    let to_latent = nn::linear(
        encoder / "latent",
        flat,
        latent_dim as i64,
        Default::default(),
    );

    let from_latent = nn::linear(
        decoder / "dense",
        latent_dim as i64,
        flat,
        Default::default(),
    );
    let deconvs = (0..layers)
        .rev()
        .map(|i| {
            let (out_h, out_w) = sizes[i];
            let (in_h, in_w) = sizes[i + 1];
            let output_padding = [out_h - STRIDE * in_h, out_w - STRIDE * in_w];
            Deconv::new(
                &(decoder / format!("deconv{i}")),
                widths[i + 1],
                widths[i],
                output_padding,
            )
        })
        .collect();
    let encoder = ConvEncoder {
        format,
        convs,
        to_latent,
    };
    let decoder = ConvDecoder {
        format,
        from_latent,
        first: (widths[layers], last_h, last_w),
        deconvs,
    };
    Ok((encoder, decoder))
}

impl ModuleT for ConvEncoder {
    fn forward_t(&self, xs: &Tensor, _train: bool) -> Tensor {
        let mut h = match self.format {
            ImageFormat::ChannelsLast => xs.permute([0, 3, 1, 2]),
            ImageFormat::ChannelsFirst => xs.shallow_clone(),
        };
        for conv in &self.convs {
            h = h.apply(conv).relu();
        }
        h.flatten(1, -1).apply(&self.to_latent)
    }
}

impl ModuleT for ConvDecoder {
    fn forward_t(&self, xs: &Tensor, _train: bool) -> Tensor {
        let (c, h, w) = self.first;
        let mut out = xs.apply(&self.from_latent).relu().reshape([-1, c, h, w]);
        let last = self.deconvs.len() - 1;
        for (i, deconv) in self.deconvs.iter().enumerate() {
            out = deconv.forward(&out);
            if i < last {
                out = out.relu();
            }
        }
        match self.format {
            ImageFormat::ChannelsLast => out.permute([0, 2, 3, 1]),
            ImageFormat::ChannelsFirst => out,
        }
    }
}
