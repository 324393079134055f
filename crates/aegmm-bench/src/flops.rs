//! Floating-point work of the fully connected networks and the machine's matrix-product rate.
//!
//! Counts are of the matrix products only (2 FLOPs per multiply-add); activations, softmax
//! and the mixture's `K x D x D` work are a few hundred FLOPs per row beside thousands.

use std::time::Instant;

use tch::{Device, Kind, Tensor};

/// The `(inputs, outputs)` of every linear layer of alibi-detect's KDD example: encoder
/// `F-60-30-10-latent`, decoder `latent-10-30-60-F`, density network `(latent + recon)-10-K`.
pub fn kdd_example_layers(
    features: usize,
    latent: usize,
    recon: usize,
    k: usize,
) -> Vec<(usize, usize)> {
    let chain = |sizes: &[usize]| -> Vec<(usize, usize)> {
        sizes.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let mut layers = chain(&[features, 60, 30, 10, latent]);
    layers.extend(chain(&[latent, 10, 30, 60, features]));
    layers.extend(chain(&[latent + recon, 10, k]));
    layers
}

/// FLOPs of one row through `layers` (scoring: forward only).
pub fn forward_flops(layers: &[(usize, usize)]) -> u64 {
    layers.iter().map(|&(i, o)| 2 * (i * o) as u64).sum()
}

/// FLOPs of one training row: the forward pass, each layer's weight gradient, and each
/// layer's input gradient except the first layer's (the data needs none).
pub fn training_flops(layers: &[(usize, usize)]) -> u64 {
    let forward = forward_flops(layers);
    let first = layers.first().map_or(0, |&(i, o)| 2 * (i * o) as u64);
    forward + forward + (forward - first)
}

/// The best FLOP rate of an `n x n` by `n x n` `f32` matrix product on `device` over `reps`
/// timed runs after one warm-up, with libtorch's current thread settings.
pub fn matmul_flops_per_sec(n: i64, reps: usize, device: Device) -> f64 {
    let a = Tensor::randn([n, n], (Kind::Float, device));
    let b = Tensor::randn([n, n], (Kind::Float, device));
    let _ = a.matmul(&b);
    let mut best = f64::INFINITY;
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        let c = a.matmul(&b);
        if device != Device::Cpu {
            let _ = c.sum(Kind::Float).double_value(&[]);
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    2.0 * (n as f64).powi(3) / best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdd_example_counts_follow_from_the_layer_sizes() {
        // SPEC section 6: 18 features, latent 1, two reconstruction features, K = 2.
        let layers = kdd_example_layers(18, 1, 2, 2);
        let macs_encoder = 18 * 60 + 60 * 30 + 30 * 10 + 10;
        let macs_decoder = 10 + 10 * 30 + 30 * 60 + 60 * 18;
        let macs_density = 3 * 10 + 10 * 2;
        let forward = 2 * (macs_encoder + macs_decoder + macs_density) as u64;
        assert_eq!(forward_flops(&layers), forward);
        assert_eq!(training_flops(&layers), 3 * forward - 2 * 18 * 60);
    }
}
