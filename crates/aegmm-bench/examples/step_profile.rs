use aegmm::{ReconFeatures, TabularLayout};
use aegmm_nn::{aegmm_loss, AegmmNetwork, LossWeights};
use std::time::Instant;
use tch::nn::OptimizerConfig;
use tch::{nn, Device, Kind, Tensor};

fn main() {
    let threads: i32 = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(2);
    tch::set_num_threads(threads);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = AegmmNetwork::tabular(
        &vs.root(),
        18,
        &TabularLayout::default(),
        2,
        ReconFeatures::MseCosine,
    );
    let mut opt = nn::Adam::default().build(&vs, 1e-3).unwrap();
    let x = Tensor::randn([1024, 18], (Kind::Float, Device::Cpu));
    let n = 200;
    let t = Instant::now();
    for _ in 0..n {
        let _ = tch::no_grad(|| net.forward_t(&x, true));
    }
    let fwd = t.elapsed().as_secs_f64() / n as f64;
    let t = Instant::now();
    for _ in 0..n {
        let f = net.forward_t(&x, true);
        let _ = aegmm_loss(&x, &f, LossWeights::default(), 1e-6).unwrap();
    }
    let loss = t.elapsed().as_secs_f64() / n as f64;
    let t = Instant::now();
    for _ in 0..n {
        let f = net.forward_t(&x, true);
        let l = aegmm_loss(&x, &f, LossWeights::default(), 1e-6).unwrap();
        opt.zero_grad();
        l.total.backward();
        opt.step();
    }
    let full = t.elapsed().as_secs_f64() / n as f64;
    let t = Instant::now();
    for _ in 0..n {
        let f = net.forward_t(&x, true);
        let l = (&x - &f.x_hat).square().mean(Kind::Float);
        opt.zero_grad();
        l.backward();
        opt.step();
    }
    let ae = t.elapsed().as_secs_f64() / n as f64;
    println!("threads {threads}: forward {:.3} ms, forward+loss {:.3} ms, full step {:.3} ms, plain AE step {:.3} ms", fwd*1e3, loss*1e3, full*1e3, ae*1e3);
}
