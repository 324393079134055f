//! `aegmm info`: what a model file holds, as JSON.

use serde_json::{json, Value};

use crate::args::InfoArgs;
use crate::error::Result;
use crate::model_file;

/// Runs `aegmm info`; prints one JSON document on standard output.
pub fn run(args: InfoArgs) -> Result<()> {
    let (detector, record) = model_file::load(&args.model)?;
    let metadata = model_file::read_metadata(&args.model)?;
    let config: Value = metadata
        .get("config")
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or(Value::Null);
    let scaling = detector
        .config()
        .input_scaling
        .as_ref()
        .map(|s| json!({ "mean": s.mean, "std": s.std }));
    let mixture = detector.gmm().map(|g| {
        json!({
            "components": g.n_components(),
            "dim": g.dim(),
            "phi": g.phi.to_vec(),
        })
    });
    let report = json!({
        "model": args.model.display().to_string(),
        "format": metadata.get("format"),
        "format_version": metadata.get("format_version"),
        "library_version": metadata.get("library_version"),
        "n_features": detector.row_shape().iter().product::<usize>(),
        "feature_columns": record.features,
        "label_column": record.label,
        "standardized": scaling.is_some(),
        "standardization": scaling,
        "config": config,
        "mixture": mixture,
        "training": record.training,
        "threshold": detector.threshold(),
        "threshold_from": record.threshold,
    });
    println!("{report:#}");
    Ok(())
}
