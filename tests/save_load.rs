//! Saving a fitted detector to one file and loading it back, and every refused load.

use std::collections::HashMap;
use std::path::Path;

use aegmm::{AegmmConfig, AegmmError, InputScaling, OutlierAegmm, TrainConfig, FORMAT_VERSION};
use aegmm_workspace::planted_outliers;
use ndarray::Array2;
use safetensors::tensor::{Dtype, SafeTensors, View};

fn fitted_detector(x: &Array2<f32>) -> OutlierAegmm {
    let config = AegmmConfig {
        data_type: Some("tabular".into()),
        input_scaling: Some(InputScaling::from_data(x).unwrap()),
        score_batch_size: 64,
        ..AegmmConfig::small()
    };
    let mut detector = OutlierAegmm::new(x.ncols(), config).unwrap();
    let train = TrainConfig {
        epochs: 2,
        batch_size: 64,
        learning_rate: 1e-3,
        ..TrainConfig::default()
    };
    detector.fit(x, &train, &mut |_| {}).unwrap();
    detector.infer_threshold(x, 95.0).unwrap();
    detector
}

fn bits(values: &ndarray::Array1<f64>) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// One tensor of a safetensors file, owned, so a test can edit a saved file.
struct Owned {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl View for &Owned {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        (&self.bytes[..]).into()
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

/// Reads the safetensors file at `path`, lets `edit` change its metadata and tensors, and
/// writes it back.
fn rewrite(
    path: &Path,
    edit: impl FnOnce(&mut HashMap<String, String>, &mut HashMap<String, Owned>),
) {
    let bytes = std::fs::read(path).unwrap();
    let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
    let mut metadata = header.metadata().clone().unwrap_or_default();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors: HashMap<String, Owned> = file
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let owned = Owned {
                dtype: view.dtype(),
                shape: view.shape().to_vec(),
                bytes: view.data().to_vec(),
            };
            (name, owned)
        })
        .collect();
    edit(&mut metadata, &mut tensors);
    let out = safetensors::tensor::serialize(
        tensors.iter().map(|(name, t)| (name.as_str(), t)),
        &Some(metadata),
    )
    .unwrap();
    std::fs::write(path, out).unwrap();
}

fn saved(name: &str) -> (tempfile::TempDir, std::path::PathBuf, Array2<f32>) {
    let (x, _) = planted_outliers(300, 10, 5, 11);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    fitted_detector(&x).save(&path).unwrap();
    (dir, path, x)
}

#[test]
fn a_loaded_detector_scores_every_row_bit_for_bit_as_before() {
    let (x, _) = planted_outliers(300, 10, 5, 11);
    let detector = fitted_detector(&x);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("detector.safetensors");
    detector.save(&path).unwrap();

    let loaded = OutlierAegmm::load(&path).unwrap();
    assert_eq!(
        bits(&loaded.score(&x).unwrap()),
        bits(&detector.score(&x).unwrap())
    );
    assert_eq!(
        loaded.threshold().map(f64::to_bits),
        detector.threshold().map(f64::to_bits)
    );
    assert_eq!(loaded.gmm(), detector.gmm());
    assert_eq!(
        loaded.config().input_scaling,
        detector.config().input_scaling
    );
    assert_eq!(
        serde_json::to_string(&loaded.predict(&x, true).unwrap()).unwrap(),
        serde_json::to_string(&detector.predict(&x, true).unwrap()).unwrap()
    );
}

#[test]
fn saving_over_a_file_replaces_it_and_leaves_no_temporary_file() {
    let (dir, path, x) = saved("detector.safetensors");
    let mut second = fitted_detector(&x);
    second.set_threshold(123.5).unwrap();
    second.save(&path).unwrap();

    assert_eq!(OutlierAegmm::load(&path).unwrap().threshold(), Some(123.5));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["detector.safetensors"]);
}

#[test]
fn saving_into_a_missing_folder_is_an_io_error_naming_the_path() {
    let (x, _) = planted_outliers(300, 0, 5, 12);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-folder").join("d.safetensors");
    match fitted_detector(&x).save(&path) {
        Err(e @ AegmmError::Io { .. }) => assert!(e.to_string().contains("no-such-folder"), "{e}"),
        other => panic!("expected an Io error, got {other:?}"),
    }
}

#[test]
fn saving_an_unfitted_detector_is_refused() {
    let detector = OutlierAegmm::new(5, AegmmConfig::small()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        detector.save(dir.path().join("d.safetensors")),
        Err(AegmmError::NotFitted)
    ));
}

#[test]
fn load_refuses_another_format_version() {
    let (_dir, path, _) = saved("d.safetensors");
    let other = (FORMAT_VERSION + 1).to_string();
    rewrite(&path, |meta, _| {
        meta.insert("format_version".into(), other.clone());
    });
    match OutlierAegmm::load(&path) {
        Err(e @ AegmmError::FormatVersion { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains(&other) && msg.contains("d.safetensors"),
                "{msg}"
            );
        }
        other => panic!("expected FormatVersion, got {other:?}"),
    }
}

#[test]
fn load_refuses_a_file_without_its_mixture() {
    let (_dir, path, _) = saved("d.safetensors");
    rewrite(&path, |_, tensors| {
        tensors.remove("mixture.cov");
    });
    match OutlierAegmm::load(&path) {
        Err(AegmmError::IncompleteSave { missing, .. }) => {
            assert!(missing.contains("mixture.cov"), "{missing}")
        }
        other => panic!("expected IncompleteSave, got {other:?}"),
    }
}

#[test]
fn load_refuses_a_file_without_its_configuration() {
    let (_dir, path, _) = saved("d.safetensors");
    rewrite(&path, |meta, _| {
        meta.remove("config");
    });
    match OutlierAegmm::load(&path) {
        Err(AegmmError::IncompleteSave { missing, .. }) => {
            assert!(missing.contains("config"), "{missing}")
        }
        other => panic!("expected IncompleteSave, got {other:?}"),
    }
}

#[test]
fn load_refuses_a_file_without_its_input_scaling() {
    let (_dir, path, _) = saved("d.safetensors");
    rewrite(&path, |_, tensors| {
        tensors.remove("scaling.std");
    });
    assert!(matches!(
        OutlierAegmm::load(&path),
        Err(AegmmError::IncompleteSave { .. })
    ));
}

#[test]
fn load_refuses_a_file_cut_short() {
    let (_dir, path, _) = saved("d.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
    assert!(matches!(
        OutlierAegmm::load(&path),
        Err(AegmmError::CorruptSave { .. })
    ));
}

#[test]
fn load_refuses_a_safetensors_file_that_is_not_a_detector() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weights.safetensors");
    tch::Tensor::write_safetensors(
        &[("w", tch::Tensor::zeros([2, 2], tch::kind::FLOAT_CPU))],
        &path,
    )
    .unwrap();
    assert!(matches!(
        OutlierAegmm::load(&path),
        Err(AegmmError::CorruptSave { .. })
    ));
}

#[test]
fn load_refuses_weights_of_another_shape() {
    let (_dir, path, _) = saved("d.safetensors");
    rewrite(&path, |_, tensors| {
        let w = tensors.get_mut("net.encoder.0.weight").unwrap();
        w.shape = vec![w.shape[0] * w.shape[1]];
    });
    match OutlierAegmm::load(&path) {
        Err(AegmmError::WeightsMismatch { detail, .. }) => {
            assert!(detail.contains("encoder.0.weight"), "{detail}")
        }
        other => panic!("expected WeightsMismatch, got {other:?}"),
    }
}

#[test]
fn load_refuses_a_missing_weight() {
    let (_dir, path, _) = saved("d.safetensors");
    rewrite(&path, |_, tensors| {
        tensors.remove("net.density.0.bias");
    });
    match OutlierAegmm::load(&path) {
        Err(AegmmError::WeightsMismatch { detail, .. }) => {
            assert!(
                detail.contains("missing") && detail.contains("density.0.bias"),
                "{detail}"
            )
        }
        other => panic!("expected WeightsMismatch, got {other:?}"),
    }
}

#[test]
fn load_refuses_an_extra_weight() {
    let (_dir, path, _) = saved("d.safetensors");
    rewrite(&path, |_, tensors| {
        let extra = Owned {
            dtype: Dtype::F32,
            shape: vec![1],
            bytes: 0f32.to_le_bytes().to_vec(),
        };
        tensors.insert("net.encoder.9.weight".into(), extra);
    });
    match OutlierAegmm::load(&path) {
        Err(AegmmError::WeightsMismatch { detail, .. }) => {
            assert!(detail.contains("encoder.9.weight"), "{detail}")
        }
        other => panic!("expected WeightsMismatch, got {other:?}"),
    }
}
