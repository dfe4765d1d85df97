//! The one place ribo runs another program: `git`, to list the files changed since a revision
//! (`ribo check --changed`). git is not the checked repository's code, but the repository
//! configures commands git runs on its behalf, and an agent (or a pull request) can write
//! `.git/config` and `.gitattributes`. So git is invoked such that none of them can run:
//!
//! - clean, smudge and process filters (`filter.<name>.*`, assigned by `.gitattributes`): every
//!   filter the configuration defines is overridden with an empty command, which git takes as
//!   no filter (and `required=false`), so a worktree file is hashed as it is;
//! - textconv and external diff drivers: `--no-textconv`, `--no-ext-diff`, `diff.external`
//!   emptied, `GIT_EXTERNAL_DIFF` removed;
//! - the fsmonitor hook: `core.fsmonitor=false`;
//! - the pager: `--no-pager`, `core.pager=cat`;
//! - hooks: off (`core.hooksPath=/dev/null`), and git works on a copy of the index, so the
//!   repository's index is never written (`diff` refreshes it whatever `GIT_OPTIONAL_LOCKS`
//!   says);
//! - fetching: never (a partial clone's promisor remote runs its URL's command when an object
//!   is missing): `GIT_NO_LAZY_FETCH=1`, `GIT_ALLOW_PROTOCOL=none`;
//! - a bare repository inside the checked one: not used (`safe.bareRepository=explicit`);
//! - submodules: not descended into (`--ignore-submodules=all`), so no git runs under another
//!   configuration.
//!
//! tests/git_safety.rs proves each vector ran nothing. specs/ribo.yaml exempts exactly this
//! file from `never-runs-checked-code`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Files changed since a revision, as absolute paths.
#[derive(Debug, Clone, Default)]
pub(crate) struct GitChanges {
    /// Modified, added, copied, renamed to, and untracked (not ignored) files.
    pub present: Vec<PathBuf>,
    /// Deleted files and the old side of renames.
    pub removed: Vec<PathBuf>,
}

/// What `git diff --name-status -M <base>` and `git ls-files --others --exclude-standard`
/// report for the repository holding `dir`: staged and unstaged changes against `base`, plus
/// untracked files under `dir`.
/// `shown` is how to name `dir` in an error.
pub(crate) fn changes(dir: &Path, shown: &str, base: &str) -> Result<GitChanges, String> {
    let filters = no_filters(dir).map_err(|e| not_a_repository(shown, &e))?;
    let git = |args: &[&str]| git(dir, &filters, args);
    let toplevel =
        git(&["rev-parse", "--show-toplevel"]).map_err(|e| not_a_repository(shown, &e))?;
    let toplevel = PathBuf::from(String::from_utf8_lossy(&toplevel).trim_end());
    let toplevel = toplevel.canonicalize().unwrap_or(toplevel);
    if base.starts_with('-') || base.is_empty() {
        return Err(bad_revision(base));
    }
    let commit = git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{base}^{{commit}}"),
    ])
    .map_err(|_| bad_revision(base))?;
    let commit = String::from_utf8_lossy(&commit).trim().to_owned();
    // git refreshes the index's file stamps as it compares (and writes the index, running the
    // `post-index-change` hook, whatever GIT_OPTIONAL_LOCKS says for `diff`): it works on a
    // copy, so the repository's index is never written.
    let copy = IndexCopy::of(dir, &filters)?;
    let index: Vec<(&str, &Path)> = copy
        .path()
        .map(|p| vec![("GIT_INDEX_FILE", p)])
        .unwrap_or_default();
    let git = |args: &[&str]| run_git(dir, &filters, &index, args);
    let diff = git(&[
        "diff",
        "--name-status",
        "-z",
        "-M",
        "--no-ext-diff",
        "--no-textconv",
        "--ignore-submodules=all",
        &commit,
        "--",
    ])?;
    let mut out = GitChanges::default();
    parse_name_status(&diff, &toplevel, &mut out);
    let untracked = git(&["ls-files", "--others", "--exclude-standard", "-z"])?;
    for path in nul_separated(&untracked) {
        out.present.push(dir.join(path));
    }
    Ok(out)
}

/// The content of `file` (relative to `dir`) at revision `rev`, raw as stored (no filter, no
/// textconv); `None` when `rev` has no such file. An error when `dir` is not in a repository
/// or `rev` is no commit.
pub(crate) fn file_at(dir: &Path, rev: &str, file: &str) -> Result<Option<Vec<u8>>, String> {
    let found = files_at(dir, rev, &[file.to_string()])?;
    Ok(found.into_iter().next().flatten())
}

/// The configuration overrides for `dir` and the commit `rev` names: what reading files at a
/// revision starts with.
fn at_revision(dir: &Path, rev: &str) -> Result<(Vec<(String, String)>, String), String> {
    let shown = match super::display_path(dir) {
        s if s.is_empty() => ".".to_string(),
        s => s,
    };
    let filters = no_filters(dir).map_err(|e| no_history(&shown, &e))?;
    if rev.starts_with('-') || rev.is_empty() {
        return Err(bad_revision(rev));
    }
    git(dir, &filters, ["rev-parse", "--show-toplevel"]).map_err(|e| no_history(&shown, &e))?;
    let commit = git(
        dir,
        &filters,
        [
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| bad_revision(rev))?;
    Ok((filters, String::from_utf8_lossy(&commit).trim().to_owned()))
}

/// The content of each of `files` (relative to `dir`) at revision `rev`, as [`file_at`], read
/// with one `git cat-file --batch`.
pub(crate) fn files_at(
    dir: &Path,
    rev: &str,
    files: &[String],
) -> Result<Vec<Option<Vec<u8>>>, String> {
    use std::io::{Read, Write};
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let (filters, commit) = at_revision(dir, rev)?;
    let child = command(dir, &filters)
        .args(["cat-file", "--batch"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("could not run git: {e}"))?;
    let mut child = Deadline::watch(child);
    let mut input = String::new();
    for f in files {
        if f.contains('\n') {
            return Err(format!(
                "`{f}`: a path with a line break cannot be read from git"
            ));
        }
        input.push_str(&format!("{commit}:./{f}\n"));
    }
    // Written from another thread: git answers while it reads, and both pipes are bounded.
    let mut stdin = child.stdin.take().ok_or("could not talk to git")?;
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut out = Vec::new();
    child
        .stdout
        .take()
        .ok_or("could not read from git")?
        .read_to_end(&mut out)
        .map_err(|e| format!("could not read from git: {e}"))?;
    let _ = writer.join();
    child.finish()?;
    // `<object> <type> <size>\n<content>\n` (an object name has no space), or
    // `<what was asked> missing\n`, in order.
    let mut found = Vec::with_capacity(files.len());
    let mut at = 0;
    for f in files {
        let rest = out.get(at..).ok_or("git's answer was cut short")?;
        let end = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or("git's answer was cut short")?;
        let header = String::from_utf8_lossy(&rest[..end]).into_owned();
        at += end + 1;
        if header == format!("{commit}:./{f} missing") {
            found.push(None);
            continue;
        }
        let mut words = header.splitn(3, ' ');
        let (_, kind, size) = (words.next(), words.next(), words.next());
        let size = size
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or("git's answer could not be read")?;
        let content = out
            .get(at..at.saturating_add(size))
            .ok_or("git's answer was cut short")?;
        // Not a file (a directory, a submodule), or larger than any file ribo reads: nothing
        // to compare with.
        let file = kind == Some("blob") && size as u64 <= crate::facts::MAX_FILE_BYTES;
        found.push(file.then(|| content.to_vec()));
        at = at.saturating_add(size).saturating_add(1);
    }
    Ok(found)
}

/// A copy of the repository's index in a temporary file, removed when dropped (`None` inside
/// when the repository has no index yet).
struct IndexCopy(Option<PathBuf>);

impl IndexCopy {
    fn of(dir: &Path, filters: &[(String, String)]) -> Result<IndexCopy, String> {
        let at = git(dir, filters, ["rev-parse", "--git-path", "index"])?;
        let at = PathBuf::from(String::from_utf8_lossy(&at).trim_end());
        let at = if at.is_absolute() { at } else { dir.join(at) };
        if !at.is_file() {
            return Ok(IndexCopy(None));
        }
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let copy = std::env::temp_dir().join(format!("ribo-index-{}-{nonce}", std::process::id()));
        std::fs::copy(&at, &copy).map_err(|e| format!("could not copy git's index: {e}"))?;
        let made = IndexCopy(Some(copy.clone()));
        // With the index's own time: git tells a file changed in the same second as the index
        // was written ("racily clean") by that time; a newer copy would hide such a change.
        let then = std::fs::metadata(&at)
            .and_then(|m| m.modified())
            .map_err(|e| format!("could not read git's index: {e}"))?;
        std::fs::File::options()
            .write(true)
            .open(&copy)
            .and_then(|f| f.set_modified(then))
            .map_err(|e| format!("could not copy git's index: {e}"))?;
        Ok(made)
    }

    fn path(&self) -> Option<&Path> {
        self.0.as_deref()
    }
}

impl Drop for IndexCopy {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// `git -C <dir>` set up as every run is (see the module docs), with `settings` as further
/// configuration.
fn command(dir: &Path, settings: &[(String, String)]) -> Command {
    let mut command = Command::new("git");
    with_settings(&mut command, settings);
    command
        .arg("--no-pager")
        .arg("-C")
        .arg(dir)
        .args(SAFE)
        .env_remove("GIT_EXTERNAL_DIFF")
        .env_remove("GIT_PAGER")
        .envs(SAFE_ENV);
    command
}

/// `settings` as configuration through the environment, after whatever the user's own
/// environment gives that way (`GIT_CONFIG_COUNT` entries are kept, ribo's come after them).
fn with_settings(command: &mut Command, settings: &[(String, String)]) {
    let theirs: usize = std::env::var("GIT_CONFIG_COUNT")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    command.env("GIT_CONFIG_COUNT", (theirs + settings.len()).to_string());
    for (i, (key, value)) in settings.iter().enumerate() {
        command
            .env(format!("GIT_CONFIG_KEY_{}", theirs + i), key)
            .env(format!("GIT_CONFIG_VALUE_{}", theirs + i), value);
    }
}

/// How long one git run may take before it is stopped (a FIFO included from the
/// configuration would block it for ever): 60 s, or `RIBO_GIT_DEADLINE_SECS`.
fn git_deadline() -> std::time::Duration {
    let secs = std::env::var("RIBO_GIT_DEADLINE_SECS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(60);
    std::time::Duration::from_secs(secs)
}

/// A running git, stopped by a watchdog thread once [`git_deadline`] has passed.
struct Deadline {
    child: std::sync::Arc<std::sync::Mutex<std::process::Child>>,
    watchdog: Option<std::thread::JoinHandle<bool>>,
    pub stdin: Option<std::process::ChildStdin>,
    pub stdout: Option<std::process::ChildStdout>,
    stderr: Option<std::process::ChildStderr>,
}

impl Deadline {
    fn watch(mut child: std::process::Child) -> Deadline {
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let child = std::sync::Arc::new(std::sync::Mutex::new(child));
        let watched = std::sync::Arc::clone(&child);
        let deadline = git_deadline();
        let watchdog = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            loop {
                std::thread::sleep(std::time::Duration::from_millis(2));
                let Ok(mut c) = watched.lock() else {
                    return false;
                };
                if !matches!(c.try_wait(), Ok(None)) {
                    return false;
                }
                if started.elapsed() > deadline {
                    let _ = c.kill();
                    let _ = c.wait();
                    return true;
                }
            }
        });
        Deadline {
            child,
            watchdog: Some(watchdog),
            stdin,
            stdout,
            stderr,
        }
    }

    /// Waits for the end; an error when the watchdog had to stop it.
    fn finish(&mut self) -> Result<std::process::ExitStatus, String> {
        let killed = self
            .watchdog
            .take()
            .map(|w| w.join().unwrap_or(false))
            .unwrap_or(false);
        if killed {
            return Err(format!(
                "git did not answer within {} s: stopped (is its configuration reading a FIFO?)",
                git_deadline().as_secs()
            ));
        }
        let mut c = self
            .child
            .lock()
            .map_err(|_| "could not wait for git".to_string())?;
        c.wait().map_err(|e| format!("could not wait for git: {e}"))
    }

    /// stdout and stderr read to their ends (on threads: both pipes are bounded), and the
    /// status.
    fn output(mut self) -> Result<std::process::Output, String> {
        let out = self.stdout.take();
        let err = self.stderr.take();
        let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut p) = pipe {
                    let _ = p.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let out = read(out.map(|p| Box::new(p) as _));
        let err = read(err.map(|p| Box::new(p) as _));
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        let status = self.finish()?;
        Ok(std::process::Output {
            status,
            stdout,
            stderr,
        })
    }
}

/// `<status>\0<path>\0` records; renames and copies carry two paths (old, new).
fn parse_name_status(bytes: &[u8], toplevel: &Path, out: &mut GitChanges) {
    let mut fields = nul_separated(bytes);
    while let Some(status) = fields.next() {
        let Some(first) = fields.next() else { break };
        match status.chars().next() {
            Some('R') => {
                out.removed.push(toplevel.join(first));
                if let Some(new) = fields.next() {
                    out.present.push(toplevel.join(new));
                }
            }
            Some('C') => {
                if let Some(new) = fields.next() {
                    out.present.push(toplevel.join(new));
                }
            }
            Some('D') => out.removed.push(toplevel.join(first)),
            _ => out.present.push(toplevel.join(first)),
        }
    }
}

fn nul_separated(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    bytes
        .split(|b| *b == 0)
        .filter(|f| !f.is_empty())
        .map(|f| String::from_utf8_lossy(f).into_owned())
}

/// The settings every git run gets: no fsmonitor, no pager, no external diff, paths unquoted.
const SAFE: [&str; 12] = [
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.quotepath=false",
    "-c",
    "core.pager=cat",
    "-c",
    "diff.external=",
    // A bare repository committed inside the checked one (`system.root` pointing into it)
    // is not taken for the repository: its configuration is the attacker's.
    "-c",
    "safe.bareRepository=explicit",
    // No hook, whatever writes.
    "-c",
    "core.hooksPath=/dev/null",
];

/// The environment every git run gets: no object fetched from a remote (a "promisor" remote
/// of a partial clone is fetched from when an object is missing, running whatever its URL or
/// `core.sshCommand` says): lazy fetching off, and no transport protocol allowed at all
/// (`GIT_ALLOW_PROTOCOL` overrides the repository's `protocol.*.allow`); no index written.
const SAFE_ENV: [(&str, &str); 4] = [
    ("GIT_NO_LAZY_FETCH", "1"),
    ("GIT_ALLOW_PROTOCOL", "none"),
    ("GIT_OPTIONAL_LOCKS", "0"),
    ("GIT_TERMINAL_PROMPT", "0"),
];

/// Settings (key, value) that switch off every filter the repository's configuration defines,
/// read with `git config --null --name-only --list` (which runs nothing). Passed through
/// `GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`, so that any name a subsection can hold is kept as
/// it is.
fn no_filters(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let names = run_git(dir, &[], &[], ["config", "--null", "--name-only", "--list"])?;
    let mut drivers: Vec<String> = names
        .split(|b| *b == 0)
        .filter_map(|key| {
            let key = String::from_utf8_lossy(key);
            let rest = key.strip_prefix("filter.")?;
            let (name, _) = rest.rsplit_once('.')?;
            Some(name.to_string())
        })
        .collect();
    drivers.sort();
    drivers.dedup();
    let mut settings = Vec::new();
    for name in drivers {
        for (key, value) in [
            ("clean", ""),
            ("smudge", ""),
            ("process", ""),
            ("required", "false"),
        ] {
            settings.push((format!("filter.{name}.{key}"), value.to_string()));
        }
    }
    Ok(settings)
}

/// Runs `git -C <dir> <args>` such that nothing the repository configures runs (see the
/// module docs), and returns its stdout, or what went wrong.
fn git<I, S>(dir: &Path, filters: &[(String, String)], args: I) -> Result<Vec<u8>, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_git(dir, filters, &[], args)
}

/// [`git`] with `settings` given as environment configuration.
fn run_git<I, S>(
    dir: &Path,
    settings: &[(String, String)],
    env: &[(&str, &Path)],
    args: I,
) -> Result<Vec<u8>, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let child = command(dir, settings)
        .envs(env.iter().copied())
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "could not run git: it is not on PATH".to_owned(),
            _ => format!("could not run git: {e}"),
        })?;
    let output = Deadline::watch(child).output()?;
    if output.status.success() {
        return Ok(output.stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr.lines().next().unwrap_or("").trim();
    let first = first.strip_prefix("fatal: ").unwrap_or(first);
    Err(if first.is_empty() {
        format!("git exited with {}", output.status)
    } else {
        first.to_owned()
    })
}

fn not_a_repository(shown: &str, why: &str) -> String {
    if why.starts_with("git did not answer") {
        return why.to_string();
    }
    if why.starts_with("could not run git") {
        return format!("{why}; --changed needs git (or name the files: `ribo check FILE...`)");
    }
    format!(
        "`{shown}` is not in a git repository: --changed needs one (or name the files: `ribo check FILE...`)"
    )
}

/// [`not_a_repository`] for reading a file at a revision (`ribo diff-spec`).
fn no_history(shown: &str, why: &str) -> String {
    if why.starts_with("git did not answer") {
        return why.to_string();
    }
    if why.starts_with("could not run git") {
        return format!("{why}; comparing with a revision needs git");
    }
    format!("`{shown}` is not in a git repository: there is no revision to compare with")
}

fn bad_revision(base: &str) -> String {
    let hint = if base == "HEAD" {
        " (a repository without commits has no HEAD)"
    } else {
        ""
    };
    format!("--base `{base}` is not a commit of this repository{hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_status_records() {
        let mut out = GitChanges::default();
        let bytes = b"M\0src/a.rs\0R087\0src/old.rs\0src/new.rs\0D\0src/gone.rs\0A\0b c.rs\0";
        parse_name_status(bytes, Path::new("/r"), &mut out);
        let show = |v: &[PathBuf]| {
            v.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            show(&out.present),
            ["/r/src/a.rs", "/r/src/new.rs", "/r/b c.rs"]
        );
        assert_eq!(show(&out.removed), ["/r/src/old.rs", "/r/src/gone.rs"]);
    }
}
