//! A watch on what a walk of the root depends on, for a long-lived process (`ribo mcp`): once
//! it is set, [`Watcher::changes`] tells, without a single `stat`, what a check of the
//! repository reads may have changed since: which Rust files were written (their content may
//! differ; they are still there), or that something else changed: a Rust file or a manifest
//! created, deleted or renamed away, a directory created or removed, a manifest or an ignore
//! file edited. What it watches is what the remembered walk watches (see `listing`): every
//! directory the walk listed, and, by name in their directories, the ignore files, git
//! configuration and skipped `target` directories it stamped.
//!
//! Linux only (inotify); elsewhere there is no watcher and a caller stats the files as a warm
//! run does. Conservative: any event it cannot place, a lost event (the kernel's queue
//! overflowed) or a watch removed is something else, and that is never forgotten.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A watch on the disk, set by [`Watcher::start`].
pub struct Watcher {
    #[cfg(target_os = "linux")]
    inner: linux::Inotified,
    /// Something else than Rust files written was seen (sticky).
    other: bool,
    /// Rust files written since [`Watcher::changes`] last told (absolute paths).
    written: BTreeSet<PathBuf>,
}

/// What changed on the disk, as a watch saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Nothing,
    /// These Rust files were written (absolute paths): their content may differ.
    Written(BTreeSet<PathBuf>),
    /// Anything else (see the module docs).
    Other,
}

impl Watcher {
    /// Watches the directories `dirs` (every event about a Rust file, a manifest, an ignore
    /// file, `.git` or a subdirectory in one counts) and the paths `others` (by name, in the
    /// nearest directory above each that exists). `None` when a watch cannot be set (another
    /// platform, the system's limit of watches reached): the caller cannot rely on one.
    pub fn start(dirs: &[PathBuf], others: &[PathBuf]) -> Option<Watcher> {
        #[cfg(target_os = "linux")]
        {
            linux::Inotified::start(dirs, others).map(|inner| Watcher {
                inner,
                other: false,
                written: BTreeSet::new(),
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (dirs, others);
            None
        }
    }

    /// From now on, [`Watcher::changes`] says something else changed.
    pub fn mark_changed(&mut self) {
        self.other = true;
    }

    /// What changed since the watch was set or since this was last asked, whichever is later
    /// (events read now: a write finished before this call is seen by it, the kernel queues
    /// the event in the write); once something else than Rust files written was seen, always
    /// [`Seen::Other`].
    pub fn changes(&mut self) -> Seen {
        #[cfg(target_os = "linux")]
        if !self.other {
            self.other = self.inner.drain(&mut self.written);
        }
        match (self.other, self.written.is_empty()) {
            (true, _) => Seen::Other,
            (false, true) => Seen::Nothing,
            (false, false) => Seen::Written(std::mem::take(&mut self.written)),
        }
    }
}

/// Whether an event about `name` in a directory the walk listed may change what a check reads
/// (`dir`: the entry is a directory).
fn counts_in_listed(name: &std::ffi::OsStr, dir: bool) -> bool {
    let name = name.as_encoded_bytes();
    dir || name.ends_with(b".rs")
        || [&b"Cargo.toml"[..], b".gitignore", b".ignore", b".git"].contains(&name)
}

/// The nearest directory at or above `path`'s parent that exists, and the name of the entry
/// below it on the way to `path`.
fn nearest(path: &Path) -> Option<(PathBuf, std::ffi::OsString)> {
    let mut child = path;
    let mut dir = path.parent()?;
    while !dir.is_dir() {
        child = dir;
        dir = dir.parent()?;
    }
    Some((dir.to_path_buf(), child.file_name()?.to_os_string()))
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::HashMap;
    use std::ffi::OsString;
    use std::path::PathBuf;

    use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask};

    /// What counts in one watched directory.
    #[derive(Default)]
    struct Counts {
        dir: PathBuf,
        /// A directory the walk listed: see [`super::counts_in_listed`].
        listed: bool,
        /// These names (others' paths).
        names: Vec<OsString>,
    }

    pub(super) struct Inotified {
        inotify: Inotify,
        watches: HashMap<WatchDescriptor, Counts>,
    }

    impl Inotified {
        pub(super) fn start(dirs: &[PathBuf], others: &[PathBuf]) -> Option<Inotified> {
            let inotify = Inotify::init().ok()?;
            let mask = WatchMask::MODIFY
                | WatchMask::ATTRIB
                | WatchMask::CLOSE_WRITE
                | WatchMask::CREATE
                | WatchMask::DELETE
                | WatchMask::MOVED_FROM
                | WatchMask::MOVED_TO
                | WatchMask::DELETE_SELF
                | WatchMask::MOVE_SELF
                | WatchMask::ONLYDIR;
            let mut watches: HashMap<WatchDescriptor, Counts> = HashMap::new();
            for d in dirs {
                let wd = inotify.watches().add(d, mask).ok()?;
                let counts = watches.entry(wd).or_default();
                counts.listed = true;
                counts.dir = d.clone();
            }
            for o in others {
                let (dir, name) = super::nearest(o)?;
                let wd = inotify.watches().add(&dir, mask).ok()?;
                let counts = watches.entry(wd).or_default();
                counts.names.push(name);
                counts.dir = dir;
            }
            Some(Inotified { inotify, watches })
        }

        /// Reads every pending event: the Rust files written (in a listed directory, the file
        /// still there by the event) into `written`; whether anything else counts.
        pub(super) fn drain(&mut self, written: &mut std::collections::BTreeSet<PathBuf>) -> bool {
            let mut buffer = [0u8; 8192];
            let mut other = false;
            let writes = EventMask::MODIFY
                | EventMask::CLOSE_WRITE
                | EventMask::ATTRIB
                | EventMask::CREATE
                | EventMask::MOVED_TO;
            loop {
                let events = match self.inotify.read_events(&mut buffer) {
                    Ok(events) => events,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return other,
                    // Cannot tell: something else.
                    Err(_) => return true,
                };
                for e in events {
                    let lost = e.mask.intersects(
                        EventMask::Q_OVERFLOW
                            | EventMask::IGNORED
                            | EventMask::DELETE_SELF
                            | EventMask::MOVE_SELF
                            | EventMask::UNMOUNT,
                    );
                    let is_dir = e.mask.contains(EventMask::ISDIR);
                    match (self.watches.get(&e.wd), e.name) {
                        _ if lost => other = true,
                        (None, _) => other = true,
                        // About the directory itself.
                        (Some(c), None) => other |= c.listed,
                        (Some(c), Some(name)) => {
                            let rust = name.as_encoded_bytes().ends_with(b".rs");
                            if c.listed && rust && !is_dir && e.mask.intersects(writes) {
                                written.insert(c.dir.join(name));
                            } else if (c.listed && super::counts_in_listed(name, is_dir))
                                || c.names.iter().any(|n| n == name)
                            {
                                other = true;
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn rust_files_written_and_other_changes_are_told_apart() {
        let t = tempfile::tempdir().expect("tempdir");
        let root = t.path();
        std::fs::create_dir_all(root.join("src")).expect("mkdir");
        std::fs::write(root.join("src/lib.rs"), "pub fn a() {}\n").expect("write");
        std::fs::write(root.join("README.md"), "hi\n").expect("write");
        let dirs = vec![root.to_path_buf(), root.join("src")];
        let others = vec![root.join(".gitignore"), root.join("x/.git/info/exclude")];
        let start = || Watcher::start(&dirs, &others).expect("watch");
        let mut w = start();
        assert_eq!(w.changes(), Seen::Nothing, "nothing changed yet");
        std::fs::write(root.join("README.md"), "edited\n").expect("write");
        assert_eq!(w.changes(), Seen::Nothing, "a file no check reads");
        std::fs::write(root.join("src/lib.rs"), "pub fn b() {}\n").expect("write");
        assert_eq!(
            w.changes(),
            Seen::Written([root.join("src/lib.rs")].into()),
            "a Rust file edited"
        );
        assert_eq!(w.changes(), Seen::Nothing, "told once");
        // Written aside, then renamed over it (as editors save).
        std::fs::write(root.join("src/lib.rs.tmp"), "pub fn c() {}\n").expect("write");
        std::fs::rename(root.join("src/lib.rs.tmp"), root.join("src/lib.rs")).expect("rename");
        assert_eq!(w.changes(), Seen::Written([root.join("src/lib.rs")].into()));

        let other = |what: &str, change: &dyn Fn()| {
            let mut w = start();
            change();
            assert_eq!(w.changes(), Seen::Other, "{what}");
            assert_eq!(w.changes(), Seen::Other, "{what}: never forgotten");
        };
        other("a directory created", &|| {
            std::fs::create_dir(root.join("src/new")).expect("mkdir")
        });
        other("an ignore file created", &|| {
            std::fs::write(root.join(".gitignore"), "target\n").expect("write")
        });
        other("on the way to a watched path", &|| {
            std::fs::create_dir(root.join("x")).expect("mkdir")
        });
        other("a manifest", &|| {
            std::fs::write(root.join("Cargo.toml"), "[package]\n").expect("write")
        });
        other("a Rust file deleted", &|| {
            std::fs::remove_file(root.join("src/lib.rs")).expect("rm")
        });
        let mut w = start();
        w.mark_changed();
        assert_eq!(w.changes(), Seen::Other, "marked");
    }
}
