//! The walk remembered: the files a walk found, with the stamps of everything that decided
//! which files it found, so that the next run stats a few hundred directories instead of
//! walking the tree (the walk of the 1.56M-line benchmark corpus is ~17 ms of
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
//! When only listed directories changed, only they are listed again (a walk started there,
//! one level deep, to which the ancestors' ignore files apply as to the walk of the root): the
//! files directly in one are replaced, a new subdirectory is walked whole, and one that is no
//! longer listed is dropped with everything below it. Anything else that changed (an ignore
//! file, a skipped `target`, a changed directory gone, tagged by Cargo, reached through a
//! symbolic link, or holding an ignore file or a `.git` created or deleted) walks the whole
//! root again. Not watched: the `info/exclude` of a repository a worktree's `.git` file
//! names elsewhere.
//!
//! A file whose content changed is not the listing's business: every file is stamped and
//! hashed afterwards (see `stamps`). A walk that gave a warning (a link not followed, a
//! directory that could not be read) is not remembered; nor is one over a directory changed
//! less than [`RACY_SECONDS`](super::stamps::RACY_SECONDS) before it started, as for file
//! stamps.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use globset::GlobSet;
use serde::{Deserialize, Serialize};

use super::cache::{read_file, write_file};
use super::stamps::Stamp;
use crate::facts::model::walk::{self, Walked};

const FILE_NAME: &str = "listing-v1.bin";

/// The ignore files the walker reads in a directory, relative to it.
const IGNORE_FILES: [&str; 3] = [".gitignore", ".ignore", ".git/info/exclude"];

/// What a walk found, and what it watched with their stamps, paths absolute.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Listing {
    /// The directories it listed.
    dirs: BTreeMap<String, Stamp>,
    /// Everything else (`None`: absent): the ignore files of those directories and of the
    /// root's ancestors, the git configuration, the Cargo `target` directories it skipped.
    others: BTreeMap<String, Option<Stamp>>,
    rust_files: BTreeSet<String>,
    manifests: BTreeSet<String>,
}

impl Listing {
    fn into_walked(self) -> Walked {
        Walked {
            rust_files: self.rust_files.into_iter().collect(),
            manifests: self.manifests.into_iter().collect(),
            warnings: Vec::new(),
        }
    }

    /// Adds what `w` found and watched; `None` when a path is not UTF-8 or a directory
    /// cannot be stamped.
    fn add(&mut self, w: &walk::Watched) -> Option<()> {
        self.rust_files.extend(w.walked.rust_files.iter().cloned());
        self.manifests.extend(w.walked.manifests.iter().cloned());
        for d in &w.listed {
            let d = std::path::absolute(d).ok()?;
            self.dirs.insert(text(&d)?, stamp(&d)?);
            // Only the ignore files that exist: one created changes the directory.
            for f in ignore_files_in(&d) {
                self.others.insert(text(&f)?, stamp(&f));
            }
        }
        for t in &w.skipped {
            let t = std::path::absolute(t).ok()?;
            self.others.insert(text(&t)?, stamp(&t));
        }
        Some(())
    }

    /// Whether a stamp it holds is too recent to trust (see the module docs).
    fn is_racy(&self, now: SystemTime) -> bool {
        let racy = |s: &Stamp| s.is_racy(now);
        self.dirs.values().any(racy) || self.others.values().flatten().any(racy)
    }
}

fn text(path: &Path) -> Option<String> {
    path.to_str().map(str::to_string)
}

/// What may hold ignore rules in a directory, beyond [`IGNORE_FILES`]: its `.git` (a
/// directory, or a worktree's file naming one elsewhere) and `.git/info`.
const GIT_ENTRIES: [&str; 2] = [".git", ".git/info"];

/// The ignore files, `.git` and `.git/info` that exist in directory `d`.
fn ignore_files_in(d: &Path) -> Vec<PathBuf> {
    IGNORE_FILES
        .iter()
        .chain(&GIT_ENTRIES)
        .map(|f| d.join(f))
        .filter(|p| p.exists())
        .collect()
}

/// Whether directory `dir` (below `root`, whose canonical path is `canonical_root`) is where
/// its path says, no symbolic link on the way: the `ignore` crate applies the ignore files of
/// a walk's starting directory's ancestors along its resolved path, which a walk of the root
/// reaching it through a link does not.
fn unlinked(root: &Path, canonical_root: &Path, dir: &Path) -> bool {
    let Some(rel) = walk::relative(root, dir) else {
        return false;
    };
    dir.canonicalize()
        .is_ok_and(|real| real == canonical_root.join(rel))
}

/// The stamp of `path` (following links), `None` when it cannot be had.
fn stamp(path: &Path) -> Option<Stamp> {
    std::fs::metadata(path).ok().and_then(|m| Stamp::of(&m))
}

/// [`walk::walk`] of `root`, taken from the listing remembered in `dir` under `key` when
/// nothing it watched changed since, or with only the directories that changed listed again;
/// else walked. Remembered when it can be.
/// With `save` false, a remembered walk is read but never written (a run over a proposed
/// change writes nothing).
/// Also tells whether the walk was the remembered one whole (nothing it watched changed).
pub fn walk(
    root: &Path,
    exclude: &GlobSet,
    remember: Option<(&Path, [u8; 32])>,
    save: bool,
) -> (Walked, bool) {
    let (walked, how) = walk_at(root, exclude, remember, save, SystemTime::now);
    (walked, how == How::Remembered)
}

/// How [`walk_at`] found the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Remembered,
    Relisted,
    Walked,
}

/// [`walk`], `now` telling the time the walk starts at.
fn walk_at(
    root: &Path,
    exclude: &GlobSet,
    remember: Option<(&Path, [u8; 32])>,
    write: bool,
    now: impl Fn() -> SystemTime,
) -> (Walked, How) {
    let (Some((dir, key)), Ok(abs_root)) = (remember, std::path::absolute(root)) else {
        return (walk::walk(root, exclude), How::Walked);
    };
    // Taken before anything is listed: a directory changed after it is too recent to trust.
    let now = now();
    let save = |listing: &Listing| {
        if write && !listing.is_racy(now) {
            if let Ok(body) = postcard::to_allocvec(listing) {
                // Not being able to write it only costs the next run a walk.
                let _ = write_file(dir, FILE_NAME, &key, &body);
            }
        }
    };
    if let Some(listing) =
        read_file(dir, FILE_NAME, &key).and_then(|body| postcard::from_bytes::<Listing>(&body).ok())
    {
        let others_hold = listing
            .others
            .iter()
            .all(|(path, then)| stamp(Path::new(path)) == *then);
        let changed: Vec<String> = listing
            .dirs
            .iter()
            .filter(|(path, then)| stamp(Path::new(path)) != Some(**then))
            .map(|(path, _)| path.clone())
            .collect();
        if others_hold && changed.is_empty() {
            return (listing.into_walked(), How::Remembered);
        }
        if others_hold {
            if let Some(updated) = relist(&abs_root, exclude, listing, &changed) {
                save(&updated);
                return (updated.into_walked(), How::Relisted);
            }
        }
    }
    let w = walk::walk_under(root, root, exclude, None);
    if w.walked.warnings.is_empty() {
        let mut listing = Listing {
            dirs: BTreeMap::new(),
            others: outside(&abs_root).unwrap_or_default(),
            rust_files: BTreeSet::new(),
            manifests: BTreeSet::new(),
        };
        if listing.add(&w).is_some() && !listing.others.is_empty() {
            save(&listing);
        }
    }
    (w.walked, How::Walked)
}

/// `listing` with the directories `changed` (absolute paths; each still holding, as far as
/// the listing knows, the ignore files it had) listed again: the files directly in one
/// replaced, a new subdirectory walked whole, a subdirectory no longer listed dropped with
/// everything below it. `None` when that cannot be done (a changed directory gone or unreadable,
/// an ignore file created or deleted in one, a walk's warning): the whole root is walked
/// again then.
fn relist(
    root: &Path,
    exclude: &GlobSet,
    mut listing: Listing,
    changed: &[String],
) -> Option<Listing> {
    let canonical_root = root.canonicalize().ok()?;
    for d in changed {
        if !listing.dirs.contains_key(d) {
            // Below a subdirectory dropped already.
            continue;
        }
        let dir = Path::new(d);
        // Gone, skipped by the walk of its parent now (Cargo tagged it), or reached through a
        // link (see `unlinked`).
        if !dir.is_dir()
            || (dir != root && walk::is_cargo_target(dir))
            || !unlinked(root, &canonical_root, dir)
        {
            return None;
        }
        // Its ignore files decide what is below it: one created or deleted, walk it all.
        let now_there: BTreeSet<PathBuf> = ignore_files_in(dir).into_iter().collect();
        for candidate in IGNORE_FILES.iter().chain(&GIT_ENTRIES) {
            let c = dir.join(candidate);
            let was = matches!(listing.others.get(&text(&c)?), Some(Some(_)));
            if was != now_there.contains(&c) {
                return None;
            }
        }
        let w = walk::walk_under(root, dir, exclude, Some(1));
        if !w.walked.warnings.is_empty() {
            return None;
        }
        let rel = walk::relative(root, dir)?;
        let directly_in = |f: &String| match f.rsplit_once('/') {
            Some((parent, _)) => parent == rel,
            None => rel.is_empty(),
        };
        listing.rust_files.retain(|f| !directly_in(f));
        listing.manifests.retain(|f| !directly_in(f));
        listing.add(&walk::Watched {
            walked: w.walked,
            listed: Vec::new(),
            below: Vec::new(),
            skipped: w.skipped,
        })?;
        listing.dirs.insert(d.clone(), stamp(dir)?);
        let below: BTreeSet<String> = w
            .below
            .iter()
            .filter_map(|b| text(&std::path::absolute(b).ok()?))
            .collect();
        let gone: Vec<String> = listing
            .dirs
            .keys()
            .filter(|k| Path::new(k.as_str()).parent() == Some(dir) && !below.contains(*k))
            .cloned()
            .collect();
        for g in gone {
            drop_subtree(&mut listing, root, &g)?;
        }
        for b in &below {
            if !listing.dirs.contains_key(b) {
                if !unlinked(root, &canonical_root, Path::new(b)) {
                    return None;
                }
                let sub = walk::walk_under(root, Path::new(b), exclude, None);
                if !sub.walked.warnings.is_empty() {
                    return None;
                }
                listing.add(&sub)?;
            }
        }
    }
    Some(listing)
}

/// Drops directory `d` (absolute) and everything below it from `listing`.
fn drop_subtree(listing: &mut Listing, root: &Path, d: &str) -> Option<()> {
    let under = |p: &str| Path::new(p).starts_with(d);
    listing.dirs.retain(|k, _| !under(k));
    listing.others.retain(|k, _| !under(k));
    let rel = walk::relative(root, Path::new(d))?;
    let prefix = format!("{rel}/");
    listing.rust_files.retain(|f| !f.starts_with(&prefix));
    listing.manifests.retain(|f| !f.starts_with(&prefix));
    Some(())
}

/// What is watched outside the root (see the module docs): the ignore files of its ancestors,
/// whether they exist or not (their directories change all the time: `/tmp`, a home
/// directory), and the git configuration naming a global ignore file.
fn outside(root: &Path) -> Option<BTreeMap<String, Option<Stamp>>> {
    let canonical = root.canonicalize().ok()?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for a in canonical.ancestors().skip(1) {
        paths.extend(IGNORE_FILES.iter().map(|f| a.join(f)));
    }
    paths.extend(global_ignore_files());
    paths
        .into_iter()
        .map(|p| {
            let p = std::path::absolute(&p).ok()?;
            Some((text(&p)?, stamp(&p)))
        })
        .collect()
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

/// What the walk remembered in `dir` under `key` watches (see the module docs): the directories
/// it listed, and everything else whose change would change what it finds (absolute paths);
/// `None` when no walk is remembered there. A watcher of the disk (`watcher`) watches these.
pub fn watched(dir: &Path, key: &[u8; 32]) -> Option<(Vec<PathBuf>, Vec<PathBuf>)> {
    let body = read_file(dir, FILE_NAME, key)?;
    let listing = postcard::from_bytes::<Listing>(&body).ok()?;
    Some((
        listing.dirs.into_keys().map(PathBuf::from).collect(),
        listing.others.into_keys().map(PathBuf::from).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    fn all(w: Walked) -> Vec<String> {
        let mut all = w.rust_files;
        all.extend(w.manifests);
        all
    }

    /// Walks with the listing in `cache`, as if it were a minute later (so that what the test
    /// just wrote is not too recent to remember).
    fn walked(root: &Path, cache: &Path) -> (Vec<String>, How) {
        let later = || SystemTime::now() + std::time::Duration::from_secs(60);
        let (w, how) = walk_at(root, &GlobSet::empty(), Some((cache, [7; 32])), true, later);
        (all(w), how)
    }

    fn fresh(root: &Path) -> Vec<String> {
        all(walk::walk(root, &GlobSet::empty()))
    }

    /// The files of the listing remembered in `cache`.
    fn remembered(cache: &Path) -> Option<Vec<String>> {
        let listing: Listing =
            read_file(cache, FILE_NAME, &[7; 32]).and_then(|b| postcard::from_bytes(&b).ok())?;
        Some(all(listing.into_walked()))
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
        write(root, "src/old/deep/y.rs", "");
        // Directories changed this second are too recent to trust: nothing is remembered.
        walk(root, &GlobSet::empty(), Some((dir, [7; 32])), true);
        assert_eq!(remembered(dir), None, "racy directories are not remembered");
        assert_eq!(walked(root, dir), (fresh(root), How::Walked));
        assert_eq!(remembered(dir).expect("remembered"), fresh(root));
        assert_eq!(walked(root, dir), (fresh(root), How::Remembered));
        // Each change that decides which files a walk finds is seen, the listing remembered
        // before it being the one of the tree just before (asserted each time): the changed
        // directories listed again, or everything walked again.
        let steps: [(&str, &dyn Fn(), How); 11] = [
            (
                "a file added",
                &|| write(root, "src/b.rs", ""),
                How::Relisted,
            ),
            (
                "a file deleted",
                &|| std::fs::remove_file(root.join("src/a.rs")).expect("rm"),
                How::Relisted,
            ),
            (
                "the ignore file edited in place",
                &|| write(root, ".gitignore", ""),
                How::Walked,
            ),
            (
                "a directory tree added",
                &|| write(root, "src/deep/er/c.rs", ""),
                How::Relisted,
            ),
            (
                "a directory tree deleted",
                &|| std::fs::remove_dir_all(root.join("src/old")).expect("rm"),
                How::Relisted,
            ),
            (
                "a directory named target that is not Cargo's",
                &|| write(root, "src/deep/target/t.rs", ""),
                How::Relisted,
            ),
            (
                "Cargo's tag in it: target/ is Cargo's now",
                &|| write(root, "src/deep/target/CACHEDIR.TAG", ""),
                How::Walked,
            ),
            (
                "Cargo's tag gone",
                &|| std::fs::remove_file(root.join("src/deep/target/CACHEDIR.TAG")).expect("rm"),
                How::Walked,
            ),
            (
                "an ignore file created",
                &|| write(root, "src/.ignore", "b.rs\n"),
                How::Walked,
            ),
            (
                "a manifest added",
                &|| write(root, "sub/Cargo.toml", ""),
                How::Relisted,
            ),
            (
                "a file added to a new directory in a new one",
                &|| write(root, "sub/src/bin/main.rs", ""),
                How::Relisted,
            ),
        ];
        for (what, change, how) in steps {
            let before = fresh(root);
            assert_eq!(
                walked(root, dir),
                (before.clone(), How::Remembered),
                "{what}: remembered"
            );
            change();
            let after = fresh(root);
            assert_ne!(before, after, "{what}: the change matters");
            assert_eq!(walked(root, dir), (after, how), "{what}");
        }
        assert!(walked(root, dir).0.contains(&"gen/x.rs".to_string()));
        assert!(!walked(root, dir).0.contains(&"src/b.rs".to_string()));
        // Another key (other excludes): not used.
        let (other, _) = walk(root, &GlobSet::empty(), Some((dir, [8; 32])), true);
        assert_eq!(
            other.rust_files,
            walk::walk(root, &GlobSet::empty()).rust_files
        );
    }

    /// Random changes to a small tree (files and directories added, deleted and renamed,
    /// ignore files written, `target` directories tagged): after each, the walk with the
    /// listing finds exactly what a fresh walk finds, and most walks do not walk everything.
    #[test]
    fn random_tree_changes_are_all_seen() {
        let repo = tempfile::tempdir().expect("tempdir");
        let cache = tempfile::tempdir().expect("tempdir");
        let (root, dir) = (repo.path(), cache.path());
        write(root, "Cargo.toml", "");
        write(root, "src/lib.rs", "");
        let names = ["a", "b", "target", "c"];
        let mut seed: u64 = 12345;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % n as u64) as usize
        };
        let mut not_walked = 0;
        let steps = 120;
        for step in 0..steps {
            let mut path = String::from("src");
            for _ in 0..next(3) {
                path.push('/');
                path.push_str(names[next(names.len())]);
            }
            let leaf = format!("{path}/{}.rs", names[next(names.len())]);
            match next(7) {
                0 | 1 => write(root, &leaf, ""),
                2 => {
                    let _ = std::fs::remove_file(root.join(&leaf));
                }
                3 => {
                    let _ = std::fs::remove_dir_all(root.join(&path));
                }
                4 => {
                    let to = format!("{path}{step}");
                    let _ = std::fs::rename(root.join(&path), root.join(to));
                }
                5 => write(
                    root,
                    &format!("{path}/.gitignore"),
                    &format!("{}.rs\n", names[next(4)]),
                ),
                _ => write(root, &format!("{path}/target/CACHEDIR.TAG"), ""),
            }
            let (found, how) = walked(root, dir);
            assert_eq!(found, fresh(root), "step {step}");
            if how != How::Walked {
                not_walked += 1;
            }
        }
        assert!(
            not_walked * 2 >= steps,
            "only {not_walked} of {steps} walks used the listing"
        );
    }

    /// A directory reached through a link is below other ignore files than the ones on its
    /// real path: changed, it is not listed on its own (the whole root is walked).
    #[cfg(unix)]
    #[test]
    fn a_directory_reached_through_a_link_is_walked_from_the_root() {
        let repo = tempfile::tempdir().expect("tempdir");
        let cache = tempfile::tempdir().expect("tempdir");
        let (root, dir) = (repo.path(), cache.path());
        write(root, "src/.gitignore", "gen/\n");
        write(root, "src/lib.rs", "");
        write(root, "lib/gen/x.rs", "");
        std::os::unix::fs::symlink("../lib", root.join("src/link")).expect("symlink");
        assert_eq!(walked(root, dir).0, fresh(root));
        assert!(!fresh(root).contains(&"src/link/gen/x.rs".to_string()));
        write(root, "lib/b.rs", "");
        assert_eq!(walked(root, dir), (fresh(root), How::Walked));
        // A new directory below the link too.
        assert_eq!(walked(root, dir).1, How::Remembered);
        write(root, "lib/new/gen/y.rs", "");
        assert_eq!(walked(root, dir), (fresh(root), How::Walked));
    }
}
