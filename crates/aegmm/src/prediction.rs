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
    /// Per-feature scores; not computed (JSON `null`).
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
