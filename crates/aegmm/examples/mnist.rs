//! One-class MNIST: train the convolutional detector on 440 test images of one digit (30
//! epochs), then score the other images of it against all images of the other digits and
//! print the ROC AUC.
//!
//! ```text
//! cargo run -p aegmm --example mnist -- [--digit D] [--train N] [--test-inliers N]
//!     [--test-outliers N] [--epochs E] [--seed S]
//! ```
//!
//! The data are the MNIST test images in the repository's `data/mnist` (see
//! `data/README.md`); the training images are not shipped.

#[path = "support/mnist.rs"]
mod mnist;

use std::error::Error;

use mnist::Protocol;

fn parse(args: &[String]) -> Result<Protocol, Box<dyn Error>> {
    let mut p = Protocol {
        digit: 0,
        train_rows: 440,
        test_inliers: None,
        test_outliers: None,
        epochs: 30,
        seed: 0,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--digit" => p.digit = value.parse()?,
            "--train" => p.train_rows = value.parse()?,
            "--test-inliers" => p.test_inliers = Some(value.parse()?),
            "--test-outliers" => p.test_outliers = Some(value.parse()?),
            "--epochs" => p.epochs = value.parse()?,
            "--seed" => p.seed = value.parse()?,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(p)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let protocol = parse(&args)?;
    let data = mnist::load(&mnist::data_dir())?;
    let outcome = mnist::run(&data, &protocol)?;
    println!(
        "digit {}: ROC AUC {:.4}  (trained on {} images for {} epochs in {:.1} s, final loss \
         {:.4}; scored {} inliers and {} other digits in {:.1} s)",
        protocol.digit,
        outcome.roc_auc,
        protocol.train_rows,
        protocol.epochs,
        outcome.train_seconds,
        outcome.final_loss,
        outcome.test_inliers,
        outcome.test_outliers,
        outcome.score_seconds
    );
    Ok(())
}
