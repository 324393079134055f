//! Scoring and results: thresholds, feature scores, tensor input, scaling, JSON layout.

use std::collections::BTreeSet;

use aegmm::{
    threshold_for_share, AegmmConfig, AegmmError, InputScaling, OutlierAegmm, PredictOptions,
    TrainConfig,
};
use aegmm_workspace::planted_outliers;
use ndarray::Array2;
use tch::Tensor;

fn fitted(x: &Array2<f32>, config: AegmmConfig) -> OutlierAegmm {
    let mut detector = OutlierAegmm::new(x.ncols(), config).unwrap();
    let train = TrainConfig {
        epochs: 3,
        batch_size: 64,
        learning_rate: 1e-3,
        seed: 2,
        ..TrainConfig::default()
    };
    detector.fit(x, &train, &mut |_| {}).unwrap();
    detector
}

fn flagged(detector: &OutlierAegmm, x: &Array2<f32>) -> Vec<u8> {
    detector.predict(x, false).unwrap().data.is_outlier
}

#[test]
fn a_contamination_threshold_flags_that_share_of_the_rows() {
    let (x, _) = planted_outliers(300, 10, 5, 41);
    let mut detector = fitted(&x, AegmmConfig::small());
    detector.infer_threshold_contamination(&x, 0.1).unwrap();
    let count = flagged(&detector, &x).iter().filter(|&&f| f == 1).count();
    assert_eq!(count, (0.1 * 310.0) as usize);

    detector.infer_threshold_contamination(&x, 0.0).unwrap();
    assert!(flagged(&detector, &x).iter().all(|&f| f == 0));
}

#[test]
fn an_fpr_threshold_bounds_false_positives_on_the_labelled_inliers_only() {
    let (x, is_outlier) = planted_outliers(300, 10, 5, 42);
    let mut detector = fitted(&x, AegmmConfig::small());
    let threshold = detector.infer_threshold_fpr(&x, &is_outlier, 0.05).unwrap();
    let flags = flagged(&detector, &x);
    let false_positives = (0..300).filter(|&i| flags[i] == 1).count();
    assert_eq!(false_positives, 15);

    let inliers = x.slice(ndarray::s![..300, ..]).to_owned();
    let again = detector
        .infer_threshold_fpr(&inliers, &[false; 300], 0.05)
        .unwrap();
    assert_eq!(again, threshold, "labelled outliers moved the threshold");
    assert!(matches!(
        detector.infer_threshold_fpr(&x, &[true; 310], 0.05),
        Err(AegmmError::Config(_))
    ));
}

#[test]
fn a_share_threshold_is_the_order_statistic_below_the_flagged_rows() {
    let energy = [5.0, 1.0, 4.0, 2.0, 3.0];
    assert_eq!(threshold_for_share(&energy, 0.4).unwrap(), 3.0);
    assert_eq!(threshold_for_share(&energy, 0.0).unwrap(), 5.0);
    assert_eq!(threshold_for_share(&energy, 1.0).unwrap(), 1.0);
    assert!(threshold_for_share(&energy, 1.5).is_err());
    assert!(threshold_for_share(&[], 0.1).is_err());
}

#[test]
fn feature_scores_are_each_features_squared_reconstruction_error() {
    let (x, _) = planted_outliers(200, 5, 6, 43);
    let mut detector = fitted(&x, AegmmConfig::small());
    detector.infer_threshold(&x, 95.0).unwrap();
    let options = PredictOptions {
        return_instance_score: false,
        return_feature_score: true,
    };
    let prediction = detector.predict_with(&x, &options).unwrap();
    assert!(prediction.data.instance_score.is_none());
    let features = prediction.data.feature_score.unwrap();
    assert_eq!((features.len(), features[0].len()), (205, 6));

    // The default first reconstruction feature is ||x - x_hat|| / ||x||: the same distance
    // must come out of the per-feature squared errors.
    let latent = AegmmConfig::small().layout.latent_dim;
    let z = detector.mixture_inputs(&x).unwrap();
    for (i, row) in x.outer_iter().enumerate() {
        let norm = row.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
        let distance = features[i].iter().sum::<f64>().sqrt() / norm;
        assert!(
            (z[[i, latent]] - distance).abs() <= 1e-4 * distance.max(1e-3),
            "row {i}: relative distance {} vs {distance} from the feature scores",
            z[[i, latent]]
        );
    }
    let plain = serde_json::to_value(detector.predict(&x, true).unwrap()).unwrap();
    assert!(plain["data"]["feature_score"].is_null());
}

#[test]
fn a_tensor_scores_like_the_same_array_in_f32_and_f64() {
    let (x, _) = planted_outliers(200, 5, 4, 44);
    let detector = fitted(&x, AegmmConfig::small());
    let from_array = detector.score(&x).unwrap();
    let flat: Vec<f32> = x.iter().copied().collect();
    let t32 = Tensor::from_slice(&flat).reshape([205, 4]);
    assert_eq!(detector.score(&t32).unwrap(), from_array);
    let t64 = t32.to_kind(tch::Kind::Double);
    assert_eq!(detector.score(&t64).unwrap(), from_array);
}

#[test]
fn a_non_finite_tensor_value_is_refused_naming_row_and_column() {
    let (x, _) = planted_outliers(100, 0, 4, 45);
    let detector = fitted(&x, AegmmConfig::small());
    let flat: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let t = Tensor::from_slice(&flat).reshape([100, 4]);
    let _ = t.get(57).get(2).fill_(f64::INFINITY);
    match detector.score(&t) {
        Err(AegmmError::NonFiniteInput {
            row: 57,
            col: 2,
            value,
        }) => assert_eq!(value, f64::INFINITY),
        other => panic!("expected NonFiniteInput at row 57, column 2, got {other:?}"),
    }
}

#[test]
fn input_scaling_is_the_same_as_standardising_by_hand() {
    let (raw, _) = planted_outliers(300, 10, 5, 46);
    let raw = raw.mapv(|v| 3.0 * v + 7.0);
    let scaling = InputScaling::from_data(&raw).unwrap();
    let by_hand = Array2::from_shape_fn(raw.dim(), |(i, j)| {
        ((raw[[i, j]] as f64 - scaling.mean[j]) / scaling.std[j]) as f32
    });
    let col = by_hand.column(0);
    assert!(col.mean().unwrap().abs() < 1e-5, "column 0 is not centred");

    let scaled = fitted(
        &raw,
        AegmmConfig {
            input_scaling: Some(scaling),
            ..AegmmConfig::small()
        },
    );
    let plain = fitted(&by_hand, AegmmConfig::small());
    assert_eq!(scaled.score(&raw).unwrap(), plain.score(&by_hand).unwrap());
}

fn keys(value: &serde_json::Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn prediction_json_has_exactly_alibi_detects_keys() {
    let (x, _) = planted_outliers(100, 5, 4, 47);
    let mut detector = fitted(&x, AegmmConfig::small());
    detector.infer_threshold(&x, 95.0).unwrap();
    let json = serde_json::to_value(detector.predict(&x, true).unwrap()).unwrap();
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(keys(&json), set(&["meta", "data"]));
    assert_eq!(
        keys(&json["meta"]),
        set(&["name", "detector_type", "data_type", "online", "version"])
    );
    assert_eq!(
        keys(&json["data"]),
        set(&["is_outlier", "instance_score", "feature_score"])
    );
    let flags = json["data"]["is_outlier"].as_array().unwrap();
    assert!(flags.iter().all(|f| f == 0 || f == 1));
    let scores: Vec<f64> = detector.score(&x).unwrap().to_vec();
    let in_json: Vec<f64> = json["data"]["instance_score"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(in_json, scores);
}
