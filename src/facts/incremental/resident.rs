//! Cache files kept in memory between the runs of one long-lived process (`ribo mcp`): a run
//! that reads a cache file whose stamp (size, modification and change times, inode) is the one
//! it had when last read takes the bytes already in memory, and the frame already checked,
//! instead of reading tens of megabytes and hashing them again. Cache files are only ever
//! replaced whole (written aside, then renamed), so a file with the same stamp holds the same
//! bytes.
//!
//! Off unless [`keep`] was called: a one-shot `ribo check` reads each file once and keeps
//! nothing.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::stamps::Stamp;

static ON: AtomicBool = AtomicBool::new(false);

/// A file as last read: its stamp, its bytes, and the frames found valid in it (by key).
struct Kept {
    stamp: Stamp,
    data: Arc<Vec<u8>>,
    checked: Vec<([u8; 32], Range<usize>)>,
}

fn files() -> &'static Mutex<HashMap<PathBuf, Kept>> {
    static FILES: std::sync::OnceLock<Mutex<HashMap<PathBuf, Kept>>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| Mutex::new(HashMap::new()))
}

/// From now on, cache files read are kept in memory (see the module's documentation).
pub fn keep() {
    ON.store(true, Ordering::Relaxed);
}

/// Whether cache files are kept.
pub fn kept() -> bool {
    ON.load(Ordering::Relaxed)
}

/// The bytes of the cache file at `path`, and the body of its frame under `key` (checked by
/// `check`, once per stamp and key while files are kept). `None` when it cannot be read or its
/// frame is not valid.
pub(crate) fn framed(
    path: &Path,
    key: &[u8; 32],
    check: impl Fn(&[u8]) -> Option<Range<usize>>,
) -> Option<(Arc<Vec<u8>>, Range<usize>)> {
    framed_with(kept(), path, key, check)
}

fn framed_with(
    keeping: bool,
    path: &Path,
    key: &[u8; 32],
    check: impl Fn(&[u8]) -> Option<Range<usize>>,
) -> Option<(Arc<Vec<u8>>, Range<usize>)> {
    if !keeping {
        let data = std::fs::read(path).ok()?;
        let body = check(&data)?;
        return Some((Arc::new(data), body));
    }
    let stamp = std::fs::metadata(path).ok().and_then(|m| Stamp::of(&m))?;
    let mut files = files().lock().unwrap_or_else(|p| p.into_inner());
    let same = files.get(path).is_some_and(|k| k.stamp == stamp);
    if !same {
        // Read with the lock released: another run may read another file meanwhile.
        drop(files);
        let data = Arc::new(std::fs::read(path).ok()?);
        // Stamped again after the read: a file replaced meanwhile is not kept under the old
        // stamp.
        let after = std::fs::metadata(path).ok().and_then(|m| Stamp::of(&m))?;
        let body = check(&data)?;
        if after != stamp {
            return Some((data, body));
        }
        files = self::files().lock().unwrap_or_else(|p| p.into_inner());
        files.insert(
            path.to_path_buf(),
            Kept {
                stamp,
                data: Arc::clone(&data),
                checked: vec![(*key, body.clone())],
            },
        );
        return Some((data, body));
    }
    let k = files.get_mut(path)?;
    if let Some((_, body)) = k.checked.iter().find(|(k, _)| k == key) {
        return Some((Arc::clone(&k.data), body.clone()));
    }
    let body = check(&k.data)?;
    k.checked.push((*key, body.clone()));
    Some((Arc::clone(&k.data), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_file_is_read_again_once_it_is_replaced() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("f.bin");
        std::fs::write(&path, b"one").expect("write");
        let whole = |d: &[u8]| Some(0..d.len());
        let (a, _) = framed_with(true, &path, &[1; 32], whole).expect("read");
        let (b, _) = framed_with(true, &path, &[1; 32], whole).expect("read");
        assert!(Arc::ptr_eq(&a, &b), "the same stamp: the bytes in memory");
        // Replaced as the caches are: written aside, renamed over it.
        let aside = dir.path().join("f.tmp");
        std::fs::write(&aside, b"three").expect("write");
        std::fs::rename(&aside, &path).expect("rename");
        let (c, _) = framed_with(true, &path, &[1; 32], whole).expect("read");
        assert_eq!(c.as_slice(), b"three");
        // A frame that is not valid under a key is not taken.
        assert!(framed_with(true, &path, &[2; 32], |_| None).is_none());
    }
}
