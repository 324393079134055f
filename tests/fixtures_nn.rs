//! The differentiable tch mixture math against the same reference cases (float32 tolerance).

use aegmm_nn::{ReconFeatures, TchGmm};
use aegmm_workspace::*;
use tch::{Kind, Tensor};

const TOL: f64 = 1e-4;

fn tensor(values: Vec<f64>, shape: &[usize]) -> Tensor {
    let dims: Vec<i64> = shape.iter().map(|&s| s as i64).collect();
    Tensor::from_slice(&values)
        .to_kind(Kind::Float)
        .reshape(dims)
}

fn field(case: &serde_json::Value, key: &str) -> Tensor {
    tensor(flat(&case[key]), &shape(&case[key]))
}

fn values(t: &Tensor) -> Vec<f64> {
    Vec::<f64>::try_from(t.to_kind(Kind::Double).flatten(0, -1)).unwrap()
}

#[test]
fn tch_mixture_estimate_and_energy_match_every_gmm_params_case() {
    for (i, case) in fixture_cases("gmm_params.json").iter().enumerate() {
        let name = case_name(case, i);
        let z = field(case, "z");
        let gmm = TchGmm::estimate(&z, &field(case, "gamma"), scalar(case, "eps")).unwrap();
        assert_close(
            &values(&gmm.phi),
            &flat(&case["phi"]),
            TOL,
            &format!("{name} phi"),
        );
        assert_close(
            &values(&gmm.mu),
            &flat(&case["mu"]),
            TOL,
            &format!("{name} mu"),
        );
        assert_close(
            &values(&gmm.cov),
            &flat(&case["cov"]),
            TOL,
            &format!("{name} cov"),
        );
        assert_close(
            &values(&gmm.chol),
            &flat(&case["chol"]),
            TOL,
            &format!("{name} chol"),
        );
        assert_close(
            &values(&gmm.log_det),
            &flat(&case["log_det_cov"]),
            TOL,
            &format!("{name} log_det"),
        );
        assert_close(
            &values(&gmm.energy(&z)),
            &flat(&case["energy"]),
            TOL,
            &format!("{name} energy"),
        );
        assert_close(
            &values(&gmm.cov_diag_penalty()),
            &[scalar(case, "cov_diag")],
            TOL,
            &format!("{name} cov_diag"),
        );
    }
}

#[test]
fn tch_energy_matches_every_gmm_energy_case() {
    for (i, case) in fixture_cases("gmm_energy.json").iter().enumerate() {
        let name = case_name(case, i);
        let gmm = TchGmm::from_params(
            field(case, "phi"),
            field(case, "mu"),
            field(case, "cov"),
            scalar(case, "eps"),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let energy = values(&gmm.energy(&field(case, "z")));
        assert!(energy.iter().all(|e| e.is_finite()), "{name}: {energy:?}");
        assert_close(
            &energy,
            &flat(&case["energy"]),
            TOL,
            &format!("{name} energy"),
        );
    }
}

#[test]
fn tch_recon_features_match_every_case() {
    for (i, case) in fixture_cases("recon_features.json").iter().enumerate() {
        let name = case_name(case, i);
        let s = shape_of(case);
        let x = tensor(flat(&case["x"]), &s);
        let x_hat = tensor(flat(&case["x_hat"]), &s);
        let features = values(&ReconFeatures::default().compute(&x, &x_hat).unwrap());
        assert_close(&features, &flat(&case["features"]), TOL, &name);
    }
}

#[test]
fn euclidean_cosine_features_are_the_distance_and_the_fixture_cosine() {
    for (i, case) in fixture_cases("recon_features.json").iter().enumerate() {
        let name = case_name(case, i);
        let s = shape_of(case);
        let (xs, hs) = (flat(&case["x"]), flat(&case["x_hat"]));
        let features = ReconFeatures::EuclideanCosine
            .compute(&tensor(xs.clone(), &s), &tensor(hs.clone(), &s))
            .unwrap();
        let row_len = xs.len() / s[0];
        let dist: Vec<f64> = (0..s[0])
            .map(|r| {
                let range = r * row_len..(r + 1) * row_len;
                xs[range.clone()]
                    .iter()
                    .zip(&hs[range])
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .collect();
        let cos: Vec<f64> = flat(&case["features"]).chunks(2).map(|f| f[1]).collect();
        assert_close(
            &values(&features.select(1, 0)),
            &dist,
            TOL,
            &format!("{name} distance"),
        );
        assert_close(
            &values(&features.select(1, 1)),
            &cos,
            TOL,
            &format!("{name} cosine"),
        );
    }
}

fn shape_of(case: &serde_json::Value) -> Vec<usize> {
    case["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn gradients_flow_through_cholesky_solve_and_log_det() {
    let case = &fixture_cases("gmm_params.json")[0];
    let z = field(case, "z").set_requires_grad(true);
    let gmm = TchGmm::estimate(&z, &field(case, "gamma"), scalar(case, "eps")).unwrap();
    let objective = gmm.energy(&z).mean(Kind::Float) + gmm.cov_diag_penalty();
    objective.backward();
    let grad = values(&z.grad());
    assert!(grad.iter().all(|g| g.is_finite()), "gradient not finite");
    assert!(grad.iter().any(|g| g.abs() > 0.0), "gradient is all zero");
}
