//! Reading the ODDS benchmark sets shipped as CSV (`feature_0,...,feature_{d-1},label`).

use std::path::Path;

use ndarray::Array2;

use crate::{BenchError, Result};

/// Features (`N x d`) and labels (1 = outlier) of an ODDS CSV file.
pub fn read_csv(path: &Path) -> Result<(Array2<f64>, Vec<u8>)> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| BenchError::Other(format!("{}: {e}", path.display())))?;
    let width = reader
        .headers()
        .map_err(|e| BenchError::Other(format!("{}: {e}", path.display())))?
        .len();
    if width < 2 {
        return Err(BenchError::Format {
            path: path.into(),
            line: 1,
            msg: "needs features and a label".into(),
        });
    }
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let bad = |msg: String| BenchError::Format {
            path: path.into(),
            line: i + 2,
            msg,
        };
        let record = record.map_err(|e| bad(e.to_string()))?;
        if record.len() != width {
            return Err(bad(format!("{} fields, expected {width}", record.len())));
        }
        for field in record.iter().take(width - 1) {
            values.push(
                field
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| bad(format!("not a number: {field:?}")))?,
            );
        }
        let label: f64 = record[width - 1]
            .trim()
            .parse()
            .map_err(|_| bad("label is not a number".into()))?;
        labels.push(u8::from(label != 0.0));
    }
    let x = Array2::from_shape_vec((labels.len(), width - 1), values)
        .map_err(|e| BenchError::Other(e.to_string()))?;
    Ok((x, labels))
}
