//! Errors of the command line; each message is one line that says what to change.

use std::path::PathBuf;

/// What can stop a command; printed as one line on standard error.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The detector library refused (settings, shapes, model files).
    #[error(transparent)]
    Aegmm(#[from] aegmm::AegmmError),
    /// A file could not be opened, read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `open` or `write`.
        action: &'static str,
        /// The file (`-` for standard input or output).
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A value of the input is not a finite number.
    #[error(
        "{file}, {place}, column {column}: {value:?} is not a finite number \
         (fix the row or pass --skip-bad-rows to skip such rows)"
    )]
    BadValue {
        /// The input file.
        file: String,
        /// Where in it, e.g. `line 12 (row 11)`.
        place: String,
        /// The column's name or index.
        column: String,
        /// The text found.
        value: String,
    },
    /// A row has another number of fields than the first one.
    #[error(
        "{file}, {place}: {got} fields, but the {reference} has {expected} \
         (fix the row or pass --skip-bad-rows to skip such rows)"
    )]
    BadWidth {
        /// The input file.
        file: String,
        /// Where in it.
        place: String,
        /// Fields in the row.
        got: usize,
        /// Fields expected.
        expected: usize,
        /// What set the expectation: `header` or `first row`.
        reference: &'static str,
    },
    /// A label value is neither a number nor `true` / `false`.
    #[error(
        "{file}, {place}, label column {column}: {value:?} is not 0/1, a number or true/false"
    )]
    BadLabel {
        /// The input file.
        file: String,
        /// Where in it.
        place: String,
        /// The label column.
        column: String,
        /// The text found.
        value: String,
    },
    /// The CSV reader failed (e.g. invalid UTF-8 or an unterminated quote).
    #[error("{file}: {detail}")]
    Csv {
        /// The input file.
        file: String,
        /// What the reader said, with its position.
        detail: String,
    },
    /// A `.npy` file could not be read or written.
    #[error("{file}: {detail}")]
    Npy {
        /// The file.
        file: String,
        /// What went wrong.
        detail: String,
    },
    /// A column given by name or index is not in the input.
    #[error("{file}: {detail}")]
    Column {
        /// The input file.
        file: String,
        /// Which column and why.
        detail: String,
    },
    /// The input has other features than the model was fitted on.
    #[error("{file}: {detail}")]
    Features {
        /// The input file.
        file: String,
        /// What does not match.
        detail: String,
    },
    /// A setting or combination of settings is invalid.
    #[error("{0}")]
    Usage(String),
    /// A configuration file could not be parsed.
    #[error("{}: {detail}", path.display())]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// The parser's message, flattened to one line.
        detail: String,
    },
}

/// Result type of the command line.
pub type Result<T> = std::result::Result<T, CliError>;

impl CliError {
    /// An I/O error on `path` while doing `action`.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| CliError::Io {
            action,
            path,
            source,
        }
    }

    /// Whether the error is a closed pipe on output (e.g. `aegmm score ... | head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
