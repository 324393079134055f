//! `cargo xtask`: sets up what aegmm needs (OpenBLAS, libtorch) and runs its jobs.
//!
//! It deliberately depends on nothing but `std`, so it builds before libtorch exists.

mod libtorch;
mod peer;
mod system;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use libtorch::{Libtorch, Variant};

const USAGE: &str = "\
usage: cargo xtask [--cuda] <command> [args...]

commands:
  kdd-bench [args]   the main job: alibi-detect's KDD Cup 99 protocol on the raw data
                     (--epochs N, --seed S, --seeds N, --out FILE, --device cpu|cuda|cuda:N,
                     --train-rows N); prints per-epoch progress and a table, writes JSON
  dagmm-bench [args] the DAGMM paper's protocol on KDD, KDD-Rev, Thyroid and Arrhythmia
                     (--datasets a,b, --seeds N (default 20), --epochs N, --out FILE,
                     --markdown FILE); writes docs/dagmm-bench.md and target/dagmm-bench.json
  peer-bench [args]  alibi-detect 0.13 (TensorFlow, in a virtual environment made once in
                     the cache folder) and aegmm on the same KDD example, one after the
                     other, with the same thread count; prints the ratios of seconds per
                     epoch, scoring rows/s, peak memory, F1/AUC and the fraction of the
                     measured matrix-product peak; writes target/peer-bench.json
                     (--epochs N (3), --threads N (2), --tf-seed S (0), --out FILE)
  install [args]     builds the `aegmm` command line in release mode and installs it with
                     `cargo install` (extra args go to it, e.g. --root DIR); the binary
                     finds libtorch through its rpath, from any folder, with no variable set
  test [args]        runs every test of the workspace (extra args go to `cargo test`)
  env                prints export lines so plain cargo finds libtorch:
                     eval \"$(cargo xtask env)\"
  setup              installs OpenBLAS (apt) and libtorch (pip) if missing, nothing else

options:
  --cuda             use the CUDA build of libtorch (about 2.7 GB more download) and link
                     libtorch_cuda, so that --device cuda works on a GPU machine

environment:
  LIBTORCH           use this libtorch folder instead of installing one
  AEGMM_CACHE_DIR    where installed libtorch lives (default $XDG_CACHE_HOME/aegmm or
                     ~/.cache/aegmm), shared by every clone on the machine
";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let cuda = take_flag(&mut args, "--cuda");
    let variant = if cuda { Variant::Cuda } else { Variant::Cpu };
    let Some(command) = (!args.is_empty()).then(|| args.remove(0)) else {
        eprint!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    let root = workspace_root();

    match command.as_str() {
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        "setup" => {
            setup(&root, variant)?;
            Ok(ExitCode::SUCCESS)
        }
        "env" => {
            let torch = setup(&root, variant)?;
            print!("{}", torch.export_lines());
            Ok(ExitCode::SUCCESS)
        }
        "test" => {
            let torch = setup(&root, variant)?;
            let mut cargo_args = vec!["test".to_string(), "--workspace".to_string()];
            cargo_args.extend(args);
            cargo(&root, &torch, &cargo_args)
        }
        "install" => {
            let torch = setup(&root, variant)?;
            let mut cargo_args: Vec<String> = [
                "install",
                "--locked",
                "--force",
                "--path",
                "crates/aegmm-cli",
            ]
            .map(String::from)
            .into();
            cargo_args.extend(args);
            cargo(&root, &torch.resolved(), &cargo_args)
        }
        "kdd-bench" => bench(&root, variant, "kdd", args),
        "dagmm-bench" => bench(&root, variant, "paper", args),
        "peer-bench" => {
            let opts = peer::PeerOptions::parse(&root, &args)?;
            setup(&root, variant)?;
            let python = peer::ensure_venv()?;
            let report = peer::run_alibi(&root, &python, &opts)?;
            bench(&root, variant, "peer", peer::aegmm_args(&report, &opts))
        }
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    }
}

fn take_flag(args: &mut Vec<String>, flag: &str) -> bool {
    let before = args.len();
    args.retain(|a| a != flag);
    args.len() != before
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs a subcommand of the release-built `aegmm-bench` with the user's arguments.
fn bench(root: &Path, variant: Variant, sub: &str, args: Vec<String>) -> Result<ExitCode, String> {
    let torch = setup(root, variant)?;
    let mut cargo_args: Vec<String> = [
        "run",
        "--release",
        "--quiet",
        "-p",
        "aegmm-bench",
        "--",
        sub,
    ]
    .map(String::from)
    .into();
    cargo_args.extend(args);
    cargo(root, &torch, &cargo_args)
}

/// Makes sure the system libraries and libtorch are there; returns where libtorch is.
fn setup(root: &Path, variant: Variant) -> Result<Libtorch, String> {
    system::ensure_packages(&["libopenblas-dev", "liblapacke-dev"])?;
    Libtorch::ensure(root, variant)
}

/// Runs cargo in the workspace with what it needs to build and run against libtorch.
fn cargo(root: &Path, torch: &Libtorch, args: &[String]) -> Result<ExitCode, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root).args(args);
    for (key, value) in torch.env() {
        cmd.env(key, value);
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(c.clamp(1, 255) as u8),
        None => ExitCode::FAILURE,
    })
}
