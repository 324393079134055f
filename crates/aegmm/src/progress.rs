//! The opt-in training progress display on standard error.

use std::io::IsTerminal;

use aegmm_nn::{EpochStats, TrainEvent};
use indicatif::{ProgressBar, ProgressStyle};

/// A bar per epoch that fills batch by batch and stays as a summary line, or a plain line
/// per epoch when standard error is not a terminal.
pub(crate) struct Progress {
    epochs: usize,
    bar: Option<ProgressBar>,
    terminal: bool,
}

impl Progress {
    pub(crate) fn new(epochs: usize) -> Self {
        Self {
            epochs,
            bar: None,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    pub(crate) fn update(&mut self, event: TrainEvent<'_>) {
        match event {
            TrainEvent::Batch(batch) if self.terminal => {
                let bar = self.bar.get_or_insert_with(|| {
                    let bar = ProgressBar::new(batch.n_batches as u64);
                    let style = ProgressStyle::with_template(
                        "{prefix} [{bar:30}] {pos:>5}/{len:5} batches  loss {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
                    bar.set_style(style);
                    bar.set_prefix(format!("epoch {:>4}/{}", batch.epoch, self.epochs));
                    bar
                });
                bar.inc(1);
                bar.set_message(format!("{:.4}", batch.loss));
            }
            TrainEvent::Batch(_) => {}
            TrainEvent::Epoch(stats) => {
                let line = self.epoch_line(stats);
                match self.bar.take() {
                    Some(bar) => {
                        bar.set_style(
                            ProgressStyle::with_template("{msg}")
                                .unwrap_or_else(|_| ProgressStyle::default_bar()),
                        );
                        bar.finish_with_message(line);
                    }
                    None => eprintln!("{line}"),
                }
            }
        }
    }

    fn epoch_line(&self, s: &EpochStats) -> String {
        format!(
            "epoch {:>4}/{}  loss {:>10.4}  recon {:>10.4}  energy {:>10.4}  cov_diag {:>10.4}  \
             {:>9.0} rows/s  {:>7.2} s",
            s.epoch, self.epochs, s.loss, s.recon, s.energy, s.cov_diag, s.rows_per_sec, s.seconds
        )
    }
}
