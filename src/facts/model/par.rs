//! Work split over threads for passes after the parse (rules, fingerprints): each thread
//! takes the next index from an atomic counter, as the parse does, and results come back in
//! index order, so the output never depends on the thread count. The number of threads of
//! every pass, the parse's included, is [`thread_count`]'s.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f(0)..f(n)` computed on `threads` threads (0 = as for the parse), in index order.
pub fn map<R: Send>(n: usize, threads: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let threads = thread_count(threads, n);
    if threads <= 1 {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut all: Vec<(usize, R)> = Vec::with_capacity(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        out.push((i, f(i)));
                    }
                    out
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(part) => all.extend(part),
                // A panic in a worker is a bug: let it surface as it would without threads.
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
    });
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// `f(i, acc)` for every `i` in `0..n` on `threads` threads (0 = as for the parse), each
/// thread with its own accumulator from `init`; the accumulators are returned in no
/// particular order (which indexes went to which thread varies from run to run): for work
/// whose results are sorted afterwards, collected without a vector per index.
pub fn fold<A: Send>(
    n: usize,
    threads: usize,
    init: impl Fn() -> A + Sync,
    f: impl Fn(usize, &mut A) + Sync,
) -> Vec<A> {
    let threads = thread_count(threads, n);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut acc = init();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                break;
            }
            f(i, &mut acc);
        }
        acc
    };
    if threads <= 1 {
        return vec![work()];
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
            })
            .collect()
    })
}

/// Number of worker threads: `threads`, else `RAYON_NUM_THREADS`, else the core count.
pub fn thread_count(threads: usize, files: usize) -> usize {
    let n = if threads > 0 {
        threads
    } else if let Some(n) = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        n
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    n.clamp(1, files.max(1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_index_order_whatever_the_thread_count() {
        for threads in [1, 2, 3, 8] {
            let got = super::map(100, threads, |i| i * i);
            let want: Vec<usize> = (0..100).map(|i| i * i).collect();
            assert_eq!(got, want, "{threads} threads");
        }
        assert!(super::map(0, 2, |i| i).is_empty());
    }

    #[test]
    fn fold_visits_every_index_once() {
        for threads in [1, 2, 3] {
            let mut all: Vec<usize> = super::fold(50, threads, Vec::new, |i, acc| acc.push(i))
                .into_iter()
                .flatten()
                .collect();
            all.sort_unstable();
            assert_eq!(all, (0..50).collect::<Vec<_>>(), "{threads} threads");
        }
    }
}
