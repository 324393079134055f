//! The fully connected networks start from the weight scale the setting names.

use aegmm_nn::{Mlp, Output, WeightInit};
use tch::{nn, Device, Kind, Tensor};

/// Largest absolute weight and bias of each layer of an `Mlp` built with `init`.
fn extremes(sizes: &[usize], init: WeightInit) -> Vec<(f64, f64)> {
    let vs = nn::VarStore::new(Device::Cpu);
    tch::manual_seed(3);
    let _mlp = Mlp::with_init(&vs.root(), sizes, None, Output::Linear, init);
    let vars = vs.variables();
    (0..sizes.len() - 1)
        .map(|i| {
            let max_abs = |name: &str| -> f64 {
                let t: &Tensor = &vars[&format!("{i}.{name}")];
                t.abs().max().to_kind(Kind::Double).double_value(&[])
            };
            (max_abs("weight"), max_abs("bias"))
        })
        .collect()
}

const SIZES: [usize; 4] = [118, 60, 30, 10];

#[test]
fn glorot_uniform_draws_within_its_bound_with_zero_biases() {
    let glorot = extremes(&SIZES, WeightInit::GlorotUniform);
    for (w, (max_w, max_b)) in SIZES.windows(2).zip(glorot) {
        let bound = (6.0 / (w[0] + w[1]) as f64).sqrt();
        // Thousands of uniform draws come within a few percent of the bound, never past it.
        assert!(
            max_w <= bound && max_w > 0.9 * bound,
            "{w:?}: {max_w} vs {bound}"
        );
        assert_eq!(max_b, 0.0);
    }
}

#[test]
fn torch_linear_draws_weights_and_biases_within_one_over_root_fan_in() {
    for (w, (max_w, max_b)) in SIZES
        .windows(2)
        .zip(extremes(&SIZES, WeightInit::TorchLinear))
    {
        let bound = 1.0 / (w[0] as f64).sqrt();
        assert!(
            max_w <= bound && max_w > 0.9 * bound,
            "{w:?}: {max_w} vs {bound}"
        );
        assert!(
            max_b <= bound && max_b > 0.0,
            "{w:?}: bias {max_b} vs {bound}"
        );
    }
}

#[test]
fn tch_kaiming_uniform_is_the_default_and_about_two_and_a_half_times_torch_linear() {
    assert_eq!(WeightInit::default(), WeightInit::TchKaimingUniform);
    // `Mlp::new` draws at the default scale: its first layer (118 x 60 weights) reaches past
    // Glorot's bound sqrt(6 / 178) = 0.184 and stays within Kaiming's sqrt(6 / 118) = 0.225.
    // (Bounds, not equal draws: tests in this binary share libtorch's global generator.)
    let vs = nn::VarStore::new(Device::Cpu);
    let _ = Mlp::new(&vs.root(), &SIZES, None, Output::Linear);
    let first: f64 = vs.variables()["0.weight"]
        .abs()
        .max()
        .to_kind(Kind::Double)
        .double_value(&[]);
    assert!(
        first > (6.0f64 / 178.0).sqrt() && first <= (6.0f64 / 118.0).sqrt(),
        "{first}"
    );

    let kaiming = extremes(&SIZES, WeightInit::TchKaimingUniform);
    for (w, (max_w, _)) in SIZES.windows(2).zip(kaiming) {
        let bound = (6.0 / w[0] as f64).sqrt();
        assert!(
            max_w <= bound && max_w > 0.9 * bound,
            "{w:?}: {max_w} vs {bound}"
        );
    }
}
