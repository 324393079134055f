//! What the commands that use a fitted model share: opening their input for the model.

use aegmm::OutlierAegmm;

use crate::args::InputArgs;
use crate::error::{CliError, Result};
use crate::model_file::CliRecord;
use crate::table::TableReader;

/// Opens `input` with the model's feature columns and checks that their number fits it.
pub fn open_for_model(
    input: &InputArgs,
    detector: &OutlierAegmm,
    record: &CliRecord,
) -> Result<TableReader> {
    let known = (!record.features.is_empty() && record.header).then_some(&record.features[..]);
    let reader = TableReader::open(input, known)?;
    let want = detector.row_shape().iter().product::<usize>();
    let got = reader.feature_names();
    if got.len() != want {
        let fitted = if record.features.is_empty() {
            String::new()
        } else {
            format!(" ({})", record.features.join(","))
        };
        return Err(CliError::Features {
            file: reader.file().into(),
            detail: format!(
                "the model was fitted on {want} feature columns{fitted}, the input has {} ({}); \
                 pick them with --columns or mark a non-feature column with --label",
                got.len(),
                got.join(",")
            ),
        });
    }
    Ok(reader)
}
