//! The paper protocol's whole code path on small data, so it stays covered in CI.

use std::io::Write;

use aegmm::Device;
use aegmm_bench::paper::{self, PaperData, PaperDataset};
use aegmm_bench::{default_data_dir, kdd};
use ndarray::Axis;

#[test]
fn thyroid_subsample_runs_the_whole_protocol() {
    let data = paper::load(PaperDataset::Thyroid, &default_data_dir(), 0).unwrap();
    assert_eq!(data.x.dim(), (3772, 6));
    assert_eq!(data.anomaly.iter().filter(|&&a| a == 1).count(), 93);

    // Every third row keeps the anomaly share and makes the run short.
    let rows: Vec<usize> = (0..data.anomaly.len()).step_by(3).collect();
    let small = PaperData {
        x: data.x.select(Axis(0), &rows),
        anomaly: rows.iter().map(|&i| data.anomaly[i]).collect(),
    };
    let run = paper::run(PaperDataset::Thyroid, &small, 0, Some(3), Device::Cpu).unwrap();
    let inliers_in_train_half = run.train_rows;
    assert_eq!(run.test_rows, small.anomaly.len() - small.anomaly.len() / 2);
    assert!(inliers_in_train_half < small.anomaly.len() / 2 && inliers_in_train_half > 550);
    assert!(run.finite);
    for v in [run.precision, run.recall, run.f1] {
        assert!((0.0..=1.0).contains(&v), "{run:?}");
    }
    assert!(run.roc_auc.is_some_and(|a| (0.0..=1.0).contains(&a)));
}

#[test]
fn the_same_seed_gives_the_same_run_and_the_run_survives_its_json_form() {
    let data = paper::load(PaperDataset::Thyroid, &default_data_dir(), 0).unwrap();
    let rows: Vec<usize> = (0..data.anomaly.len()).step_by(4).collect();
    let small = PaperData {
        x: data.x.select(Axis(0), &rows),
        anomaly: rows.iter().map(|&i| data.anomaly[i]).collect(),
    };
    let first = paper::run(PaperDataset::Thyroid, &small, 7, Some(2), Device::Cpu).unwrap();
    let second = paper::run(PaperDataset::Thyroid, &small, 7, Some(2), Device::Cpu).unwrap();
    let metrics = |r: &paper::PaperRun| (r.precision, r.recall, r.f1, r.roc_auc, r.train_rows);
    assert_eq!(metrics(&first), metrics(&second));

    // The benchmark keeps each run as JSON and builds its table from what it reads back.
    let text = serde_json::to_string(&first).unwrap();
    let back: paper::PaperRun = serde_json::from_str(&text).unwrap();
    assert_eq!(metrics(&back), metrics(&first));
    assert_eq!(
        (back.dataset.as_str(), back.seed, back.epochs),
        ("thyroid", 7, 2)
    );
}

#[test]
fn kdd_one_hot_encoding_sorts_categories_and_keeps_numeric_columns_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let data_file = dir.path().join("rows.gz");
    let names_file = default_data_dir().join("kddcup99/kddcup.names");
    let numeric = |seed: usize| {
        (0..38)
            .map(|i| (seed * 100 + i).to_string())
            .collect::<Vec<_>>()
    };
    let line = |proto: &str, service: &str, flag: &str, seed: usize, label: &str| {
        let n = numeric(seed);
        format!(
            "{},{proto},{service},{flag},{},{label}\n",
            n[0],
            n[1..].join(",")
        )
    };
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&data_file).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(line("udp", "smtp", "SF", 1, "normal.").as_bytes())
        .unwrap();
    gz.write_all(line("tcp", "http", "REJ", 2, "smurf.").as_bytes())
        .unwrap();
    gz.finish().unwrap();

    let table = kdd::read_one_hot(&data_file, &names_file).unwrap();
    // protocol {tcp, udp}, service {http, smtp}, flag {REJ, SF}, then 38 numeric columns.
    assert_eq!(table.x.dim(), (2, 2 + 2 + 2 + 38));
    assert_eq!(
        table.x.row(0).slice(ndarray::s![..6]).to_vec(),
        vec![0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    );
    assert_eq!(
        table.x.row(1).slice(ndarray::s![..6]).to_vec(),
        vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    );
    let expected: Vec<f64> = numeric(2).iter().map(|v| v.parse().unwrap()).collect();
    assert_eq!(table.x.row(1).slice(ndarray::s![6..]).to_vec(), expected);
    assert_eq!(table.labels, vec!["normal", "smurf"]);
}
