//! Work split over threads for passes after the parse (rules, fingerprints): each thread
//! takes the next index from an atomic counter, as the parse does, and results come back in
//! index order, so the output never depends on the thread count.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f(0)..f(n)` computed on `threads` threads (0 = as for the parse), in index order.
pub fn map<R: Send>(n: usize, threads: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let threads = super::parse::thread_count(threads, n);
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
}
