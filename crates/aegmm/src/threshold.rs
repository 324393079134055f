//! Choosing the outlier threshold from scored data.

use aegmm_gmm::percentile;

use crate::detector::OutlierAegmm;
use crate::input::DetectorInput;
use crate::{AegmmError, Result};

/// Lets a share times a count that is an integer in exact arithmetic stay that integer.
const COUNT_SLACK: f64 = 1e-9;

/// The threshold that flags (strictly above it) at most `floor(share * n)` of `energy`: the
/// order statistic just below that many of the highest values. Ties may flag fewer.
pub fn threshold_for_share(energy: &[f64], share: f64) -> Result<f64> {
    if energy.is_empty() {
        return Err(AegmmError::EmptyInput);
    }
    if !(0.0..=1.0).contains(&share) {
        return Err(AegmmError::Config(format!(
            "the share of rows to flag must be in [0, 1], got {share}"
        )));
    }
    let mut sorted = energy.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let flagged = ((share * n as f64 + COUNT_SLACK).floor() as usize).min(n - 1);
    Ok(sorted[n - 1 - flagged])
}

impl OutlierAegmm {
    /// Sets the threshold to the `threshold_perc` percentile (`0..=100`, linear interpolation)
    /// of the energies of `x`, the share of `x` taken as normal; returns it.
    pub fn infer_threshold<X: DetectorInput + ?Sized>(
        &mut self,
        x: &X,
        threshold_perc: f64,
    ) -> Result<f64> {
        if !(0.0..=100.0).contains(&threshold_perc) {
            return Err(AegmmError::Config(format!(
                "threshold_perc must be in [0, 100], got {threshold_perc}"
            )));
        }
        let energy = self.score(x)?;
        let threshold = percentile(&energy.to_vec(), threshold_perc)?;
        self.set_threshold(threshold)?;
        Ok(threshold)
    }

    /// Sets the threshold so that `predict` flags `floor(contamination * N)` rows of `x`
    /// (fewer only where energies tie), `contamination` being the expected share of outliers
    /// in `[0, 1]`; returns it.
    pub fn infer_threshold_contamination<X: DetectorInput + ?Sized>(
        &mut self,
        x: &X,
        contamination: f64,
    ) -> Result<f64> {
        let energy = self.score(x)?;
        let threshold = threshold_for_share(&energy.to_vec(), contamination)?;
        self.set_threshold(threshold)?;
        Ok(threshold)
    }

    /// Sets the threshold so that at most `floor(fpr * M)` of the `M` rows of `x` labelled
    /// inliers (`is_outlier[i] == false`) are flagged: a false-positive rate of at most `fpr`
    /// on them. Rows labelled outliers are ignored. Returns the threshold.
    pub fn infer_threshold_fpr<X: DetectorInput + ?Sized>(
        &mut self,
        x: &X,
        is_outlier: &[bool],
        fpr: f64,
    ) -> Result<f64> {
        let energy = self.score(x)?;
        if is_outlier.len() != energy.len() {
            return Err(AegmmError::Shape {
                expected: format!("{} labels, one per row of x", energy.len()),
                got: format!("{} labels", is_outlier.len()),
            });
        }
        let inliers: Vec<f64> = energy
            .iter()
            .zip(is_outlier)
            .filter(|(_, &out)| !out)
            .map(|(&e, _)| e)
            .collect();
        if inliers.is_empty() {
            return Err(AegmmError::Config(
                "no row of x is labelled an inlier: the false-positive rate needs inliers".into(),
            ));
        }
        let threshold = threshold_for_share(&inliers, fpr)?;
        self.set_threshold(threshold)?;
        Ok(threshold)
    }
}
