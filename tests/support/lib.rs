//! Shared helpers of the workspace tests: the reference fixtures and synthetic data.

use std::path::PathBuf;

use ndarray::{Array1, Array2, Array3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// The fixtures folder: `$AEGMM_FIXTURES_DIR` when set, else the repository's `fixtures/`.
pub fn fixtures_dir() -> PathBuf {
    match std::env::var_os("AEGMM_FIXTURES_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
    }
}

/// The list of cases in fixture file `name` (e.g. `gmm_params.json`).
pub fn fixture_cases(name: &str) -> Vec<Value> {
    let path = fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    let value: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("fixture {} is not JSON: {e}", path.display()));
    let cases = value
        .as_array()
        .unwrap_or_else(|| panic!("{} is not a list", path.display()));
    assert!(!cases.is_empty(), "{} holds no case", path.display());
    cases.clone()
}

/// The case's name, or its position when it has none.
pub fn case_name(case: &Value, index: usize) -> String {
    case.get("name")
        .and_then(Value::as_str)
        .map_or_else(|| format!("case {index}"), String::from)
}

/// A number field.
pub fn scalar(case: &Value, key: &str) -> f64 {
    case[key]
        .as_f64()
        .unwrap_or_else(|| panic!("field {key} is not a number"))
}

/// A flat list of numbers (nested lists are flattened in order).
pub fn flat(value: &Value) -> Vec<f64> {
    match value {
        Value::Array(items) => items.iter().flat_map(flat).collect(),
        Value::Number(n) => vec![n.as_f64().expect("number")],
        other => panic!("expected numbers, got {other}"),
    }
}

/// The sizes of a nested list, outermost first.
pub fn shape(value: &Value) -> Vec<usize> {
    match value {
        Value::Array(items) => {
            let mut s = vec![items.len()];
            if let Some(first) = items.first() {
                s.extend(shape(first));
            }
            s
        }
        _ => vec![],
    }
}

/// A 1-d field.
pub fn vector(case: &Value, key: &str) -> Array1<f64> {
    Array1::from(flat(&case[key]))
}

/// A 2-d field (a list of rows).
pub fn matrix(case: &Value, key: &str) -> Array2<f64> {
    let s = shape(&case[key]);
    Array2::from_shape_vec((s[0], s[1]), flat(&case[key])).expect("rectangular 2-d field")
}

/// A 3-d field.
pub fn array3(case: &Value, key: &str) -> Array3<f64> {
    let s = shape(&case[key]);
    Array3::from_shape_vec((s[0], s[1], s[2]), flat(&case[key])).expect("rectangular 3-d field")
}

/// Relative closeness: `|a - b| <= tol * max(1, |b|)` for each pair, with a message naming
/// the case, the quantity and the first index that differs.
pub fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: length {} vs expected {}",
        got.len(),
        want.len()
    );
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "{what}[{i}]: got {g}, expected {w} (tolerance {tol} relative)"
        );
    }
}

/// Inliers near a 2-d subspace of `dim`-d space plus `n_out` rows far off it.
///
/// Returns the `(n_in + n_out) x dim` rows (inliers first) and the outlier flags.
pub fn planted_outliers(
    n_in: usize,
    n_out: usize,
    dim: usize,
    seed: u64,
) -> (Array2<f32>, Vec<bool>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Array2::<f32>::zeros((n_in + n_out, dim));
    for i in 0..n_in {
        let (a, b): (f32, f32) = (rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0));
        for j in 0..dim {
            let noise: f32 = rng.gen_range(-0.02..0.02);
            x[[i, j]] =
                a * (j as f32 + 1.0) / dim as f32 + b * if j % 2 == 0 { 0.5 } else { -0.5 } + noise;
        }
    }
    for i in n_in..n_in + n_out {
        for j in 0..dim {
            x[[i, j]] = rng.gen_range(-3.0..3.0);
        }
    }
    let flags = (0..n_in + n_out).map(|i| i >= n_in).collect();
    (x, flags)
}
