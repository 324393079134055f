//! Reading rows from CSV, TSV and `.npy` inputs in batches: column selection, the label
//! column and bad-row handling.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use ndarray::{Array2, Axis};
use ndarray_npy::ReadNpyExt;

use crate::args::{InputArgs, InputFormat};
use crate::error::{CliError, Result};

/// A batch of rows: the features (`N x F`) and, when a label column is given, its text.
#[derive(Debug, Default)]
pub struct Batch {
    /// Feature values, `N x F`.
    pub x: Array2<f64>,
    /// The label column's text of each row; empty without a label column.
    pub labels: Vec<String>,
}

/// Where the records come from.
enum Source {
    Csv {
        reader: csv::Reader<Box<dyn Read>>,
        pending: Option<csv::StringRecord>,
    },
    Npy {
        data: Array2<f64>,
        next: usize,
    },
}

/// Reads an input's rows batch by batch, keeping only the selected columns.
pub struct TableReader {
    source: Source,
    file: String,
    width: usize,
    header_given: bool,
    column_names: Vec<String>,
    features: Vec<usize>,
    label: Option<usize>,
    skip_bad_rows: bool,
    check_labels: bool,
    skipped: usize,
}

/// A column as given on the command line.
fn find_column(spec: &str, names: &[String], file: &str, header: bool) -> Result<usize> {
    let spec = spec.trim();
    if let Some(i) = names.iter().position(|n| n == spec) {
        return Ok(i);
    }
    if let Ok(i) = spec.parse::<usize>() {
        if i < names.len() {
            return Ok(i);
        }
        return Err(CliError::Column {
            file: file.into(),
            detail: format!(
                "column index {i} is out of range: the input has {} columns (0 to {})",
                names.len(),
                names.len().saturating_sub(1)
            ),
        });
    }
    let hint = if header {
        format!("its header has {}", names.join(","))
    } else {
        "it has no header (--no-header): give columns by 0-based index".into()
    };
    Err(CliError::Column {
        file: file.into(),
        detail: format!("there is no column {spec:?}; {hint}"),
    })
}

impl TableReader {
    /// Opens the input of `args`. Feature columns are `args.columns` if given, else the
    /// columns named `model_features` when the input has a header holding all of them, else
    /// every column but the label.
    pub fn open(args: &InputArgs, model_features: Option<&[String]>) -> Result<Self> {
        let file = args.input.clone();
        let format = match args.format {
            InputFormat::Auto => format_of(&file),
            f => f,
        };
        let (source, column_names, header_given) = match format {
            InputFormat::Npy => open_npy(&file)?,
            _ => open_csv(&file, format == InputFormat::Tsv, !args.no_header)?,
        };
        let width = column_names.len();

        let label = args
            .label
            .as_deref()
            .map(|l| find_column(l, &column_names, &file, header_given))
            .transpose()?;
        let features: Vec<usize> = if !args.columns.is_empty() {
            args.columns
                .iter()
                .map(|c| find_column(c, &column_names, &file, header_given))
                .collect::<Result<_>>()?
        } else {
            match model_features {
                Some(wanted) if header_given && wanted.iter().all(|w| column_names.contains(w)) => {
                    wanted
                        .iter()
                        .map(|w| find_column(w, &column_names, &file, true))
                        .collect::<Result<_>>()?
                }
                _ => (0..width).filter(|&i| Some(i) != label).collect(),
            }
        };
        if let Some(l) = label.filter(|l| features.contains(l)) {
            return Err(CliError::Usage(format!(
                "column {} is both the label and a feature; leave it out of --columns",
                column_names[l]
            )));
        }
        if features.is_empty() {
            return Err(CliError::Column {
                file,
                detail: "no feature column is left".into(),
            });
        }
        Ok(Self {
            source,
            file,
            width,
            header_given,
            column_names,
            features,
            label,
            skip_bad_rows: args.skip_bad_rows,
            check_labels: false,
            skipped: 0,
        })
    }

    /// Makes every row's label a required 0/1 truth (a bad one is a bad row); `why` says
    /// which command needs it when no label column was given.
    pub fn require_labels(&mut self, why: &str) -> Result<()> {
        if self.label.is_none() {
            return Err(CliError::Usage(format!(
                "{why} needs --label COL: the column that says which rows are outliers"
            )));
        }
        self.check_labels = true;
        Ok(())
    }

    /// The input's name as given (`-` for standard input).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Names of the feature columns (their 0-based index without a header).
    pub fn feature_names(&self) -> Vec<String> {
        self.features
            .iter()
            .map(|&i| self.column_names[i].clone())
            .collect()
    }

    /// Name of the label column, if any.
    pub fn label_name(&self) -> Option<&str> {
        self.label.map(|l| self.column_names[l].as_str())
    }

    /// Whether the input has a header row.
    pub fn has_header(&self) -> bool {
        self.header_given
    }

    /// Rows skipped so far as bad (with `--skip-bad-rows`).
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// The next up to `max` good rows, or `None` at the end of the input.
    pub fn next_batch(&mut self, max: usize) -> Result<Option<Batch>> {
        let mut values = Vec::with_capacity(max.min(1 << 16) * self.features.len());
        let mut labels = Vec::new();
        let mut n = 0;
        while n < max {
            let Some((fields, place)) = self.next_record()? else {
                break;
            };
            match self.parse_row(&fields, &place, &mut values) {
                Ok(()) => {
                    if let Some(l) = self.label {
                        labels.push(fields[l].trim().to_string());
                    }
                    n += 1;
                }
                Err(e) if self.skip_bad_rows && is_row_error(&e) => self.skipped += 1,
                Err(e) => return Err(e),
            }
        }
        if n == 0 {
            return Ok(None);
        }
        let x = Array2::from_shape_vec((n, self.features.len()), values)
            .map_err(|e| CliError::Usage(format!("internal shape error: {e}")))?;
        Ok(Some(Batch { x, labels }))
    }

    /// Every remaining good row.
    pub fn read_all(&mut self) -> Result<Batch> {
        let mut parts = Vec::new();
        while let Some(batch) = self.next_batch(1 << 16)? {
            parts.push(batch);
        }
        let views: Vec<_> = parts.iter().map(|b| b.x.view()).collect();
        let x = if views.is_empty() {
            Array2::zeros((0, self.features.len()))
        } else {
            ndarray::concatenate(Axis(0), &views)
                .map_err(|e| CliError::Usage(format!("internal shape error: {e}")))?
        };
        let labels = parts.into_iter().flat_map(|b| b.labels).collect();
        Ok(Batch { x, labels })
    }

    /// The next record's fields and a description of where it is.
    fn next_record(&mut self) -> Result<Option<(Vec<String>, String)>> {
        match &mut self.source {
            Source::Csv { reader, pending } => {
                let record = match pending.take() {
                    Some(r) => r,
                    None => {
                        let mut r = csv::StringRecord::new();
                        let more = reader.read_record(&mut r).map_err(|e| CliError::Csv {
                            file: self.file.clone(),
                            detail: one_line(&e.to_string()),
                        })?;
                        if !more {
                            return Ok(None);
                        }
                        r
                    }
                };
                let line = record.position().map_or(0, |p| p.line());
                let data_row = if self.header_given { line - 1 } else { line };
                let place = format!("line {line} (data row {data_row})");
                Ok(Some((record.iter().map(String::from).collect(), place)))
            }
            Source::Npy { data, next } => {
                if *next >= data.nrows() {
                    return Ok(None);
                }
                let row = data.row(*next).iter().map(|v| v.to_string()).collect();
                *next += 1;
                Ok(Some((row, format!("row {}", *next - 1))))
            }
        }
    }

    /// Appends the feature values of one record to `values`, or says why it is bad.
    fn parse_row(&self, fields: &[String], place: &str, values: &mut Vec<f64>) -> Result<()> {
        if fields.len() != self.width {
            return Err(CliError::BadWidth {
                file: self.file.clone(),
                place: place.into(),
                got: fields.len(),
                expected: self.width,
                reference: if self.header_given {
                    "header"
                } else {
                    "first row"
                },
            });
        }
        if let Some(l) = self.label.filter(|_| self.check_labels) {
            if is_outlier_label(&fields[l]).is_none() {
                return Err(CliError::BadLabel {
                    file: self.file.clone(),
                    place: place.into(),
                    column: self.column_names[l].clone(),
                    value: fields[l].trim().into(),
                });
            }
        }
        let start = values.len();
        for &c in &self.features {
            let text = fields[c].trim();
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => values.push(v),
                _ => {
                    values.truncate(start);
                    return Err(CliError::BadValue {
                        file: self.file.clone(),
                        place: place.into(),
                        column: self.column_names[c].clone(),
                        value: text.into(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Whether `e` is about one row (skippable with `--skip-bad-rows`).
fn is_row_error(e: &CliError) -> bool {
    matches!(
        e,
        CliError::BadValue { .. } | CliError::BadWidth { .. } | CliError::BadLabel { .. }
    )
}

/// A label's truth: `true` for an outlier (any non-zero number or `true`), `false` for an
/// inlier (`0` or `false`), `None` for anything else.
pub fn is_outlier_label(text: &str) -> Option<bool> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") {
        return Some(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Some(false);
    }
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| v != 0.0)
}

/// The format an input of this name is read in.
fn format_of(file: &str) -> InputFormat {
    let ext = Path::new(file)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("npy") => InputFormat::Npy,
        Some("tsv") | Some("tab") => InputFormat::Tsv,
        _ => InputFormat::Csv,
    }
}

/// A CSV or TSV reader, its column names and whether they came from a header.
fn open_csv(file: &str, tsv: bool, header: bool) -> Result<(Source, Vec<String>, bool)> {
    let input: Box<dyn Read> = if file == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(BufReader::new(
            File::open(file).map_err(CliError::io("open", file))?,
        ))
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(if tsv { b'\t' } else { b',' })
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut first = csv::StringRecord::new();
    let any = reader.read_record(&mut first).map_err(|e| CliError::Csv {
        file: file.into(),
        detail: one_line(&e.to_string()),
    })?;
    if !any {
        return Err(CliError::Csv {
            file: file.into(),
            detail: "the input is empty".into(),
        });
    }
    let (names, pending) = if header {
        (first.iter().map(|s| s.trim().to_string()).collect(), None)
    } else {
        (
            (0..first.len()).map(|i| i.to_string()).collect(),
            Some(first),
        )
    };
    Ok((Source::Csv { reader, pending }, names, header))
}

/// A `.npy` file's 2-d array (float64 or float32) and its column indices as names.
fn open_npy(file: &str) -> Result<(Source, Vec<String>, bool)> {
    if file == "-" {
        return Err(CliError::Usage(
            "standard input is read as CSV or TSV only; write the .npy to a file".into(),
        ));
    }
    let read = |f64_first: bool| -> std::result::Result<Array2<f64>, String> {
        let f = File::open(file).map_err(|e| e.to_string())?;
        if f64_first {
            Array2::<f64>::read_npy(BufReader::new(f)).map_err(|e| e.to_string())
        } else {
            Array2::<f32>::read_npy(BufReader::new(f))
                .map(|a| a.mapv(f64::from))
                .map_err(|e| e.to_string())
        }
    };
    if let Err(e) = File::open(file) {
        return Err(CliError::io("open", file)(e));
    }
    let data = read(true).or_else(|e64| {
        read(false).map_err(|_| CliError::Npy {
            file: file.into(),
            detail: format!(
                "not a 2-d float64 or float32 .npy array ({})",
                one_line(&e64)
            ),
        })
    })?;
    let names = (0..data.ncols()).map(|i| i.to_string()).collect();
    Ok((Source::Npy { data, next: 0 }, names, false))
}

/// `text` with its lines joined by spaces.
pub fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
