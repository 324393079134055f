//! The detector's `eps` is the one jitter of training and scoring.

use aegmm::{AegmmConfig, OutlierAegmm, TrainConfig};
use aegmm_workspace::planted_outliers;

#[test]
fn the_detectors_eps_is_used_in_training_whatever_train_config_says() {
    let (x, _) = planted_outliers(120, 0, 4, 11);
    let run = |train_eps: f64| {
        let config = AegmmConfig {
            eps: 1e-3,
            seed: 2,
            ..AegmmConfig::small()
        };
        let mut d = OutlierAegmm::new(4, config).unwrap();
        let train = TrainConfig {
            epochs: 2,
            batch_size: 30,
            seed: 2,
            eps: train_eps,
            ..TrainConfig::default()
        };
        d.fit(&x, &train, &mut |_| {}).unwrap();
        (d.score(&x).unwrap(), d.gmm().unwrap().eps)
    };
    let (a, eps_a) = run(1e-6);
    let (b, eps_b) = run(0.5);
    assert_eq!(a, b, "TrainConfig::eps changed the training");
    assert_eq!((eps_a, eps_b), (1e-3, 1e-3));
}
