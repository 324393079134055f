//! `cargo xtask peer-bench`: alibi-detect and aegmm on the same KDD protocol, one after the
//! other on this machine, and the ratios between them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::libtorch::{cache_dir, find_python};

const REQUIREMENTS: &str = include_str!("../peer/requirements.txt");
const COMPLETE_MARKER: &str = ".aegmm-complete";

/// Settings of a peer run.
pub struct PeerOptions {
    pub epochs: usize,
    pub threads: usize,
    pub tf_seed: u64,
    pub out: PathBuf,
}

impl PeerOptions {
    /// Reads `--epochs`, `--threads`, `--tf-seed` and `--out`; anything else is an error.
    pub fn parse(root: &Path, args: &[String]) -> Result<Self, String> {
        let mut opts = Self {
            epochs: 3,
            threads: 2,
            // Trains to finite weights on the full protocol; most seeds do, some end in NaN.
            tf_seed: 0,
            out: root.join("target/peer-bench.json"),
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let number = |what: &str| -> Result<u64, String> {
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|&v| v > 0 || what == "--tf-seed")
                    .ok_or_else(|| {
                        format!("{what} takes a whole number (at least 1), got {value:?}")
                    })
            };
            match flag.as_str() {
                "--epochs" => opts.epochs = number(flag)? as usize,
                "--threads" => opts.threads = number(flag)? as usize,
                "--tf-seed" => opts.tf_seed = number(flag)?,
                "--out" => opts.out = PathBuf::from(value),
                other => {
                    return Err(format!(
                        "peer-bench: unknown option {other:?} (use --epochs, --threads, --tf-seed, --out)"
                    ))
                }
            }
        }
        Ok(opts)
    }
}

/// The virtual environment with alibi-detect, made once per machine (and per pinned set).
pub fn ensure_venv() -> Result<PathBuf, String> {
    let dir = cache_dir()?.join(format!(
        "peer-alibi-detect-0.13.0-{:016x}",
        fnv1a(REQUIREMENTS)
    ));
    let python = dir.join("bin").join("python");
    if dir.join(COMPLETE_MARKER).exists() {
        return Ok(python);
    }
    let parent = dir.parent().ok_or("cache folder has no parent")?;
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let tmp = parent.join(format!(".peer-venv-tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let system_python = find_python()?;
    eprintln!(
        "xtask: creating {} with alibi-detect 0.13.0 and TensorFlow 2.18 (about 3 GB, once per machine)",
        dir.display()
    );
    if !run(Command::new(&system_python).args(["-m", "venv"]).arg(&tmp))? {
        // Debian's Python keeps venv in its own package.
        crate::system::ensure_packages(&["python3-venv"])?;
        let _ = std::fs::remove_dir_all(&tmp);
        if !run(Command::new(&system_python).args(["-m", "venv"]).arg(&tmp))? {
            return Err(format!("`{system_python} -m venv` failed"));
        }
    }
    let requirements = tmp.join("requirements.txt");
    std::fs::write(&requirements, REQUIREMENTS)
        .map_err(|e| format!("cannot write {}: {e}", requirements.display()))?;
    let installed = run(Command::new(tmp.join("bin").join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "-q",
            "-r",
        ])
        .arg(&requirements))?;
    if !installed {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err("installing alibi-detect into the virtual environment failed".into());
    }
    std::fs::write(tmp.join(COMPLETE_MARKER), "alibi-detect 0.13.0\n")
        .map_err(|e| format!("cannot write into {}: {e}", tmp.display()))?;
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
        if !dir.join(COMPLETE_MARKER).exists() {
            return Err(format!(
                "cannot move the environment into {}",
                dir.display()
            ));
        }
    }
    Ok(python)
}

/// Runs alibi-detect's side; returns where its report is.
pub fn run_alibi(root: &Path, python: &Path, opts: &PeerOptions) -> Result<PathBuf, String> {
    let report = opts.out.with_extension("alibi.json");
    if let Some(dir) = report.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    eprintln!(
        "xtask: alibi-detect: {} epochs of the KDD example, {} thread(s), TensorFlow seed {}",
        opts.epochs, opts.threads, opts.tf_seed
    );
    let ok = run(Command::new(python)
        .arg(root.join("xtask/peer/alibi_kdd.py"))
        .arg("--data")
        .arg(root.join("data/kddcup99"))
        .args(["--epochs", &opts.epochs.to_string()])
        .args(["--threads", &opts.threads.to_string()])
        .args(["--tf-seed", &opts.tf_seed.to_string()])
        .arg("--out")
        .arg(&report)
        // A CPU comparison: TensorFlow must not pick up a GPU where one exists.
        .env("CUDA_VISIBLE_DEVICES", "")
        .env("TF_CPP_MIN_LOG_LEVEL", "2"))?;
    if !ok {
        return Err("alibi-detect's side of the benchmark failed".into());
    }
    Ok(report)
}

/// aegmm's side, through `aegmm-bench peer`, given alibi-detect's report.
pub fn aegmm_args(alibi_report: &Path, opts: &PeerOptions) -> Vec<String> {
    vec![
        "--alibi-json".into(),
        alibi_report.display().to_string(),
        "--epochs".into(),
        opts.epochs.to_string(),
        "--threads".into(),
        opts.threads.to_string(),
        "--out".into(),
        opts.out.display().to_string(),
    ]
}

fn run(cmd: &mut Command) -> Result<bool, String> {
    cmd.status()
        .map(|s| s.success())
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))
}

/// 64-bit FNV-1a, to name the environment after the exact pinned set.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
