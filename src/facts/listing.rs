//! The walk remembered: the files a walk found, with the stamps of everything that decided
//! which files it found, so that the next run over an unchanged tree stats a few hundred
//! directories instead of walking it (the walk of the 1.56M-line benchmark corpus is ~17 ms of
//! work, ~30 ms of a one-changed-file run's wall time while the caches load beside it).
//!
//! `<cache dir>/listing-v1.bin`, framed like the facts cache (magic, format, key, checksum: a
//! foreign or corrupt file is ignored), keyed by the root and the spec's `system.exclude`
//! patterns. What it watches:
//! - every directory the walk listed, and every Cargo `target` directory it skipped: a file
//!   or directory created, deleted or renamed in one changes its modification time (and its
//!   change time, which no tool can set back);
//! - the ignore files the walker reads (`.gitignore`, `.ignore`, `.git/info/exclude`) in
//!   those directories and in every ancestor of the root, and the git configuration files
//!   that name a global one (and the file they name): an edit in place changes no directory.
//!
//! A file whose content changed is not the listing's business: every file is stamped and
//! hashed afterwards (see `stamps`). A walk that gave a warning (a link not followed, a
//! directory that could not be read) is not remembered; nor is one over a directory changed
//! less than [`RACY_SECONDS`](super::stamps::RACY_SECONDS) before it started, as for file
//! stamps.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use globset::GlobSet;
use serde::{Deserialize, Serialize};

use super::cache::{read_file, write_file};
use super::stamps::Stamp;
use super::walk::{self, Walked};

const FILE_NAME: &str = "listing-v1.bin";

/// The ignore files the walker reads in a directory, relative to it.
const IGNORE_FILES: [&str; 3] = [".gitignore", ".ignore", ".git/info/exclude"];

/// A stamp as stored: size, modification and change times, inode.
type Stored = (u64, i128, i128, u64);

fn stored(s: Stamp) -> Stored {
    (s.size, s.mtime, s.ctime, s.inode)
}

/// What a walk found, and what it watched with their stamps (`None`: absent).
#[derive(Debug, Serialize, Deserialize)]
struct Listing {
    watched: Vec<(String, Option<Stored>)>,
    rust_files: Vec<String>,
    manifests: Vec<String>,
}

/// The stamp of `path` (following links), `None` when it cannot be had.
fn stamp(path: &Path) -> Option<Stamp> {
    std::fs::metadata(path).ok().and_then(|m| Stamp::of(&m))
}

/// [`walk::walk`] of `root`, taken from the listing remembered in `dir` under `key` when
/// nothing it watched changed since; else walked, and remembered when it can be.
pub fn walk(root: &Path, exclude: &GlobSet, remember: Option<(&Path, [u8; 32])>) -> Walked {
    walk_at(root, exclude, remember, SystemTime::now)
}

/// [`walk`], `now` telling the time the walk starts at.
fn walk_at(
    root: &Path,
    exclude: &GlobSet,
    remember: Option<(&Path, [u8; 32])>,
    now: impl Fn() -> SystemTime,
) -> Walked {
    let Some((dir, key)) = remember else {
        return walk::walk(root, exclude);
    };
    if let Some(listing) =
        read_file(dir, FILE_NAME, &key).and_then(|body| postcard::from_bytes::<Listing>(&body).ok())
    {
        let holds = listing
            .watched
            .iter()
            .all(|(path, then)| stamp(Path::new(path)).map(stored) == *then);
        if holds {
            return Walked {
                rust_files: listing.rust_files,
                manifests: listing.manifests,
                warnings: Vec::new(),
            };
        }
    }
    // Taken before anything is listed: a directory changed after it is too recent to trust.
    let now = now();
    let (walked, dirs) = walk::walk_watching(root, exclude);
    if walked.warnings.is_empty() {
        if let Some(watched) = watch(root, &dirs, now) {
            let listing = Listing {
                watched,
                rust_files: walked.rust_files.clone(),
                manifests: walked.manifests.clone(),
            };
            if let Ok(body) = postcard::to_allocvec(&listing) {
                // Not being able to write it only costs the next run a walk.
                let _ = write_file(dir, FILE_NAME, &key, &body);
            }
        }
    }
    walked
}

/// The stamps of what a walk of `root` that listed `dirs` read (see the module docs); `None`
/// when one of them is too recent to trust or a path is not UTF-8.
fn watch(root: &Path, dirs: &[PathBuf], now: SystemTime) -> Option<Vec<(String, Option<Stored>)>> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for d in dirs {
        paths.push(d.clone());
        // Only the ignore files that exist: one created changes the directory.
        paths.extend(
            IGNORE_FILES
                .iter()
                .map(|f| d.join(f))
                .filter(|p| p.exists()),
        );
        let info = d.join(".git/info");
        if info.is_dir() {
            paths.push(info);
        }
    }
    // The root's ancestors are not listed: their ignore files are watched whether they exist
    // or not (their directories change all the time: `/tmp`, a home directory).
    let canonical = root.canonicalize().ok()?;
    for a in canonical.ancestors().skip(1) {
        paths.extend(IGNORE_FILES.iter().map(|f| a.join(f)));
    }
    paths.extend(global_ignore_files());
    let mut watched = Vec::with_capacity(paths.len());
    for path in paths {
        // Absolute: a later run may start from another directory.
        let path = std::path::absolute(&path).ok()?;
        let s = stamp(&path);
        if s.is_some_and(|s| s.is_racy(now)) {
            return None;
        }
        watched.push((path.to_str()?.to_string(), s.map(stored)));
    }
    Some(watched)
}

/// The git configuration files that may name a global ignore file, the default global
/// ignore file, and the one a `core.excludesFile` line of them names.
fn global_ignore_files() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    let mut files: Vec<PathBuf> = Vec::new();
    files.extend(home.as_ref().map(|h| h.join(".gitconfig")));
    if let Some(c) = &config {
        files.push(c.join("git/config"));
        files.push(c.join("git/ignore"));
    }
    let named: Vec<PathBuf> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|text| {
            text.lines()
                .filter_map(|line| {
                    let (k, v) = line.split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("excludesfile")
                        .then(|| v.trim().trim_matches('"').to_string())
                })
                .collect::<Vec<_>>()
        })
        .map(|v| match (v.strip_prefix("~/"), &home) {
            (Some(rest), Some(h)) => h.join(rest),
            _ => PathBuf::from(v),
        })
        .collect();
    files.extend(named);
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    /// Walks with the listing in `cache`, as if it were a minute later (so that what the test
    /// just wrote is not too recent to remember).
    fn walked(root: &Path, cache: &Path) -> Vec<String> {
        let later = || SystemTime::now() + std::time::Duration::from_secs(60);
        let w = walk_at(root, &GlobSet::empty(), Some((cache, [7; 32])), later);
        let mut all = w.rust_files;
        all.extend(w.manifests);
        all
    }

    /// The listing remembered in `cache`.
    fn remembered(cache: &Path) -> Option<Vec<String>> {
        let listing: Listing =
            read_file(cache, FILE_NAME, &[7; 32]).and_then(|b| postcard::from_bytes(&b).ok())?;
        Some(listing.rust_files)
    }

    fn fresh(root: &Path) -> Vec<String> {
        let w = walk::walk(root, &GlobSet::empty());
        let mut all = w.rust_files;
        all.extend(w.manifests);
        all
    }

    #[test]
    fn a_remembered_listing_is_used_only_while_nothing_it_watched_changed() {
        let repo = tempfile::tempdir().expect("tempdir");
        let cache = tempfile::tempdir().expect("tempdir");
        let (root, dir) = (repo.path(), cache.path());
        write(root, "Cargo.toml", "[package]\nname = \"t\"\n");
        write(root, "src/lib.rs", "pub mod a;\n");
        write(root, "src/a.rs", "");
        write(root, ".gitignore", "gen/\n");
        write(root, "gen/x.rs", "");
        // Directories changed this second are too recent to trust: nothing is remembered.
        walk(root, &GlobSet::empty(), Some((dir, [7; 32])));
        assert_eq!(remembered(dir), None, "racy directories are not remembered");
        assert_eq!(walked(root, dir), fresh(root));
        assert_eq!(
            remembered(dir).expect("remembered"),
            ["src/a.rs", "src/lib.rs"]
        );
        // Each change that decides which files a walk finds is seen, the listing remembered
        // before it being the one of the tree just before (asserted each time).
        let steps: [(&str, &dyn Fn()); 6] = [
            ("a file added", &|| write(root, "src/b.rs", "")),
            ("a file deleted", &|| {
                std::fs::remove_file(root.join("src/a.rs")).expect("rm")
            }),
            ("the ignore file edited in place", &|| {
                write(root, ".gitignore", "")
            }),
            ("a directory added", &|| write(root, "src/deep/er/c.rs", "")),
            ("an ignore file created", &|| {
                write(root, "src/.ignore", "b.rs\n")
            }),
            ("a manifest added", &|| write(root, "sub/Cargo.toml", "")),
        ];
        for (what, change) in steps {
            let before = fresh(root);
            assert_eq!(walked(root, dir), before, "{what}: remembered");
            change();
            let after = fresh(root);
            assert_ne!(before, after, "{what}: the change matters");
            assert_eq!(walked(root, dir), after, "{what}");
        }
        assert!(walked(root, dir).contains(&"gen/x.rs".to_string()));
        assert!(!walked(root, dir).contains(&"src/b.rs".to_string()));
        // Another key (other excludes): not used.
        let other = walk(root, &GlobSet::empty(), Some((dir, [8; 32])));
        assert_eq!(
            other.rust_files,
            walk::walk(root, &GlobSet::empty()).rust_files
        );
    }
}
