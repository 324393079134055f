//! `aegmm fit`: train a detector on a file and save it.

use std::path::Path;
use std::time::Instant;

use aegmm::{
    AegmmConfig, Device, FitOptions, InputScaling, LossWeights, OptimizerKind, OutlierAegmm,
    ReconFeatures, TabularLayout, TrainConfig, TrainEvent,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::{FitArgs, FitSettings, OptimizerChoice, ReconKind};
use crate::error::{CliError, Result};
use crate::model_file::{self, CliRecord, TrainingSummary};
use crate::table::{one_line, TableReader};

/// Runs `aegmm fit`.
pub fn run(args: FitArgs, quiet: bool) -> Result<()> {
    let from_file = match &args.config {
        Some(path) => read_config(path)?,
        None => FitSettings::default(),
    };
    let settings = merge(args.settings.clone(), from_file);

    let mut reader = TableReader::open(&args.input, None)?;
    let x = reader.read_all()?.x;
    if x.nrows() == 0 {
        return Err(CliError::Usage(format!(
            "{}: there are no rows to fit on",
            reader.file()
        )));
    }
    note_skipped(&reader, quiet);

    let scaling = if args.no_standardize {
        None
    } else {
        Some(InputScaling::from_data(&x)?)
    };
    let (config, train, device) = configs(&settings, scaling, x.nrows())?;
    let mut detector = OutlierAegmm::new(x.ncols(), config)?;
    let mut progress = Progress::new(quiet, args.log_json, &train, x.nrows());
    let mut options = FitOptions::new().log_metric(|event| progress.update(event));
    if let Some(device) = device {
        options = options.device(device);
    }
    let history = detector.fit_with(&x, &train, options)?;
    progress.finish();
    detector.set_device(Device::Cpu)?;

    let record = CliRecord {
        features: reader.feature_names(),
        header: reader.has_header(),
        label: reader.label_name().map(String::from),
        standardized: !args.no_standardize,
        training: Some(TrainingSummary::new(
            reader.file(),
            x.nrows(),
            reader.skipped(),
            train,
            &history,
        )),
        threshold: None,
    };
    model_file::save(&detector, &record, &args.model)?;
    if !quiet {
        let loss = history.epochs.last().map_or(f64::NAN, |e| e.loss);
        eprintln!(
            "aegmm: fitted {} rows x {} features, final loss {loss:.4}; model written to {}",
            x.nrows(),
            x.ncols(),
            args.model.display()
        );
    }
    Ok(())
}

/// Tells how many bad rows were skipped, unless quiet.
pub fn note_skipped(reader: &TableReader, quiet: bool) {
    if reader.skipped() > 0 && !quiet {
        eprintln!(
            "aegmm: skipped {} bad rows of {}",
            reader.skipped(),
            reader.file()
        );
    }
}

/// The settings of a TOML or JSON configuration file.
fn read_config(path: &Path) -> Result<FitSettings> {
    let text = std::fs::read_to_string(path).map_err(CliError::io("read", path))?;
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let parsed = if json {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        toml::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|detail| CliError::Config {
        path: path.into(),
        detail: one_line(&detail),
    })
}

/// Command-line settings, with those missing taken from the file's.
fn merge(cli: FitSettings, file: FitSettings) -> FitSettings {
    FitSettings {
        encoder_hidden: cli.encoder_hidden.or(file.encoder_hidden),
        latent_dim: cli.latent_dim.or(file.latent_dim),
        decoder_hidden: cli.decoder_hidden.or(file.decoder_hidden),
        density_hidden: cli.density_hidden.or(file.density_hidden),
        density_dropout: cli.density_dropout.or(file.density_dropout),
        n_gmm: cli.n_gmm.or(file.n_gmm),
        recon_features: cli.recon_features.or(file.recon_features),
        eps: cli.eps.or(file.eps),
        epochs: cli.epochs.or(file.epochs),
        batch_size: cli.batch_size.or(file.batch_size),
        learning_rate: cli.learning_rate.or(file.learning_rate),
        optimizer: cli.optimizer.or(file.optimizer),
        weight_decay: cli.weight_decay.or(file.weight_decay),
        momentum: cli.momentum.or(file.momentum),
        w_energy: cli.w_energy.or(file.w_energy),
        w_cov_diag: cli.w_cov_diag.or(file.w_cov_diag),
        seed: cli.seed.or(file.seed),
        device: cli.device.or(file.device),
        skip_non_finite: cli.skip_non_finite || file.skip_non_finite,
    }
}

/// The detector and training configurations of `s` for `rows` training rows, and the
/// training device when it is not the CPU.
fn configs(
    s: &FitSettings,
    scaling: Option<InputScaling>,
    rows: usize,
) -> Result<(AegmmConfig, TrainConfig, Option<Device>)> {
    let layout = TabularLayout::default();
    let base = AegmmConfig::default();
    let seed = s.seed.unwrap_or(base.seed);
    let config = AegmmConfig {
        n_gmm: s.n_gmm.unwrap_or(base.n_gmm),
        layout: TabularLayout {
            encoder_hidden: s.encoder_hidden.clone().unwrap_or(layout.encoder_hidden),
            latent_dim: s.latent_dim.unwrap_or(layout.latent_dim),
            decoder_hidden: s.decoder_hidden.clone().unwrap_or(layout.decoder_hidden),
            density_hidden: s.density_hidden.clone().unwrap_or(layout.density_hidden),
            density_dropout: s.density_dropout.or(layout.density_dropout),
            weight_init: layout.weight_init,
        },
        recon_features: match s.recon_features {
            None | Some(ReconKind::RelativeDistanceCosine) => ReconFeatures::RelativeDistanceCosine,
            Some(ReconKind::MseCosine) => ReconFeatures::MseCosine,
            Some(ReconKind::EuclideanCosine) => ReconFeatures::EuclideanCosine,
        },
        input_scaling: scaling,
        eps: s.eps.unwrap_or(base.eps),
        data_type: Some("tabular".into()),
        seed,
        ..base
    };

    let defaults = TrainConfig::default();
    let train = TrainConfig {
        epochs: s.epochs.unwrap_or(defaults.epochs),
        batch_size: s.batch_size.unwrap_or(defaults.batch_size).min(rows),
        learning_rate: s.learning_rate.unwrap_or(defaults.learning_rate),
        optimizer: match s.optimizer {
            None | Some(OptimizerChoice::Adam) => OptimizerKind::Adam,
            Some(OptimizerChoice::Adamw) => OptimizerKind::AdamW {
                weight_decay: s.weight_decay.unwrap_or(0.01),
            },
            Some(OptimizerChoice::Sgd) => OptimizerKind::Sgd {
                momentum: s.momentum.unwrap_or(0.0),
            },
        },
        weights: LossWeights {
            w_energy: s.w_energy.unwrap_or(defaults.weights.w_energy),
            w_cov_diag: s.w_cov_diag.unwrap_or(defaults.weights.w_cov_diag),
        },
        eps: s.eps.unwrap_or(defaults.eps),
        seed,
        skip_non_finite: s.skip_non_finite,
    };
    train.validate().map_err(aegmm::AegmmError::from)?;
    let device = s.device.as_deref().map(parse_device).transpose()?;
    Ok((config, train, device.filter(|d| *d != Device::Cpu)))
}

/// `cpu`, `cuda`, `cuda:N` or `mps`, checked to be there.
fn parse_device(text: &str) -> Result<Device> {
    let bad = || CliError::Usage(format!("--device {text:?}: use cpu, cuda, cuda:N or mps"));
    let device = match text.trim().to_ascii_lowercase().as_str() {
        "cpu" => Device::Cpu,
        "mps" => Device::Mps,
        "cuda" => Device::Cuda(0),
        other => match other.strip_prefix("cuda:") {
            Some(n) => n.parse().map(Device::Cuda).map_err(|_| bad())?,
            None => return Err(bad()),
        },
    };
    let present = match device {
        Device::Cuda(n) => n < tch::Cuda::device_count() as usize,
        Device::Mps => tch::utils::has_mps(),
        _ => true,
    };
    if !present {
        return Err(CliError::Usage(format!(
            "--device {text}: no such device here (this libtorch sees {} CUDA devices{}); \
             use --device cpu, or a CUDA build (cargo xtask --cuda install) on a GPU machine",
            tch::Cuda::device_count(),
            if tch::utils::has_mps() {
                " and MPS"
            } else {
                ""
            }
        )));
    }
    Ok(device)
}

/// The training display: a bar over all batches of all epochs (on a terminal), a line per
/// epoch, and with `--log-json` a JSON line per epoch on standard output.
struct Progress {
    bar: ProgressBar,
    quiet: bool,
    log_json: bool,
    epochs: usize,
    rows: usize,
    batch_size: usize,
    started: Instant,
}

impl Progress {
    fn new(quiet: bool, log_json: bool, train: &TrainConfig, rows: usize) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(0)
        };
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} batches  {msg}  {elapsed} < {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        Self {
            bar,
            quiet,
            log_json,
            epochs: train.epochs,
            rows,
            batch_size: train.batch_size,
            started: Instant::now(),
        }
    }

    fn update(&mut self, event: TrainEvent<'_>) {
        match event {
            TrainEvent::Batch(b) => {
                if self.bar.length() == Some(0) {
                    self.bar.set_length((b.n_batches * self.epochs) as u64);
                }
                self.bar
                    .set_prefix(format!("epoch {}/{}", b.epoch, self.epochs));
                let done = (b.epoch - 1) * self.rows + (b.batch * self.batch_size).min(self.rows);
                let rate = done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
                self.bar
                    .set_message(format!("loss {:.4}  {rate:.0} rows/s", b.loss));
                self.bar.inc(1);
            }
            TrainEvent::Epoch(s) => {
                if self.log_json {
                    if let Ok(line) = serde_json::to_string(s) {
                        println!("{line}");
                    }
                }
                let line = format!(
                    "epoch {:>4}/{}  loss {:>10.4}  recon {:>10.4}  energy {:>10.4}  \
                     cov_diag {:>10.4}  {:>9.0} rows/s  {:>6.2} s",
                    s.epoch,
                    self.epochs,
                    s.loss,
                    s.recon,
                    s.energy,
                    s.cov_diag,
                    s.rows_per_sec,
                    s.seconds
                );
                if self.quiet {
                    return;
                }
                if self.bar.is_hidden() {
                    eprintln!("{line}");
                } else {
                    self.bar.println(line);
                }
            }
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
