//! `aegmm-bench`: benchmark protocols on real data. Run through `cargo xtask kdd-bench`.

use std::path::PathBuf;
use std::process::ExitCode;

use aegmm::{Device, EpochStats};
use aegmm_bench::alibi::{self, AlibiOptions, AlibiRun};
use aegmm_bench::stats::{mean_std, peak_rss_bytes};
use aegmm_bench::{default_data_dir, kdd, BenchError, Result};
use clap::{Parser, Subcommand};
use serde_json::json;

#[derive(Parser)]
#[command(version, about = "Benchmark protocols of aegmm on real data")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// alibi-detect's KDD Cup 99 example: 18 continuous columns, attacks are the outliers.
    Kdd(KddArgs),
    /// The DAGMM paper's protocol on KDD Cup 99, KDD-Rev, Thyroid and Arrhythmia.
    Paper(PaperArgs),
    /// Streams synthetic rows through the full-set mixture estimate and reports peak memory.
    MixtureMemory(MixtureMemoryArgs),
    /// aegmm's side of `cargo xtask peer-bench`: the KDD example for a few epochs, compared
    /// with the JSON that alibi-detect's side wrote.
    Peer(PeerArgs),
    /// One seed of the paper protocol on one data set (what `paper --jobs` runs per process).
    #[command(hide = true)]
    PaperRun(PaperRunArgs),
    /// Peak memory of scoring N rows with a KDD-shaped detector: rows arriving batch by batch
    /// (as `aegmm score` reads a file), or all in one array handed to `score`.
    ScoreMemory(ScoreMemoryArgs),
    /// Where the time of a training epoch of the KDD example goes, phase by phase.
    TrainProfile(TrainProfileArgs),
    /// Scoring throughput of a KDD detector (alibi-detect's network) at several batch sizes.
    ScoreSpeed(ScoreSpeedArgs),
}

#[derive(clap::Args)]
struct ScoreSpeedArgs {
    /// Scoring batch sizes to measure.
    #[arg(long, default_value = "1024,16384,65536,494021", value_delimiter = ',')]
    batch: Vec<usize>,
    /// Passes over all rows per batch size; the best pass is reported.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Training epochs before scoring (on 100,000 normal rows).
    #[arg(long, default_value_t = 1)]
    epochs: usize,
    #[command(flatten)]
    torch: TorchArgs,
    /// Folder holding kddcup99/.
    #[arg(long)]
    data: Option<PathBuf>,
}

#[derive(clap::Args)]
struct PaperArgs {
    /// Data sets, comma-separated: kdd, kdd-rev, thyroid, arrhythmia.
    #[arg(
        long,
        default_value = "kdd,thyroid,arrhythmia,kdd-rev",
        value_delimiter = ','
    )]
    datasets: Vec<String>,
    /// Number of seeds (seed, seed+1, ...); the table gives mean and standard deviation.
    #[arg(long, default_value_t = 20)]
    seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Train every data set for this many epochs instead of the paper's.
    #[arg(long)]
    epochs: Option<usize>,
    /// Where the JSON report goes.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where the Markdown results page goes.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Folder keeping each finished (data set, epochs, seed) run as JSON; a run found there
    /// is read back instead of trained again, so an interrupted benchmark resumes.
    #[arg(long)]
    runs_dir: Option<PathBuf>,
    /// Train every run again, even those kept in the runs folder.
    #[arg(long)]
    fresh: bool,
    /// Weight initialisation: tch-kaiming (tch's and the library's default), glorot (Keras's,
    /// so alibi-detect's) or torch (PyTorch's nn.Linear default).
    #[arg(long, default_value = "tch-kaiming", value_parser = parse_init)]
    weight_init: aegmm::WeightInit,
    /// Covariance jitter instead of the library's default (`AegmmConfig::eps`, 1e-6).
    #[arg(long)]
    eps: Option<f64>,
    /// Runs trained at once, each in its own process with `--threads` threads (a run is
    /// sequential inside; on 2 cores, 2 jobs of 1 thread finish twice as fast as 1 job).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    #[command(flatten)]
    torch: TorchArgs,
    /// Folder holding kddcup99/ and odds/.
    #[arg(long)]
    data: Option<PathBuf>,
}

#[derive(clap::Args)]
struct TrainProfileArgs {
    /// Training rows (standardised normal rows of the KDD example).
    #[arg(long, default_value_t = 400_000)]
    rows: usize,
    /// Epochs to time (the first is also timed; libtorch warms up in it).
    #[arg(long, default_value_t = 2)]
    epochs: usize,
    #[command(flatten)]
    torch: TorchArgs,
    /// Folder holding kddcup99/.
    #[arg(long)]
    data: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ScoreMemoryArgs {
    /// Rows to score.
    #[arg(long, default_value_t = 5_000_000)]
    rows: usize,
    /// Rows per batch handed to `score` when streaming.
    #[arg(long, default_value_t = 65_536)]
    batch: usize,
    /// Hand all rows to `score` in one `rows x 18` array instead of streaming them.
    #[arg(long)]
    in_memory: bool,
    #[command(flatten)]
    torch: TorchArgs,
}

#[derive(clap::Args)]
struct PeerArgs {
    /// The report alibi-detect's side wrote (xtask/peer/alibi_kdd.py).
    #[arg(long)]
    alibi_json: PathBuf,
    /// Training epochs (the same as alibi-detect's side).
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    /// Seed of the sampling and the initialisation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where the comparison goes (JSON).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    torch: TorchArgs,
    /// Folder holding kddcup99/.
    #[arg(long)]
    data: Option<PathBuf>,
}

/// One run of the paper protocol, written as JSON to `--out` (used by `paper --jobs`).
#[derive(clap::Args)]
struct PaperRunArgs {
    /// Data set: kdd, kdd-rev, thyroid or arrhythmia.
    #[arg(long)]
    dataset: String,
    /// Seed.
    #[arg(long)]
    seed: u64,
    /// Epochs instead of the paper's.
    #[arg(long)]
    epochs: Option<usize>,
    /// Where the run's JSON goes.
    #[arg(long)]
    out: PathBuf,
    /// Weight initialisation (see `paper --weight-init`).
    #[arg(long, default_value = "tch-kaiming", value_parser = parse_init)]
    weight_init: aegmm::WeightInit,
    /// Covariance jitter (see `paper --eps`).
    #[arg(long)]
    eps: Option<f64>,
    #[command(flatten)]
    torch: TorchArgs,
    /// Folder holding kddcup99/ and odds/.
    #[arg(long)]
    data: Option<PathBuf>,
}

/// Where and how libtorch runs, shared by the benchmark commands.
#[derive(clap::Args)]
struct TorchArgs {
    /// Device: cpu, cuda (the first GPU) or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// libtorch CPU threads. The benchmark networks are narrow (at most 60 units), so one
    /// thread is close to two on an idle 2-core machine and far faster on a busy one, where
    /// OpenMP threads wait on each other.
    #[arg(long, default_value_t = 1)]
    threads: i32,
}

impl TorchArgs {
    /// Sets libtorch's CPU thread count and parses the device.
    fn apply(&self) -> Result<Device> {
        if self.threads < 1 {
            return Err(BenchError::Other(format!(
                "--threads must be at least 1, got {}",
                self.threads
            )));
        }
        tch::set_num_threads(self.threads);
        parse_device(&self.device)
    }
}

#[derive(clap::Args)]
struct MixtureMemoryArgs {
    /// Rows to stream.
    #[arg(long, default_value_t = 5_000_000)]
    rows: usize,
    /// Rows per batch.
    #[arg(long, default_value_t = 16_384)]
    batch: usize,
    /// Mixture components.
    #[arg(long, default_value_t = 4)]
    k: usize,
    /// Mixture dimension.
    #[arg(long, default_value_t = 3)]
    d: usize,
}

#[derive(clap::Args)]
struct KddArgs {
    /// Training epochs.
    #[arg(long, default_value_t = 50)]
    epochs: usize,
    /// Seed of the first run.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Number of runs, with seeds seed, seed+1, ...; the report gives mean and spread.
    #[arg(long, default_value_t = 1)]
    seeds: u64,
    /// Adam learning rate (alibi-detect 0.13's `fit` default; the library default is 1e-4).
    #[arg(long, default_value_t = 1e-3)]
    learning_rate: f64,
    /// Reconstruction features: euclid-cos (Euclidean distance and cosine), mse-cos (mean
    /// squared error and cosine, as alibi-detect's page describes) or rel-cos (the paper's
    /// relative distance and cosine, scale-free and weak on standardised data).
    #[arg(long, default_value = "euclid-cos")]
    recon_features: String,
    /// Rows drawn for training.
    #[arg(long, default_value_t = 400_000)]
    train_rows: usize,
    /// Where the JSON report goes.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    torch: TorchArgs,
    /// Folder holding kddcup99/kddcup.data_10_percent.gz and kddcup99/kddcup.names.
    #[arg(long)]
    data: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Kdd(args) => kdd_bench(args),
        Command::MixtureMemory(args) => mixture_memory(args),
        Command::Paper(args) => paper_bench(args),
        Command::ScoreSpeed(args) => score_speed(args),
        Command::PaperRun(args) => paper_run(args),
        Command::Peer(args) => peer_bench(args),
        Command::ScoreMemory(args) => score_memory(args),
        Command::TrainProfile(args) => train_profile(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_init(s: &str) -> std::result::Result<aegmm::WeightInit, String> {
    match s {
        "glorot" => Ok(aegmm::WeightInit::GlorotUniform),
        "torch" => Ok(aegmm::WeightInit::TorchLinear),
        "tch-kaiming" => Ok(aegmm::WeightInit::TchKaimingUniform),
        other => Err(format!(
            "unknown weight init {other:?}: use glorot, torch or tch-kaiming"
        )),
    }
}

fn init_name(init: aegmm::WeightInit) -> &'static str {
    match init {
        aegmm::WeightInit::GlorotUniform => "glorot",
        aegmm::WeightInit::TorchLinear => "torch",
        aegmm::WeightInit::TchKaimingUniform => "tch-kaiming",
    }
}

fn parse_device(s: &str) -> Result<Device> {
    let device = match s {
        "cpu" => Device::Cpu,
        "cuda" => Device::Cuda(0),
        other => match other.strip_prefix("cuda:").and_then(|n| n.parse().ok()) {
            Some(n) => Device::Cuda(n),
            None => {
                return Err(BenchError::Other(format!(
                    "unknown device {s:?}: use cpu, cuda or cuda:N"
                )))
            }
        },
    };
    if let Device::Cuda(n) = device {
        let available = tch::Cuda::device_count() as usize;
        if n >= available {
            return Err(BenchError::Other(format!(
                "device {s} asked for, but libtorch sees {available} CUDA device(s); \
                 install the CUDA libtorch with `cargo xtask --cuda kdd-bench ...` on a GPU machine"
            )));
        }
    }
    Ok(device)
}

fn kdd_bench(args: KddArgs) -> Result<()> {
    let device = args.torch.apply()?;
    let data = args.data.unwrap_or_else(default_data_dir).join("kddcup99");
    let out = args.out.unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/kdd-bench.json")
    });

    eprintln!(
        "reading {}",
        data.join("kddcup.data_10_percent.gz").display()
    );
    let table = kdd::read_columns(
        &data.join("kddcup.data_10_percent.gz"),
        &data.join("kddcup.names"),
        &kdd::ALIBI_COLUMNS,
    )?;
    eprintln!(
        "{} rows, {} attacks; training on {} normal rows drawn with replacement, {} threads",
        table.labels.len(),
        table.attack_targets().iter().filter(|&&t| t == 1).count(),
        args.train_rows,
        tch::get_num_threads()
    );

    let mut runs = Vec::new();
    for seed in args.seed..args.seed + args.seeds {
        let opts = AlibiOptions {
            epochs: args.epochs,
            seed,
            train_rows: args.train_rows,
            learning_rate: args.learning_rate,
            recon_features: args.recon_features.clone(),
            device,
            ..Default::default()
        };
        let mut print_epoch = |e: &EpochStats| {
            eprintln!(
                "seed {seed:>3}  epoch {:>3}/{}  loss {:>9.4}  recon {:>8.4}  energy {:>9.4}  \
                 cov_diag {:>9.4}  {:>8.0} rows/s  {:>6.2} s",
                e.epoch,
                args.epochs,
                e.loss,
                e.recon,
                e.energy,
                e.cov_diag,
                e.rows_per_sec,
                e.seconds
            );
        };
        let run = alibi::run(&table, &opts, &mut print_epoch)?;
        print_run(&run);
        runs.push(run);
    }

    let report = report_json(&runs);
    print_summary(&runs);
    write_report(&out, &report)?;
    eprintln!("report written to {}", out.display());
    Ok(())
}

fn print_run(run: &AlibiRun) {
    let t = &run.test;
    let a = &run.all_rows;
    eprintln!(
        "seed {:>3}  threshold {:.3}  test: F1 {:.3} precision {:.3} recall {:.3} accuracy {:.3} \
         ROC AUC {:.4}  all rows: F1 {:.3} ROC AUC {:.4}",
        run.options.seed,
        run.threshold,
        t.scores.f1,
        t.scores.precision,
        t.scores.recall,
        t.scores.accuracy,
        t.roc_auc.unwrap_or(f64::NAN),
        a.scores.f1,
        a.roc_auc.unwrap_or(f64::NAN)
    );
}

type Metric = (&'static str, fn(&AlibiRun) -> f64);

const METRICS: [Metric; 11] = [
    ("threshold", |r| r.threshold),
    ("test_f1", |r| r.test.scores.f1),
    ("test_precision", |r| r.test.scores.precision),
    ("test_recall", |r| r.test.scores.recall),
    ("test_accuracy", |r| r.test.scores.accuracy),
    ("test_roc_auc", |r| r.test.roc_auc.unwrap_or(f64::NAN)),
    ("all_rows_f1", |r| r.all_rows.scores.f1),
    ("all_rows_roc_auc", |r| {
        r.all_rows.roc_auc.unwrap_or(f64::NAN)
    }),
    ("seconds_per_epoch", |r| r.seconds_per_epoch),
    ("train_rows_per_sec", |r| r.train_rows_per_sec),
    ("score_rows_per_sec", |r| r.score_rows_per_sec),
];

fn print_summary(runs: &[AlibiRun]) {
    eprintln!();
    eprintln!(
        "{:<20} {:>12} {:>12}   (alibi-detect publishes F1 0.889, ROC AUC 0.996)",
        "metric", "mean", "std"
    );
    for (name, get) in METRICS {
        let values: Vec<f64> = runs.iter().map(get).collect();
        let (mean, std) = mean_std(&values);
        eprintln!("{name:<20} {mean:>12.4} {std:>12.4}");
    }
    let peak = peak_rss_bytes()
        .map(|b| b as f64 / (1 << 20) as f64)
        .unwrap_or(f64::NAN);
    eprintln!("{:<20} {:>12.1}", "peak_rss_mib", peak);
    eprintln!(
        "{:<20} {:>12}",
        "runs_all_finite",
        runs.iter().filter(|r| r.finite).count()
    );
}

fn report_json(runs: &[AlibiRun]) -> serde_json::Value {
    let summary: serde_json::Map<String, serde_json::Value> = METRICS
        .iter()
        .map(|(name, get)| {
            let values: Vec<f64> = runs.iter().map(get).collect();
            let (mean, std) = mean_std(&values);
            (
                name.to_string(),
                json!({ "mean": mean, "std": std, "values": values }),
            )
        })
        .collect();
    json!({
        "protocol": "alibi-detect KDD Cup 99 example (SPEC section 6)",
        "published": { "threshold": 12.85, "f1": 0.889, "precision": 0.944, "recall": 0.840, "roc_auc": 0.996 },
        "threads": tch::get_num_threads(),
        "peak_rss_bytes": peak_rss_bytes(),
        "summary": summary,
        "runs": runs,
    })
}

fn write_report(path: &std::path::Path, report: &serde_json::Value) -> Result<()> {
    let io = |source| BenchError::Io {
        path: path.into(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("json.tmp");
    let text =
        serde_json::to_string_pretty(report).map_err(|e| BenchError::Other(e.to_string()))?;
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

fn mixture_memory(args: MixtureMemoryArgs) -> Result<()> {
    use rand::{Rng, SeedableRng};
    if args.batch == 0 || args.rows == 0 || args.k == 0 || args.d == 0 {
        return Err(BenchError::Other(
            "rows, batch, k and d must all be at least 1".into(),
        ));
    }
    let before = peak_rss_bytes().unwrap_or(0);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut acc = aegmm_gmm::GmmAccumulator::new(args.k, args.d);
    let start = std::time::Instant::now();
    let mut done = 0;
    while done < args.rows {
        let n = args.batch.min(args.rows - done);
        let z = ndarray::Array2::from_shape_fn((n, args.d), |_| rng.gen_range(-1.0..1.0));
        let mut gamma = ndarray::Array2::from_shape_fn((n, args.k), |_| rng.gen_range(0.01..1.0));
        for mut row in gamma.rows_mut() {
            let s = row.sum();
            row /= s;
        }
        acc.update(z.view(), gamma.view())
            .map_err(|e| BenchError::Other(e.to_string()))?;
        done += n;
    }
    let gmm = acc
        .finish(1e-6)
        .map_err(|e| BenchError::Other(e.to_string()))?;
    let seconds = start.elapsed().as_secs_f64();
    let peak = peak_rss_bytes().unwrap_or(0);
    let report = json!({
        "rows": args.rows, "batch": args.batch, "k": args.k, "d": args.d,
        "seconds": seconds, "rows_per_sec": args.rows as f64 / seconds,
        "peak_rss_bytes_before": before, "peak_rss_bytes": peak,
        "phi": gmm.phi.to_vec(),
    });
    println!("{report}");
    Ok(())
}

fn paper_bench(args: PaperArgs) -> Result<()> {
    use aegmm_bench::paper::{PaperDataset, PaperRun};
    args.torch.apply()?;
    if args.jobs == 0 {
        return Err(BenchError::Other("--jobs must be at least 1".into()));
    }
    let datasets = args
        .datasets
        .iter()
        .map(|d| PaperDataset::parse(d))
        .collect::<Result<Vec<_>>>()?;
    let data_dir = args.data.clone().unwrap_or_else(default_data_dir);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("target/dagmm-bench.json"));
    let markdown = args
        .markdown
        .clone()
        .unwrap_or_else(|| root.join("docs/dagmm-bench.md"));
    let runs_dir = args
        .runs_dir
        .clone()
        .unwrap_or_else(|| root.join("target/dagmm-bench/runs"));

    // Every (data set, seed) asked for, with the file its run is kept in.
    let mut wanted = Vec::new();
    for &dataset in &datasets {
        let epochs = args.epochs.unwrap_or(dataset.setup().epochs);
        for seed in args.seed..args.seed + args.seeds {
            let init = if args.weight_init == aegmm::WeightInit::default() {
                String::new()
            } else {
                format!("-{}", init_name(args.weight_init))
            };
            let eps = args.eps.map_or(String::new(), |e| format!("-eps{e:e}"));
            let file = runs_dir.join(format!(
                "{}-e{epochs}-s{seed}{init}{eps}.json",
                dataset.name()
            ));
            wanted.push((dataset, seed, file));
        }
    }
    let missing: Vec<_> = wanted
        .iter()
        .filter(|(_, _, file)| args.fresh || !file.exists())
        .cloned()
        .collect();
    eprintln!(
        "{} runs asked for, {} kept in {}, {} to train with {} job(s)",
        wanted.len(),
        wanted.len() - missing.len(),
        runs_dir.display(),
        missing.len(),
        args.jobs
    );
    train_paper_runs(&args, &data_dir, &missing)?;

    let mut results: Vec<(PaperDataset, Vec<PaperRun>)> = Vec::new();
    for &dataset in &datasets {
        let runs = wanted
            .iter()
            .filter(|(d, _, _)| *d == dataset)
            .map(|(_, _, file)| read_paper_run(file))
            .collect::<Result<Vec<_>>>()?;
        results.push((dataset, runs));
    }

    let table = paper_table(&results);
    eprintln!("\n{table}");
    let report = json!({
        "protocol": "DAGMM paper (SPEC section 6): 50/50 split, train on inliers of the training half, flag the top ratio of test energies",
        "threads": args.torch.threads,
        "epochs_override": args.epochs,
        "weight_init": init_name(args.weight_init),
        "eps_override": args.eps,
        "datasets": results.iter().map(|(d, runs)| json!({
            "dataset": d.name(), "setup": d.setup(), "paper": d.paper(), "runs": runs,
        })).collect::<Vec<_>>(),
    });
    write_report(&out, &report)?;
    write_text(
        &markdown,
        &paper_page(&table, args.epochs, args.weight_init, args.torch.threads),
    )?;
    eprintln!(
        "report written to {} and {}",
        out.display(),
        markdown.display()
    );
    Ok(())
}

/// Trains each missing run, `args.jobs` at a time, each in its own process when more than
/// one (libtorch's generator and thread settings are process-wide, so runs sharing a
/// process would not repeat).
fn train_paper_runs(
    args: &PaperArgs,
    data_dir: &std::path::Path,
    missing: &[(aegmm_bench::paper::PaperDataset, u64, PathBuf)],
) -> Result<()> {
    if args.jobs == 1 {
        let device = parse_device(&args.torch.device)?;
        for (dataset, seed, file) in missing {
            let run = train_one_paper_run(
                *dataset,
                *seed,
                args.epochs,
                device,
                data_dir,
                args.weight_init,
                args.eps,
            )?;
            write_run(file, &run)?;
        }
        return Ok(());
    }
    let exe = std::env::current_exe()
        .map_err(|e| BenchError::Other(format!("cannot find this program: {e}")))?;
    let mut queue = missing.iter();
    let mut running: Vec<(std::process::Child, String)> = Vec::new();
    loop {
        while running.len() < args.jobs {
            let Some((dataset, seed, file)) = queue.next() else {
                break;
            };
            let mut cmd = std::process::Command::new(&exe);
            cmd.args(["paper-run", "--dataset", dataset.name()])
                .args(["--seed", &seed.to_string()])
                .args(["--threads", &args.torch.threads.to_string()])
                .args(["--device", &args.torch.device])
                .args(["--weight-init", init_name(args.weight_init)])
                .arg("--data")
                .arg(data_dir)
                .arg("--out")
                .arg(file);
            if let Some(e) = args.epochs {
                cmd.args(["--epochs", &e.to_string()]);
            }
            if let Some(e) = args.eps {
                cmd.args(["--eps", &e.to_string()]);
            }
            let child = cmd
                .spawn()
                .map_err(|e| BenchError::Other(format!("cannot start {}: {e}", exe.display())))?;
            running.push((child, format!("{} seed {seed}", dataset.name())));
        }
        if running.is_empty() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        let mut i = 0;
        while i < running.len() {
            match running[i].0.try_wait() {
                Ok(Some(status)) if status.success() => {
                    running.swap_remove(i);
                }
                Ok(Some(status)) => {
                    let what = running[i].1.clone();
                    for (child, _) in &mut running {
                        let _ = child.kill();
                    }
                    return Err(BenchError::Other(format!(
                        "the run of {what} failed ({status})"
                    )));
                }
                Ok(None) => i += 1,
                Err(e) => return Err(BenchError::Other(format!("waiting for a run: {e}"))),
            }
        }
    }
}

fn train_one_paper_run(
    dataset: aegmm_bench::paper::PaperDataset,
    seed: u64,
    epochs: Option<usize>,
    device: Device,
    data_dir: &std::path::Path,
    init: aegmm::WeightInit,
    eps: Option<f64>,
) -> Result<aegmm_bench::paper::PaperRun> {
    use aegmm_bench::paper;
    let data = paper::load(dataset, data_dir, seed)?;
    let run = paper::run_with(dataset, &data, seed, epochs, device, init, eps)?;
    eprintln!(
        "{:<11} seed {:>3}  {:>6} epochs  precision {:.4}  recall {:.4}  F1 {:.4}  ROC AUC {:.4}  {:>7.1} s  {:>9.0} rows/s",
        run.dataset, seed, run.epochs, run.precision, run.recall, run.f1,
        run.roc_auc.unwrap_or(f64::NAN), run.train_seconds, run.rows_per_sec
    );
    Ok(run)
}

fn paper_run(args: PaperRunArgs) -> Result<()> {
    let device = args.torch.apply()?;
    let dataset = aegmm_bench::paper::PaperDataset::parse(&args.dataset)?;
    let data_dir = args.data.unwrap_or_else(default_data_dir);
    let run = train_one_paper_run(
        dataset,
        args.seed,
        args.epochs,
        device,
        &data_dir,
        args.weight_init,
        args.eps,
    )?;
    write_run(&args.out, &run)
}

fn write_run(path: &std::path::Path, run: &aegmm_bench::paper::PaperRun) -> Result<()> {
    let value = serde_json::to_value(run).map_err(|e| BenchError::Other(e.to_string()))?;
    write_report(path, &value)
}

fn read_paper_run(path: &std::path::Path) -> Result<aegmm_bench::paper::PaperRun> {
    let text = std::fs::read_to_string(path).map_err(|source| BenchError::Io {
        path: path.into(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| {
        BenchError::Other(format!(
            "{} is not a run of the paper benchmark ({e}); delete it or pass --fresh",
            path.display()
        ))
    })
}

fn paper_table(
    results: &[(
        aegmm_bench::paper::PaperDataset,
        Vec<aegmm_bench::paper::PaperRun>,
    )],
) -> String {
    let mut t = String::from(
        "| data set | seeds | epochs | precision | recall | F1 | paper F1 | ROC AUC | train s | rows/s |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (dataset, runs) in results {
        let stat = |get: fn(&aegmm_bench::paper::PaperRun) -> f64| {
            let v: Vec<f64> = runs.iter().map(get).collect();
            let (m, s) = mean_std(&v);
            format!("{m:.4} ± {s:.4}")
        };
        let paper = dataset.paper();
        t.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {:.4} | {} | {:.0} | {:.0} |\n",
            dataset.name(),
            runs.len(),
            runs.first().map_or(0, |r| r.epochs),
            stat(|r| r.precision),
            stat(|r| r.recall),
            stat(|r| r.f1),
            paper.f1,
            stat(|r| r.roc_auc.unwrap_or(f64::NAN)),
            mean_std(&runs.iter().map(|r| r.train_seconds).collect::<Vec<_>>()).0,
            mean_std(&runs.iter().map(|r| r.rows_per_sec).collect::<Vec<_>>()).0,
        ));
    }
    t
}

fn paper_page(table: &str, epochs: Option<usize>, init: aegmm::WeightInit, threads: i32) -> String {
    let epochs_note = match epochs {
        Some(e) => format!("every data set trained for {e} epochs instead of the paper's"),
        None => "the paper's epochs".to_string(),
    };
    let init = init_name(init);
    format!(
        "# DAGMM paper protocol: results\n\n\
         Generated by `cargo xtask dagmm-bench` ({epochs_note}, weight init {init}, {threads} \
         libtorch thread(s) per run; the seeds column says how many seeds, 0, 1, ...); rerun it \
         to refresh this page. The same seeds give the same figures on the CPU; only the times \
         change.\n\n\
         ## The two protocols\n\n\
         aegmm measures itself on KDD Cup 99 in two ways (SPEC section 6). **alibi-detect's \
         example** (`cargo xtask kdd-bench`, the main job): the 18 continuous columns, attacks \
         are the outliers, 400,000 normal rows drawn with replacement for training, a threshold \
         from a 1,000-row batch with 5 % attacks, a test batch with 10 % attacks and every row \
         scored; results in the README. **The DAGMM paper's protocol**, below, is the one \
         research papers quote.\n\n\
         Protocol (SPEC section 6): each seed splits the rows 50/50 at random, trains on the\n\
         non-anomalous rows of the training half (min-max scaled with the minimum and maximum of\n\
         those training rows only), flags the top share of test energies (20 % for KDD and\n\
         KDD-Rev, 2.5 % for Thyroid, 15 % for Arrhythmia) and scores the anomaly class.\n\
         KDD: `normal.` is the anomaly; protocol_type, service and flag one-hot encoded (118\n\
         features). KDD-Rev: every `normal.` row plus attacks drawn to be 20 %, attacks the\n\
         anomaly. Networks as in the paper's section 4 (estimation net 10 tanh, dropout 0.5),\n\
         Adam 1e-4, the paper's relative-distance and cosine reconstruction features.\n\n{table}\n\
         Precision, recall, F1 and ROC AUC are mean ± population standard deviation over seeds;\n\
         train s is the mean training time per seed, rows/s the training rows per second.\n"
    )
}

fn write_text(path: &std::path::Path, text: &str) -> Result<()> {
    let io = |source| BenchError::Io {
        path: path.into(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("md.tmp");
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

fn score_speed(args: ScoreSpeedArgs) -> Result<()> {
    let device = args.torch.apply()?;
    let data = args.data.unwrap_or_else(default_data_dir).join("kddcup99");
    let table = kdd::read_columns(
        &data.join("kddcup.data_10_percent.gz"),
        &data.join("kddcup.names"),
        &kdd::ALIBI_COLUMNS,
    )?;
    let opts = AlibiOptions {
        epochs: args.epochs,
        train_rows: 100_000,
        device,
        ..Default::default()
    };
    let (mut detector, x_all) = alibi::fitted_detector(&table, &opts)?;
    let mut results = Vec::new();
    for &batch in &args.batch {
        detector.set_score_batch_size(batch)?;
        let mut best = (f64::INFINITY, f64::INFINITY);
        for _ in 0..args.repeat.max(1) {
            let start = std::time::Instant::now();
            let z = detector.mixture_inputs(&x_all)?;
            let forward = start.elapsed().as_secs_f64();
            drop(z);
            let start = std::time::Instant::now();
            let scores = detector.score(&x_all)?;
            let score = start.elapsed().as_secs_f64();
            std::hint::black_box(scores);
            best = (best.0.min(score), best.1.min(forward));
        }
        let rows = x_all.nrows() as f64;
        eprintln!(
            "batch {batch:>7}  score {:>10.0} rows/s  ({:.3} s)   networks only {:>10.0} rows/s",
            rows / best.0,
            best.0,
            rows / best.1
        );
        results.push(json!({"batch": batch, "score_rows_per_sec": rows / best.0,
            "networks_rows_per_sec": rows / best.1}));
    }
    println!(
        "{}",
        json!({"rows": x_all.nrows(), "threads": args.torch.threads, "results": results})
    );
    Ok(())
}

fn peer_bench(args: PeerArgs) -> Result<()> {
    use aegmm_bench::flops;
    let device = args.torch.apply()?;
    let out = args.out.unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/peer-bench.json")
    });
    let alibi_text =
        std::fs::read_to_string(&args.alibi_json).map_err(|source| BenchError::Io {
            path: args.alibi_json.clone(),
            source,
        })?;
    let alibi: serde_json::Value = serde_json::from_str(&alibi_text).map_err(|e| {
        BenchError::Other(format!("{} is not JSON: {e}", args.alibi_json.display()))
    })?;

    // The machine's matrix-product rate with the same thread count. libtorch's products go to
    // OpenBLAS in this process (see aegmm_gmm::set_blas_threads), so it gets the threads too.
    let threads = args.torch.threads as usize;
    aegmm_gmm::set_blas_threads(threads);
    let peak = flops::matmul_flops_per_sec(2048, 5, device);
    aegmm_gmm::set_blas_threads(1);
    eprintln!(
        "matrix product 2048^3 (f32, {threads} thread(s)): {:.1} GFLOP/s",
        peak / 1e9
    );

    let data = args.data.unwrap_or_else(default_data_dir).join("kddcup99");
    let table = kdd::read_columns(
        &data.join("kddcup.data_10_percent.gz"),
        &data.join("kddcup.names"),
        &kdd::ALIBI_COLUMNS,
    )?;
    let opts = AlibiOptions {
        epochs: args.epochs,
        seed: args.seed,
        device,
        ..Default::default()
    };
    eprintln!(
        "aegmm: {} epochs of the KDD example, {threads} thread(s)",
        args.epochs
    );
    let run = alibi::run(&table, &opts, &mut |e| {
        eprintln!(
            "aegmm  epoch {:>2}  {:>6.2} s  loss {:.4}",
            e.epoch, e.seconds, e.loss
        )
    })?;
    let ours_peak_rss = peak_rss_bytes().map(|b| b as f64);

    let layers = flops::kdd_example_layers(table.x.ncols(), 1, 2, 2);
    let train_flops = flops::training_flops(&layers) as f64;
    let score_flops = flops::forward_flops(&layers) as f64;

    let num = |path: &[&str]| -> Option<f64> {
        path.iter()
            .try_fold(&alibi, |v, key| v.get(key))
            .and_then(|v| v.as_f64())
    };
    let ours_epoch = run.fit_seconds / args.epochs as f64;
    let theirs_epoch = num(&["seconds_per_epoch"]);
    let train_rows = opts.train_rows as f64;
    let theirs_score = num(&["score_rows_per_sec"]);
    let rows: Vec<(&str, Option<f64>, Option<f64>, bool)> = vec![
        (
            "seconds per epoch (fit / epochs)",
            Some(ours_epoch),
            theirs_epoch,
            true,
        ),
        (
            "scoring rows/s (all 494,021 rows)",
            Some(run.score_rows_per_sec),
            theirs_score,
            false,
        ),
        (
            "peak resident memory, MiB",
            ours_peak_rss.map(|b| b / 1048576.0),
            num(&["peak_rss_bytes"]).map(|b| b / 1048576.0),
            true,
        ),
        (
            "test F1 (1,000 rows, 10 % attacks)",
            Some(run.test.scores.f1),
            num(&["test", "f1"]),
            false,
        ),
        (
            "test ROC AUC",
            run.test.roc_auc,
            num(&["test", "roc_auc"]),
            false,
        ),
        (
            "all rows F1",
            Some(run.all_rows.scores.f1),
            num(&["all_rows", "f1"]),
            false,
        ),
        (
            "all rows ROC AUC",
            run.all_rows.roc_auc,
            num(&["all_rows", "roc_auc"]),
            false,
        ),
        (
            "training, fraction of the matmul peak",
            Some(train_rows / ours_epoch * train_flops / peak),
            theirs_epoch.map(|t| train_rows / t * train_flops / peak),
            false,
        ),
        (
            "scoring, fraction of the matmul peak",
            Some(run.score_rows_per_sec * score_flops / peak),
            theirs_score.map(|r| r * score_flops / peak),
            false,
        ),
    ];
    let fmt = |v: Option<f64>| {
        v.map_or("n/a".to_string(), |v| {
            if v.abs() >= 100.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.4}")
            }
        })
    };
    let mut md =
        String::from("| measure | aegmm | alibi-detect | aegmm advantage |\n|---|---|---|---|\n");
    let mut json_rows = Vec::new();
    for (name, ours, theirs, lower_is_better) in &rows {
        let advantage = match (ours, theirs) {
            (Some(o), Some(t)) if *o > 0.0 && *t > 0.0 => {
                Some(if *lower_is_better { t / o } else { o / t })
            }
            _ => None,
        };
        md.push_str(&format!(
            "| {name} | {} | {} | {} |\n",
            fmt(*ours),
            fmt(*theirs),
            advantage.map_or("n/a".to_string(), |a| format!("{a:.2}x"))
        ));
        json_rows.push(
            json!({"measure": name, "aegmm": ours, "alibi_detect": theirs, "advantage": advantage}),
        );
    }
    println!("{md}");
    if alibi.get("weights_finite").and_then(|v| v.as_bool()) != Some(true) {
        eprintln!(
            "warning: alibi-detect's weights are not finite after training with this TensorFlow \
             seed; its scores mean nothing (pick another with --tf-seed)"
        );
    }
    let report = json!({
        "protocol": "alibi-detect KDD Cup 99 example (SPEC section 6), shortened to the given epochs",
        "epochs": args.epochs,
        "threads": threads,
        "matmul_flops_per_sec": peak,
        "flops_per_training_row": train_flops,
        "flops_per_scored_row": score_flops,
        "table": json_rows,
        "markdown": md,
        "aegmm": {
            "fit_seconds": run.fit_seconds,
            "seconds_per_epoch": ours_epoch,
            "score_rows_per_sec": run.score_rows_per_sec,
            "peak_rss_bytes": ours_peak_rss,
            "run": run,
        },
        "alibi_detect": alibi,
    });
    write_report(&out, &report)?;
    eprintln!("report written to {}", out.display());
    Ok(())
}

fn score_memory(args: ScoreMemoryArgs) -> Result<()> {
    use aegmm::{AegmmConfig, OutlierAegmm, ReconFeatures, TrainConfig};
    use rand::{Rng, SeedableRng};
    let device = args.torch.apply()?;
    if args.rows == 0 || args.batch == 0 {
        return Err(BenchError::Other(
            "--rows and --batch must be at least 1".into(),
        ));
    }
    const FEATURES: usize = 18;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut rows = |n: usize| {
        ndarray::Array2::<f32>::from_shape_fn((n, FEATURES), |_| rng.gen_range(-1.0..1.0))
    };
    let config = AegmmConfig {
        recon_features: ReconFeatures::EuclideanCosine,
        device,
        ..AegmmConfig::default()
    };
    let mut detector = OutlierAegmm::new(FEATURES, config)?;
    let train = TrainConfig {
        epochs: 1,
        batch_size: 1024,
        ..TrainConfig::default()
    };
    detector.fit(&rows(20_000), &train, &mut |_| {})?;
    let before = peak_rss_bytes().unwrap_or(0);

    let start = std::time::Instant::now();
    let (mut count, mut sum, mut max) = (0usize, 0.0f64, f64::NEG_INFINITY);
    let mut input_bytes = 0;
    let mut tally = |scores: &ndarray::Array1<f64>| {
        count += scores.len();
        sum += scores.sum();
        max = scores.iter().copied().fold(max, f64::max);
    };
    if args.in_memory {
        let x = rows(args.rows);
        input_bytes = x.len() * std::mem::size_of::<f32>();
        tally(&detector.score(&x)?);
    } else {
        let mut done = 0;
        while done < args.rows {
            let n = args.batch.min(args.rows - done);
            tally(&detector.score(&rows(n))?);
            done += n;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let peak = peak_rss_bytes().unwrap_or(0);
    let mib = |b: u64| b as f64 / 1048576.0;
    eprintln!(
        "{} rows ({}): peak RSS {:.1} MiB (after fitting {:.1} MiB, input array {:.1} MiB), \
         {:.0} rows/s, mean energy {:.4}",
        count,
        if args.in_memory {
            "one array"
        } else {
            "streamed"
        },
        mib(peak),
        mib(before),
        mib(input_bytes as u64),
        count as f64 / seconds,
        sum / count as f64
    );
    println!(
        "{}",
        json!({"rows": count, "in_memory": args.in_memory, "batch": args.batch,
               "peak_rss_bytes": peak, "peak_rss_bytes_before_scoring": before,
               "input_bytes": input_bytes, "seconds": seconds, "max_energy": max})
    );
    Ok(())
}

/// The training step of `aegmm_nn::Trainer`, taken apart and timed phase by phase on the
/// KDD example's network (batch 1024, Adam 1e-3, the same calls in the same order).
fn train_profile(args: TrainProfileArgs) -> Result<()> {
    use aegmm_nn::{AegmmNetwork, LossWeights, ReconFeatures, TabularLayout, TchGmm};
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    use std::time::Instant;
    use tch::nn::OptimizerConfig;
    use tch::{Kind, Tensor};

    let device = args.torch.apply()?;
    aegmm_gmm::set_blas_threads(1);
    let data = args.data.unwrap_or_else(default_data_dir).join("kddcup99");
    let table = kdd::read_columns(
        &data.join("kddcup.data_10_percent.gz"),
        &data.join("kddcup.names"),
        &kdd::ALIBI_COLUMNS,
    )?;
    let targets = table.attack_targets();
    let normal: Vec<usize> = (0..targets.len()).filter(|&i| targets[i] == 0).collect();
    let rows: Vec<usize> = (0..args.rows).map(|i| normal[i % normal.len()]).collect();
    let x = table.x.select(ndarray::Axis(0), &rows);
    let mean = x.mean_axis(ndarray::Axis(0)).expect("rows");
    let std = x
        .std_axis(ndarray::Axis(0), 0.0)
        .mapv(|s| if s > 0.0 { s } else { 1.0 });
    let x = ((x - &mean) / &std).mapv(|v| v as f32);
    let x = Tensor::from_slice(x.as_slice().expect("standard layout"))
        .reshape([args.rows as i64, table.x.ncols() as i64]);

    tch::manual_seed(0);
    let vs = tch::nn::VarStore::new(device);
    let net = AegmmNetwork::tabular(
        &vs.root(),
        table.x.ncols(),
        &TabularLayout::default(),
        2,
        ReconFeatures::EuclideanCosine,
    );
    let mut opt = tch::nn::Adam::default()
        .build(&vs, 1e-3)
        .map_err(|e| BenchError::Other(e.to_string()))?;
    let weights = LossWeights::default();
    let eps = 1e-6;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut order: Vec<i64> = (0..args.rows as i64).collect();
    let err = |e: aegmm_nn::NnError| BenchError::Other(e.to_string());

    const PHASES: [&str; 10] = [
        "shuffle the row order",
        "gather the batch (index_select)",
        "forward (networks)",
        "mixture estimate (phi, mu, cov)",
        "Cholesky + log det",
        "energy and penalty",
        "read out the loss terms, finiteness",
        "backward",
        "gradient finiteness check",
        "optimizer step (Adam)",
    ];
    for epoch in 1..=args.epochs {
        let mut t = [0.0f64; 10];
        let epoch_start = Instant::now();
        let mut clock = Instant::now();
        let mut lap = |t: &mut [f64; 10], i: usize| {
            t[i] += clock.elapsed().as_secs_f64();
            clock = Instant::now();
        };
        order.shuffle(&mut rng);
        lap(&mut t, 0);
        for idx in order.chunks(1024) {
            let idx = Tensor::from_slice(idx);
            let batch = x.index_select(0, &idx).to_device(device);
            lap(&mut t, 1);
            let fwd = net.forward_t(&batch, true).map_err(err)?;
            lap(&mut t, 2);
            // TchGmm::estimate in its two parts, as aegmm_loss calls it.
            let (phi, mu, cov) = TchGmm::moments(&fwd.z, &fwd.gamma);
            lap(&mut t, 3);
            let gmm = TchGmm::from_params(phi, mu, cov, eps).map_err(err)?;
            lap(&mut t, 4);
            let recon = (&batch - &fwd.x_hat).square().mean(Kind::Float);
            let energy = gmm.energy(&fwd.z).mean(Kind::Double).to_kind(Kind::Float);
            let cov_diag = gmm.cov_diag_penalty().to_kind(Kind::Float);
            let total = &recon + &energy * weights.w_energy + &cov_diag * weights.w_cov_diag;
            lap(&mut t, 5);
            let values = Tensor::stack(&[&total, &recon, &energy, &cov_diag], 0);
            let v = Vec::<f64>::try_from(values.to_kind(Kind::Double).to_device(tch::Device::Cpu))
                .map_err(|e| BenchError::Other(e.to_string()))?;
            if v.iter().any(|v| !v.is_finite()) {
                return Err(BenchError::Other("non-finite loss".into()));
            }
            lap(&mut t, 6);
            opt.zero_grad();
            total.backward();
            lap(&mut t, 7);
            let grads: Vec<Tensor> = vs
                .trainable_variables()
                .iter()
                .map(|v| v.grad().flatten(0, -1))
                .collect();
            let finite = bool::try_from(Tensor::cat(&grads, 0).isfinite().all()).unwrap_or(false);
            if !finite {
                return Err(BenchError::Other("non-finite gradient".into()));
            }
            lap(&mut t, 8);
            opt.step();
            lap(&mut t, 9);
        }
        let total = epoch_start.elapsed().as_secs_f64();
        eprintln!(
            "epoch {epoch}: {total:.3} s for {} rows ({:.0} rows/s)",
            args.rows,
            args.rows as f64 / total
        );
        for (name, secs) in PHASES.iter().zip(t) {
            eprintln!(
                "  {name:<38} {secs:>7.3} s  {:>5.1} %",
                100.0 * secs / total
            );
        }
        if epoch == args.epochs {
            println!(
                "{}",
                json!({
                    "epoch_seconds": total, "rows": args.rows, "threads": args.torch.threads,
                    "phases": PHASES.iter().zip(t).map(|(n, s)| json!({"phase": n, "seconds": s})).collect::<Vec<_>>(),
                })
            );
        }
    }
    Ok(())
}
