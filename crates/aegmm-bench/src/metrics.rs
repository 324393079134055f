//! Detection scores: ROC AUC and the confusion-matrix rates.

use serde::Serialize;

/// Area under the ROC curve of `scores` for binary `targets` (1 = positive), by the rank-sum
/// formula with tied scores sharing their average rank. `None` without both classes.
pub fn roc_auc(scores: &[f64], targets: &[u8]) -> Option<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_pos += order[i..=j].iter().filter(|&&k| targets[k] == 1).count() as f64 * avg_rank;
        i = j + 1;
    }
    let n_pos = targets.iter().filter(|&&t| t == 1).count() as f64;
    let n_neg = targets.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return None;
    }
    Some((rank_sum_pos - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg))
}

/// Precision, recall, F1 and accuracy of binary predictions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BinaryScores {
    /// TP / (TP + FP), 0 when nothing is predicted positive.
    pub precision: f64,
    /// TP / (TP + FN), 0 when there is no positive.
    pub recall: f64,
    /// Harmonic mean of precision and recall, 0 when both are 0.
    pub f1: f64,
    /// (TP + TN) / N.
    pub accuracy: f64,
}

/// Scores of `predicted` against `targets` (both 0/1, same length).
pub fn binary_scores(predicted: &[u8], targets: &[u8]) -> BinaryScores {
    let count = |p: u8, t: u8| {
        predicted
            .iter()
            .zip(targets)
            .filter(|(&a, &b)| a == p && b == t)
            .count() as f64
    };
    let (tp, fp, fn_, tn) = (count(1, 1), count(1, 0), count(0, 1), count(0, 0));
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    BinaryScores {
        precision,
        recall,
        f1: ratio(2.0 * precision * recall, precision + recall),
        accuracy: ratio(tp + tn, tp + fp + fn_ + tn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_auc_is_one_for_perfect_separation_and_half_for_ties() {
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &[0, 0, 1, 1]), Some(1.0));
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &[0, 0, 1, 1]), Some(0.0));
        assert_eq!(roc_auc(&[0.5; 4], &[0, 1, 0, 1]), Some(0.5));
    }

    #[test]
    fn roc_auc_counts_pairs_with_ties_as_half() {
        // Pairs (positive, negative): scores 0.3 vs {0.1, 0.3}: 1 + 0.5; 0.7 vs both: 2.
        let auc = roc_auc(&[0.1, 0.3, 0.3, 0.7], &[0, 0, 1, 1]).unwrap();
        assert!((auc - 3.5 / 4.0).abs() < 1e-12);
    }

    #[test]
    fn roc_auc_needs_both_classes() {
        assert_eq!(roc_auc(&[0.1, 0.2], &[1, 1]), None);
    }

    #[test]
    fn binary_scores_follow_their_definitions() {
        // TP = 2, FP = 1, FN = 1, TN = 2.
        let s = binary_scores(&[1, 1, 1, 0, 0, 0], &[1, 1, 0, 1, 0, 0]);
        assert!((s.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.accuracy - 4.0 / 6.0).abs() < 1e-12);
    }
}
