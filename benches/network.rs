//! One training step of the KDD network (batch 1024) and scoring throughput of a fitted KDD
//! detector at several batch sizes, on the CPU with 1 and 2 libtorch threads, and on CUDA
//! too when libtorch sees a GPU. OpenBLAS is put on one thread first, as a detector does.

use aegmm::{AegmmConfig, Device, OutlierAegmm, ReconFeatures, TabularLayout, TrainConfig};
use aegmm_nn::{aegmm_loss, AegmmNetwork, LossWeights};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tch::nn::{self, OptimizerConfig};
use tch::{Kind, Tensor};

const FEATURES: usize = 18;

/// `(device, libtorch CPU threads)` to measure.
fn setups() -> Vec<(Device, i32)> {
    aegmm_gmm::set_blas_threads(1);
    let mut setups = vec![(Device::Cpu, 1), (Device::Cpu, 2)];
    if tch::Cuda::is_available() {
        setups.push((Device::Cuda(0), 1));
    }
    setups
}

fn label(device: Device, threads: i32) -> String {
    match device {
        Device::Cpu => format!("cpu_{threads}t"),
        other => format!("{other:?}"),
    }
}

fn training_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("train_step_kdd");
    group.throughput(Throughput::Elements(1024));
    for (device, threads) in setups() {
        tch::set_num_threads(threads);
        let vs = nn::VarStore::new(device);
        let net = AegmmNetwork::tabular(
            &vs.root(),
            FEATURES,
            &TabularLayout::default(),
            2,
            ReconFeatures::EuclideanCosine,
        );
        let mut opt = nn::Adam::default().build(&vs, 1e-4).unwrap();
        let x = Tensor::randn([1024, FEATURES as i64], (Kind::Float, device));
        group.bench_function(BenchmarkId::from_parameter(label(device, threads)), |b| {
            b.iter(|| {
                let fwd = net.forward_t(&x, true).unwrap();
                let loss = aegmm_loss(&x, &fwd, LossWeights::default(), 1e-6).unwrap();
                opt.zero_grad();
                loss.total.backward();
                opt.step();
            })
        });
    }
    group.finish();
}

fn scoring(c: &mut Criterion) {
    let rows = 65_536;
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let x = Array2::<f32>::from_shape_fn((rows, FEATURES), |_| rng.gen_range(-1.0..1.0));
    let mut group = c.benchmark_group("score_kdd");
    group.throughput(Throughput::Elements(rows as u64));
    for (device, threads) in setups() {
        tch::set_num_threads(threads);
        for batch in [1024, 16_384, 65_536] {
            let config = AegmmConfig {
                score_batch_size: batch,
                device,
                recon_features: ReconFeatures::EuclideanCosine,
                ..AegmmConfig::default()
            };
            let mut detector = OutlierAegmm::new(FEATURES, config).unwrap();
            let train = TrainConfig {
                epochs: 1,
                batch_size: 1024,
                ..TrainConfig::default()
            };
            detector
                .fit(&x.slice(ndarray::s![..8192, ..]), &train, &mut |_| {})
                .unwrap();
            group.bench_function(BenchmarkId::new(label(device, threads), batch), |b| {
                b.iter(|| detector.score(&x).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(4));
    targets = training_step, scoring
}
criterion_main!(benches);
