//! Throughput of the f64 mixture math: streaming estimate and sample energy.

use aegmm_gmm::{GmmAccumulator, GmmParams};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ROWS: usize = 65_536;

fn data(k: usize, d: usize) -> (Array2<f64>, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let z = Array2::from_shape_fn((ROWS, d), |_| rng.gen_range(-1.0..1.0));
    let mut gamma = Array2::from_shape_fn((ROWS, k), |_| rng.gen_range(0.01..1.0));
    for mut row in gamma.rows_mut() {
        let sum = row.sum();
        row /= sum;
    }
    (z, gamma)
}

fn mixture(c: &mut Criterion) {
    // As inside a detector: the mixture math never gains from BLAS threads.
    aegmm_gmm::set_blas_threads(1);
    let mut group = c.benchmark_group("gmm");
    group.throughput(Throughput::Elements(ROWS as u64));
    for (k, d) in [(2, 3), (4, 3), (2, 12), (4, 12)] {
        let (z, gamma) = data(k, d);
        let id = format!("k{k}_d{d}");
        group.bench_with_input(BenchmarkId::new("estimate", &id), &(), |b, _| {
            b.iter(|| {
                let mut acc = GmmAccumulator::new(k, d);
                acc.update(z.view(), gamma.view()).unwrap();
                acc.finish(1e-6).unwrap()
            })
        });
        let gmm = GmmParams::from_batch(z.view(), gamma.view(), 1e-6).unwrap();
        group.bench_with_input(BenchmarkId::new("energy", &id), &(), |b, _| {
            b.iter(|| gmm.energy(z.view()).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, mixture);
criterion_main!(benches);
