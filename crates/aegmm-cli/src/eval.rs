//! `aegmm eval`: detection quality of a model on a labelled file, as JSON.

use serde::Serialize;

use crate::args::EvalArgs;
use crate::error::{CliError, Result};
use crate::metrics::{confusion, pr_auc, roc_auc, Confusion};
use crate::model_file;
use crate::shared::open_for_model;
use crate::table::is_outlier_label;

/// Runs `aegmm eval`; prints one JSON document on standard output.
pub fn run(args: EvalArgs) -> Result<()> {
    if args.batch_rows == 0 {
        return Err(CliError::Usage("--batch-rows must be at least 1".into()));
    }
    let (detector, record) = model_file::load(&args.model)?;
    let threshold = detector.threshold().ok_or_else(|| {
        CliError::Usage(format!(
            "{} has no threshold: set one with aegmm threshold first",
            args.model.display()
        ))
    })?;
    let mut reader = open_for_model(&args.input, &detector, &record)?;
    reader.require_labels("eval")?;

    let mut energy = Vec::new();
    let mut truth = Vec::new();
    while let Some(batch) = reader.next_batch(args.batch_rows)? {
        energy.extend(detector.score(&batch.x)?);
        truth.extend(
            batch
                .labels
                .iter()
                .map(|l| is_outlier_label(l).unwrap_or(false)),
        );
    }
    if energy.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: there are no rows to evaluate",
            reader.file()
        )));
    }
    let flagged: Vec<bool> = energy.iter().map(|&e| e > threshold).collect();
    let counts = confusion(&flagged, &truth);
    let outliers = truth.iter().filter(|&&t| t).count();
    let report = Report {
        input: reader.file(),
        rows: energy.len(),
        outliers,
        inliers: energy.len() - outliers,
        skipped_rows: reader.skipped(),
        roc_auc: roc_auc(&energy, &truth),
        pr_auc: pr_auc(&energy, &truth),
        threshold,
        flagged: flagged.iter().filter(|&&f| f).count(),
        counts,
    };
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| CliError::Usage(format!("cannot encode the report: {e}")))?;
    println!("{text}");
    Ok(())
}

/// What `eval` prints.
#[derive(Serialize)]
struct Report<'a> {
    input: &'a str,
    rows: usize,
    outliers: usize,
    inliers: usize,
    skipped_rows: usize,
    roc_auc: Option<f64>,
    pr_auc: Option<f64>,
    threshold: f64,
    flagged: usize,
    #[serde(flatten)]
    counts: Confusion,
}
