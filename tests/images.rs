//! Images of any shape in either axis order, with the convolutional or dense networks.

use aegmm::{
    AegmmConfig, AegmmError, ConvLayout, ImageFormat, Networks, OutlierAegmm, PredictOptions,
    TrainConfig,
};
use ndarray::{Array4, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `n` images of `h x w x c` (channels last): smooth ramps with a little noise.
fn ramps(n: usize, h: usize, w: usize, c: usize, seed: u64) -> Array4<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Array4::<f32>::zeros((n, h, w, c));
    for mut image in x.outer_iter_mut() {
        let slope: f32 = rng.gen_range(0.5..1.5);
        for ((i, j, k), v) in image.indexed_iter_mut() {
            let noise: f32 = rng.gen_range(-0.05..0.05);
            *v = slope * (i + j) as f32 / (h + w) as f32 + 0.1 * k as f32 + noise;
        }
    }
    x
}

fn conv_config(format: ImageFormat) -> AegmmConfig {
    AegmmConfig {
        networks: Networks::Conv(ConvLayout {
            channels: vec![4, 8],
        }),
        image_format: format,
        data_type: Some("image".into()),
        ..AegmmConfig::small()
    }
}

fn train() -> TrainConfig {
    TrainConfig {
        epochs: 2,
        batch_size: 32,
        learning_rate: 1e-3,
        ..TrainConfig::default()
    }
}

#[test]
fn conv_networks_take_odd_sized_images_channels_last() {
    let x = ramps(100, 7, 5, 2, 1);
    let mut detector =
        OutlierAegmm::with_shape(&[7, 5, 2], conv_config(ImageFormat::ChannelsLast)).unwrap();
    detector.fit(&x, &train(), &mut |_| {}).unwrap();
    detector.infer_threshold(&x, 90.0).unwrap();
    let options = PredictOptions {
        return_instance_score: true,
        return_feature_score: true,
    };
    let prediction = detector.predict_with(&x, &options).unwrap();
    let features = prediction.data.feature_score.unwrap();
    assert_eq!((features.len(), features[0].len()), (100, 7 * 5 * 2));
    assert!(prediction
        .data
        .instance_score
        .unwrap()
        .iter()
        .all(|e| e.is_finite()));
}

#[test]
fn conv_networks_take_images_channels_first() {
    let x = ramps(100, 9, 6, 3, 2).permuted_axes([0, 3, 1, 2]);
    let mut detector =
        OutlierAegmm::with_shape(&[3, 9, 6], conv_config(ImageFormat::ChannelsFirst)).unwrap();
    detector.fit(&x, &train(), &mut |_| {}).unwrap();
    assert!(detector.score(&x).unwrap().iter().all(|e| e.is_finite()));
    let wrong_order = x.view().permuted_axes([0, 2, 3, 1]);
    assert!(matches!(
        detector.score(&wrong_order),
        Err(AegmmError::Shape { .. })
    ));
}

#[test]
fn a_conv_detector_loads_back_bit_for_bit() {
    let x = ramps(80, 8, 8, 1, 3);
    let mut detector =
        OutlierAegmm::with_shape(&[8, 8, 1], conv_config(ImageFormat::ChannelsLast)).unwrap();
    detector.fit(&x, &train(), &mut |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conv.safetensors");
    detector.save(&path).unwrap();
    let loaded = OutlierAegmm::load(&path).unwrap();
    let bits = |d: &OutlierAegmm| -> Vec<u64> {
        d.score(&x).unwrap().iter().map(|v| v.to_bits()).collect()
    };
    assert_eq!(bits(&loaded), bits(&detector));
    assert_eq!(loaded.row_shape(), &[8, 8, 1]);
}

#[test]
fn dense_networks_flatten_images() {
    let x = ramps(100, 6, 6, 1, 4);
    let mut detector = OutlierAegmm::with_shape(&[6, 6, 1], AegmmConfig::small()).unwrap();
    detector.fit(&x, &train(), &mut |_| {}).unwrap();
    let one = x.index_axis(Axis(0), 3).insert_axis(Axis(0));
    let (alone, in_batch) = (
        detector.score(&one).unwrap()[0],
        detector.score(&x).unwrap()[3],
    );
    // f32 matrix products of one row and of a batch may round differently in the last bits.
    assert!(
        (alone - in_batch).abs() <= 1e-5 * in_batch.abs().max(1.0),
        "{alone} alone vs {in_batch} in the batch"
    );
    assert_eq!(detector.feature_score(&x).unwrap().ncols(), 36);
}

#[test]
fn conv_networks_refuse_rows_that_are_not_images() {
    assert!(matches!(
        OutlierAegmm::new(10, conv_config(ImageFormat::ChannelsLast)),
        Err(AegmmError::Config(_))
    ));
}

#[test]
fn conv_networks_refuse_images_too_small_for_their_layers() {
    let config = AegmmConfig {
        networks: Networks::Conv(ConvLayout {
            channels: vec![4, 4, 4],
        }),
        ..AegmmConfig::small()
    };
    match OutlierAegmm::with_shape(&[4, 4, 1], config) {
        Err(e) => assert!(e.to_string().contains("too small"), "{e}"),
        Ok(_) => panic!("4 x 4 images cannot pass three stride-2 convolutions"),
    }
}
