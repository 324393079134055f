//! The `aegmm` binary on the ODDS thyroid data (3772 rows, 6 features, 93 outliers).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use aegmm::OutlierAegmm;
use ndarray::Array2;

const THYROID_ROWS: usize = 3772;
const THYROID_OUTLIERS: usize = 93;

fn thyroid() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/odds/thyroid.csv")
}

fn aegmm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aegmm"))
        .args(args)
        .output()
        .expect("the aegmm binary runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "aegmm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Checks a failure: exit status 1 and exactly one line on standard error, which is returned.
fn one_line_error(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("aegmm: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

const SMALL_FIT: &[&str] = &[
    "--encoder-hidden",
    "8",
    "--latent-dim",
    "2",
    "--decoder-hidden",
    "8",
    "--density-hidden",
    "8",
    "--epochs",
    "3",
    "--batch-size",
    "512",
    "--learning-rate",
    "1e-3",
    "-q",
];

fn fit(input: &Path, model: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "fit",
        "--input",
        input.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
    ];
    args.extend_from_slice(SMALL_FIT);
    args.extend_from_slice(extra);
    aegmm(&args)
}

/// A model fitted once on thyroid.csv (label column `label`), without a threshold.
fn fitted_model() -> &'static Path {
    static MODEL: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = MODEL.get_or_init(|| {
        let dir = temp_dir();
        let path = dir.path().join("thyroid.aegmm");
        stdout(&fit(&thyroid(), &path, &["--label", "label"]));
        (dir, path)
    });
    path
}

/// A copy of the fitted model in `dir` with its threshold at the 95th percentile.
fn model_with_threshold(dir: &Path) -> PathBuf {
    let model = dir.join("m.aegmm");
    fs::copy(fitted_model(), &model).unwrap();
    stdout(&aegmm(&[
        "threshold",
        "-q",
        "--model",
        model.to_str().unwrap(),
        "--input",
        thyroid().to_str().unwrap(),
        "--label",
        "label",
        "--perc",
        "95",
    ]));
    model
}

/// The thyroid features (`N x 6`) and labels, read independently of the binary.
fn thyroid_rows() -> (Array2<f64>, Vec<u8>) {
    let text = fs::read_to_string(thyroid()).unwrap();
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for line in text.lines().skip(1) {
        let fields: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
        values.extend_from_slice(&fields[..6]);
        labels.push(fields[6] as u8);
    }
    (
        Array2::from_shape_vec((labels.len(), 6), values).unwrap(),
        labels,
    )
}

/// The column `name` of a CSV text with a header.
fn csv_column(text: &str, name: &str) -> Vec<String> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| l.split(',').nth(i).unwrap().to_string())
        .collect()
}

fn energies(text: &str) -> Vec<f64> {
    csv_column(text, "energy")
        .iter()
        .map(|e| e.parse().unwrap())
        .collect()
}

#[test]
fn fit_stores_the_training_mean_and_deviation_in_a_library_model() {
    let detector = OutlierAegmm::load(fitted_model()).unwrap();
    let (x, _) = thyroid_rows();
    let scaling = detector.config().input_scaling.clone().unwrap();
    let mean = x.mean_axis(ndarray::Axis(0)).unwrap();
    let std = x.std_axis(ndarray::Axis(0), 0.0);
    for j in 0..6 {
        assert!((scaling.mean[j] - mean[j]).abs() < 1e-12);
        assert!((scaling.std[j] - std[j]).abs() < 1e-12);
    }
    assert_eq!(detector.row_shape(), &[6]);
}

#[test]
fn cli_scores_equal_the_library_scores_of_the_same_rows() {
    let out = stdout(&aegmm(&[
        "score",
        "--model",
        fitted_model().to_str().unwrap(),
        "--input",
        thyroid().to_str().unwrap(),
        "--label",
        "label",
    ]));
    let (x, _) = thyroid_rows();
    let library = OutlierAegmm::load(fitted_model())
        .unwrap()
        .score(&x)
        .unwrap();
    let cli = energies(&out);
    assert_eq!(cli.len(), THYROID_ROWS);
    assert_eq!(cli, library.to_vec());
}

#[test]
fn streaming_through_stdin_gives_the_same_output_as_the_file() {
    let dir = temp_dir();
    let model = model_with_threshold(dir.path());
    let args = |input: &str| {
        vec![
            "score".to_string(),
            "--model".into(),
            model.to_str().unwrap().into(),
            "--input".into(),
            input.into(),
            "--label".into(),
            "label".into(),
            "--batch-rows".into(),
            "500".into(),
            "--feature-scores".into(),
        ]
    };
    let from_file = stdout(&aegmm(
        &args(thyroid().to_str().unwrap())
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ));
    let mut child = Command::new(env!("CARGO_BIN_EXE_aegmm"))
        .args(args("-"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = fs::read(thyroid()).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let streamed = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert_eq!(stdout(&streamed), from_file);
    assert_eq!(from_file.lines().count(), THYROID_ROWS + 1);
}

#[test]
fn score_copies_the_label_and_writes_flags_and_feature_scores() {
    let dir = temp_dir();
    let model = model_with_threshold(dir.path());
    let out_path = dir.path().join("scores.csv");
    stdout(&aegmm(&[
        "score",
        "--model",
        model.to_str().unwrap(),
        "--input",
        thyroid().to_str().unwrap(),
        "--label",
        "label",
        "--feature-scores",
        "--output",
        out_path.to_str().unwrap(),
    ]));
    let text = fs::read_to_string(&out_path).unwrap();
    let header = text.lines().next().unwrap();
    let features: Vec<String> = (0..6)
        .map(|j| format!("feature_score.feature_{j}"))
        .collect();
    assert_eq!(
        header,
        format!("label,energy,is_outlier,{}", features.join(","))
    );
    let (x, labels) = thyroid_rows();
    let copied: Vec<u8> = csv_column(&text, "label")
        .iter()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(copied, labels);

    let detector = OutlierAegmm::load(&model).unwrap();
    let threshold = detector.threshold().unwrap();
    let flags = csv_column(&text, "is_outlier");
    for (e, f) in energies(&text).iter().zip(&flags) {
        assert_eq!(f == "1", *e > threshold);
    }
    let library = detector.feature_score(&x).unwrap();
    let cli: Vec<f64> = csv_column(&text, "feature_score.feature_3")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    for (c, l) in cli.iter().zip(library.column(3)) {
        assert!((c - l).abs() <= 1e-9 * l.abs().max(1.0));
    }
}

#[test]
fn score_writes_json_lines_and_npy() {
    let dir = temp_dir();
    let model = model_with_threshold(dir.path());
    let jsonl = dir.path().join("s.jsonl");
    let npy = dir.path().join("s.npy");
    for out in [&jsonl, &npy] {
        stdout(&aegmm(&[
            "score",
            "--model",
            model.to_str().unwrap(),
            "--input",
            thyroid().to_str().unwrap(),
            "--label",
            "label",
            "--output",
            out.to_str().unwrap(),
        ]));
    }
    let lines: Vec<serde_json::Value> = fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), THYROID_ROWS);
    assert_eq!(lines[0]["label"], "0");
    let array: Array2<f64> =
        ndarray_npy::ReadNpyExt::read_npy(fs::File::open(&npy).unwrap()).unwrap();
    assert_eq!(array.dim(), (THYROID_ROWS, 2));
    for (row, line) in array.outer_iter().zip(&lines) {
        assert_eq!(row[0], line["energy"].as_f64().unwrap());
        assert_eq!(row[1], line["is_outlier"].as_f64().unwrap());
    }
}

#[test]
fn npy_input_scores_like_the_csv_rows() {
    let dir = temp_dir();
    let (x, _) = thyroid_rows();
    let npy = dir.path().join("x.npy");
    ndarray_npy::WriteNpyExt::write_npy(&x, fs::File::create(&npy).unwrap()).unwrap();
    let model = fitted_model().to_str().unwrap();
    let from_npy = stdout(&aegmm(&["score", "-m", model, "-i", npy.to_str().unwrap()]));
    let from_csv = stdout(&aegmm(&[
        "score",
        "-m",
        model,
        "-i",
        thyroid().to_str().unwrap(),
        "--label",
        "label",
    ]));
    assert_eq!(energies(&from_npy), energies(&from_csv));
}

#[test]
fn threshold_contamination_flags_that_share_of_the_rows() {
    let dir = temp_dir();
    let model = dir.path().join("m.aegmm");
    fs::copy(fitted_model(), &model).unwrap();
    let printed = stdout(&aegmm(&[
        "threshold",
        "-m",
        model.to_str().unwrap(),
        "-i",
        thyroid().to_str().unwrap(),
        "--label",
        "label",
        "--contamination",
        "0.05",
    ]));
    let threshold: f64 = printed.trim().parse().unwrap();
    let detector = OutlierAegmm::load(&model).unwrap();
    assert_eq!(detector.threshold(), Some(threshold));
    let (x, _) = thyroid_rows();
    let flagged = detector
        .score(&x)
        .unwrap()
        .iter()
        .filter(|&&e| e > threshold)
        .count();
    assert_eq!(flagged, THYROID_ROWS * 5 / 100);
}

#[test]
fn threshold_fpr_keeps_false_positives_on_labelled_inliers_within_the_rate() {
    let dir = temp_dir();
    let model = dir.path().join("m.aegmm");
    fs::copy(fitted_model(), &model).unwrap();
    let thyroid = thyroid();
    let common = [
        "-m",
        model.to_str().unwrap(),
        "-i",
        thyroid.to_str().unwrap(),
        "--label",
        "label",
    ];
    stdout(&aegmm(
        &[&["threshold"], &common[..], &["--fpr", "0.01"]].concat(),
    ));
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&aegmm(&[&["eval"], &common[..]].concat()))).unwrap();
    let inliers = THYROID_ROWS - THYROID_OUTLIERS;
    assert_eq!(report["inliers"], inliers);
    let fp = report["false_positives"].as_u64().unwrap() as usize;
    assert!(fp <= inliers / 100, "{fp} false positives");
}

#[test]
fn threshold_fpr_without_a_label_column_is_refused() {
    let dir = temp_dir();
    let model = dir.path().join("m.aegmm");
    fs::copy(fitted_model(), &model).unwrap();
    let out = aegmm(&[
        "threshold",
        "-m",
        model.to_str().unwrap(),
        "-i",
        thyroid().to_str().unwrap(),
        "--columns",
        "0,1,2,3,4,5",
        "--fpr",
        "0.01",
    ]);
    assert!(one_line_error(&out).contains("needs --label COL"));
}

#[test]
fn eval_reports_auc_and_rates_at_the_stored_threshold() {
    let dir = temp_dir();
    let model = model_with_threshold(dir.path());
    let thyroid = thyroid();
    let args = [
        "-m",
        model.to_str().unwrap(),
        "-i",
        thyroid.to_str().unwrap(),
        "--label",
        "label",
    ];
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&aegmm(&[&["eval"], &args[..]].concat()))).unwrap();
    assert_eq!(report["rows"], THYROID_ROWS);
    assert_eq!(report["outliers"], THYROID_OUTLIERS);
    assert_eq!(report["skipped_rows"], 0);

    let scores = stdout(&aegmm(&[&["score"], &args[..]].concat()));
    let flags = csv_column(&scores, "is_outlier");
    let labels = csv_column(&scores, "label");
    let tp = flags
        .iter()
        .zip(&labels)
        .filter(|(f, l)| *f == "1" && *l == "1")
        .count();
    let flagged = flags.iter().filter(|f| *f == "1").count();
    assert_eq!(report["true_positives"], tp);
    assert_eq!(report["flagged"], flagged);
    let precision = tp as f64 / flagged as f64;
    let recall = tp as f64 / THYROID_OUTLIERS as f64;
    assert!((report["precision"].as_f64().unwrap() - precision).abs() < 1e-12);
    assert!((report["recall"].as_f64().unwrap() - recall).abs() < 1e-12);
    let f1 = 2.0 * precision * recall / (precision + recall);
    assert!((report["f1"].as_f64().unwrap() - f1).abs() < 1e-12);
    for key in ["roc_auc", "pr_auc"] {
        let v = report[key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{key} {v}");
    }
}

#[test]
fn info_shows_configuration_scaling_training_threshold_and_format_version() {
    let dir = temp_dir();
    let model = model_with_threshold(dir.path());
    let info: serde_json::Value = serde_json::from_str(&stdout(&aegmm(&[
        "info",
        "--model",
        model.to_str().unwrap(),
    ])))
    .unwrap();
    assert_eq!(info["format_version"], aegmm::FORMAT_VERSION.to_string());
    assert_eq!(info["n_features"], 6);
    assert_eq!(info["label_column"], "label");
    assert_eq!(info["feature_columns"][5], "feature_5");
    assert_eq!(info["config"]["layout"]["encoder_hidden"][0], 8);
    assert_eq!(info["standardization"]["mean"].as_array().unwrap().len(), 6);
    assert_eq!(info["training"]["rows"], THYROID_ROWS);
    assert_eq!(info["training"]["train"]["epochs"], 3);
    assert_eq!(info["threshold_from"]["method"], "perc");
    let threshold = OutlierAegmm::load(&model).unwrap().threshold().unwrap();
    assert_eq!(info["threshold"].as_f64().unwrap(), threshold);
}

#[test]
fn constant_columns_are_standardised_without_nan() {
    let dir = temp_dir();
    let input = dir.path().join("const.csv");
    let text = fs::read_to_string(thyroid()).unwrap();
    let mut rows = String::from("a,b,flat\n");
    for line in text.lines().skip(1).take(400) {
        let f: Vec<&str> = line.split(',').collect();
        rows.push_str(&format!("{},{},7.5\n", f[0], f[1]));
    }
    fs::write(&input, rows).unwrap();
    let model = dir.path().join("c.aegmm");
    stdout(&fit(&input, &model, &[]));
    let detector = OutlierAegmm::load(&model).unwrap();
    let scaling = detector.config().input_scaling.clone().unwrap();
    assert_eq!((scaling.mean[2], scaling.std[2]), (7.5, 1.0));
    let scores = stdout(&aegmm(&[
        "score",
        "-m",
        model.to_str().unwrap(),
        "-i",
        input.to_str().unwrap(),
    ]));
    let e = energies(&scores);
    assert_eq!(e.len(), 400);
    assert!(e.iter().all(|v| v.is_finite()));
}

#[test]
fn no_standardize_stores_no_scaling() {
    let dir = temp_dir();
    let model = dir.path().join("raw.aegmm");
    stdout(&fit(
        &thyroid(),
        &model,
        &["--label", "label", "--no-standardize"],
    ));
    assert!(OutlierAegmm::load(&model)
        .unwrap()
        .config()
        .input_scaling
        .is_none());
}

#[test]
fn log_json_prints_one_line_per_epoch_and_a_config_file_sets_the_epochs() {
    let dir = temp_dir();
    let config = dir.path().join("fit.toml");
    fs::write(&config, "epochs = 2\nbatch_size = 1000\nn_gmm = 3\n").unwrap();
    let model = dir.path().join("m.aegmm");
    let out = aegmm(&[
        "fit",
        "-q",
        "-i",
        thyroid().to_str().unwrap(),
        "-m",
        model.to_str().unwrap(),
        "--label",
        "label",
        "--config",
        config.to_str().unwrap(),
        "--encoder-hidden",
        "8",
        "--decoder-hidden",
        "8",
        "--log-json",
    ]);
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["epoch"], 2);
    assert!(lines[1]["loss"].as_f64().unwrap().is_finite());
    assert!(out.stderr.is_empty(), "-q prints nothing");
    assert_eq!(OutlierAegmm::load(&model).unwrap().config().n_gmm, 3);
}

#[test]
fn a_config_file_with_an_unknown_setting_is_refused() {
    let dir = temp_dir();
    let config = dir.path().join("fit.json");
    fs::write(&config, r#"{"epochs": 2, "epoch_count": 3}"#).unwrap();
    let model = dir.path().join("m.aegmm");
    let out = fit(&thyroid(), &model, &["--config", config.to_str().unwrap()]);
    let err = one_line_error(&out);
    assert!(
        err.contains("fit.json") && err.contains("epoch_count"),
        "{err}"
    );
}

#[test]
fn help_of_every_subcommand_documents_the_defaults() {
    let help = stdout(&aegmm(&["fit", "--help"]));
    for text in [
        "--epochs",
        "[default: 50]",
        "--batch-size",
        "[default: 1024]",
        "[default: 60,30,10]",
        "--no-standardize",
        "--log-json",
        "--config",
        "--skip-bad-rows",
    ] {
        assert!(help.contains(text), "fit --help lacks {text}");
    }
    let help = stdout(&aegmm(&["score", "--help"]));
    assert!(help.contains("[default: 4096]") && help.contains("[default: -]"));
    for sub in ["threshold", "info", "eval"] {
        assert!(stdout(&aegmm(&[sub, "--help"])).contains("--model"));
    }
}

#[test]
fn a_missing_input_file_is_one_line_naming_it() {
    let out = aegmm(&[
        "score",
        "-m",
        fitted_model().to_str().unwrap(),
        "-i",
        "no/such/file.csv",
    ]);
    let err = one_line_error(&out);
    assert!(err.contains("cannot open no/such/file.csv"), "{err}");
}

/// thyroid.csv with line `line` (1-based, header = line 1) replaced by `replacement`.
fn thyroid_with_line(dir: &Path, line: usize, replacement: &str) -> PathBuf {
    let text = fs::read_to_string(thyroid()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[line - 1] = replacement;
    let path = dir.join("bad.csv");
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

#[test]
fn a_non_numeric_value_stops_with_its_line_and_column() {
    let dir = temp_dir();
    let bad = thyroid_with_line(dir.path(), 5, "0.5,0.1,abc,0.2,0.3,0.4,0");
    let out = aegmm(&[
        "score",
        "-m",
        fitted_model().to_str().unwrap(),
        "-i",
        bad.to_str().unwrap(),
        "--label",
        "label",
    ]);
    let err = one_line_error(&out);
    assert!(
        err.contains("bad.csv, line 5 (data row 4), column feature_2"),
        "{err}"
    );
    assert!(err.contains("\"abc\" is not a finite number"), "{err}");
}

#[test]
fn nan_values_are_bad_rows_too() {
    let dir = temp_dir();
    let bad = thyroid_with_line(dir.path(), 3, "0.5,NaN,0.1,0.2,0.3,0.4,0");
    let model = dir.path().join("m.aegmm");
    let err = one_line_error(&fit(&bad, &model, &["--label", "label"]));
    assert!(
        err.contains("line 3 (data row 2), column feature_1: \"NaN\""),
        "{err}"
    );
    assert!(!model.exists());
}

#[test]
fn skip_bad_rows_skips_and_counts_them() {
    let dir = temp_dir();
    let bad = thyroid_with_line(dir.path(), 5, "0.5,0.1,abc,0.2,0.3,0.4,0");
    let out = aegmm(&[
        "score",
        "-m",
        fitted_model().to_str().unwrap(),
        "-i",
        bad.to_str().unwrap(),
        "--label",
        "label",
        "--skip-bad-rows",
    ]);
    assert_eq!(stdout(&out).lines().count(), THYROID_ROWS);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("skipped 1 bad rows"), "{err}");
}

#[test]
fn a_row_of_the_wrong_width_stops_with_its_line() {
    let dir = temp_dir();
    let bad = thyroid_with_line(dir.path(), 10, "0.5,0.1,0.2,0.3,0.4,0");
    let out = aegmm(&[
        "score",
        "-m",
        fitted_model().to_str().unwrap(),
        "-i",
        bad.to_str().unwrap(),
        "--label",
        "label",
    ]);
    let err = one_line_error(&out);
    assert!(
        err.contains("line 10 (data row 9): 6 fields, but the header has 7"),
        "{err}"
    );
}

#[test]
fn an_input_with_other_features_than_the_model_is_refused() {
    let dir = temp_dir();
    let input = dir.path().join("five.csv");
    fs::write(&input, "a,b,c,d,e\n1,2,3,4,5\n").unwrap();
    let out = aegmm(&[
        "score",
        "-m",
        fitted_model().to_str().unwrap(),
        "-i",
        input.to_str().unwrap(),
    ]);
    let err = one_line_error(&out);
    assert!(
        err.contains("the model was fitted on 6 feature columns") && err.contains("has 5"),
        "{err}"
    );
}

#[test]
fn an_unknown_column_is_named() {
    let out = aegmm(&[
        "score",
        "-m",
        fitted_model().to_str().unwrap(),
        "-i",
        thyroid().to_str().unwrap(),
        "--label",
        "class",
    ]);
    let err = one_line_error(&out);
    assert!(err.contains("there is no column \"class\""), "{err}");
}

/// Rewrites the `format_version` entry of a safetensors file's metadata.
fn set_format_version(path: &Path, version: &str) {
    let bytes = fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    header["__metadata__"]["format_version"] = version.into();
    let mut text = serde_json::to_vec(&header).unwrap();
    text.resize(text.len().next_multiple_of(8), b' ');
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&text);
    out.extend_from_slice(&bytes[8 + n..]);
    fs::write(path, out).unwrap();
}

#[test]
fn a_model_of_another_format_version_is_refused() {
    let dir = temp_dir();
    let model = dir.path().join("future.aegmm");
    fs::copy(fitted_model(), &model).unwrap();
    set_format_version(&model, "2");
    for sub in ["info", "score"] {
        let mut args = vec![sub, "-m", model.to_str().unwrap()];
        let input = thyroid();
        if sub == "score" {
            args.extend(["-i", input.to_str().unwrap()]);
        }
        let err = one_line_error(&aegmm(&args));
        assert!(
            err.contains("future.aegmm holds an aegmm detector in format version 2"),
            "{err}"
        );
    }
}

#[test]
fn eval_without_a_threshold_says_what_to_run() {
    let out = aegmm(&[
        "eval",
        "-m",
        fitted_model().to_str().unwrap(),
        "-i",
        thyroid().to_str().unwrap(),
        "--label",
        "label",
    ]);
    assert!(one_line_error(&out).contains("aegmm threshold"));
}

#[test]
fn a_device_that_is_not_there_is_one_line() {
    let dir = temp_dir();
    let model = dir.path().join("m.aegmm");
    let err = one_line_error(&fit(&thyroid(), &model, &["--device", "cuda:99"]));
    assert!(
        err.contains("--device cuda:99: no such device here"),
        "{err}"
    );
}

#[test]
fn an_invalid_setting_is_refused_with_its_name() {
    let dir = temp_dir();
    let model = dir.path().join("m.aegmm");
    let err = one_line_error(&fit(&thyroid(), &model, &["--w-energy", "-1"]));
    assert!(
        err.contains("w_energy must be finite and >= 0, got -1"),
        "{err}"
    );
}

#[test]
fn a_tsv_without_header_scores_like_the_csv_with_columns_by_index() {
    let dir = temp_dir();
    let tsv = dir.path().join("thyroid.tsv");
    let text = fs::read_to_string(thyroid()).unwrap();
    let body: String = text
        .lines()
        .skip(1)
        .map(|l| l.replace(',', "\t") + "\n")
        .collect();
    fs::write(&tsv, body).unwrap();
    let model = fitted_model().to_str().unwrap();
    let from_tsv = stdout(&aegmm(&[
        "score",
        "-m",
        model,
        "-i",
        tsv.to_str().unwrap(),
        "--no-header",
        "--label",
        "6",
    ]));
    let from_csv = stdout(&aegmm(&[
        "score",
        "-m",
        model,
        "-i",
        thyroid().to_str().unwrap(),
        "--label",
        "label",
    ]));
    assert!(from_tsv.starts_with("6,energy\n"), "{}", &from_tsv[..20]);
    assert_eq!(energies(&from_tsv), energies(&from_csv));
    assert_eq!(csv_column(&from_tsv, "6"), csv_column(&from_csv, "label"));
}

#[test]
fn columns_are_picked_by_name_in_any_order() {
    let dir = temp_dir();
    let shuffled = dir.path().join("shuffled.csv");
    let text = fs::read_to_string(thyroid()).unwrap();
    let body: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!(
                "{},{},{},{},{},{},{}\n",
                f[6], f[5], f[4], f[3], f[2], f[1], f[0]
            )
        })
        .collect();
    fs::write(&shuffled, body).unwrap();
    let model = fitted_model().to_str().unwrap();
    let score = |input: &Path| {
        energies(&stdout(&aegmm(&[
            "score",
            "-m",
            model,
            "-i",
            input.to_str().unwrap(),
            "--label",
            "label",
        ])))
    };
    assert_eq!(score(&shuffled), score(&thyroid()));
}
