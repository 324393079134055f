//! The result of `predict`, laid out like alibi-detect's dictionary.

use serde::{Deserialize, Serialize};

/// Detector metadata, as in alibi-detect's `meta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// Detector name, `"OutlierAEGMM"`.
    pub name: String,
    /// Always `"outlier"`.
    pub detector_type: String,
    /// The configured data type label, if any.
    pub data_type: Option<String>,
    /// Always `false`: the detector is fitted offline.
    pub online: bool,
    /// Version of this library.
    pub version: String,
}

/// Per-row results, as in alibi-detect's `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionData {
    /// 1 where the row's energy is strictly above the threshold, else 0; `N`.
    pub is_outlier: Vec<u8>,
    /// The energy of each row when asked for, else `None` (JSON `null`); `N`.
    pub instance_score: Option<Vec<f64>>,
    /// Squared reconstruction error of every feature of every row when asked for, else
    /// `None` (JSON `null`); `N` rows of `F` values, each row's features in the order of the
    /// input's axes (images flattened), in the units the networks see (after any scaling).
    pub feature_score: Option<Vec<Vec<f64>>>,
}

/// What `predict` returns: `{"meta": {...}, "data": {...}}` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Detector metadata.
    pub meta: Meta,
    /// Per-row results.
    pub data: PredictionData,
}

/// What `predict_with` returns besides the outlier flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PredictOptions {
    /// Return each row's energy as `instance_score` (default `true`, as alibi-detect).
    pub return_instance_score: bool,
    /// Return each feature's squared reconstruction error as `feature_score`
    /// (default `false`).
    pub return_feature_score: bool,
}

impl Default for PredictOptions {
    fn default() -> Self {
        Self {
            return_instance_score: true,
            return_feature_score: false,
        }
    }
}
