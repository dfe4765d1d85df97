//! The `ribo` binary: parse arguments, run, exit with ribo's status.

use clap::Parser;

fn main() {
    use_mimalloc_in_tree_sitter();
    let cli = ribo::cli::Cli::parse();
    let stdout = std::io::stdout();
    // stderr is locked per write, not for the whole run: the progress bar draws on it from
    // another thread.
    let code = ribo::run(cli, &mut stdout.lock(), &mut std::io::stderr());
    std::process::exit(code);
}

/// Tree-sitter's C core allocates and frees every node of every tree it builds: with mimalloc
/// (v2, no transparent huge pages) instead of glibc's malloc, a cold check of the large corpus
/// is ~8% faster (docs/performance.md). Rust's own allocations stay with the system allocator:
/// mimalloc there made a one-file check faster (fewer page faults) but raised the cold peak
/// from 186 to 215 MB, over the 200 MB budget. Called first thing in `main`, before any
/// tree-sitter object exists, from one thread.
fn use_mimalloc_in_tree_sitter() {
    use libmimalloc_sys::{mi_calloc, mi_free, mi_malloc, mi_realloc};
    use std::ffi::c_void;

    // Tree-sitter requires non-null results for non-zero sizes (its default allocator aborts
    // when out of memory; so do these).
    unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
        // SAFETY: mi_malloc accepts any size.
        let p = unsafe { mi_malloc(size) };
        if p.is_null() && size != 0 {
            std::process::abort();
        }
        p
    }
    unsafe extern "C" fn calloc(count: usize, size: usize) -> *mut c_void {
        // SAFETY: mi_calloc checks `count * size` for overflow and returns null then.
        let p = unsafe { mi_calloc(count, size) };
        if p.is_null() && count != 0 && size != 0 {
            std::process::abort();
        }
        p
    }
    unsafe extern "C" fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
        // SAFETY: tree-sitter passes null or a pointer it got from these functions.
        let p = unsafe { mi_realloc(ptr, size) };
        if p.is_null() && size != 0 {
            std::process::abort();
        }
        p
    }
    unsafe extern "C" fn free(ptr: *mut c_void) {
        // SAFETY: as for realloc.
        unsafe { mi_free(ptr) }
    }
    // SAFETY: the four functions are one allocator family with malloc's alignment; this runs
    // before any tree-sitter call, on the main thread, and never again.
    unsafe {
        tree_sitter::set_allocator(Some(tree_sitter::Allocator {
            malloc,
            calloc,
            realloc,
            free,
        }));
    }
}
