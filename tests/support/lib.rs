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

/// Inliers near a 2-d plane through the origin of `dim`-d space (`dim >= 3`) plus `n_out`
/// rows at distance 1 to 3 from that plane, in a random direction orthogonal to it.
///
/// Returns the `(n_in + n_out) x dim` rows (inliers first) and the outlier flags.
pub fn planted_outliers(
    n_in: usize,
    n_out: usize,
    dim: usize,
    seed: u64,
) -> (Array2<f32>, Vec<bool>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let u: Vec<f64> = (0..dim).map(|j| (j as f64 + 1.0) / dim as f64).collect();
    let v: Vec<f64> = (0..dim)
        .map(|j| if j % 2 == 0 { 0.5 } else { -0.5 })
        .collect();
    let basis = orthonormal(&[u.clone(), v.clone()]);
    let mut x = Array2::<f32>::zeros((n_in + n_out, dim));
    for i in 0..n_in + n_out {
        let (a, b): (f64, f64) = (rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0));
        let offset: Vec<f64> = if i < n_in {
            (0..dim).map(|_| rng.gen_range(-0.02..0.02)).collect()
        } else {
            let random: Vec<f64> = (0..dim).map(|_| rng.gen_range(-1.0..1.0)).collect();
            let w = orthonormal(&[basis[0].clone(), basis[1].clone(), random])
                .pop()
                .unwrap();
            let r = rng.gen_range(1.0..3.0);
            w.iter().map(|c| c * r).collect()
        };
        for j in 0..dim {
            x[[i, j]] = (a * u[j] + b * v[j] + offset[j]) as f32;
        }
    }
    let flags = (0..n_in + n_out).map(|i| i >= n_in).collect();
    (x, flags)
}

/// Gram-Schmidt: orthonormal vectors spanning the given (independent) ones, in order.
fn orthonormal(vectors: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::new();
    for v in vectors {
        let mut w = v.clone();
        for b in &out {
            let dot: f64 = w.iter().zip(b).map(|(p, q)| p * q).sum();
            w.iter_mut().zip(b).for_each(|(p, q)| *p -= dot * q);
        }
        let norm = w.iter().map(|p| p * p).sum::<f64>().sqrt();
        out.push(w.iter().map(|p| p / norm).collect());
    }
    out
}
