//! Dropout draws from libtorch's process-wide generator, so this test has a binary of its
//! own: no other test runs beside it and draws from that generator.

use aegmm::{AegmmConfig, OutlierAegmm, TabularLayout, TrainConfig};
use aegmm_workspace::planted_outliers;

#[test]
fn training_with_dropout_repeats_under_the_same_seed() {
    let (x, _) = planted_outliers(200, 5, 4, 13);
    let config = AegmmConfig {
        layout: TabularLayout {
            density_dropout: Some(0.5),
            ..AegmmConfig::small().layout
        },
        ..AegmmConfig::small()
    };
    let run = |draws: i64| {
        let mut d = OutlierAegmm::new(4, config.clone()).unwrap();
        // Other code may draw from libtorch's generator between building and fitting.
        let _ = tch::Tensor::rand([draws], (tch::Kind::Float, tch::Device::Cpu));
        let train = TrainConfig {
            epochs: 2,
            batch_size: 32,
            seed: 4,
            ..TrainConfig::default()
        };
        d.fit(&x, &train, &mut |_| {}).unwrap();
        d.score(&x).unwrap()
    };
    assert_eq!(
        run(1),
        run(1000),
        "dropout masks differ between runs with the same seed"
    );
}
