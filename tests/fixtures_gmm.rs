//! The f64 mixture math against every reference case in the fixtures folder.

use aegmm_gmm::{percentile, recon_features, GmmParams};
use aegmm_workspace::*;
use ndarray::{Array2, Axis};

const TOL: f64 = 1e-9;

#[test]
fn mixture_estimate_matches_every_gmm_params_case() {
    for (i, case) in fixture_cases("gmm_params.json").iter().enumerate() {
        let name = case_name(case, i);
        let gmm = GmmParams::from_batch(
            matrix(case, "z").view(),
            matrix(case, "gamma").view(),
            scalar(case, "eps"),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_close(
            gmm.phi.as_slice().unwrap(),
            &flat(&case["phi"]),
            TOL,
            &format!("{name} phi"),
        );
        assert_close(
            &gmm.mu.iter().copied().collect::<Vec<_>>(),
            &flat(&case["mu"]),
            TOL,
            &format!("{name} mu"),
        );
        assert_close(
            &gmm.cov.iter().copied().collect::<Vec<_>>(),
            &flat(&case["cov"]),
            TOL,
            &format!("{name} cov"),
        );
        assert_close(
            &gmm.chol.iter().copied().collect::<Vec<_>>(),
            &flat(&case["chol"]),
            TOL,
            &format!("{name} chol"),
        );
        assert_close(
            gmm.log_det.as_slice().unwrap(),
            &flat(&case["log_det_cov"]),
            TOL,
            &format!("{name} log_det"),
        );
        assert_close(
            &[gmm.cov_diag_penalty()],
            &[scalar(case, "cov_diag")],
            TOL,
            &format!("{name} cov_diag"),
        );
    }
}

#[test]
fn energy_of_estimated_mixture_matches_every_gmm_params_case() {
    for (i, case) in fixture_cases("gmm_params.json").iter().enumerate() {
        let name = case_name(case, i);
        let z = matrix(case, "z");
        let gmm =
            GmmParams::from_batch(z.view(), matrix(case, "gamma").view(), scalar(case, "eps"))
                .unwrap();
        let energy = gmm.energy(z.view()).unwrap();
        assert_close(
            energy.as_slice().unwrap(),
            &flat(&case["energy"]),
            TOL,
            &format!("{name} energy"),
        );
        assert_close(
            &[energy.mean().unwrap()],
            &[scalar(case, "mean_energy")],
            TOL,
            &format!("{name} mean"),
        );
    }
}

#[test]
fn energy_matches_every_gmm_energy_case_including_far_points_and_negative_energies() {
    for (i, case) in fixture_cases("gmm_energy.json").iter().enumerate() {
        let name = case_name(case, i);
        let gmm = GmmParams::new(
            vector(case, "phi"),
            matrix(case, "mu"),
            array3(case, "cov"),
            scalar(case, "eps"),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let energy = gmm.energy(matrix(case, "z").view()).unwrap();
        assert!(
            energy.iter().all(|e| e.is_finite()),
            "{name}: energy not finite: {energy}"
        );
        assert_close(
            energy.as_slice().unwrap(),
            &flat(&case["energy"]),
            TOL,
            &format!("{name} energy"),
        );
    }
}

#[test]
fn recon_features_match_every_case_with_images_flattened() {
    for (i, case) in fixture_cases("recon_features.json").iter().enumerate() {
        let name = case_name(case, i);
        let rows = case["shape"][0].as_u64().unwrap() as usize;
        let x = Array2::from_shape_vec((rows, flat(&case["x"]).len() / rows), flat(&case["x"]))
            .unwrap();
        let x_hat = Array2::from_shape_vec(x.dim(), flat(&case["x_hat"])).unwrap();
        let features = recon_features(x.view(), x_hat.view()).unwrap();
        assert!(
            features.iter().all(|v| v.is_finite()),
            "{name}: features not finite"
        );
        assert_close(
            &features.iter().copied().collect::<Vec<_>>(),
            &flat(&case["features"]),
            TOL,
            &name,
        );
    }
}

#[test]
fn percentile_matches_numpy_linear_interpolation_for_every_case() {
    for (i, case) in fixture_cases("percentile.json").iter().enumerate() {
        let scores = flat(&case["scores"]);
        let got: Vec<f64> = flat(&case["percentiles"])
            .iter()
            .map(|&p| percentile(&scores, p).unwrap())
            .collect();
        assert_close(
            &got,
            &flat(&case["thresholds"]),
            TOL,
            &format!("percentile case {i}"),
        );
    }
}

#[test]
fn streaming_estimate_does_not_depend_on_batch_size() {
    for (i, case) in fixture_cases("gmm_params.json").iter().enumerate() {
        let (z, gamma) = (matrix(case, "z"), matrix(case, "gamma"));
        let eps = scalar(case, "eps");
        let whole = GmmParams::from_batch(z.view(), gamma.view(), eps).unwrap();
        for batch in [1, 3, 17] {
            let mut acc = aegmm_gmm::GmmAccumulator::new(gamma.ncols(), z.ncols());
            for (zb, gb) in z
                .axis_chunks_iter(Axis(0), batch)
                .zip(gamma.axis_chunks_iter(Axis(0), batch))
            {
                acc.update(zb, gb).unwrap();
            }
            let streamed = acc.finish(eps).unwrap();
            let what = format!("{} batch {batch}", case_name(case, i));
            assert_close(
                streamed.phi.as_slice().unwrap(),
                whole.phi.as_slice().unwrap(),
                1e-12,
                &what,
            );
            assert_close(
                &streamed.mu.iter().copied().collect::<Vec<_>>(),
                &whole.mu.iter().copied().collect::<Vec<_>>(),
                1e-12,
                &what,
            );
            assert_close(
                &streamed.cov.iter().copied().collect::<Vec<_>>(),
                &whole.cov.iter().copied().collect::<Vec<_>>(),
                1e-12,
                &what,
            );
        }
    }
}
