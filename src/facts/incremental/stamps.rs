//! File stamps: what `stat` says of a source file (size, modification and change times, inode),
//! remembered with its content hash, so that a run does not read and hash every file of the
//! repository again to learn that nothing changed (45 ms on the 1.56M-line benchmark corpus:
//! a third of a one-changed-file run).
//!
//! `<cache dir>/stamps-v1.bin`, framed like the facts cache (magic, format, key, checksum: a
//! foreign or corrupt file is ignored). A file whose stamp equals the remembered one is taken to
//! have the remembered hash; any difference (an edit changes the size or the modification time,
//! and on Unix always the change time, which no tool can set back) means it is read and hashed.
//! As in git's index, a stamp taken less than [`RACY_SECONDS`] after the file was modified is
//! not remembered: a file written twice within one tick of a coarse filesystem clock could keep
//! its stamp while its content changed, so such a file is hashed again on the next run.

use foldhash::{HashMap, HashMapExt};
use std::fs::Metadata;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::cache::{read_file, write_file};
use crate::facts::rust::parse::ContentHash;

const FILE_NAME: &str = "stamps-v1.bin";

/// A stamp younger than this (modified this recently) is not trusted on the next run.
pub const RACY_SECONDS: u64 = 2;

/// What `stat` says of a file, as compared between runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime: i128,
    /// Change time (Unix; 0 elsewhere), nanoseconds since the epoch.
    pub ctime: i128,
    /// Inode number (Unix; 0 elsewhere).
    pub inode: u64,
}

fn nanos(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

impl Stamp {
    /// The stamp of a file from its metadata; `None` when the platform gives no modification
    /// time.
    pub fn of(meta: &Metadata) -> Option<Stamp> {
        let mtime = nanos(meta.modified().ok()?);
        #[cfg(unix)]
        let (ctime, inode) = {
            use std::os::unix::fs::MetadataExt;
            (
                i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
                meta.ino(),
            )
        };
        #[cfg(not(unix))]
        let (ctime, inode) = (0, 0);
        Some(Stamp {
            size: meta.len(),
            mtime,
            ctime,
            inode,
        })
    }

    /// Was the file modified (or its inode changed) less than [`RACY_SECONDS`] before `now`?
    pub(super) fn is_racy(&self, now: SystemTime) -> bool {
        let margin = Duration::from_secs(RACY_SECONDS).as_nanos() as i128;
        let now = nanos(now);
        self.mtime.max(self.ctime) > now - margin
    }
}

/// The stamps remembered from the last run, by path.
#[derive(Debug, Default)]
pub struct Stamps {
    known: HashMap<String, (Stamp, ContentHash)>,
}

impl Stamps {
    /// The stamps kept in `dir` under `key`; none when there is no such file, or it is foreign
    /// or corrupt.
    pub fn load(dir: &Path, key: &[u8; 32]) -> Stamps {
        let known = read_file(dir, FILE_NAME, key)
            .and_then(|body| decode(&body))
            .unwrap_or_default();
        Stamps { known }
    }

    /// The remembered hash of `path` when its stamp is still `stamp`.
    pub fn hash(&self, path: &str, stamp: &Stamp) -> Option<ContentHash> {
        self.known
            .get(path)
            .filter(|(known, _)| known == stamp)
            .map(|(_, hash)| *hash)
    }

    /// Do the stamps and hashes of this run differ from the ones remembered (so that they are
    /// worth writing)?
    pub fn differ(&self, current: &[(&str, Option<Stamp>, Option<ContentHash>)]) -> bool {
        let mut kept = 0;
        for (path, stamp, hash) in current {
            if let (Some(stamp), Some(hash)) = (stamp, hash) {
                kept += 1;
                if self.known.get(*path) != Some(&(*stamp, *hash)) {
                    return true;
                }
            }
        }
        kept != self.known.len()
    }

    /// Writes the stamps of this run (path, stamp, content hash); a file with no stamp or hash,
    /// or modified less than [`RACY_SECONDS`] before `now`, is left out.
    pub fn save(
        dir: &Path,
        key: &[u8; 32],
        current: &[(&str, Option<Stamp>, Option<ContentHash>)],
        now: SystemTime,
    ) -> std::io::Result<()> {
        let mut body = Vec::new();
        for (path, stamp, hash) in current {
            let (Some(stamp), Some(hash)) = (stamp, hash) else {
                continue;
            };
            if stamp.is_racy(now) {
                continue;
            }
            body.extend_from_slice(&(path.len() as u32).to_le_bytes());
            body.extend_from_slice(path.as_bytes());
            body.extend_from_slice(&stamp.size.to_le_bytes());
            body.extend_from_slice(&stamp.mtime.to_le_bytes());
            body.extend_from_slice(&stamp.ctime.to_le_bytes());
            body.extend_from_slice(&stamp.inode.to_le_bytes());
            body.extend_from_slice(hash);
        }
        write_file(dir, FILE_NAME, key, &body).map(|_| ())
    }

    /// No stamp is remembered.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}

fn decode(body: &[u8]) -> Option<HashMap<String, (Stamp, ContentHash)>> {
    let mut known = HashMap::new();
    let mut rest = body;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, tail) = (rest.get(..n)?, rest.get(n..)?);
        rest = tail;
        Some(head)
    };
    while let Some(len) = take(4) {
        let len = u32::from_le_bytes(len.try_into().ok()?) as usize;
        let path = String::from_utf8(take(len)?.to_vec()).ok()?;
        let size = u64::from_le_bytes(take(8)?.try_into().ok()?);
        let mtime = i128::from_le_bytes(take(16)?.try_into().ok()?);
        let ctime = i128::from_le_bytes(take(16)?.try_into().ok()?);
        let inode = u64::from_le_bytes(take(8)?.try_into().ok()?);
        let hash: ContentHash = take(16)?.try_into().ok()?;
        let stamp = Stamp {
            size,
            mtime,
            ctime,
            inode,
        };
        known.insert(path, (stamp, hash));
    }
    Some(known)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(mtime_secs: i128) -> Stamp {
        Stamp {
            size: 10,
            mtime: mtime_secs * 1_000_000_000,
            ctime: mtime_secs * 1_000_000_000,
            inode: 7,
        }
    }

    #[test]
    fn stamps_round_trip_and_recent_ones_are_not_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = [3u8; 32];
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let current = [
            ("src/old.rs", Some(stamp(900)), Some([1u8; 16])),
            ("src/fresh.rs", Some(stamp(999)), Some([2u8; 16])),
            ("src/unread.rs", Some(stamp(900)), None),
        ];
        Stamps::save(dir.path(), &key, &current, now).expect("saves");
        let back = Stamps::load(dir.path(), &key);
        assert_eq!(back.hash("src/old.rs", &stamp(900)), Some([1u8; 16]));
        // Another stamp: not trusted.
        assert_eq!(back.hash("src/old.rs", &stamp(901)), None);
        let other_size = Stamp {
            size: 11,
            ..stamp(900)
        };
        assert_eq!(back.hash("src/old.rs", &other_size), None);
        // Modified within RACY_SECONDS of the write: hashed again next time.
        assert_eq!(back.hash("src/fresh.rs", &stamp(999)), None);
        assert_eq!(back.hash("src/unread.rs", &stamp(900)), None);
        // What was kept is what this run would keep: no rewrite needed.
        assert!(!back.differ(&[("src/old.rs", Some(stamp(900)), Some([1u8; 16]))]));
        assert!(back.differ(&[("src/old.rs", Some(stamp(900)), Some([9u8; 16]))]));
        assert!(back.differ(&[]));
        // Another key (another ribo, user or format): ignored.
        assert!(Stamps::load(dir.path(), &[4u8; 32]).is_empty());
    }
}
