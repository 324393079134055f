//! `aegmm`: the command line of the aegmm outlier detector.
//!
//! `fit` trains a detector on a CSV, TSV or `.npy` file and saves it in the library's model
//! format (plus a small record of its columns and training, see [`model_file`]);
//! `threshold` sets its outlier threshold; `score` streams energies and flags; `info` and
//! `eval` report on a model as JSON. Every error is one line on standard error and a
//! non-zero exit status.

mod args;
mod error;
mod eval;
mod fit;
mod info;
mod metrics;
mod model_file;
mod output;
mod score;
mod shared;
mod table;
mod threshold;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::error::Result;
use crate::table::one_line;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("aegmm: internal error: {}", error_line(&info.to_string()));
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "aegmm: {} (see aegmm --help)",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aegmm: {}", error_line(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Fit(args) => fit::run(args, cli.quiet),
        Command::Threshold(args) => threshold::run(args, cli.quiet),
        Command::Score(args) => score::run(args, cli.quiet),
        Command::Info(args) => info::run(args),
        Command::Eval(args) => eval::run(args),
    }
}

/// An error message on one line; libtorch's own messages keep only their first line (before
/// the list of backends and the C++ backtrace, also when quoted with escaped newlines).
fn error_line(message: &str) -> String {
    let kept = message
        .split("Exception raised from")
        .next()
        .unwrap_or(message);
    let kept = kept.split("\\n").next().unwrap_or(kept);
    one_line(kept)
}
