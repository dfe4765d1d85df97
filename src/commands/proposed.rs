//! A change that is not written: `ribo check --patch FILE|-` (a unified diff applied in
//! memory over the working tree) and `ribo check --stdin-path PATH` (the proposed content of
//! one file on stdin). Nothing is written anywhere; the files the change touches are the run's
//! changed files. Paths come from untrusted input (an agent, an editor, a patch): an absolute
//! path, a `..`, or a symbolic link that leads out of the repository is refused, and inputs are
//! bounded. See docs/changed-mode.md.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use super::patch;
use crate::facts::MAX_FILE_BYTES;

/// The largest patch read (64 MiB); a larger one is refused before it is parsed.
pub const MAX_PATCH_BYTES: u64 = 64 * 1024 * 1024;

/// Files as the change leaves them, by absolute path: their new content, or `None` when the
/// change deletes them.
#[derive(Debug, Default, Clone)]
pub(crate) struct Proposed {
    pub files: BTreeMap<PathBuf, Option<Vec<u8>>>,
    /// Files the change moves (old path, new path): their findings are the same findings.
    pub moves: Vec<(PathBuf, PathBuf)>,
}

impl Proposed {
    /// The files it writes or adds, and those it deletes (absolute paths).
    pub fn present_and_removed(&self) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let mut present = Vec::new();
        let mut removed = Vec::new();
        for (path, content) in &self.files {
            match content {
                Some(_) => present.push(path.clone()),
                None => removed.push(path.clone()),
            }
        }
        (present, removed)
    }

    /// The new content of `path` if the change touches it (`Some(None)`: deleted).
    pub fn get(&self, path: &Path) -> Option<Option<&[u8]>> {
        self.files.get(path).map(|c| c.as_deref())
    }

    /// The moves between files under `root`, by path relative to it (old to new).
    pub fn moves_under(&self, root: &Path) -> BTreeMap<String, String> {
        self.moves
            .iter()
            .filter_map(|(from, to)| {
                let from = crate::facts::walk::relative(root, from)?;
                let to = crate::facts::walk::relative(root, to)?;
                Some((from, to))
            })
            .collect()
    }

    /// The overlay of the files under `root` (paths relative to it).
    pub fn overlay(&self, root: &Path) -> crate::facts::Overlay {
        let mut overlay = crate::facts::Overlay::default();
        for (path, content) in &self.files {
            if let Some(rel) = crate::facts::walk::relative(root, path) {
                if !rel.is_empty() {
                    overlay.set(rel, content.clone());
                }
            }
        }
        overlay
    }
}

/// Reads a source of input (`-`: stdin) up to `limit` bytes; more is an error.
pub(crate) fn read_bounded(from: &Path, limit: u64, what: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let read = if from == Path::new("-") {
        std::io::stdin().take(limit + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(from).and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| {
        let name = match from == Path::new("-") {
            true => "stdin".to_string(),
            false => format!("`{}`", from.display()),
        };
        format!("could not read {what} from {name}: {e}")
    })?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "{what} is larger than {} MiB: refused",
            limit / (1024 * 1024)
        ));
    }
    Ok(bytes)
}

/// Whether a file section moves a submodule's pointer.
fn is_submodule(file: &patch::FilePatch) -> bool {
    let lines = file
        .hunks
        .iter()
        .flat_map(|h| h.old_lines.iter().chain(&h.new_lines));
    let mut any = false;
    for l in lines {
        if !l.starts_with(b"Subproject commit ") {
            return false;
        }
        any = true;
    }
    any
}

/// `patch` applied over the files under `base` (the repository's top directory, where `git
/// diff` paths start), each file read from disk once and the hunks of later sections applied to
/// what earlier sections made of it.
pub(crate) fn from_patch(base: &Path, patch_bytes: &[u8]) -> Result<Proposed, String> {
    let files = patch::parse(patch_bytes)?;
    let mut out = Proposed::default();
    for file in &files {
        if is_submodule(file) {
            // A submodule's pointer (`Subproject commit <sha>`): another repository, not a
            // file of this one.
            continue;
        }
        let mut old = file.old.as_deref().map(|p| confine(base, p)).transpose()?;
        let mut new = file.new.as_deref().map(|p| confine(base, p)).transpose()?;
        let current = |path: &PathBuf, out: &Proposed| -> Result<Option<Vec<u8>>, String> {
            match out.files.get(path) {
                Some(content) => Ok(content.clone()),
                None => read_existing(path),
            }
        };
        if file.plain {
            // `diff -N`: a file added or deleted is compared with an empty one.
            let from_nothing = file
                .hunks
                .iter()
                .all(|h| h.old_start == 0 && h.old_len == 0);
            let to_nothing = file
                .hunks
                .iter()
                .all(|h| h.new_start == 0 && h.new_len == 0);
            if from_nothing
                && old
                    .as_ref()
                    .is_some_and(|o| matches!(current(o, &out), Ok(None)))
            {
                old = None;
            }
            if to_nothing && old.is_some() {
                new = None;
            }
        }
        let before = match &old {
            Some(path) => match current(path, &out)? {
                Some(bytes) => bytes,
                None => {
                    return Err(format!(
                        "the patch changes `{}` (line {}), which does not exist",
                        file.old.as_deref().unwrap_or_default(),
                        file.line
                    ))
                }
            },
            None => Vec::new(),
        };
        if let (None, Some(path)) = (&old, &new) {
            if current(path, &out)?.is_some() {
                return Err(format!(
                    "the patch adds `{}` (line {}), which already exists",
                    file.new.as_deref().unwrap_or_default(),
                    file.line
                ));
            }
        }
        let after = patch::apply(file, &before)?;
        if after.len() as u64 > MAX_FILE_BYTES {
            return Err(format!(
                "the patch makes `{}` larger than {} MiB: refused",
                file.name(),
                MAX_FILE_BYTES / (1024 * 1024)
            ));
        }
        match (&old, &new) {
            (Some(_), None) if !after.is_empty() => {
                return Err(format!(
                    "the patch deletes `{}` (line {}) but its removed lines are not the whole file",
                    file.name(),
                    file.line
                ))
            }
            (Some(old), None) => {
                out.files.insert(old.clone(), None);
            }
            (old, Some(new)) => {
                if let Some(old) = old.as_ref().filter(|o| *o != new && !file.copy) {
                    out.files.insert(old.clone(), None);
                    out.moves.push((old.clone(), new.clone()));
                }
                out.files.insert(new.clone(), Some(after));
            }
            (None, None) => {}
        }
    }
    Ok(out)
}

/// The content of `path` as proposed: `content` for the file at `path` (absolute, or relative to
/// the working directory), which must lie inside `base`.
pub(crate) fn from_content(base: &Path, path: &Path, content: Vec<u8>) -> Result<Proposed, String> {
    let absolute = std::path::absolute(path).map_err(|e| format!("`{}`: {e}", path.display()))?;
    let rel = relative_inside(base, &absolute).ok_or_else(|| {
        format!(
            "`{}` is outside the repository that holds the spec: refused",
            path.display()
        )
    })?;
    let at = confine(base, &rel)?;
    if content.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "the content for `{}` is larger than {} MiB: refused",
            path.display(),
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    let mut out = Proposed::default();
    out.files.insert(at, Some(content));
    Ok(out)
}

/// Where to look for the spec for `--stdin-path PATH`: the nearest existing directory that
/// holds PATH (the file, and directories above it, may be new).
pub(crate) fn discovery_start(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    absolute
        .ancestors()
        .skip(1)
        .find(|a| a.is_dir())
        .map(Path::to_path_buf)
}

/// `path` (absolute) relative to `base`, `.` and `..` taken as written; `None` when it is not
/// inside. `base` is canonical; `path` may name `base` through a link of its own (the working
/// directory's), so its nearest existing ancestor is canonicalised too.
fn relative_inside(base: &Path, path: &Path) -> Option<String> {
    let mut lexical = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    let resolved = lexical.ancestors().find_map(|a| {
        let rest = lexical.strip_prefix(a).ok()?;
        a.canonicalize().ok().map(|c| c.join(rest))
    })?;
    let rel = resolved.strip_prefix(base).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// `base` joined with `rel`, a path from untrusted input: refused when it is empty, absolute,
/// holds `..` (or `.git`), or when a symbolic link on its way leads out of `base`.
pub(crate) fn confine(base: &Path, rel: &str) -> Result<PathBuf, String> {
    let refuse = |why: &str| Err(format!("path `{rel}` {why}: refused"));
    if rel.is_empty() {
        return refuse("is empty");
    }
    if rel.contains('\0') {
        return refuse("holds a NUL byte");
    }
    let path = Path::new(rel);
    if path.is_absolute() || rel.starts_with('/') || rel.starts_with('\\') {
        return refuse("is absolute");
    }
    let mut at = base.to_path_buf();
    for c in path.components() {
        match c {
            Component::Normal(name) => {
                if name == ".git" {
                    return refuse("is inside `.git`");
                }
                at.push(name);
            }
            Component::CurDir => {}
            Component::ParentDir => return refuse("leaves the repository (`..`)"),
            Component::RootDir | Component::Prefix(_) => return refuse("is absolute"),
        }
        // A link on the way must stay inside: what it points to, resolved, is under `base`.
        if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            let target = at.canonicalize();
            let inside = target.as_ref().is_ok_and(|t| t.starts_with(base));
            if !inside {
                return refuse("goes through a symbolic link out of the repository");
            }
            let into_git = target.as_ref().is_ok_and(|t| {
                t.strip_prefix(base)
                    .is_ok_and(|rel| rel.components().any(|c| c.as_os_str() == ".git"))
            });
            if into_git {
                return refuse("is inside `.git` (through a symbolic link)");
            }
        }
    }
    Ok(at)
}

/// The bytes of the file at `path`, `None` when it does not exist; bounded like a source.
pub(crate) fn read_existing(path: &Path) -> Result<Option<Vec<u8>>, String> {
    if std::fs::symlink_metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(None);
    }
    // What it is once links are followed (a link to nowhere is not a file).
    match std::fs::metadata(path) {
        Err(e) => return Err(format!("could not read `{}`: {e}", path.display())),
        Ok(m) if m.is_dir() => {
            return Err(format!("`{}` is a directory, not a file", path.display()))
        }
        // A FIFO or a device (a link to one included): never opened, it could block or never
        // end.
        Ok(m) if !m.is_file() => return Err(format!("`{}` is not a regular file", path.display())),
        Ok(_) => {}
    }
    crate::facts::read_source(path)
        .map(Some)
        .map_err(|why| format!("`{}` {why}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `dir`, by path relative to it.
    fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).expect("lists") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    todo.push(p);
                } else {
                    let rel = p
                        .strip_prefix(dir)
                        .expect("under")
                        .to_string_lossy()
                        .into_owned();
                    out.insert(rel, std::fs::read(&p).expect("reads"));
                }
            }
        }
        out
    }

    /// `git diff --staged`, `git diff`, `git format-patch` and `diff -ruN` of real trees
    /// (tests/fixtures/patches): applied over `before/`, they give `after/` byte for byte
    /// (modified, added, deleted and renamed files, several hunks, no newline at the end, CRLF).
    #[test]
    fn real_patches_turn_the_tree_before_into_the_tree_after() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/patches");
        for case in ["staged", "unstaged", "format-patch", "diff-u"] {
            let before = fixtures
                .join(case)
                .join("before")
                .canonicalize()
                .expect("exists");
            let patch = std::fs::read(fixtures.join(case).join("patch.diff")).expect("patch");
            let proposed = from_patch(&before, &patch).unwrap_or_else(|e| panic!("{case}: {e}"));
            let mut made = tree(&before);
            for (path, content) in proposed.files {
                let rel = path
                    .strip_prefix(&before)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                match content {
                    Some(bytes) => made.insert(rel, bytes),
                    None => made.remove(&rel),
                };
            }
            let after = tree(&fixtures.join(case).join("after"));
            assert_eq!(
                made.keys().collect::<Vec<_>>(),
                after.keys().collect::<Vec<_>>(),
                "{case}"
            );
            for (rel, bytes) in &after {
                assert!(made[rel] == *bytes, "{case}: {rel} differs");
            }
        }
    }

    #[test]
    fn a_submodule_pointer_is_not_a_file_of_the_repository() {
        let before = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/patches/staged/before")
            .canonicalize()
            .expect("exists");
        let patch = "diff --git a/src b/src\nindex 1111111..2222222 160000\n--- a/src\n+++ b/src\n\
                     @@ -1 +1 @@\n-Subproject commit 1111111111111111111111111111111111111111\n\
                     +Subproject commit 2222222222222222222222222222222222222222\n";
        let proposed = from_patch(&before, patch.as_bytes()).expect("applies");
        assert!(proposed.files.is_empty());
    }

    #[test]
    fn a_patch_that_does_not_fit_the_tree_is_refused_with_its_reason() {
        let before = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/patches/staged/before")
            .canonicalize()
            .expect("exists");
        let cases = [
            (
                "--- a/src/nope.rs\n+++ b/src/nope.rs\n@@ -1 +1 @@\n-a\n+b\n",
                "changes `src/nope.rs` (line 1), which does not exist",
            ),
            (
                "--- /dev/null\n+++ b/src/a.rs\n@@ -0,0 +1 @@\n+a\n",
                "adds `src/a.rs` (line 1), which already exists",
            ),
            (
                "--- a/src/a.rs\n+++ /dev/null\n@@ -1 +0,0 @@\n-pub fn a1() -> u32 { 1 }\n",
                "deletes `src/a.rs` (line 1) but its removed lines are not the whole file",
            ),
            (
                "--- a/../x.rs\n+++ b/../x.rs\n@@ -1 +1 @@\n-a\n+b\n",
                "path `../x.rs` leaves the repository (`..`): refused",
            ),
            (
                "--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-a\n+b\n",
                "path `/etc/passwd` is absolute: refused",
            ),
        ];
        for (patch, expected) in cases {
            let e = from_patch(&before, patch.as_bytes()).expect_err(patch);
            assert!(e.contains(expected), "{patch}: {e}");
        }
    }

    #[test]
    fn untrusted_paths_are_confined_to_the_repository() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir_all(base.join("src")).expect("mkdir");
        let outside = tempfile::tempdir().expect("tempdir");
        std::os::unix::fs::symlink(outside.path(), base.join("out")).expect("symlink");
        std::os::unix::fs::symlink(base.join("src"), base.join("alias")).expect("symlink");
        std::fs::create_dir_all(base.join(".git")).expect("mkdir");
        std::os::unix::fs::symlink(base.join(".git"), base.join("g")).expect("symlink");
        assert_eq!(confine(&base, "src/a.rs"), Ok(base.join("src/a.rs")));
        assert_eq!(confine(&base, "alias/a.rs"), Ok(base.join("alias/a.rs")));
        for (bad, why) in [
            ("/etc/passwd", "is absolute"),
            ("../x.rs", "leaves the repository"),
            ("src/../../x.rs", "leaves the repository"),
            ("out/a.rs", "symbolic link"),
            ("g/config", "inside `.git`"),
            (".git/config", "inside `.git`"),
            ("", "is empty"),
        ] {
            let e = confine(&base, bad).expect_err(bad);
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
