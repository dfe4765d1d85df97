//! A watch on what a walk of the root depends on, for a long-lived process (`ribo mcp`): once
//! it is set, [`Watcher::changed`] tells, without a single `stat`, whether anything a check of
//! the repository reads may have changed since: a Rust file or a manifest written, created,
//! deleted or renamed, a directory created or removed, an ignore file edited. What it watches
//! is what the remembered walk watches (see `listing`): every directory the walk listed, and,
//! by name in their directories, the ignore files, git configuration and skipped `target`
//! directories it stamped.
//!
//! Linux only (inotify); elsewhere there is no watcher and a caller stats the files as a warm
//! run does. Conservative: any event it cannot place, a lost event (the kernel's queue
//! overflowed) or a watch removed counts as a change, and a change is never forgotten.

use std::path::{Path, PathBuf};

/// A watch on the disk, set by [`Watcher::start`].
pub struct Watcher {
    #[cfg(target_os = "linux")]
    inner: linux::Inotified,
    changed: bool,
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
                changed: false,
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (dirs, others);
            None
        }
    }

    /// From now on, [`Watcher::changed`] says so.
    pub fn mark_changed(&mut self) {
        self.changed = true;
    }

    /// Whether anything watched may have changed since the watch was set (events read now;
    /// once true, always true). A write finished before this call is seen by it: the kernel
    /// queues the event in the write.
    pub fn changed(&mut self) -> bool {
        #[cfg(target_os = "linux")]
        if !self.changed {
            self.changed = self.inner.drain();
        }
        self.changed
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
                watches.entry(wd).or_default().listed = true;
            }
            for o in others {
                let (dir, name) = super::nearest(o)?;
                let wd = inotify.watches().add(&dir, mask).ok()?;
                watches.entry(wd).or_default().names.push(name);
            }
            Some(Inotified { inotify, watches })
        }

        /// Reads every pending event: whether one counts.
        pub(super) fn drain(&mut self) -> bool {
            let mut buffer = [0u8; 8192];
            let mut changed = false;
            loop {
                let events = match self.inotify.read_events(&mut buffer) {
                    Ok(events) => events,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return changed,
                    // Cannot tell: a change.
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
                    let counts = match (self.watches.get(&e.wd), e.name) {
                        _ if lost => true,
                        (None, _) => true,
                        // About the directory itself.
                        (Some(c), None) => c.listed,
                        (Some(c), Some(name)) => {
                            (c.listed
                                && super::counts_in_listed(name, e.mask.contains(EventMask::ISDIR)))
                                || c.names.iter().any(|n| n == name)
                        }
                    };
                    changed |= counts;
                }
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_seen_and_other_files_are_not() {
        let t = tempfile::tempdir().expect("tempdir");
        let root = t.path();
        std::fs::create_dir_all(root.join("src")).expect("mkdir");
        std::fs::write(root.join("src/lib.rs"), "pub fn a() {}\n").expect("write");
        std::fs::write(root.join("README.md"), "hi\n").expect("write");
        let dirs = vec![root.to_path_buf(), root.join("src")];
        let others = vec![root.join(".gitignore"), root.join("x/.git/info/exclude")];
        let mut w = Watcher::start(&dirs, &others).expect("watch");
        assert!(!w.changed(), "nothing changed yet");
        std::fs::write(root.join("README.md"), "edited\n").expect("write");
        assert!(!w.changed(), "a file no check reads");
        std::fs::write(root.join("src/lib.rs"), "pub fn b() {}\n").expect("write");
        assert!(w.changed(), "a Rust file edited");
        assert!(w.changed(), "never forgotten");

        let mut w = Watcher::start(&dirs, &others).expect("watch");
        std::fs::create_dir(root.join("src/new")).expect("mkdir");
        assert!(w.changed(), "a directory created");

        let mut w = Watcher::start(&dirs, &others).expect("watch");
        std::fs::write(root.join(".gitignore"), "target\n").expect("write");
        assert!(w.changed(), "an ignore file created");

        let mut w = Watcher::start(&dirs, &others).expect("watch");
        std::fs::create_dir(root.join("x")).expect("mkdir");
        assert!(w.changed(), "on the way to a watched path");

        let mut w = Watcher::start(&dirs, &others).expect("watch");
        std::fs::write(root.join("Cargo.toml"), "[package]\n").expect("write");
        assert!(w.changed(), "a manifest");
    }
}
