//! `aegmm threshold`: set a model's threshold from the energies of a file's rows.

use crate::args::ThresholdArgs;
use crate::error::Result;
use crate::fit::note_skipped;
use crate::model_file::{self, ThresholdSummary};
use crate::shared::open_for_model;
use crate::table::is_outlier_label;

/// Runs `aegmm threshold`; prints the threshold on standard output.
pub fn run(args: ThresholdArgs, quiet: bool) -> Result<()> {
    let (mut detector, mut record) = model_file::load(&args.model)?;
    let mut reader = open_for_model(&args.input, &detector, &record)?;
    if args.fpr.is_some() {
        reader.require_labels("threshold --fpr")?;
    }
    let batch = reader.read_all()?;
    note_skipped(&reader, quiet);

    let (method, value, threshold) = match (args.perc, args.contamination, args.fpr) {
        (Some(perc), _, _) => ("perc", perc, detector.infer_threshold(&batch.x, perc)?),
        (_, Some(share), _) => (
            "contamination",
            share,
            detector.infer_threshold_contamination(&batch.x, share)?,
        ),
        (_, _, fpr) => {
            let fpr = fpr.unwrap_or_default();
            let truth: Vec<bool> = batch
                .labels
                .iter()
                .map(|l| is_outlier_label(l).unwrap_or(false))
                .collect();
            (
                "fpr",
                fpr,
                detector.infer_threshold_fpr(&batch.x, &truth, fpr)?,
            )
        }
    };
    record.threshold = Some(ThresholdSummary {
        method: method.into(),
        value,
        input: reader.file().into(),
        rows: batch.x.nrows(),
        threshold,
    });
    model_file::save(&detector, &record, &args.model)?;
    println!("{threshold}");
    Ok(())
}
