//! `aegmm score`: write every row's energy and flag, batch by batch.

use crate::args::ScoreArgs;
use crate::error::{CliError, Result};
use crate::fit::note_skipped;
use crate::model_file;
use crate::output::{ScoreWriter, ScoredBatch};
use crate::shared::open_for_model;

/// Runs `aegmm score`: reads, scores and writes `--batch-rows` rows at a time.
pub fn run(args: ScoreArgs, quiet: bool) -> Result<()> {
    if args.batch_rows == 0 {
        return Err(CliError::Usage("--batch-rows must be at least 1".into()));
    }
    let (detector, record) = model_file::load(&args.model)?;
    let mut reader = open_for_model(&args.input, &detector, &record)?;
    let threshold = detector.threshold();
    let features = args.feature_scores.then(|| reader.feature_names());
    let mut writer = ScoreWriter::create(
        &args.output,
        args.output_format,
        reader.label_name(),
        threshold.is_some(),
        features,
    )?;

    while let Some(batch) = reader.next_batch(args.batch_rows)? {
        let energy = detector.score(&batch.x)?.to_vec();
        let flags: Option<Vec<bool>> = threshold.map(|t| energy.iter().map(|&e| e > t).collect());
        let feature_score = if args.feature_scores {
            Some(detector.feature_score(&batch.x)?)
        } else {
            None
        };
        writer.write(&ScoredBatch {
            labels: &batch.labels,
            energy: &energy,
            is_outlier: flags.as_deref(),
            feature_score: feature_score.as_ref().map(|f| f.view()),
        })?;
    }
    writer.finish()?;
    note_skipped(&reader, quiet);
    if threshold.is_none() && !quiet {
        eprintln!(
            "aegmm: {} has no threshold yet (see aegmm threshold): writing energies without \
             is_outlier",
            args.model.display()
        );
    }
    Ok(())
}
