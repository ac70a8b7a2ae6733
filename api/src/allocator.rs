//! Keeping the process's resident memory near what it holds (issue 11). With glibc's malloc the
//! service sat at 110-150 MB while holding about 11 MB: the start-up builds the contract once per
//! worker and frees it, and glibc keeps freed memory in per-thread arenas; and after argon2's first
//! 19 MiB block was freed, glibc raised its mmap threshold, so later blocks came from the arenas and
//! stayed. Both are undone here; elsewhere this does nothing.

/// Allocations from this size on are mapped and unmapped on their own. Setting it also stops glibc
/// from raising the threshold by itself.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD_BYTES: libc::c_int = 1024 * 1024;

/// Call once, first thing.
pub fn configure() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
    }
}

/// Gives the freed pages of every arena back to the system: after a large build-up that is freed,
/// such as a worker's start-up.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the arenas' locks itself; any thread may call it.
    unsafe {
        libc::malloc_trim(0);
    }
}
