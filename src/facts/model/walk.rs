//! Finding the files to check: ripgrep's `ignore` walker (honours .gitignore even outside a
//! git checkout), always skipping `target/`, `.git/` and `.ribo-cache/`, plus the spec's
//! excludes. Symlinks are followed only while they stay inside the root; loops and links
//! that leave the root become warnings, never errors.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use globset::GlobSet;

use super::Warning;

/// Directories never walked, whatever .gitignore says. (`target/` is skipped too, but only
/// where it is Cargo's build directory: see `is_cargo_target`.)
pub const ALWAYS_SKIPPED: [&str; 2] = [".git", ".ribo-cache"];

/// A `target` directory next to a `Cargo.toml`, or one Cargo tagged with `CACHEDIR.TAG`; a
/// module that happens to be called `target` is walked like any other.
pub(crate) fn is_cargo_target(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "target")
        && (path.join("CACHEDIR.TAG").exists()
            || path.parent().is_some_and(|p| p.join("Cargo.toml").exists()))
}

/// What the walk found, sorted by relative path.
#[derive(Debug, Default)]
pub struct Walked {
    /// `.rs` files, relative to the root, `/`-separated.
    pub rust_files: Vec<String>,
    /// `Cargo.toml` files, relative to the root, `/`-separated.
    pub manifests: Vec<String>,
    pub warnings: Vec<Warning>,
}

/// Turns a path under `root` into the `/`-separated relative form used everywhere in ribo.
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut out = String::new();
    for comp in rel.components() {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(&comp.as_os_str().to_string_lossy());
    }
    Some(out)
}

/// Walks `root` and collects Rust sources and manifests not excluded.
pub fn walk(root: &Path, exclude: &GlobSet) -> Walked {
    walk_under(root, root, exclude, None).walked
}

/// A walk, and what decided what it found (see `listing`).
#[derive(Debug, Default)]
pub struct Watched {
    pub walked: Walked,
    /// The directories it listed (the one it started from first).
    pub listed: Vec<PathBuf>,
    /// The directories it found at its depth limit, not listed.
    pub below: Vec<PathBuf>,
    /// The Cargo `target` directories it skipped.
    pub skipped: Vec<PathBuf>,
}

/// [`walk`] of the part of `root` under `start` (`root` itself, or a directory below it the
/// walk of `root` would list, reached without a symbolic link: the ignore files of its
/// ancestors apply, along its resolved path), at most `depth` levels below `start`; paths stay
/// relative to `root`.
pub fn walk_under(root: &Path, start: &Path, exclude: &GlobSet, depth: Option<usize>) -> Watched {
    let warnings: Arc<Mutex<Vec<Warning>>> = Arc::default();
    let skipped: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut builder = ignore::WalkBuilder::new(start);
    builder
        .max_depth(depth)
        .hidden(false)
        .require_git(false)
        .follow_links(true)
        .sort_by_file_name(|a, b| a.cmp(b));
    {
        let warnings = Arc::clone(&warnings);
        let skipped = Arc::clone(&skipped);
        let root = root.to_path_buf();
        let exclude = exclude.clone();
        builder.filter_entry(move |entry| {
            let name = entry.file_name().to_string_lossy();
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if is_dir && entry.depth() > 0 {
                if ALWAYS_SKIPPED.contains(&name.as_ref()) {
                    return false;
                }
                if is_cargo_target(entry.path()) {
                    if let Ok(mut s) = skipped.lock() {
                        s.push(entry.path().to_path_buf());
                    }
                    return false;
                }
                if let Some(rel) = relative(&root, entry.path()) {
                    if excludes_whole_dir(&exclude, &rel) {
                        return false;
                    }
                }
            }
            if entry.path_is_symlink() {
                let inside = entry
                    .path()
                    .canonicalize()
                    .map(|target| target.starts_with(&canonical_root))
                    .unwrap_or(false);
                if !inside {
                    let path = relative(&root, entry.path()).unwrap_or_default();
                    if let Ok(mut w) = warnings.lock() {
                        w.push(Warning::new(
                            path,
                            "symbolic link not followed: it points outside the checked root or nowhere",
                        ));
                    }
                    return false;
                }
            }
            true
        });
    }
    let mut walked = Walked::default();
    let mut dirs = Vec::new();
    let mut below = Vec::new();
    for result in builder.build() {
        let entry = match result {
            Ok(entry) => entry,
            Err(err) => {
                // A Rust file the walk saw but could not stat (a link to nowhere, a file
                // that vanished) is still a file to check: parsing it fails again and it is
                // counted as not checked. Anything else is a warning.
                match rust_file_error(root, &err) {
                    Some(rel) if !exclude.is_match(&rel) => walked.rust_files.push(rel),
                    Some(_) => {}
                    None => walked.warnings.push(walk_error(root, &err)),
                }
                continue;
            }
        };
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            match depth.is_some_and(|d| entry.depth() >= d) {
                true => below.push(entry.path().to_path_buf()),
                false => dirs.push(entry.path().to_path_buf()),
            }
        }
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Some(rel) = relative(root, entry.path()) else {
            continue;
        };
        if exclude.is_match(&rel) {
            continue;
        }
        let name = entry.file_name();
        if name == "Cargo.toml" {
            walked.manifests.push(rel);
        } else if entry.path().extension().is_some_and(|e| e == "rs") {
            walked.rust_files.push(rel);
        }
    }
    if let Ok(mut w) = warnings.lock() {
        walked.warnings.append(&mut w);
    }
    walked.rust_files.sort();
    walked.rust_files.dedup();
    walked.manifests.sort();
    walked.warnings.sort();
    walked.warnings.dedup();
    let skipped = skipped.lock().map(|mut s| std::mem::take(&mut *s));
    Watched {
        walked,
        listed: dirs,
        below,
        skipped: skipped.unwrap_or_default(),
    }
}

/// Whether the walk of `root` would take `rel` (a `/`-separated path below it, of a file that
/// need not exist: one a proposed change adds), and as what: `Some(true)` a manifest,
/// `Some(false)` a Rust file, `None` neither (another kind of file, excluded, ignored by a
/// `.gitignore` or `.ignore` of a directory on its way, or below a directory never walked).
pub fn would_walk(root: &Path, rel: &str, exclude: &GlobSet) -> Option<bool> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let manifest = name == "Cargo.toml";
    if !manifest && !name.ends_with(".rs") || exclude.is_match(rel) {
        return None;
    }
    let parts: Vec<&str> = rel.split('/').collect();
    // Directories never walked, on the way down from the root.
    let mut dir = root.to_path_buf();
    for (i, part) in parts.iter().enumerate().take(parts.len().saturating_sub(1)) {
        dir.push(part);
        let sub = parts[..=i].join("/");
        if ALWAYS_SKIPPED.contains(part)
            || is_cargo_target(&dir)
            || excludes_whole_dir(exclude, &sub)
        {
            return None;
        }
    }
    // Ignore rules as the walker reads them, lowest precedence first: the repository's
    // `info/exclude` (the user's global excludes are not read), then each directory's
    // `.gitignore` and `.ignore` from the filesystem's root down to the file's directory (above
    // the root too). For a path, the last rule that matches decides (a deeper `!pattern` takes
    // it back); a directory on the way that is ignored is never entered.
    let path = root.join(rel);
    // With whether each is an `.ignore` (the walker gives those precedence over git's).
    let mut matchers: Vec<(ignore::gitignore::Gitignore, bool)> = Vec::new();
    if let Some(top) = root.ancestors().find(|a| a.join(".git").is_dir()) {
        // Its rules are the top directory's (the file lives elsewhere).
        let mut builder = ignore::gitignore::GitignoreBuilder::new(top);
        if let Ok(text) = std::fs::read_to_string(top.join(".git/info/exclude")) {
            for line in text.lines() {
                let _ = builder.add_line(None, line);
            }
        }
        matchers.extend(builder.build().ok().map(|m| (m, false)));
    }
    let parent = path.parent().unwrap_or(root);
    let mut dirs: Vec<&Path> = parent.ancestors().collect();
    dirs.reverse();
    for d in dirs {
        for file in [".gitignore", ".ignore"] {
            let ignore = d.join(file);
            if ignore.is_file() {
                matchers.push((
                    ignore::gitignore::Gitignore::new(&ignore).0,
                    file == ".ignore",
                ));
            }
        }
    }
    // `.ignore` rules first (the deepest that matches decides), then git's.
    let ignored = |p: &Path, is_dir: bool| {
        for dot_ignore in [true, false] {
            let mut decided = None;
            for (m, _) in matchers.iter().filter(|(_, d)| *d == dot_ignore) {
                if p == m.path() || !p.starts_with(m.path()) {
                    continue;
                }
                match m.matched(p, is_dir) {
                    ignore::Match::None => {}
                    ignore::Match::Ignore(_) => decided = Some(true),
                    ignore::Match::Whitelist(_) => decided = Some(false),
                }
            }
            if let Some(d) = decided {
                return d;
            }
        }
        false
    };
    let mut dir = root.to_path_buf();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        dir.push(part);
        if ignored(&dir, true) {
            return None;
        }
    }
    match ignored(&path, false) {
        true => None,
        false => Some(manifest),
    }
}

/// True when the exclude set covers everything under `dir` (`dir/**`-like patterns): a
/// nested name no real pattern would single out is tested, so `gen/*.rs` does not prune
/// `gen/` but `gen/**` does.
fn excludes_whole_dir(exclude: &GlobSet, dir: &str) -> bool {
    !exclude.is_empty() && exclude.is_match(format!("{dir}/\u{1}/\u{1}"))
}

/// The relative path of a `.rs` file an error is about (not a link loop).
fn rust_file_error(root: &Path, err: &ignore::Error) -> Option<String> {
    if is_loop(err) {
        return None;
    }
    let path = error_path(err)?;
    if path.extension().is_none_or(|e| e != "rs") || path.is_dir() {
        return None;
    }
    relative(root, &path)
}

fn walk_error(root: &Path, err: &ignore::Error) -> Warning {
    let path = error_path(err)
        .and_then(|p| relative(root, &p))
        .unwrap_or_default();
    let message = if is_loop(err) {
        "symbolic link loop: not followed".to_string()
    } else {
        format!("could not be read: {}", io_message(err))
    };
    Warning::new(path, message)
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } => error_path(err),
        ignore::Error::WithLineNumber { err, .. } => error_path(err),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::Partial(errs) => errs.first().and_then(error_path),
        _ => None,
    }
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        _ => false,
    }
}

fn io_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => io_message(err),
        ignore::Error::Io(io) => io.kind().to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod would_walk_tests {
    use super::*;

    #[test]
    fn a_new_file_is_taken_as_the_walk_would_take_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let top = dir.path();
        std::fs::create_dir_all(top.join(".git/info")).expect("mkdir");
        std::fs::create_dir_all(top.join("repo/src/gen")).expect("mkdir");
        std::fs::write(top.join(".git/info/exclude"), "scratch.rs\n").expect("write");
        // Above the root, the root's own, and a deeper one taking a file back.
        std::fs::write(top.join(".gitignore"), "*.generated.rs\n").expect("write");
        std::fs::write(top.join("repo/.gitignore"), "src/gen/\n!src/gen/keep.rs\n").expect("write");
        std::fs::write(top.join("repo/src/gen/.ignore"), "!kept.rs\n").expect("write");
        let root = top.join("repo");
        let none = GlobSet::empty();
        assert_eq!(would_walk(&root, "src/a.rs", &none), Some(false));
        assert_eq!(would_walk(&root, "Cargo.toml", &none), Some(true));
        assert_eq!(would_walk(&root, "src/notes.md", &none), None);
        assert_eq!(would_walk(&root, "src/x.generated.rs", &none), None);
        assert_eq!(would_walk(&root, "src/scratch.rs", &none), None);
        assert_eq!(would_walk(&root, "src/gen/b.rs", &none), None);
        // Under a directory the walk does not enter, a `!pattern` of its own takes nothing back.
        assert_eq!(would_walk(&root, "src/gen/kept.rs", &none), None);
        // An `.ignore` rule, even higher up, wins over a `.gitignore` one.
        std::fs::create_dir_all(root.join("src/domain")).expect("mkdir");
        std::fs::write(root.join(".ignore"), "!src/domain/extra.rs\n").expect("write");
        std::fs::write(root.join("src/domain/.gitignore"), "extra.rs\n").expect("write");
        assert_eq!(would_walk(&root, "src/domain/extra.rs", &none), Some(false));
        std::fs::remove_file(root.join(".ignore")).expect("rm");
        std::fs::write(top.join("repo/.gitignore"), "*.rs\n!src/kept.rs\n").expect("write");
        assert_eq!(would_walk(&root, "src/kept.rs", &none), Some(false));
        assert_eq!(would_walk(&root, "src/other.rs", &none), None);
        assert_eq!(would_walk(&root, ".git/x.rs", &none), None);
    }
}
