//! Detection quality of energies against known labels.

use serde::Serialize;

/// Area under the ROC curve of `energy` for `truth` (true = outlier), by the rank-sum formula
/// with tied energies sharing their average rank; `None` without both classes.
pub fn roc_auc(energy: &[f64], truth: &[bool]) -> Option<f64> {
    let mut order: Vec<usize> = (0..energy.len()).collect();
    order.sort_by(|&a, &b| energy[a].total_cmp(&energy[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && energy[order[j + 1]] == energy[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += order[i..=j].iter().filter(|&&k| truth[k]).count() as f64 * rank;
        i = j + 1;
    }
    let pos = truth.iter().filter(|&&t| t).count() as f64;
    let neg = truth.len() as f64 - pos;
    (pos > 0.0 && neg > 0.0).then(|| (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Average precision (area under the precision-recall curve as a step function, rows of equal
/// energy taken together); `None` without outliers.
pub fn pr_auc(energy: &[f64], truth: &[bool]) -> Option<f64> {
    let pos = truth.iter().filter(|&&t| t).count() as f64;
    if pos == 0.0 {
        return None;
    }
    let mut order: Vec<usize> = (0..energy.len()).collect();
    order.sort_by(|&a, &b| energy[b].total_cmp(&energy[a]));
    let (mut tp, mut seen, mut area, mut last_recall) = (0.0, 0.0, 0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && energy[order[j + 1]] == energy[order[i]] {
            j += 1;
        }
        tp += order[i..=j].iter().filter(|&&k| truth[k]).count() as f64;
        seen += (j - i + 1) as f64;
        let recall = tp / pos;
        area += (recall - last_recall) * tp / seen;
        last_recall = recall;
        i = j + 1;
    }
    Some(area)
}

/// Counts and rates of flags against the truth (true = outlier).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Confusion {
    /// TP / (TP + FP); 0 when nothing is flagged.
    pub precision: f64,
    /// TP / (TP + FN); 0 without outliers.
    pub recall: f64,
    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub f1: f64,
    /// Outliers flagged.
    pub true_positives: usize,
    /// Inliers flagged.
    pub false_positives: usize,
    /// Outliers not flagged.
    pub false_negatives: usize,
    /// Inliers not flagged.
    pub true_negatives: usize,
}

/// The confusion counts and rates of `flagged` against `truth`.
pub fn confusion(flagged: &[bool], truth: &[bool]) -> Confusion {
    let count = |f: bool, t: bool| {
        flagged
            .iter()
            .zip(truth)
            .filter(|&(&a, &b)| a == f && b == t)
            .count()
    };
    let (tp, fp, fn_, tn) = (
        count(true, true),
        count(true, false),
        count(false, true),
        count(false, false),
    );
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let precision = ratio(tp as f64, (tp + fp) as f64);
    let recall = ratio(tp as f64, (tp + fn_) as f64);
    Confusion {
        precision,
        recall,
        f1: ratio(2.0 * precision * recall, precision + recall),
        true_positives: tp,
        false_positives: fp,
        false_negatives: fn_,
        true_negatives: tn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_auc_is_one_for_perfect_ranking_and_half_for_ties() {
        let truth = [false, false, true, true];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &truth), Some(1.0));
        assert_eq!(roc_auc(&[0.5; 4], &truth), Some(0.5));
        assert_eq!(roc_auc(&[0.1, 0.2], &[true, true]), None);
    }

    #[test]
    fn pr_auc_averages_precision_at_each_recall_step() {
        // Ranked: outlier (P = 1), inlier, outlier (P = 2/3): AP = (1 + 2/3) / 2.
        let ap = pr_auc(&[0.9, 0.8, 0.7], &[true, false, true]).unwrap();
        assert!((ap - 5.0 / 6.0).abs() < 1e-12);
        assert_eq!(pr_auc(&[0.9, 0.1], &[true, false]), Some(1.0));
        assert_eq!(pr_auc(&[0.9, 0.1], &[false, false]), None);
    }

    #[test]
    fn pr_auc_takes_tied_energies_together() {
        // Both rows at one energy: one step to recall 1 at precision 1/2.
        assert_eq!(pr_auc(&[0.5, 0.5], &[true, false]), Some(0.5));
    }

    #[test]
    fn confusion_follows_its_definitions() {
        // TP = 2, FP = 1, FN = 1, TN = 2.
        let flagged = [true, true, true, false, false, false];
        let truth = [true, true, false, true, false, false];
        let c = confusion(&flagged, &truth);
        assert_eq!(
            (
                c.true_positives,
                c.false_positives,
                c.false_negatives,
                c.true_negatives
            ),
            (2, 1, 1, 2)
        );
        assert!((c.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.f1 - 2.0 / 3.0).abs() < 1e-12);
    }
}
