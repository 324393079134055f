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
        predicted.iter().zip(targets).filter(|(&a, &b)| a == p && b == t).count() as f64
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
