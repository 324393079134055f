//! Debian packages the build needs (OpenBLAS and LAPACKE for ndarray-linalg).

use std::process::{Command, Stdio};

/// Installs the missing ones of `packages` with apt when running as root; otherwise stops
/// with the exact command to run. On a system without dpkg it trusts the user.
pub fn ensure_packages(packages: &[&str]) -> Result<(), String> {
    let Some(missing) = missing_packages(packages) else {
        return Ok(());
    };
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root() {
        return Err(format!(
            "the system packages {list} are missing; install them with\n    \
             sudo apt-get update && sudo apt-get install -y {list}\nthen run this again"
        ));
    }
    eprintln!("xtask: installing {list} with apt-get");
    run_quiet("apt-get", &["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(missing.iter().map(String::as_str));
    run_quiet("apt-get", &install)
}

/// The packages dpkg does not list as installed, or `None` when dpkg is not available.
fn missing_packages(packages: &[&str]) -> Option<Vec<String>> {
    let mut missing = Vec::new();
    for package in packages {
        let out = Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", package])
            .stderr(Stdio::null())
            .output()
            .ok()?;
        if !String::from_utf8_lossy(&out.stdout).contains("install ok installed") {
            missing.push(package.to_string());
        }
    }
    Some(missing)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run_quiet(program: &str, args: &[&str]) -> Result<(), String> {
    let status = Command::new(program)
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}
