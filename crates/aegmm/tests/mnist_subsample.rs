//! The MNIST example's protocol on a small subsample, so CI runs it in seconds.

// The test uses the protocol but not every field the example prints.
#[allow(dead_code)]
#[path = "../examples/support/mnist.rs"]
mod mnist;

#[test]
fn roc_auc_counts_ties_as_one_half() {
    let scores = [0.1, 0.4, 0.4, 0.9];
    let positive = [false, false, true, true];
    // Pairs (positive, negative): 0.4 vs 0.1 wins, 0.4 vs 0.4 ties, 0.9 beats both.
    assert_eq!(
        mnist::roc_auc(&scores, &positive),
        (1.0 + 0.5 + 1.0 + 1.0) / 4.0
    );
}

#[test]
fn the_convolutional_detector_tells_ones_from_other_digits() {
    let data = mnist::load(&mnist::data_dir()).unwrap();
    assert_eq!(data.images.dim(), (10_000, 28, 28, 1));
    let ones = data.labels.iter().filter(|&&l| l == 1).count();
    assert_eq!(ones, 1135);

    let protocol = mnist::Protocol {
        digit: 1,
        train_rows: 200,
        test_inliers: Some(100),
        test_outliers: Some(300),
        epochs: 5,
        seed: 1,
    };
    let outcome = mnist::run(&data, &protocol).unwrap();
    assert!(
        outcome.roc_auc > 0.75,
        "ROC AUC {} on ones against other digits",
        outcome.roc_auc
    );
}
