//! Percentiles with linear interpolation between order statistics (numpy's default rule).

use crate::{GmmError, Result};

/// The `perc` percentile (`0..=100`) of `values`, interpolating linearly between the two
/// nearest order statistics, as `numpy.percentile` does by default.
///
/// Errors on empty input, a `perc` outside `[0, 100]`, or a value that is not finite.
pub fn percentile(values: &[f64], perc: f64) -> Result<f64> {
    if values.is_empty() {
        return Err(GmmError::Empty("the scores for the percentile"));
    }
    if !(0.0..=100.0).contains(&perc) {
        return Err(GmmError::Invalid(format!(
            "percentile must be in [0, 100], got {perc}"
        )));
    }
    if let Some((row, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(GmmError::NonFinite {
            what: "scores",
            row,
            col: 0,
            value,
        });
    }

    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let pos = perc / 100.0 * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let t = pos - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    Ok(if t < 0.5 {
        a + (b - a) * t
    } else {
        b - (b - a) * (1.0 - t)
    })
}
