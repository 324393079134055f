//! The command line's arguments, as clap parses them.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;

/// Unsupervised outlier detection with the Deep Autoencoding Gaussian Mixture Model (AEGMM /
/// DAGMM) on CSV, TSV and NumPy files.
///
/// A typical session: `aegmm fit` trains a model on normal data, `aegmm threshold` sets the
/// energy above which a row is an outlier, `aegmm score` flags new rows, `aegmm eval` checks
/// the flags against known labels.
#[derive(Debug, Parser)]
#[command(name = "aegmm", version)]
pub struct Cli {
    /// Print nothing on standard error but errors: no progress bar, no notes.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run
pub enum Command {
    /// Train a detector on the rows of a file and save it as a model file.
    Fit(FitArgs),
    /// Set a model's outlier threshold from the energies of a file's rows.
    Threshold(ThresholdArgs),
    /// Write every row's energy and outlier flag (and per-feature scores on request).
    Score(ScoreArgs),
    /// Show a model's configuration, input scaling, training summary and threshold as JSON.
    Info(InfoArgs),
    /// Compare a model's scores and flags with a label column; prints JSON.
    Eval(EvalArgs),
}

/// Where the rows come from and which columns are features.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Input file: CSV, TSV or NumPy .npy (2-d, float64 or float32); `-` reads CSV or TSV
    /// from standard input.
    #[arg(short, long, value_name = "FILE")]
    pub input: String,
    /// Input format; `auto` goes by the extension: .npy is NumPy, .tsv and .tab are TSV,
    /// anything else (and `-`) is CSV.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = InputFormat::Auto)]
    pub format: InputFormat,
    /// The CSV or TSV input has no header row; columns are then named by their 0-based index
    /// (default: the first row is a header).
    #[arg(long)]
    pub no_header: bool,
    /// Feature columns by header name or 0-based index, comma-separated [default: when
    /// fitting, every column but the label; otherwise the columns the model was fitted on,
    /// found by name when the input has a header]
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub columns: Vec<String>,
    /// A column that is not a feature (header name or 0-based index): left out of the
    /// model's input, copied through to the `score` output, and the truth for `eval` and
    /// `threshold --fpr` (0 or false = inlier, any other number or true = outlier)
    /// [default: none]
    #[arg(long, value_name = "COL")]
    pub label: Option<String>,
    /// Skip rows with a non-numeric, empty, NaN or infinite feature or a wrong number of
    /// fields, and report how many were skipped (default: stop at the first such row,
    /// naming its line and column).
    #[arg(long)]
    pub skip_bad_rows: bool,
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// By the file's extension.
    Auto,
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// A NumPy .npy file holding one 2-d float64 or float32 array.
    Npy,
}

/// `aegmm fit`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct FitArgs {
    /// The training rows and their columns.
    #[command(flatten)]
    pub input: InputArgs,
    /// Where to write the fitted model (the library's single-file safetensors format).
    #[arg(short, long, value_name = "FILE")]
    pub model: PathBuf,
    /// A TOML file (or JSON when it ends in .json) with any of the settings below under their
    /// long names in snake_case, e.g. `epochs = 20` or `encoder_hidden = [16, 8]`; options
    /// given on the command line win [default: none]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Fit the network on the raw values (default: standardise every feature column with
    /// the training mean and standard deviation, stored in the model and applied whenever
    /// it scores; a constant column gets a standard deviation of 1).
    #[arg(long)]
    pub no_standardize: bool,
    /// Print one JSON line per epoch on standard output (epoch, loss terms, seconds,
    /// rows/s).
    #[arg(long)]
    pub log_json: bool,
    /// The network and training settings.
    #[command(flatten)]
    pub settings: FitSettings,
}

/// Network and training settings of `fit`; each can also come from `--config`.
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitSettings {
    /// Hidden layer widths of the encoder, input side first, comma-separated
    /// [default: 60,30,10]
    #[arg(long, value_delimiter = ',', value_name = "WIDTHS")]
    pub encoder_hidden: Option<Vec<usize>>,
    /// Width of the latent code [default: 1]
    #[arg(long, value_name = "N")]
    pub latent_dim: Option<usize>,
    /// Hidden layer widths of the decoder, latent side first, comma-separated
    /// [default: 10,30,60]
    #[arg(long, value_delimiter = ',', value_name = "WIDTHS")]
    pub decoder_hidden: Option<Vec<usize>>,
    /// Hidden layer widths of the density network, comma-separated [default: 10]
    #[arg(long, value_delimiter = ',', value_name = "WIDTHS")]
    pub density_hidden: Option<Vec<usize>>,
    /// Dropout rate before the density network's softmax, in training only, in [0, 1)
    /// [default: none]
    #[arg(long, value_name = "RATE")]
    pub density_dropout: Option<f64>,
    /// Number of Gaussian mixture components [default: 2]
    #[arg(long, value_name = "K")]
    pub n_gmm: Option<usize>,
    /// Reconstruction features appended to the latent code [default: relative-distance-cosine]
    #[arg(long, value_enum, value_name = "KIND")]
    pub recon_features: Option<ReconKind>,
    /// Jitter added to every covariance diagonal [default: 1e-6]
    #[arg(long, value_name = "EPS")]
    pub eps: Option<f64>,
    /// Passes over the training rows [default: 50]
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Rows per optimizer step, at most the number of training rows [default: 1024]
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Learning rate [default: 1e-4]
    #[arg(long, value_name = "LR")]
    pub learning_rate: Option<f64>,
    /// Optimizer [default: adam]
    #[arg(long, value_enum, value_name = "KIND")]
    pub optimizer: Option<OptimizerChoice>,
    /// Decoupled weight decay of adamw [default: 0.01]
    #[arg(long, value_name = "W")]
    pub weight_decay: Option<f64>,
    /// Momentum of sgd [default: 0]
    #[arg(long, value_name = "M")]
    pub momentum: Option<f64>,
    /// Weight of the mean sample energy in the loss [default: 0.1]
    #[arg(long, value_name = "W")]
    pub w_energy: Option<f64>,
    /// Weight of the covariance diagonal penalty in the loss [default: 0.005]
    #[arg(long, value_name = "W")]
    pub w_cov_diag: Option<f64>,
    /// Seed of the weight initialisation and of the per-epoch reshuffle [default: 0]
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,
    /// Where the networks train: cpu, cuda, cuda:N or mps; the model is saved for the CPU
    /// [default: cpu]
    #[arg(long, value_name = "DEVICE")]
    pub device: Option<String>,
    /// Skip a batch whose loss or gradient is not finite instead of stopping (default: stop).
    #[arg(long)]
    #[serde(default)]
    pub skip_non_finite: bool,
}

/// Reconstruction features of the mixture input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(clippy::enum_variant_names)] // the library's names
pub enum ReconKind {
    /// Relative Euclidean distance and cosine similarity.
    RelativeDistanceCosine,
    /// Mean squared error and cosine similarity.
    MseCosine,
    /// Euclidean distance and cosine similarity.
    EuclideanCosine,
}

/// Optimizers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerChoice {
    /// Adam.
    Adam,
    /// Adam with decoupled weight decay (--weight-decay).
    Adamw,
    /// Stochastic gradient descent (--momentum).
    Sgd,
}

/// `aegmm threshold`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
#[command(group(ArgGroup::new("method").required(true).args(["perc", "contamination", "fpr"])))]
pub struct ThresholdArgs {
    /// The rows whose energies set the threshold.
    #[command(flatten)]
    pub input: InputArgs,
    /// The model file; its threshold is replaced in place.
    #[arg(short, long, value_name = "FILE")]
    pub model: PathBuf,
    /// Percentile (0 to 100) of the energies taken as the threshold: the share of rows
    /// considered normal.
    #[arg(long, value_name = "PERCENT")]
    pub perc: Option<f64>,
    /// Expected share of outliers in [0, 1]: the threshold flags that share of the rows.
    #[arg(long, value_name = "SHARE")]
    pub contamination: Option<f64>,
    /// Largest false-positive rate in [0, 1] on the rows labelled inliers (needs --label).
    #[arg(long, value_name = "RATE")]
    pub fpr: Option<f64>,
}

/// `aegmm score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The rows to score.
    #[command(flatten)]
    pub input: InputArgs,
    /// The model file.
    #[arg(short, long, value_name = "FILE")]
    pub model: PathBuf,
    /// Where to write the scores; `-` is standard output.
    #[arg(short, long, value_name = "FILE", default_value = "-")]
    pub output: String,
    /// Output format; `auto` goes by the extension: .jsonl and .ndjson are JSON lines, .npy
    /// is NumPy (float64 columns energy, is_outlier, then feature scores; no label), anything
    /// else (and `-`) is CSV.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Auto)]
    pub output_format: OutputFormat,
    /// Also write each feature's squared reconstruction error (in standardised units when
    /// the model standardises).
    #[arg(long)]
    pub feature_scores: bool,
    /// Rows read, scored and written at a time; memory stays bounded by this however long
    /// the input (.npy output is kept whole).
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub batch_rows: usize,
}

/// Output formats of `score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// By the file's extension.
    Auto,
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// A NumPy .npy float64 array.
    Npy,
}

/// `aegmm info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The model file.
    #[arg(short, long, value_name = "FILE")]
    pub model: PathBuf,
}

/// `aegmm eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The labelled rows (--label is required).
    #[command(flatten)]
    pub input: InputArgs,
    /// The model file.
    #[arg(short, long, value_name = "FILE")]
    pub model: PathBuf,
    /// Rows read and scored at a time.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub batch_rows: usize,
}
