//! Which files a `ribo check` run is limited to: the files named on the command line, or those
//! git reports as changed (`--changed [--base REV]`). The rules still see the whole
//! repository; `rules::changed` decides what is reported. See docs/changed-mode.md.

use std::path::{Path, PathBuf};

use super::baseline::{absolute, root_relative};
use super::git;
use crate::cli::CheckArgs;
use crate::rules::changed::ChangeSet;
use crate::spec::Spec;

/// What `ribo check`'s positional paths ask for.
pub(crate) enum Paths {
    /// No path, or one directory (where to look for the spec): the whole repository.
    Repository,
    /// Files (absolute): report only what concerns them.
    Files(Vec<PathBuf>),
}

/// Reads the positional paths: none or one directory keeps the repository-wide meaning; files
/// select them. A directory among several paths, or a path that does not exist, is an error.
pub(crate) fn paths(args: &CheckArgs) -> Result<Paths, String> {
    let all: Vec<&PathBuf> = args.spec.path.iter().chain(&args.files).collect();
    match all.as_slice() {
        [] => return Ok(Paths::Repository),
        [one] if one.is_dir() => return Ok(Paths::Repository),
        _ => {}
    }
    let mut files = Vec::new();
    for p in all {
        if p.is_dir() {
            return Err(format!(
                "`{}` is a directory: pass one directory to check the whole repository, or files to check only them",
                p.display()
            ));
        }
        if !p.exists() {
            return Err(format!("`{}` does not exist", p.display()));
        }
        files.push(absolute(p));
    }
    Ok(Paths::Files(files))
}

/// Where to look for the spec when files are named: the first file's directory.
pub(crate) fn discovery_start(files: &[PathBuf]) -> Option<PathBuf> {
    files
        .first()
        .and_then(|f| f.parent())
        .map(Path::to_path_buf)
}

/// The change set of a run: the named files, the files git reports as changed since
/// `--base` (default `HEAD`) with `--changed`, or `None` for the whole repository.
pub(crate) fn select(
    paths: &Paths,
    args: &CheckArgs,
    spec: &Spec,
    shown_root: &str,
    baseline: &Path,
) -> Result<Option<ChangeSet>, String> {
    match paths {
        Paths::Files(files) => Ok(Some(change_set(spec, baseline, files, &[]))),
        Paths::Repository if args.changed => {
            let shown = if shown_root.is_empty() {
                "."
            } else {
                shown_root
            };
            let base = args.base.as_deref().unwrap_or("HEAD");
            let changes = git::changes(&spec.root, shown, base)?;
            let set = change_set(spec, baseline, &changes.present, &changes.removed);
            Ok(Some(set))
        }
        Paths::Repository => Ok(None),
    }
}

/// The change set of a proposed change (`--patch`, `--stdin-path`): the files it writes and
/// those it deletes.
pub(crate) fn proposed(
    spec: &Spec,
    baseline: &Path,
    proposal: &super::proposed::Proposed,
) -> ChangeSet {
    let (present, removed) = proposal.present_and_removed();
    change_set(spec, baseline, &present, &removed)
}

/// The change set relative to the spec root: paths outside it are dropped, except that the
/// spec and the baseline file are recognised wherever they are.
fn change_set(spec: &Spec, baseline: &Path, present: &[PathBuf], removed: &[PathBuf]) -> ChangeSet {
    let spec_path = absolute(&spec.path);
    let baseline = absolute(baseline);
    let mut set = ChangeSet::default();
    for (paths, into_present) in [(present, true), (removed, false)] {
        for p in paths {
            let p = absolute(p);
            set.spec |= p == spec_path;
            set.baseline |= p == baseline;
            if !p.starts_with(&spec.root) {
                continue;
            }
            let rel = root_relative(&spec.root, &p);
            if into_present {
                set.present.insert(rel);
            } else {
                set.removed.insert(rel);
            }
        }
    }
    set
}
