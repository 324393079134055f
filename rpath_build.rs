//! Shared build script for every crate whose binaries, tests, examples or benches link libtorch.
//!
//! tch's own build script puts an rpath on nothing but its own artefacts, so each crate that
//! produces an executable linking libtorch records the libtorch folder here. With
//! `AEGMM_TORCH_CUDA=1` (set by `cargo xtask --cuda`) it also keeps `libtorch_cuda` as a real
//! dependency: the linker would otherwise drop it as unneeded and CUDA would look absent.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    println!("cargo:rerun-if-env-changed=AEGMM_TORCH_CUDA");
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
    if std::env::var("AEGMM_TORCH_CUDA").as_deref() == Ok("1") {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed");
    }
}
