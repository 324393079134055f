//! Benchmark protocols for `aegmm` on real data.
//!
//! [`kdd`] reads the raw KDD Cup 99 file shipped in `data/kddcup99/`; [`alibi`] runs
//! alibi-detect's example protocol on it (SPEC section 6); [`metrics`] holds the scores
//! (ROC AUC, precision, recall, F1) the reports are made of. The `aegmm-bench` binary, run by
//! `cargo xtask kdd-bench`, prints progress and writes the JSON report.

pub mod alibi;
pub mod flops;
pub mod kdd;
pub mod metrics;
pub mod odds;
pub mod paper;
pub mod stats;

use std::path::PathBuf;

/// The repository's `data/` folder (where a fresh clone has the benchmark files).
pub fn default_data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// Errors of the benchmark drivers.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A data file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A data file has unexpected content.
    #[error("{path}, line {line}: {msg}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        msg: String,
    },
    /// The detector failed.
    #[error(transparent)]
    Detector(#[from] aegmm::AegmmError),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// Result type of the benchmark drivers.
pub type Result<T> = std::result::Result<T, BenchError>;
