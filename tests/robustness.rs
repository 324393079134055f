//! The traps other DAGMM implementations fell into (SPEC section 7), each fed on purpose.

use aegmm::ReconFeatures;
use aegmm::{AegmmConfig, AegmmError, OutlierAegmm, TrainConfig};
use aegmm_gmm::{cholesky_with_jitter, GmmAccumulator, GmmError, GmmParams};
use aegmm_nn::{AegmmNetwork, NnError, TchGmm, Trainer};
use aegmm_workspace::planted_outliers;
use ndarray::{array, s, Array1, Array2, Array3};
use tch::{Kind, Tensor};

fn train(epochs: usize, batch_size: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size,
        learning_rate: 1e-3,
        ..TrainConfig::default()
    }
}

fn small_detector() -> OutlierAegmm {
    OutlierAegmm::new(4, AegmmConfig::small()).unwrap()
}

fn all_weights_finite(d: &OutlierAegmm) -> bool {
    d.variables()
        .values()
        .all(|t| bool::try_from(t.isfinite().all()).unwrap())
}

// Collapsed covariance -------------------------------------------------------------------

#[test]
fn cholesky_of_singular_covariance_succeeds_with_eps_jitter() {
    let cov = array![[1.0, 1.0], [1.0, 1.0]];
    let (chol, jitter) = cholesky_with_jitter(cov.view(), 1e-6, 0).unwrap();
    assert_eq!(jitter, 1e-6);
    let rebuilt = chol.dot(&chol.t());
    assert!((rebuilt[[0, 1]] - 1.0).abs() < 1e-9 && (rebuilt[[1, 1]] - (1.0 + 1e-6)).abs() < 1e-9);
}

#[test]
fn cholesky_retries_with_growing_jitter_before_giving_up() {
    // Smallest eigenvalue -1e-4: eps 1e-9 fails, and ten-fold steps reach 1e-3 > 1e-4.
    let cov = array![[1.0, 0.0], [0.0, -1e-4]];
    let (_, jitter) = cholesky_with_jitter(cov.view(), 1e-9, 0).unwrap();
    assert!(jitter > 1e-4 && jitter < 1e-2, "jitter {jitter}");
}

#[test]
fn indefinite_covariance_is_an_error_naming_the_component() {
    let cov =
        Array3::from_shape_vec((2, 2, 2), vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, -1e6]).unwrap();
    let err = GmmParams::new(array![0.5, 0.5], Array2::zeros((2, 2)), cov, 1e-6).unwrap_err();
    assert!(
        matches!(err, GmmError::Cholesky { component: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("component 1"), "{err}");
}

#[test]
fn tch_estimate_of_indefinite_covariance_is_an_error_naming_the_component() {
    let cov = Tensor::from_slice(&[1.0f64, 0.0, 0.0, -1e6, 1.0, 0.0, 0.0, 1.0]).reshape([2, 2, 2]);
    let err = TchGmm::from_params(
        Tensor::from_slice(&[0.5f64, 0.5]),
        Tensor::zeros([2, 2], (Kind::Double, tch::Device::Cpu)),
        cov,
        1e-6,
    )
    .unwrap_err();
    assert!(
        matches!(err, NnError::Cholesky { component: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn mixture_of_a_single_row_is_finite() {
    let gmm = GmmParams::from_batch(
        array![[1.0, 2.0, 3.0]].view(),
        array![[0.3, 0.7]].view(),
        1e-6,
    )
    .unwrap();
    assert!(gmm
        .energy(array![[1.0, 2.0, 3.0]].view())
        .unwrap()
        .iter()
        .all(|e| e.is_finite()));
}

#[test]
fn mixture_with_constant_and_duplicated_columns_is_finite() {
    let z = Array2::from_shape_fn((50, 3), |(i, j)| if j == 0 { 4.0 } else { i as f64 / 50.0 });
    let gamma = Array2::from_elem((50, 2), 0.5);
    let gmm = GmmParams::from_batch(z.view(), gamma.view(), 1e-6).unwrap();
    assert!(gmm.energy(z.view()).unwrap().iter().all(|e| e.is_finite()));

    let tch_gmm = TchGmm::estimate(
        &Tensor::from_slice(z.as_slice().unwrap()).reshape([50, 3]),
        &Tensor::from_slice(gamma.as_slice().unwrap()).reshape([50, 2]),
        1e-6,
    )
    .unwrap();
    let penalty = f64::try_from(tch_gmm.cov_diag_penalty()).unwrap();
    assert!(penalty.is_finite(), "penalty {penalty}");
}

#[test]
fn component_without_membership_is_an_error_naming_it() {
    let mut acc = GmmAccumulator::new(2, 1);
    acc.update(
        array![[1.0], [2.0]].view(),
        array![[1.0, 0.0], [1.0, 0.0]].view(),
    )
    .unwrap();
    let err = acc.finish(1e-6).unwrap_err();
    assert!(
        matches!(err, GmmError::EmptyComponent { component: 1, .. }),
        "{err:?}"
    );
}

// Non-finite loss ------------------------------------------------------------------------

#[test]
fn non_finite_loss_stops_naming_epoch_batch_and_term_and_leaves_weights_finite() {
    let (mut x, _) = planted_outliers(64, 0, 4, 1);
    x.row_mut(37).fill(1e30); // finite as f32, but its squared error overflows
    let mut d = small_detector();
    let cfg = TrainConfig {
        batch_size: 64,
        ..train(1, 64)
    };
    let err = d.fit(&x, &cfg, &mut |_| {}).unwrap_err();
    match &err {
        AegmmError::Nn(NnError::NonFiniteLoss {
            epoch: 1,
            batch: 1,
            term,
            ..
        }) => {
            assert!(
                ["recon", "energy", "cov_diag"].contains(term),
                "term {term}"
            )
        }
        other => panic!("expected NonFiniteLoss at epoch 1, batch 1, got {other:?}"),
    }
    assert!(all_weights_finite(&d), "weights became non-finite");
    assert!(d.gmm().is_none(), "a mixture was stored after a failed fit");
}

#[test]
fn non_finite_batches_can_be_skipped_and_counted() {
    let (mut x, _) = planted_outliers(64, 0, 4, 2);
    x.row_mut(5).fill(1e30);
    let vs = tch::nn::VarStore::new(tch::Device::Cpu);
    let net = AegmmNetwork::tabular(
        &vs.root(),
        4,
        &AegmmConfig::small().layout,
        2,
        ReconFeatures::default(),
    );
    let rows = Tensor::from_slice(x.as_slice().unwrap()).reshape([64, 4]);
    let cfg = TrainConfig {
        skip_non_finite: true,
        ..train(2, 16)
    };
    let history = Trainer::new(cfg)
        .unwrap()
        .train(&net, &vs, &rows, &mut |_| {})
        .unwrap();
    let skipped: Vec<usize> = history.epochs.iter().map(|e| e.skipped_batches).collect();
    assert_eq!(skipped, vec![1, 1]);
    assert!(history.epochs.iter().all(|e| e.loss.is_finite()));
    assert!(vs
        .trainable_variables()
        .iter()
        .all(|t| bool::try_from(t.isfinite().all()).unwrap()));
}

// Input checks ---------------------------------------------------------------------------

#[test]
fn infinite_input_is_refused_naming_row_and_column() {
    let (mut x, _) = planted_outliers(20, 0, 4, 3);
    x[[19, 0]] = f32::INFINITY;
    let mut d = small_detector();
    let err = d.fit(&x, &train(1, 4), &mut |_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            AegmmError::NonFiniteInput {
                row: 19,
                col: 0,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn f64_values_beyond_f32_range_are_refused() {
    let mut x = Array2::<f64>::zeros((10, 4));
    x[[3, 2]] = 1e300;
    let err = small_detector()
        .fit(&x, &train(1, 5), &mut |_| {})
        .unwrap_err();
    assert!(
        matches!(err, AegmmError::NonFiniteInput { row: 3, col: 2, .. }),
        "{err:?}"
    );
}

#[test]
fn empty_input_is_an_error() {
    let x = Array2::<f32>::zeros((0, 4));
    assert!(matches!(
        small_detector().fit(&x, &train(1, 1), &mut |_| {}),
        Err(AegmmError::EmptyInput)
    ));
}

#[test]
fn nan_threshold_is_never_stored() {
    let mut d = small_detector();
    d.set_threshold(2.5).unwrap();
    assert!(d.set_threshold(f64::NAN).is_err());
    assert!(d.set_threshold(f64::INFINITY).is_err());
    assert_eq!(d.threshold(), Some(2.5));
}

#[test]
fn threshold_perc_outside_0_to_100_is_an_error_and_keeps_the_threshold() {
    let (x, _) = planted_outliers(50, 0, 4, 4);
    let mut d = small_detector();
    d.fit(&x, &train(1, 10), &mut |_| {}).unwrap();
    d.set_threshold(1.0).unwrap();
    for bad in [-1.0, 100.5, f64::NAN] {
        assert!(
            d.infer_threshold(&x, bad).is_err(),
            "threshold_perc {bad} accepted"
        );
    }
    assert_eq!(d.threshold(), Some(1.0));
}

#[test]
fn invalid_settings_are_refused_before_training() {
    let (x, _) = planted_outliers(50, 0, 4, 5);
    assert!(OutlierAegmm::new(
        4,
        AegmmConfig {
            n_gmm: 0,
            ..AegmmConfig::small()
        }
    )
    .is_err());
    assert!(OutlierAegmm::new(0, AegmmConfig::small()).is_err());
    assert!(OutlierAegmm::new(
        4,
        AegmmConfig {
            eps: f64::NAN,
            ..AegmmConfig::small()
        }
    )
    .is_err());
    let mut d = small_detector();
    let too_big = d.fit(&x, &train(1, 51), &mut |_| {}).unwrap_err();
    assert!(too_big.to_string().contains("batch_size 51"), "{too_big}");
    assert!(d
        .fit(&x, &train(0, 10), &mut |_| {})
        .unwrap_err()
        .to_string()
        .contains("epochs"));
    assert!(d
        .fit(
            &x,
            &TrainConfig {
                learning_rate: -1.0,
                ..train(1, 10)
            },
            &mut |_| {}
        )
        .is_err());
}

#[test]
fn scoring_before_fit_is_an_error() {
    let x = Array2::<f32>::zeros((3, 4));
    assert!(matches!(
        small_detector().score(&x),
        Err(AegmmError::NotFitted)
    ));
}

// Small batches --------------------------------------------------------------------------

#[test]
fn one_row_input_trains_and_scores() {
    let x = array![[0.1f32, 0.2, 0.3, 0.4]];
    let mut d = small_detector();
    d.fit(&x, &train(2, 1), &mut |_| {}).unwrap();
    assert!(d.score(&x).unwrap()[0].is_finite());
    assert!(all_weights_finite(&d));
}

#[test]
fn batch_size_one_and_a_last_partial_batch_of_one_row_work() {
    let (x, _) = planted_outliers(21, 0, 4, 6);
    for batch_size in [1, 4] {
        // 21 rows in batches of 4 leave a last batch of one row.
        let mut d = small_detector();
        let history = d.fit(&x, &train(2, batch_size), &mut |_| {}).unwrap();
        assert!(
            history.epochs.iter().all(|e| e.loss.is_finite()),
            "batch {batch_size}: {history:?}"
        );
        assert!(d.score(&x).unwrap().iter().all(|e| e.is_finite()));
        assert!(all_weights_finite(&d));
    }
}

// Determinism ----------------------------------------------------------------------------

#[test]
fn a_rows_score_does_not_depend_on_row_order() {
    let (x, _) = planted_outliers(100, 3, 4, 7);
    let mut d = small_detector();
    d.fit(&x, &train(2, 20), &mut |_| {}).unwrap();
    let scores = d.score(&x).unwrap();
    let reversed = x.slice(s![..;-1, ..]).to_owned();
    let reversed_scores: Array1<f64> = d.score(&reversed).unwrap().slice(s![..;-1]).to_owned();
    // The networks run in f32, and a matrix-product kernel may sum a row's products in
    // another order where the row falls in a tail tile of the batch: the same row can get a
    // latent code that differs in the last f32 bits (seen: 3e-7 relative in the energy).
    for (a, b) in scores.iter().zip(&reversed_scores) {
        assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{a} vs {b}");
    }
}

#[test]
fn sorted_training_data_trains_as_well_as_shuffled() {
    // Two inlier clusters; "sorted" puts every row of the first cluster before the second.
    let (a, _) = planted_outliers(400, 0, 4, 8);
    let b = a.mapv(|v| v + 2.0);
    let sorted = ndarray::concatenate(ndarray::Axis(0), &[a.view(), b.view()]).unwrap();
    let mut order: Vec<usize> = (0..800).collect();
    order.sort_by_key(|&i| (i * 7919) % 800);
    let shuffled = sorted.select(ndarray::Axis(0), &order);
    let (test, is_out) = planted_outliers(200, 20, 4, 9);

    let auc = |x: &Array2<f32>| {
        let mut d = OutlierAegmm::new(
            4,
            AegmmConfig {
                seed: 1,
                ..AegmmConfig::small()
            },
        )
        .unwrap();
        d.fit(
            x,
            &TrainConfig {
                seed: 1,
                ..train(15, 32)
            },
            &mut |_| {},
        )
        .unwrap();
        let scores = d.score(&test).unwrap();
        let (pos, neg): (Vec<f64>, Vec<f64>) =
            (0..220).fold((vec![], vec![]), |(mut p, mut n), i| {
                if is_out[i] {
                    p.push(scores[i])
                } else {
                    n.push(scores[i])
                }
                (p, n)
            });
        let wins: f64 = pos
            .iter()
            .map(|p| {
                neg.iter()
                    .map(|n| {
                        if p > n {
                            1.0
                        } else if p == n {
                            0.5
                        } else {
                            0.0
                        }
                    })
                    .sum::<f64>()
            })
            .sum();
        wins / (pos.len() * neg.len()) as f64
    };
    let (auc_sorted, auc_shuffled) = (auc(&sorted), auc(&shuffled));
    assert!(auc_sorted > 0.9, "sorted data: AUC {auc_sorted}");
    assert!(
        (auc_sorted - auc_shuffled).abs() < 0.05,
        "sorted {auc_sorted} vs shuffled {auc_shuffled}"
    );
}

#[test]
fn a_refit_that_fails_leaves_the_detector_unfitted_not_half_updated() {
    let (x, _) = planted_outliers(64, 0, 4, 12);
    let mut d = small_detector();
    d.fit(&x, &train(1, 16), &mut |_| {}).unwrap();
    let mut bad = x.clone();
    bad.row_mut(3).fill(1e30);
    assert!(d.fit(&bad, &train(1, 16), &mut |_| {}).is_err());
    assert!(d.gmm().is_none());
    assert!(matches!(d.score(&x), Err(AegmmError::NotFitted)));
}

#[test]
fn a_cuda_device_libtorch_cannot_see_is_an_error_not_a_panic() {
    let missing = aegmm::Device::Cuda(tch::Cuda::device_count() as usize);
    let err = OutlierAegmm::new(
        4,
        AegmmConfig {
            device: missing,
            ..AegmmConfig::small()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("CUDA device"), "{err}");
    let mut d = small_detector();
    assert!(d.set_device(missing).is_err());
    assert_eq!(d.device(), aegmm::Device::Cpu);
}
