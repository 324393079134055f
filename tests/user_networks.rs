//! User networks (three modules or one whole model) and user reconstruction features.

use aegmm::{
    AegmmConfig, AegmmError, JointModel, LoadOptions, ModelOutput, NetworkDims, Networks,
    OutlierAegmm, ReconFeatures, TabularLayout, TrainConfig,
};
use aegmm_nn::NnError;
use aegmm_workspace::planted_outliers;
use ndarray::{s, Array2, Axis};
use tch::nn::{self, ModuleT};
use tch::{Kind, Tensor};

const N_FEATURES: usize = 5;

fn train() -> TrainConfig {
    TrainConfig {
        epochs: 2,
        batch_size: 64,
        learning_rate: 1e-3,
        ..TrainConfig::default()
    }
}

fn layout(latent_dim: usize) -> TabularLayout {
    TabularLayout {
        latent_dim,
        ..AegmmConfig::small().layout
    }
}

fn mlp(p: &nn::Path, sizes: &[i64]) -> nn::SequentialT {
    let mut seq = nn::seq_t();
    for (i, w) in sizes.windows(2).enumerate() {
        if i > 0 {
            seq = seq.add_fn(|x| x.tanh());
        }
        seq = seq.add(nn::linear(
            p / i.to_string(),
            w[0],
            w[1],
            Default::default(),
        ));
    }
    seq
}

/// User networks whose hidden width is `hidden`; the density ends in a softmax when
/// `softmax`.
fn user_networks(hidden: i64, softmax: bool) -> Networks {
    Networks::custom(
        move |p: &nn::Path, d: &NetworkDims| {
            mlp(p, &[d.n_features as i64, hidden, d.latent_dim as i64])
        },
        move |p: &nn::Path, d: &NetworkDims| {
            mlp(p, &[d.latent_dim as i64, hidden, d.n_features as i64])
        },
        move |p: &nn::Path, d: &NetworkDims| {
            let net = mlp(p, &[d.mixture_dim as i64, hidden, d.n_gmm as i64]);
            if softmax {
                net.add_fn(|x| x.softmax(-1, Kind::Float))
            } else {
                net
            }
        },
    )
}

fn config(networks: Networks) -> AegmmConfig {
    AegmmConfig {
        networks,
        layout: layout(2),
        ..AegmmConfig::small()
    }
}

fn bits(values: &ndarray::Array1<f64>) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn user_networks_train_score_and_load_back_with_the_same_builders() {
    let (x, _) = planted_outliers(300, 10, N_FEATURES, 21);
    let mut detector = OutlierAegmm::new(N_FEATURES, config(user_networks(7, true))).unwrap();
    detector.fit(&x, &train(), &mut |_| {}).unwrap();
    let names: Vec<String> = detector.var_store().variables().into_keys().collect();
    assert!(names.iter().any(|n| n == "encoder.1.weight"), "{names:?}");
    assert!(names.iter().any(|n| n == "density.0.bias"), "{names:?}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("user.safetensors");
    detector.save(&path).unwrap();
    let options = LoadOptions {
        networks: Some(user_networks(7, true)),
        ..LoadOptions::default()
    };
    let loaded = OutlierAegmm::load_with(&path, options).unwrap();
    assert_eq!(
        bits(&loaded.score(&x).unwrap()),
        bits(&detector.score(&x).unwrap())
    );
}

#[test]
fn user_networks_cannot_load_without_their_builders() {
    let (x, _) = planted_outliers(200, 0, N_FEATURES, 22);
    let mut detector = OutlierAegmm::new(N_FEATURES, config(user_networks(7, true))).unwrap();
    detector.fit(&x, &train(), &mut |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("user.safetensors");
    detector.save(&path).unwrap();
    assert!(matches!(
        OutlierAegmm::load(&path),
        Err(AegmmError::NeedsUserParts { .. })
    ));
}

#[test]
fn user_networks_cannot_load_into_networks_of_other_sizes() {
    let (x, _) = planted_outliers(200, 0, N_FEATURES, 23);
    let mut detector = OutlierAegmm::new(N_FEATURES, config(user_networks(7, true))).unwrap();
    detector.fit(&x, &train(), &mut |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("user.safetensors");
    detector.save(&path).unwrap();
    let options = LoadOptions {
        networks: Some(user_networks(9, true)),
        ..LoadOptions::default()
    };
    match OutlierAegmm::load_with(&path, options) {
        Err(AegmmError::WeightsMismatch { detail, .. }) => {
            assert!(detail.contains("encoder.0.weight"), "{detail}")
        }
        other => panic!("expected WeightsMismatch, got {other:?}"),
    }
}

#[test]
fn a_density_network_without_softmax_is_refused_when_built() {
    match OutlierAegmm::new(N_FEATURES, config(user_networks(7, false))) {
        Err(AegmmError::Nn(NnError::NotSoftmax { n_gmm: 2, .. })) => {}
        other => panic!("expected NotSoftmax, got {other:?}"),
    }
}

#[test]
fn a_density_network_of_another_width_is_refused_naming_it() {
    let cfg = AegmmConfig {
        n_gmm: 3,
        ..config(user_networks(7, true))
    };
    let networks = Networks::custom(
        |p: &nn::Path, d: &NetworkDims| mlp(p, &[d.n_features as i64, d.latent_dim as i64]),
        |p: &nn::Path, d: &NetworkDims| mlp(p, &[d.latent_dim as i64, d.n_features as i64]),
        |p: &nn::Path, d: &NetworkDims| {
            mlp(p, &[d.mixture_dim as i64, 2]).add_fn(|x| x.softmax(-1, Kind::Float))
        },
    );
    match OutlierAegmm::new(N_FEATURES, AegmmConfig { networks, ..cfg }) {
        Err(
            e @ AegmmError::Nn(NnError::NetworkOutput {
                network: "density", ..
            }),
        ) => {
            assert!(e.to_string().contains("n_gmm"), "{e}")
        }
        other => panic!("expected NetworkOutput for the density network, got {other:?}"),
    }
}

#[test]
fn an_encoder_of_another_latent_width_is_refused_naming_it() {
    let networks = Networks::custom(
        |p: &nn::Path, d: &NetworkDims| mlp(p, &[d.n_features as i64, 3]),
        |p: &nn::Path, d: &NetworkDims| mlp(p, &[d.latent_dim as i64, d.n_features as i64]),
        |p: &nn::Path, d: &NetworkDims| {
            mlp(p, &[d.mixture_dim as i64, 2]).add_fn(|x| x.softmax(-1, Kind::Float))
        },
    );
    assert!(matches!(
        OutlierAegmm::new(N_FEATURES, config(networks)),
        Err(AegmmError::Nn(NnError::NetworkOutput {
            network: "encoder",
            ..
        }))
    ));
}

/// A whole model: one encoder, decoder and density network in a single module, computing
/// its density input from the default reconstruction features.
#[derive(Debug)]
struct Whole {
    encoder: nn::SequentialT,
    decoder: nn::SequentialT,
    density: nn::SequentialT,
}

impl Whole {
    fn new(p: &nn::Path, d: &NetworkDims) -> Self {
        let (f, l) = (d.n_features as i64, d.latent_dim as i64);
        Self {
            encoder: mlp(&(p / "enc"), &[f, 8, l]),
            decoder: mlp(&(p / "dec"), &[l, 8, f]),
            density: mlp(&(p / "dens"), &[d.mixture_dim as i64, 6, d.n_gmm as i64])
                .add_fn(|x| x.softmax(-1, Kind::Float)),
        }
    }
}

impl JointModel for Whole {
    fn forward_t(&self, x: &Tensor, train: bool) -> ModelOutput {
        let latent = self.encoder.forward_t(x, train);
        let x_hat = self.decoder.forward_t(&latent, train);
        let features = ReconFeatures::default().compute(x, &x_hat).unwrap();
        let gamma = self
            .density
            .forward_t(&Tensor::cat(&[&latent, &features], 1), train);
        ModelOutput {
            latent,
            x_hat,
            gamma,
        }
    }
}

#[test]
fn a_whole_model_trains_scores_and_loads_back() {
    let (x, _) = planted_outliers(300, 10, N_FEATURES, 24);
    let mut detector = OutlierAegmm::new(N_FEATURES, config(Networks::joint(Whole::new))).unwrap();
    let history = detector.fit(&x, &train(), &mut |_| {}).unwrap();
    assert_eq!(history.epochs.len(), 2);
    let names: Vec<String> = detector.var_store().variables().into_keys().collect();
    assert!(names.iter().all(|n| n.starts_with("model.")), "{names:?}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("whole.safetensors");
    detector.save(&path).unwrap();
    let options = LoadOptions {
        networks: Some(Networks::joint(Whole::new)),
        ..LoadOptions::default()
    };
    let loaded = OutlierAegmm::load_with(&path, options).unwrap();
    assert_eq!(
        bits(&loaded.score(&x).unwrap()),
        bits(&detector.score(&x).unwrap())
    );
}

/// Three features of the input alone: its mean, largest and smallest value.
fn three_features() -> ReconFeatures {
    ReconFeatures::custom(3, |x: &Tensor, _x_hat: &Tensor| {
        Tensor::stack(
            &[
                x.mean_dim(1, false, Kind::Float),
                x.amax(1, false),
                x.amin(1, false),
            ],
            1,
        )
    })
}

#[test]
fn custom_features_of_width_three_join_the_latent_code() {
    let (x, _) = planted_outliers(300, 10, N_FEATURES, 25);
    let cfg = AegmmConfig {
        recon_features: three_features(),
        layout: layout(2),
        ..AegmmConfig::small()
    };
    let mut detector = OutlierAegmm::new(N_FEATURES, cfg).unwrap();
    detector.fit(&x, &train(), &mut |_| {}).unwrap();
    assert_eq!(detector.gmm().unwrap().dim(), 2 + 3);

    let z = detector.mixture_inputs(&x).unwrap();
    assert_eq!(z.ncols(), 5);
    for (i, row) in x.outer_iter().enumerate() {
        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / N_FEATURES as f64;
        let max = row.iter().fold(f32::MIN, |a, &b| a.max(b)) as f64;
        let min = row.iter().fold(f32::MAX, |a, &b| a.min(b)) as f64;
        let got = z.slice(s![i, 2..]);
        assert!(
            (got[0] - mean).abs() < 1e-6,
            "row {i}: mean {} vs {mean}",
            got[0]
        );
        assert_eq!((got[1], got[2]), (max, min), "row {i}");
    }
}

#[test]
fn custom_features_of_width_zero_leave_the_mixture_on_the_latent_code() {
    let (x, _) = planted_outliers(300, 10, N_FEATURES, 26);
    let none = ReconFeatures::custom(0, |x: &Tensor, _: &Tensor| {
        Tensor::zeros([x.size()[0], 0], (Kind::Float, x.device()))
    });
    let cfg = AegmmConfig {
        recon_features: none,
        layout: layout(3),
        ..AegmmConfig::small()
    };
    let mut detector = OutlierAegmm::new(N_FEATURES, cfg).unwrap();
    detector.fit(&x, &train(), &mut |_| {}).unwrap();
    assert_eq!(detector.gmm().unwrap().dim(), 3);
    assert_eq!(detector.mixture_inputs(&x).unwrap().ncols(), 3);
    assert!(detector.score(&x).unwrap().iter().all(|e| e.is_finite()));
}

#[test]
fn a_feature_function_of_another_width_is_an_error_not_a_panic() {
    let declared_three = ReconFeatures::custom(3, |x: &Tensor, x_hat: &Tensor| {
        (x - x_hat).square().mean_dim(1, true, Kind::Float)
    });
    let cfg = AegmmConfig {
        recon_features: declared_three,
        ..AegmmConfig::small()
    };
    match OutlierAegmm::new(N_FEATURES, cfg) {
        Err(AegmmError::Nn(NnError::ReconFeatures { width: 3, got, .. })) => {
            assert_eq!(got, vec![2, 1])
        }
        other => panic!("expected a ReconFeatures error, got {other:?}"),
    }
}

#[test]
fn custom_features_must_be_given_again_to_load() {
    let (x, _) = planted_outliers(200, 0, N_FEATURES, 27);
    let cfg = AegmmConfig {
        recon_features: three_features(),
        ..AegmmConfig::small()
    };
    let mut detector = OutlierAegmm::new(N_FEATURES, cfg).unwrap();
    detector.fit(&x, &train(), &mut |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("features.safetensors");
    detector.save(&path).unwrap();

    assert!(matches!(
        OutlierAegmm::load(&path),
        Err(AegmmError::NeedsUserParts { .. })
    ));
    let options = LoadOptions {
        recon_features: Some(three_features()),
        ..LoadOptions::default()
    };
    let loaded = OutlierAegmm::load_with(&path, options).unwrap();
    assert_eq!(
        bits(&loaded.score(&x).unwrap()),
        bits(&detector.score(&x).unwrap())
    );
}

#[test]
fn mse_cosine_features_are_the_mean_squared_error_and_the_cosine() {
    let (x, _) = planted_outliers(200, 5, N_FEATURES, 28);
    let cfg = AegmmConfig {
        recon_features: ReconFeatures::MseCosine,
        ..AegmmConfig::small()
    };
    let mut detector = OutlierAegmm::new(N_FEATURES, cfg).unwrap();
    detector.fit(&x, &train(), &mut |_| {}).unwrap();

    let latent = AegmmConfig::small().layout.latent_dim;
    let z = detector.mixture_inputs(&x).unwrap();
    let squared: Array2<f64> = detector.feature_score(&x).unwrap();
    let mse = squared.mean_axis(Axis(1)).unwrap();
    for i in 0..x.nrows() {
        let want = mse[i];
        assert!(
            (z[[i, latent]] - want).abs() <= 1e-5 * want.max(1e-3),
            "row {i}: mse feature {} vs mean squared error {want}",
            z[[i, latent]]
        );
        assert!(
            z[[i, latent + 1]].abs() <= 1.0 + 1e-6,
            "row {i}: cosine out of range"
        );
    }
}
