//! Property tests over random shapes and values, extreme magnitudes included: the mixture math
//! against a direct dense computation, the reconstruction features, the percentile. No input
//! in the generated space may panic.

use aegmm_gmm::{percentile, recon_features, GmmAccumulator, GmmParams};
use ndarray::{Array1, Array2, Axis};
use ndarray_linalg::{Determinant, Inverse};
use proptest::prelude::*;

/// `(z, gamma)`: `n x d` values of magnitude around `10^exp`, positive memberships.
fn mixture_inputs() -> impl Strategy<Value = (Array2<f64>, Array2<f64>)> {
    (1usize..4, 1usize..5, -3i32..7).prop_flat_map(|(k, d, exp)| {
        let n = (d + 2) * k + 3;
        (
            prop::collection::vec(-1.0f64..1.0, n * d),
            prop::collection::vec(0.05f64..1.0, n * k),
        )
            .prop_map(move |(z, g)| {
                let z = Array2::from_shape_vec((n, d), z).unwrap() * 10f64.powi(exp);
                let mut gamma = Array2::from_shape_vec((n, k), g).unwrap();
                for mut row in gamma.rows_mut() {
                    let s = row.sum();
                    row /= s;
                }
                (z, gamma)
            })
    })
}

/// Energy straight from the density formula: explicit inverse and determinant of each
/// jittered covariance, no Cholesky, no log-sum-exp shift beyond what exp needs.
fn dense_energy(gmm: &GmmParams, z: &Array2<f64>) -> Array1<f64> {
    let d = gmm.dim() as f64;
    let k = gmm.n_components();
    let mut log_terms = Array2::<f64>::zeros((z.nrows(), k));
    for c in 0..k {
        let mut cov = gmm.cov.index_axis(Axis(0), c).to_owned();
        cov.diag_mut().mapv_inplace(|v| v + gmm.jitter[c]);
        let inv = cov.inv().unwrap();
        let log_det = cov.det().unwrap().ln();
        for (i, row) in z.outer_iter().enumerate() {
            let diff = &row - &gmm.mu.row(c);
            let maha = diff.dot(&inv.dot(&diff));
            log_terms[[i, c]] =
                gmm.phi[c].ln() - 0.5 * (maha + d * (2.0 * std::f64::consts::PI).ln() + log_det);
        }
    }
    log_terms.map_axis(Axis(1), |a| {
        let m = a.fold(f64::NEG_INFINITY, |x, &y| x.max(y));
        -(m + a.mapv(|v| (v - m).exp()).sum().ln())
    })
}

/// Weighted mean and covariance computed directly, for each component.
fn dense_moments(z: &Array2<f64>, gamma: &Array2<f64>) -> (Array2<f64>, Vec<Array2<f64>>) {
    let (n, d) = z.dim();
    let k = gamma.ncols();
    let mut mu = Array2::zeros((k, d));
    let mut covs = Vec::new();
    for c in 0..k {
        let w: f64 = gamma.column(c).sum();
        for i in 0..n {
            mu.row_mut(c).scaled_add(gamma[[i, c]] / w, &z.row(i));
        }
        let mut cov = Array2::zeros((d, d));
        for i in 0..n {
            let diff = &z.row(i) - &mu.row(c);
            for a in 0..d {
                for b in 0..d {
                    cov[[a, b]] += gamma[[i, c]] * diff[a] * diff[b] / w;
                }
            }
        }
        covs.push(cov);
    }
    (mu, covs)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn mixture_estimate_matches_direct_moments((z, gamma) in mixture_inputs()) {
        let gmm = GmmParams::from_batch(z.view(), gamma.view(), 1e-6).unwrap();
        let (mu, covs) = dense_moments(&z, &gamma);
        let scale = z.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (a, b) in gmm.mu.iter().zip(mu.iter()) {
            prop_assert!((a - b).abs() <= 1e-9 * scale.max(1e-300), "mu {} vs {}", a, b);
        }
        for (c, cov) in covs.iter().enumerate() {
            for (a, b) in gmm.cov.index_axis(Axis(0), c).iter().zip(cov.iter()) {
                prop_assert!((a - b).abs() <= 1e-9 * scale * scale, "cov {} vs {}", a, b);
            }
        }
    }

    #[test]
    fn energy_matches_direct_density((z, gamma) in mixture_inputs()) {
        let gmm = GmmParams::from_batch(z.view(), gamma.view(), 1e-6).unwrap();
        let got = gmm.energy(z.view()).unwrap();
        let want = dense_energy(&gmm, &z);
        for (g, w) in got.iter().zip(want.iter()) {
            prop_assert!(g.is_finite());
            prop_assert!(close(*g, *w, 1e-6), "energy {} vs direct {}", g, w);
        }
    }

    #[test]
    fn streaming_estimate_matches_one_batch((z, gamma) in mixture_inputs(), batch in 1usize..9) {
        let whole = GmmParams::from_batch(z.view(), gamma.view(), 1e-6).unwrap();
        let mut acc = GmmAccumulator::new(gamma.ncols(), z.ncols());
        for (zb, gb) in z.axis_chunks_iter(Axis(0), batch).zip(gamma.axis_chunks_iter(Axis(0), batch)) {
            acc.update(zb, gb).unwrap();
        }
        let streamed = acc.finish(1e-6).unwrap();
        let scale = z.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (a, b) in streamed.cov.iter().zip(whole.cov.iter()) {
            prop_assert!((a - b).abs() <= 1e-10 * scale * scale);
        }
    }

    #[test]
    fn far_points_have_finite_energy_growing_with_distance((z, gamma) in mixture_inputs(), far in 1e3f64..1e12) {
        let gmm = GmmParams::from_batch(z.view(), gamma.view(), 1e-6).unwrap();
        let mut probe = Array2::<f64>::zeros((2, z.ncols()));
        probe.row_mut(0).fill(far);
        probe.row_mut(1).fill(far * 10.0);
        let e = gmm.energy(probe.view()).unwrap();
        prop_assert!(e.iter().all(|v| v.is_finite()), "{}", e);
        prop_assert!(e[1] > e[0]);
    }

    #[test]
    fn mixture_math_never_panics(
        n in 0usize..6, d in 1usize..4, k in 1usize..3,
        values in prop::collection::vec(prop_oneof![Just(0.0), Just(f64::NAN), Just(1e308), -1e3f64..1e3], 36),
    ) {
        let z = Array2::from_shape_fn((n, d), |(i, j)| values[(i * d + j) % values.len()]);
        let gamma = Array2::from_shape_fn((n, k), |(i, j)| values[(i + j * 7) % values.len()].abs());
        let _ = GmmParams::from_batch(z.view(), gamma.view(), 1e-6).map(|g| g.energy(z.view()));
    }

    #[test]
    fn recon_features_are_finite_bounded_and_scale_free(
        (rows, cols) in (1usize..5, 1usize..20),
        seed_values in prop::collection::vec(-1.0f64..1.0, 200),
        exp in -150i32..150,
    ) {
        let x = Array2::from_shape_fn((rows, cols), |(i, j)| seed_values[(i * cols + j) % 200]);
        let x_hat = Array2::from_shape_fn((rows, cols), |(i, j)| seed_values[(i * cols + j + 97) % 200]);
        let base = recon_features(x.view(), x_hat.view()).unwrap();
        let scale = 10f64.powi(exp);
        let scaled = recon_features((&x * scale).view(), (&x_hat * scale).view()).unwrap();
        for r in 0..rows {
            let (rel, cos) = (scaled[[r, 0]], scaled[[r, 1]]);
            prop_assert!(rel.is_finite() && cos.is_finite());
            prop_assert!((0.0..=100.0).contains(&rel));
            prop_assert!((-1.0 - 1e-12..=1.0 + 1e-12).contains(&cos));
            // Both features are invariant to scaling x and x_hat together (away from the floors).
            let norm = x.row(r).dot(&x.row(r)).sqrt();
            if norm * scale > 1e-6 && norm > 1e-6 {
                prop_assert!(close(rel, base[[r, 0]], 1e-9), "rel {} vs {}", rel, base[[r, 0]]);
                prop_assert!(close(cos, base[[r, 1]], 1e-9), "cos {} vs {}", cos, base[[r, 1]]);
            }
        }
    }

    #[test]
    fn recon_features_match_the_formula_at_moderate_magnitudes(
        values in prop::collection::vec(-10.0f64..10.0, 2..40),
    ) {
        let f = values.len() / 2;
        let x = Array2::from_shape_vec((1, f), values[..f].to_vec()).unwrap();
        let x_hat = Array2::from_shape_vec((1, f), values[f..2 * f].to_vec()).unwrap();
        let got = recon_features(x.view(), x_hat.view()).unwrap();
        let (nx, nh) = (x.row(0).dot(&x.row(0)).sqrt(), x_hat.row(0).dot(&x_hat.row(0)).sqrt());
        let diff = &x.row(0) - &x_hat.row(0);
        let rel = (diff.dot(&diff).sqrt() / nx.max(1e-12)).min(100.0);
        let cos = x.row(0).dot(&x_hat.row(0)) / (nx * nh).max(1e-12);
        prop_assert!(close(got[[0, 0]], rel, 1e-12) && close(got[[0, 1]], cos, 1e-12));
    }

    #[test]
    fn percentile_lies_between_neighbouring_order_statistics(
        values in prop::collection::vec(-1e300f64..1e300, 1..60),
        perc in 0.0f64..=100.0,
    ) {
        let p = percentile(&values, perc).unwrap();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let pos = perc / 100.0 * (sorted.len() - 1) as f64;
        let (lo, hi) = (sorted[pos.floor() as usize], sorted[pos.ceil() as usize]);
        prop_assert!(p >= lo && p <= hi, "{} not in [{}, {}]", p, lo, hi);
        let t = pos - pos.floor();
        let want = lo * (1.0 - t) + hi * t;
        prop_assert!((p - want).abs() <= 1e-12 * lo.abs().max(hi.abs()).max(1e-300), "{} vs {}", p, want);
    }

    #[test]
    fn percentile_is_monotone_and_hits_min_and_max(
        values in prop::collection::vec(-1e6f64..1e6, 1..60),
        a in 0.0f64..=100.0, b in 0.0f64..=100.0,
    ) {
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert!(percentile(&values, lo).unwrap() <= percentile(&values, hi).unwrap());
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        prop_assert_eq!(percentile(&values, 0.0).unwrap(), min);
        prop_assert_eq!(percentile(&values, 100.0).unwrap(), max);
    }

    #[test]
    fn percentile_refuses_bad_input_without_panicking(
        values in prop::collection::vec(prop_oneof![Just(f64::NAN), Just(f64::INFINITY), -1.0f64..1.0], 0..10),
        perc in prop_oneof![Just(f64::NAN), -10.0f64..110.0],
    ) {
        let ok_input = !values.is_empty() && values.iter().all(|v| v.is_finite()) && (0.0..=100.0).contains(&perc);
        prop_assert_eq!(percentile(&values, perc).is_ok(), ok_input);
    }
}
