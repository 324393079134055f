//! The thread count of the OpenBLAS library this crate's LAPACK calls go to.
//!
//! The mixture math factors `D x D` matrices (D is a handful), so it never gains from BLAS
//! threads. In a process that also loads libtorch, libtorch's own `sgemm_` calls resolve to
//! the first `sgemm_` the dynamic linker saw, which is OpenBLAS's: with its default thread
//! count OpenBLAS then runs a second thread pool beside libtorch's OpenMP pool, and the two
//! spin against each other on a small machine.

use std::os::raw::c_int;

extern "C" {
    fn openblas_set_num_threads(num_threads: c_int);
    fn openblas_get_num_threads() -> c_int;
}

/// Sets the number of threads OpenBLAS uses in this process (at least one).
pub fn set_blas_threads(threads: usize) {
    let threads = threads.clamp(1, c_int::MAX as usize) as c_int;
    // SAFETY: plain setter of OpenBLAS's global thread count, valid at any time.
    unsafe { openblas_set_num_threads(threads) }
}

/// The number of threads OpenBLAS uses in this process.
pub fn blas_threads() -> usize {
    // SAFETY: plain getter of OpenBLAS's global thread count.
    unsafe { openblas_get_num_threads() }.max(1) as usize
}
