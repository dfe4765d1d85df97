//! The `ribo` binary: parse arguments, run, exit with ribo's status.

use clap::Parser;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

/// Rust's allocations: glibc's malloc, or mimalloc once [`MIMALLOC`] is set.
///
/// A focused check (`ribo check FILE`, `--changed`) decodes every file's cached facts on
/// worker threads: tens of thousands of small allocations, for which glibc grows each worker
/// thread's arena a page or so at a time (~9,000 `mprotect` calls in a one-file check of the
/// large corpus, `strace -c`, and their page faults). A full check stays with glibc: there
/// mimalloc kept more memory (a cold peak of 210 MB against 182-188 MB, over the 200 MB
/// budget). Every block is freed by the allocator that made it: mimalloc knows its own
/// (`mi_is_in_heap_region`), so what glibc allocated before the switch is still glibc's.
struct Allocator;

#[global_allocator]
static GLOBAL: Allocator = Allocator;

/// Set at start-up for a focused check; `ribo mcp` switches it per call (a whole check with
/// the system allocator), through `ribo::FOCUSED_ALLOCATOR`.
static MIMALLOC: AtomicBool = AtomicBool::new(false);

/// Whether mimalloc made the block at `ptr`.
fn by_mimalloc(ptr: *mut u8) -> bool {
    // SAFETY: only reads mimalloc's own segment map and arena list; any address is allowed.
    unsafe { libmimalloc_sys::mi_is_in_heap_region(ptr.cast()) }
}

// SAFETY: every block is freed or resized by the allocator that made it (see `by_mimalloc`);
// both honour the layout's size and alignment.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if MIMALLOC.load(Ordering::Relaxed) {
            // SAFETY: the caller's contract (a non-zero size) is passed on.
            unsafe { libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()).cast() }
        } else {
            // SAFETY: as above.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if MIMALLOC.load(Ordering::Relaxed) {
            // SAFETY: as for `alloc`.
            unsafe { libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()).cast() }
        } else {
            // SAFETY: as for `alloc`.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if by_mimalloc(ptr) {
            // SAFETY: mimalloc made this block.
            unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
        } else {
            // SAFETY: glibc made this block, with this layout.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if by_mimalloc(ptr) {
            // SAFETY: mimalloc made this block, with this alignment.
            unsafe {
                libmimalloc_sys::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        } else {
            // SAFETY: glibc made this block, with this layout (it stays glibc's).
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

fn main() {
    use_mimalloc_in_tree_sitter();
    let cli = ribo::cli::Cli::parse();
    if ribo::focused(&cli) {
        MIMALLOC.store(true, Ordering::Relaxed);
    }
    // A server's calls free what they built; mimalloc keeps freed pages for reuse (and the
    // heaps of the threads a call ended): given back after each call, the server's memory
    // between calls is its resident state, and a call's peak is its own.
    let _ = ribo::FOCUSED_ALLOCATOR.set(|on| MIMALLOC.store(on, Ordering::Relaxed));
    let _ = ribo::RELEASE_MEMORY.set(|| {
        // SAFETY: mimalloc's own collection of free pages; no pointer is handed over.
        unsafe { libmimalloc_sys::mi_collect(true) }
        trim_system_allocator();
    });
    let stdout = std::io::stdout();
    // stderr is locked per write, not for the whole run: the progress bar draws on it from
    // another thread.
    let code = if ribo::serves_stdio(&cli) {
        // The server writes its protocol to stdout from its own threads: stdout stays unlocked,
        // and no other output may reach it.
        ribo::run(cli, &mut std::io::sink(), &mut std::io::stderr())
    } else {
        ribo::run(cli, &mut stdout.lock(), &mut std::io::stderr())
    };
    std::process::exit(code);
}

/// Tree-sitter's C core allocates and frees every node of every tree it builds: with mimalloc
/// (v2, no transparent huge pages) instead of glibc's malloc, a cold check of the large corpus
/// is ~8% faster (docs/performance.md). Rust's own allocations stay with the system allocator:
/// mimalloc there made a one-file check faster (fewer page faults) but raised the cold peak
/// from 186 to 215 MB, over the 200 MB budget. Called first thing in `main`, before any
/// tree-sitter object exists, from one thread.
/// Gives the system allocator's free memory back to the system (glibc's arenas keep it).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_system_allocator() {
    extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: glibc's own trimming of its free pages; no pointer is handed over.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_system_allocator() {}

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
