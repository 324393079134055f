//! fit's options: custom loss, loss weights, optimizers, metric callback, history, dropout.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aegmm::{
    AegmmConfig, Device, FitOptions, LossTerms, LossWeights, OptimizerKind, OutlierAegmm,
    TabularLayout, TrainConfig, TrainEvent,
};
use aegmm_workspace::planted_outliers;
use ndarray::Array2;
use tch::Tensor;

const ROWS: usize = 300;
const BATCH: usize = 64;

fn data() -> Array2<f32> {
    planted_outliers(ROWS, 0, 5, 31).0
}

fn detector(config: AegmmConfig) -> OutlierAegmm {
    OutlierAegmm::new(5, AegmmConfig { seed: 5, ..config }).unwrap()
}

fn train(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: BATCH,
        learning_rate: 1e-3,
        seed: 5,
        ..TrainConfig::default()
    }
}

#[test]
fn a_custom_loss_is_what_gets_minimised() {
    let x = data();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let recon_only = move |x: &Tensor, fwd: &aegmm::Forward, _: LossWeights, _: f64| {
        counter.fetch_add(1, Ordering::Relaxed);
        let recon = (x - &fwd.x_hat).square().mean(tch::Kind::Float);
        Ok(LossTerms {
            total: recon.shallow_clone(),
            energy: recon.zeros_like(),
            cov_diag: recon.zeros_like(),
            recon,
        })
    };
    let mut custom = detector(AegmmConfig::small());
    let history = custom
        .fit_with(&x, &train(3), FitOptions::new().loss(recon_only))
        .unwrap();

    assert_eq!(calls.load(Ordering::Relaxed), 3 * ROWS.div_ceil(BATCH));
    for epoch in &history.epochs {
        assert_eq!(epoch.loss, epoch.recon, "epoch {}", epoch.epoch);
        assert_eq!((epoch.energy, epoch.cov_diag), (0.0, 0.0));
    }
    let default = detector(AegmmConfig::small())
        .fit(&x, &train(3), &mut |_| {})
        .unwrap();
    assert!(default.epochs.iter().all(|e| e.loss != e.recon));
}

#[test]
fn the_history_has_every_epoch_with_terms_weighted_as_configured() {
    let x = data();
    let weights = LossWeights {
        w_energy: 0.3,
        w_cov_diag: 0.01,
    };
    let cfg = TrainConfig {
        weights,
        ..train(4)
    };
    let history = detector(AegmmConfig::small())
        .fit(&x, &cfg, &mut |_| {})
        .unwrap();

    let numbers: Vec<usize> = history.epochs.iter().map(|e| e.epoch).collect();
    assert_eq!(numbers, vec![1, 2, 3, 4]);
    for e in &history.epochs {
        let total = e.recon + weights.w_energy * e.energy + weights.w_cov_diag * e.cov_diag;
        assert!(
            (e.loss - total).abs() <= 1e-5 * total.abs().max(1.0),
            "epoch {}: loss {} vs weighted terms {total}",
            e.epoch,
            e.loss
        );
        assert!(e.seconds > 0.0 && e.rows_per_sec > 0.0);
    }
}

#[test]
fn the_metric_callback_sees_every_batch_then_its_epoch() {
    let x = data();
    let mut events: Vec<String> = Vec::new();
    let mut batch_losses: Vec<(usize, f64)> = Vec::new();
    let mut epoch_losses: Vec<f64> = Vec::new();
    let options = FitOptions::new().log_metric(|event| match event {
        TrainEvent::Batch(b) => {
            events.push(format!("b{}.{}/{}", b.epoch, b.batch, b.n_batches));
            batch_losses.push((b.rows, b.loss));
        }
        TrainEvent::Epoch(e) => {
            events.push(format!("e{}", e.epoch));
            epoch_losses.push(e.loss);
        }
    });
    let history = detector(AegmmConfig::small())
        .fit_with(&x, &train(2), options)
        .unwrap();

    let per_epoch = ROWS.div_ceil(BATCH);
    let mut want = Vec::new();
    for epoch in 1..=2 {
        want.extend((1..=per_epoch).map(|b| format!("b{epoch}.{b}/{per_epoch}")));
        want.push(format!("e{epoch}"));
    }
    assert_eq!(events, want);
    for (epoch, chunk) in batch_losses.chunks(per_epoch).enumerate() {
        let rows: usize = chunk.iter().map(|(r, _)| r).sum();
        assert_eq!(rows, ROWS);
        let mean = chunk.iter().map(|(r, l)| *r as f64 * l).sum::<f64>() / ROWS as f64;
        let reported = epoch_losses[epoch];
        assert!((mean - reported).abs() <= 1e-9 * mean.abs().max(1.0));
        assert_eq!(history.epochs[epoch].loss, reported);
    }
}

fn scores_after(optimizer: OptimizerKind, learning_rate: f64) -> Vec<f64> {
    let x = data();
    let mut d = detector(AegmmConfig::small());
    let cfg = TrainConfig {
        optimizer,
        learning_rate,
        ..train(2)
    };
    d.fit(&x, &cfg, &mut |_| {}).unwrap();
    d.score(&x).unwrap().to_vec()
}

#[test]
fn each_optimizer_and_learning_rate_changes_training() {
    let adam = scores_after(OptimizerKind::Adam, 1e-3);
    let adamw_no_decay = scores_after(OptimizerKind::AdamW { weight_decay: 0.0 }, 1e-3);
    let adamw = scores_after(OptimizerKind::AdamW { weight_decay: 0.5 }, 1e-3);
    let sgd = scores_after(OptimizerKind::Sgd { momentum: 0.9 }, 1e-2);
    let sgd_slow = scores_after(OptimizerKind::Sgd { momentum: 0.9 }, 1e-4);

    assert_eq!(
        adam, adamw_no_decay,
        "AdamW without decay must step as Adam"
    );
    assert_ne!(adam, adamw, "weight decay had no effect");
    assert_ne!(adam, sgd, "SGD stepped as Adam");
    assert_ne!(sgd, sgd_slow, "the learning rate had no effect");
    for scores in [&adam, &adamw, &sgd, &sgd_slow] {
        assert!(scores.iter().all(|s| s.is_finite()));
    }
}

fn with_density_dropout(p: f64) -> AegmmConfig {
    AegmmConfig {
        layout: TabularLayout {
            density_dropout: Some(p),
            ..AegmmConfig::small().layout
        },
        ..AegmmConfig::small()
    }
}

#[test]
fn dropout_is_on_in_training_and_off_in_scoring() {
    let x = data();
    let mut dropped = detector(with_density_dropout(0.5));
    let with_dropout = dropped.fit(&x, &train(2), &mut |_| {}).unwrap();
    let without_dropout = detector(with_density_dropout(0.0))
        .fit(&x, &train(2), &mut |_| {})
        .unwrap();
    assert_ne!(
        with_dropout.epochs[0].loss, without_dropout.epochs[0].loss,
        "dropout 0.5 left training unchanged"
    );

    let first = dropped.score(&x).unwrap();
    for _ in 0..3 {
        assert_eq!(
            dropped.score(&x).unwrap(),
            first,
            "scores vary between calls"
        );
    }
}

#[test]
fn verbose_training_on_a_chosen_device_gives_the_same_detector() {
    let x = data();
    let mut quiet = detector(AegmmConfig::small());
    quiet.fit(&x, &train(2), &mut |_| {}).unwrap();
    let mut verbose = detector(AegmmConfig::small());
    let options = FitOptions::new().verbose(true).device(Device::Cpu);
    verbose.fit_with(&x, &train(2), options).unwrap();
    assert_eq!(verbose.device(), Device::Cpu);
    assert_eq!(verbose.score(&x).unwrap(), quiet.score(&x).unwrap());
}
