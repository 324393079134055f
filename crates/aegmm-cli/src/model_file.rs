//! The command line's own record inside a model file.
//!
//! A model file is exactly what the library's `OutlierAegmm::save` writes (a safetensors
//! file). The command line adds one more entry, `aegmm_cli`, to the file's string metadata:
//! a JSON [`CliRecord`] with the feature column names, the label column, the training and
//! threshold summaries. The library ignores metadata it does not know, so
//! `OutlierAegmm::load` reads the file as before; the tensors are not touched.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;

use aegmm::{EpochStats, History, OutlierAegmm, TrainConfig};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{CliError, Result};

/// Metadata key of the command line's record.
pub const RECORD_KEY: &str = "aegmm_cli";

/// Longest safetensors header read (the header holds names and offsets only).
const MAX_HEADER: u64 = 100 << 20;

/// What the command line keeps about a model besides the library's own state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CliRecord {
    /// Names of the feature columns in the training input, in model order.
    pub features: Vec<String>,
    /// Whether those names came from a header row (else they are 0-based indices).
    pub header: bool,
    /// The label column of the training input, if one was given.
    pub label: Option<String>,
    /// Whether the features are standardised with the training mean and deviation.
    pub standardized: bool,
    /// The training run, once fitted.
    pub training: Option<TrainingSummary>,
    /// How the current threshold was chosen, once `aegmm threshold` ran.
    pub threshold: Option<ThresholdSummary>,
}

/// A summary of the training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// The training input.
    pub input: String,
    /// Rows trained on.
    pub rows: usize,
    /// Bad rows skipped (`--skip-bad-rows`).
    pub skipped_rows: usize,
    /// The training settings.
    pub train: TrainConfig,
    /// The first epoch's mean loss terms.
    pub first_epoch: Option<EpochStats>,
    /// The last epoch's mean loss terms.
    pub last_epoch: Option<EpochStats>,
    /// The lowest mean loss of any epoch.
    pub best_loss: Option<f64>,
    /// Seconds spent training, all epochs together.
    pub seconds: f64,
}

impl TrainingSummary {
    /// The summary of `history`, trained on `rows` rows of `input` with `train`.
    pub fn new(
        input: &str,
        rows: usize,
        skipped_rows: usize,
        train: TrainConfig,
        history: &History,
    ) -> Self {
        Self {
            input: input.into(),
            rows,
            skipped_rows,
            train,
            first_epoch: history.epochs.first().cloned(),
            last_epoch: history.epochs.last().cloned(),
            best_loss: history.epochs.iter().map(|e| e.loss).min_by(f64::total_cmp),
            seconds: history.epochs.iter().map(|e| e.seconds).sum(),
        }
    }
}

/// How the threshold was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdSummary {
    /// `perc`, `contamination` or `fpr`.
    pub method: String,
    /// The method's parameter.
    pub value: f64,
    /// The input the energies came from.
    pub input: String,
    /// Rows scored for it.
    pub rows: usize,
    /// The threshold on the energy.
    pub threshold: f64,
}

/// Loads the detector of `path` with the library and the command line's record (an empty
/// one for a file the library wrote on its own).
pub fn load(path: &Path) -> Result<(OutlierAegmm, CliRecord)> {
    let detector = OutlierAegmm::load(path)?;
    let metadata = read_metadata(path)?;
    let record = match metadata.get(RECORD_KEY) {
        Some(text) => serde_json::from_str(text).map_err(|e| CliError::Config {
            path: path.into(),
            detail: format!("its {RECORD_KEY} metadata is not valid ({e})"),
        })?,
        None => CliRecord::default(),
    };
    Ok((detector, record))
}

/// Saves `detector` with the library, then adds `record` to the file's metadata.
pub fn save(detector: &OutlierAegmm, record: &CliRecord, path: &Path) -> Result<()> {
    detector.save(path)?;
    let text = serde_json::to_string(record)
        .map_err(|e| CliError::Usage(format!("cannot encode the model record: {e}")))?;
    set_metadata(path, RECORD_KEY, &text)
}

/// The string metadata of the safetensors file `path`.
pub fn read_metadata(path: &Path) -> Result<BTreeMap<String, String>> {
    let mut file = fs::File::open(path).map_err(CliError::io("open", path))?;
    let mut len = [0u8; 8];
    file.read_exact(&mut len)
        .map_err(CliError::io("read", path))?;
    let n = u64::from_le_bytes(len);
    if n > MAX_HEADER {
        return Err(not_a_model(path, "its header length is implausible"));
    }
    let mut header = vec![0u8; n as usize];
    file.read_exact(&mut header)
        .map_err(CliError::io("read", path))?;
    let header: Value =
        serde_json::from_slice(&header).map_err(|e| not_a_model(path, &e.to_string()))?;
    Ok(metadata_of(&header))
}

/// Sets the metadata entry `key` of the safetensors file `path` to `value`, rewriting only
/// the header; the file is replaced atomically.
pub fn set_metadata(path: &Path, key: &str, value: &str) -> Result<()> {
    let bytes = fs::read(path).map_err(CliError::io("read", path))?;
    let (mut header, data) = split_header(path, &bytes)?;
    let entry = header
        .as_object_mut()
        .ok_or_else(|| not_a_model(path, "its header is not a JSON object"))?
        .entry("__metadata__")
        .or_insert_with(|| Value::Object(Default::default()));
    entry
        .as_object_mut()
        .ok_or_else(|| not_a_model(path, "its metadata is not a JSON object"))?
        .insert(key.into(), Value::String(value.into()));

    let mut text = serde_json::to_vec(&header).map_err(|e| not_a_model(path, &e.to_string()))?;
    text.resize(text.len().next_multiple_of(8), b' ');
    let mut out = Vec::with_capacity(8 + text.len() + data.len());
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(&text);
    out.extend_from_slice(data);
    let temp = path.with_file_name(format!(
        ".{}.tmp-cli-{}",
        path.file_name()
            .map_or("model".into(), |n| n.to_string_lossy()),
        std::process::id()
    ));
    fs::write(&temp, &out).map_err(CliError::io("write", &temp))?;
    fs::rename(&temp, path).map_err(|e| {
        let _ = fs::remove_file(&temp);
        CliError::io("replace", path)(e)
    })
}

/// The parsed header of a safetensors file and the bytes after it.
fn split_header<'a>(path: &Path, bytes: &'a [u8]) -> Result<(Value, &'a [u8])> {
    let bad = || not_a_model(path, "it is too short for a safetensors header");
    let len: [u8; 8] = bytes
        .get(..8)
        .ok_or_else(bad)?
        .try_into()
        .map_err(|_| bad())?;
    let n = usize::try_from(u64::from_le_bytes(len)).map_err(|_| bad())?;
    let end = 8usize
        .checked_add(n)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(bad)?;
    let header =
        serde_json::from_slice(&bytes[8..end]).map_err(|e| not_a_model(path, &e.to_string()))?;
    Ok((header, &bytes[end..]))
}

fn metadata_of(header: &Value) -> BTreeMap<String, String> {
    header
        .get("__metadata__")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn not_a_model(path: &Path, detail: &str) -> CliError {
    CliError::Config {
        path: path.into(),
        detail: format!("not a readable model file ({detail})"),
    }
}
