use aegmm::{AegmmConfig, OutlierAegmm, TrainConfig};
use aegmm_bench::{default_data_dir, kdd};
use ndarray::Axis;
use rand::{Rng, SeedableRng};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let epochs: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(3);
    let lr: f64 = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(1e-3);
    let data = default_data_dir().join("kddcup99");
    let t = kdd::read_columns(
        &data.join("kddcup.data_10_percent.gz"),
        &data.join("kddcup.names"),
        &kdd::ALIBI_COLUMNS,
    )
    .unwrap();
    let y = t.attack_targets();
    let normal: Vec<usize> = (0..y.len()).filter(|&i| y[i] == 0).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let idx: Vec<usize> = (0..400_000)
        .map(|_| normal[rng.gen_range(0..normal.len())])
        .collect();
    let xtr = t.x.select(Axis(0), &idx);
    let mean = xtr.mean_axis(Axis(0)).unwrap();
    let std = xtr
        .std_axis(Axis(0), 0.0)
        .mapv(|s| if s > 0.0 { s } else { 1.0 });
    let xtr = (xtr - &mean) / &std;
    let feats = if args.get(3).map(|s| s.as_str()) == Some("mse") {
        aegmm::ReconFeatures::MseCosine
    } else {
        aegmm::ReconFeatures::default()
    };
    let mut d = OutlierAegmm::new(
        18,
        AegmmConfig {
            recon_features: feats,
            ..AegmmConfig::default()
        },
    )
    .unwrap();
    d.fit(
        &xtr,
        &TrainConfig {
            epochs,
            learning_rate: lr,
            ..Default::default()
        },
        &mut |e| eprintln!("{e:?}"),
    )
    .unwrap();
    let x = (&t.x - &mean) / &std;
    let z = d.mixture_inputs(&x).unwrap();
    let e = d.score(&x).unwrap();
    for class in [0u8, 1] {
        let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        let zc = z.select(Axis(0), &rows);
        let ec = e.select(Axis(0), &rows);
        let norms: Vec<f64> = rows
            .iter()
            .map(|&i| x.row(i).dot(&x.row(i)).sqrt())
            .collect();
        let mut sn = norms.clone();
        sn.sort_by(f64::total_cmp);
        println!(
            "class {class}: z mean {:?} z std {:?} energy mean {:.3} median norm {:.3}",
            zc.mean_axis(Axis(0)).unwrap(),
            zc.std_axis(Axis(0), 0.0),
            ec.mean().unwrap(),
            sn[sn.len() / 2]
        );
        let mut se = ec.to_vec();
        se.sort_by(f64::total_cmp);
        println!(
            "  energy quantiles 5/25/50/75/95: {:.3} {:.3} {:.3} {:.3} {:.3}",
            se[se.len() / 20],
            se[se.len() / 4],
            se[se.len() / 2],
            se[3 * se.len() / 4],
            se[19 * se.len() / 20]
        );
    }
    let yv: Vec<u8> = y.clone();
    println!("auc {:?}", aegmm_bench::metrics::roc_auc(&e.to_vec(), &yv));
}
