//! libtorch from the PyPI `torch` wheel, installed once per machine and shared by clones.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The libtorch version tch 0.26 is built for.
pub const TORCH_VERSION: &str = "2.13.0";

/// The two CUDA runtime libraries libtorch_cpu itself needs (the rest is only for GPUs).
const CPU_EXTRAS: [&str; 2] = [
    "nvidia-cuda-runtime==13.0.96.*",
    "nvidia-cuda-cupti==13.0.85.*",
];

const COMPLETE_MARKER: &str = ".aegmm-complete";

/// Which libtorch build to install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The wheel's libraries with only the two small CUDA runtime packages they load.
    Cpu,
    /// The wheel with all its CUDA dependencies (cuBLAS, cuDNN, NCCL, ...).
    Cuda,
}

impl Variant {
    fn folder(self) -> String {
        match self {
            Variant::Cpu => format!("libtorch-{TORCH_VERSION}-cpu"),
            Variant::Cuda => format!("libtorch-{TORCH_VERSION}-cu130"),
        }
    }
}

/// A usable libtorch: the folder with `include/` and `lib/` that `LIBTORCH` points at.
#[derive(Debug)]
pub struct Libtorch {
    dir: PathBuf,
    cuda: bool,
}

impl Libtorch {
    /// `$LIBTORCH` when set; otherwise the cached wheel install (made now if missing), linked
    /// into the workspace as `.torch` where `.cargo/config.toml` expects it.
    pub fn ensure(root: &Path, variant: Variant) -> Result<Self, String> {
        let cuda = variant == Variant::Cuda;
        let workspace_torch = root.join(".torch").join("torch");
        // cargo passes the `.cargo/config.toml` value on to xtask itself; only another value
        // is the user's own libtorch.
        let user_dir = std::env::var_os("LIBTORCH")
            .filter(|v| !v.is_empty() && Path::new(v) != workspace_torch);
        if let Some(dir) = user_dir {
            let dir = PathBuf::from(dir);
            check_layout(&dir).map_err(|e| format!("LIBTORCH={}: {e}", dir.display()))?;
            return Ok(Self { dir, cuda });
        }
        let install = cache_dir()?.join(variant.folder());
        if !install.join(COMPLETE_MARKER).exists() {
            pip_install(&install, variant)?;
        }
        check_layout(&install.join("torch"))?;
        link(&root.join(".torch"), &install)?;
        Ok(Self {
            dir: workspace_torch,
            cuda,
        })
    }

    /// The same libtorch with its folder's links resolved, so that an rpath recorded from it
    /// stays valid when the workspace (and its `.torch` link) is gone.
    pub fn resolved(&self) -> Self {
        Self {
            dir: self.dir.canonicalize().unwrap_or_else(|_| self.dir.clone()),
            cuda: self.cuda,
        }
    }

    /// Environment for cargo: `LIBTORCH` and, for CUDA, the switch that links libtorch_cuda.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![("LIBTORCH", self.dir.display().to_string())];
        env.push((
            "AEGMM_TORCH_CUDA",
            if self.cuda { "1" } else { "0" }.to_string(),
        ));
        env
    }

    /// Shell lines that make plain `cargo` (and binaries built without the rpath) work.
    pub fn export_lines(&self) -> String {
        let mut out = String::new();
        for (key, value) in self.env() {
            out.push_str(&format!("export {key}='{value}'\n"));
        }
        let lib = self.dir.join("lib");
        out.push_str(&format!(
            "export LD_LIBRARY_PATH='{}'${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}\n",
            lib.display()
        ));
        out
    }
}

pub(crate) fn cache_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("AEGMM_CACHE_DIR").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir).join("aegmm"));
    }
    let home = std::env::var_os("HOME")
        .ok_or("neither AEGMM_CACHE_DIR, XDG_CACHE_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".cache").join("aegmm"))
}

fn check_layout(dir: &Path) -> Result<(), String> {
    for needed in ["include/torch", "lib/libtorch_cpu.so", "lib/libc10.so"] {
        if !dir.join(needed).exists() {
            return Err(format!(
                "{} is missing: not a libtorch folder",
                dir.join(needed).display()
            ));
        }
    }
    Ok(())
}

/// Installs the wheel into a temporary folder beside `install`, then renames it into place,
/// so an interrupted download never leaves a half-installed libtorch behind.
fn pip_install(install: &Path, variant: Variant) -> Result<(), String> {
    let parent = install.parent().ok_or("cache folder has no parent")?;
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let tmp = parent.join(format!(".{}-tmp-{}", variant.folder(), std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);

    let python = find_python()?;
    let mut args: Vec<String> = [
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--root-user-action=ignore",
        "--no-compile",
        "--target",
    ]
    .map(String::from)
    .into();
    args.push(tmp.display().to_string());
    args.push(format!("torch=={TORCH_VERSION}"));
    match variant {
        Variant::Cpu => {
            args.push("--no-deps".into());
            args.extend(CPU_EXTRAS.map(String::from));
        }
        Variant::Cuda => {}
    }
    eprintln!(
        "xtask: installing libtorch {TORCH_VERSION} ({variant:?}) from the PyPI torch wheel into {}\n\
         xtask: this happens once per machine ({}); later runs and other clones reuse it",
        install.display(),
        match variant {
            Variant::Cpu => "about 540 MB download, 1.2 GB on disk",
            Variant::Cuda => "about 2.7 GB download, 4.7 GB on disk",
        }
    );
    let status = Command::new(&python)
        .args(&args)
        .status()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    if !status.success() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(format!("`{python} {}` failed ({status})", args.join(" ")));
    }
    check_layout(&tmp.join("torch"))?;
    std::fs::write(tmp.join(COMPLETE_MARKER), TORCH_VERSION)
        .map_err(|e| format!("cannot write into {}: {e}", tmp.display()))?;
    if std::fs::rename(&tmp, install).is_err() {
        // Another process finished the same install first; keep that one.
        let _ = std::fs::remove_dir_all(&tmp);
        if !install.join(COMPLETE_MARKER).exists() {
            return Err(format!(
                "cannot move the new libtorch into {}",
                install.display()
            ));
        }
    }
    Ok(())
}

pub(crate) fn find_python() -> Result<String, String> {
    for candidate in ["python3", "python"] {
        let ok = Command::new(candidate)
            .args(["-m", "pip", "--version"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return Ok(candidate.to_string());
        }
    }
    Err(
        "installing libtorch needs Python 3 with pip (python3 -m pip); install it, e.g.\n    \
         sudo apt-get install -y python3-pip\nor point LIBTORCH at a libtorch folder"
            .into(),
    )
}

/// Points the symlink `link` at `target`, replacing an older link.
fn link(link: &Path, target: &Path) -> Result<(), String> {
    if std::fs::read_link(link).ok().as_deref() == Some(target) {
        return Ok(());
    }
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(link)
            .map_err(|e| format!("cannot replace {}: {e} (remove it by hand)", link.display()))?;
    }
    std::os::unix::fs::symlink(target, link).map_err(|e| {
        format!(
            "cannot link {} to {}: {e}",
            link.display(),
            target.display()
        )
    })
}
