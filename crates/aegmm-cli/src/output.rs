//! Writing scores as CSV, JSON lines or `.npy`, batch by batch.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use ndarray::{Array2, ArrayView2};
use ndarray_npy::WriteNpyExt;
use serde_json::json;

use crate::args::OutputFormat;
use crate::error::{CliError, Result};

/// The scores of one batch of rows.
pub struct ScoredBatch<'a> {
    /// The label column's text of each row; empty without a label column.
    pub labels: &'a [String],
    /// The energy of each row.
    pub energy: &'a [f64],
    /// Whether each row's energy is above the threshold, when the model has one.
    pub is_outlier: Option<&'a [bool]>,
    /// Each feature's squared reconstruction error, `N x F`, when asked for.
    pub feature_score: Option<ArrayView2<'a, f64>>,
}

enum Sink {
    Csv(Box<csv::Writer<Box<dyn Write>>>),
    Jsonl(Box<dyn Write>),
    Npy { rows: Vec<f64>, cols: usize },
}

/// Writes scored rows to a file or standard output.
pub struct ScoreWriter {
    sink: Sink,
    output: String,
    label: Option<String>,
    features: Option<Vec<String>>,
}

impl ScoreWriter {
    /// A writer to `output` (`-` for standard output) in `format`; the CSV header names the
    /// label column (when given), `energy`, `is_outlier` (when `flags`) and
    /// `feature_score.<name>` for each of `features` (when given).
    pub fn create(
        output: &str,
        format: OutputFormat,
        label: Option<&str>,
        flags: bool,
        features: Option<Vec<String>>,
    ) -> Result<Self> {
        let format = match format {
            OutputFormat::Auto => format_of(output),
            f => f,
        };
        let open = || -> Result<Box<dyn Write>> {
            if output == "-" {
                Ok(Box::new(BufWriter::new(io::stdout().lock())))
            } else {
                let file = File::create(output).map_err(CliError::io("create", output))?;
                Ok(Box::new(BufWriter::new(file)))
            }
        };
        let sink = match format {
            OutputFormat::Npy => {
                if output == "-" {
                    return Err(CliError::Usage(
                        ".npy output goes to a file: give --output FILE.npy".into(),
                    ));
                }
                File::create(output).map_err(CliError::io("create", output))?;
                let cols = 1 + usize::from(flags) + features.as_ref().map_or(0, Vec::len);
                Sink::Npy {
                    rows: Vec::new(),
                    cols,
                }
            }
            OutputFormat::Jsonl => Sink::Jsonl(open()?),
            _ => {
                let mut writer = csv::WriterBuilder::new().from_writer(open()?);
                let mut header: Vec<String> = label.iter().map(|l| l.to_string()).collect();
                header.push("energy".into());
                if flags {
                    header.push("is_outlier".into());
                }
                for name in features.iter().flatten() {
                    header.push(format!("feature_score.{name}"));
                }
                writer
                    .write_record(&header)
                    .map_err(|e| csv_error(output, e))?;
                Sink::Csv(Box::new(writer))
            }
        };
        Ok(Self {
            sink,
            output: output.into(),
            label: label.map(String::from),
            features,
        })
    }

    /// Writes one batch and flushes it.
    pub fn write(&mut self, batch: &ScoredBatch<'_>) -> Result<()> {
        let output = self.output.clone();
        for i in 0..batch.energy.len() {
            let flag = batch.is_outlier.map(|f| u8::from(f[i]));
            let features = batch.feature_score.as_ref().map(|f| f.row(i).to_vec());
            match &mut self.sink {
                Sink::Csv(writer) => {
                    let mut record: Vec<String> = Vec::new();
                    if self.label.is_some() {
                        record.push(batch.labels[i].clone());
                    }
                    record.push(batch.energy[i].to_string());
                    record.extend(flag.map(|f| f.to_string()));
                    record.extend(features.iter().flatten().map(|v| v.to_string()));
                    writer
                        .write_record(&record)
                        .map_err(|e| csv_error(&output, e))?;
                }
                Sink::Jsonl(writer) => {
                    let mut object = serde_json::Map::new();
                    if let Some(label) = &self.label {
                        object.insert(label.clone(), json!(batch.labels[i]));
                    }
                    object.insert("energy".into(), json!(batch.energy[i]));
                    if let Some(f) = flag {
                        object.insert("is_outlier".into(), json!(f));
                    }
                    if let (Some(names), Some(values)) = (&self.features, &features) {
                        let scores: serde_json::Map<_, _> = names
                            .iter()
                            .cloned()
                            .zip(values.iter().map(|v| json!(v)))
                            .collect();
                        object.insert("feature_score".into(), scores.into());
                    }
                    serde_json::to_writer(&mut *writer, &object)
                        .map_err(|e| CliError::io("write", &output)(e.into()))?;
                    writer
                        .write_all(b"\n")
                        .map_err(CliError::io("write", &output))?;
                }
                Sink::Npy { rows, .. } => {
                    rows.push(batch.energy[i]);
                    rows.extend(flag.map(f64::from));
                    rows.extend(features.iter().flatten());
                }
            }
        }
        self.flush()
    }

    /// Finishes the output (writes the `.npy` file).
    pub fn finish(mut self) -> Result<()> {
        self.flush()?;
        if let Sink::Npy { rows, cols } = &mut self.sink {
            let n = rows.len() / *cols;
            let array = Array2::from_shape_vec((n, *cols), std::mem::take(rows))
                .map_err(|e| CliError::Usage(format!("internal shape error: {e}")))?;
            let file = File::create(&self.output).map_err(CliError::io("create", &self.output))?;
            array
                .write_npy(BufWriter::new(file))
                .map_err(|e| CliError::Npy {
                    file: self.output.clone(),
                    detail: format!("cannot write: {e}"),
                })?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let flushed = match &mut self.sink {
            Sink::Csv(writer) => writer.flush(),
            Sink::Jsonl(writer) => writer.flush(),
            Sink::Npy { .. } => Ok(()),
        };
        flushed.map_err(CliError::io("write", &self.output))
    }
}

/// The format output of this name is written in.
fn format_of(output: &str) -> OutputFormat {
    let ext = Path::new(output)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("npy") => OutputFormat::Npy,
        Some("jsonl") | Some("ndjson") => OutputFormat::Jsonl,
        _ => OutputFormat::Csv,
    }
}

fn csv_error(output: &str, e: csv::Error) -> CliError {
    match e.into_kind() {
        csv::ErrorKind::Io(source) => CliError::io("write", output)(source),
        other => CliError::Csv {
            file: output.into(),
            detail: format!("{other:?}"),
        },
    }
}
