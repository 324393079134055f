//! The quickstart example finds its planted outliers.

// `main` of the example is not called here.
#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;

#[test]
fn the_quickstart_flags_its_five_planted_outliers_and_few_inliers() {
    let prediction = quickstart::prediction().unwrap();
    let flags = &prediction.data.is_outlier;
    assert_eq!(flags.len(), 100);
    assert_eq!(flags[95..], [1, 1, 1, 1, 1]);
    let false_alarms = flags[..95].iter().filter(|&&f| f == 1).count();
    assert!(false_alarms <= 5, "{false_alarms} of 95 inliers flagged");
    assert_eq!(
        prediction.data.instance_score.as_ref().map(Vec::len),
        Some(100)
    );
}
