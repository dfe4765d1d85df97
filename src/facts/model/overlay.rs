//! A proposed change, held in memory over the files on disk: what `ribo check --patch` and
//! `--stdin-path` check without writing anything (see docs/changed-mode.md).
//!
//! Every read of a build (the walk's file list, the manifests, the hashes, the parse) asks the
//! overlay first. A build with an overlay reads the caches but writes none of them: the next
//! run, without the overlay, must see the disk as it is.

use std::collections::BTreeMap;
use std::sync::Arc;

/// Files (relative to the build's root, `/`-separated) replaced by new contents or deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overlay {
    files: BTreeMap<String, Option<Arc<[u8]>>>,
}

/// What the overlay says of one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    /// Not in the overlay: as on disk.
    Disk,
    /// This content.
    Content(&'a [u8]),
    /// Deleted.
    Deleted,
}

impl Overlay {
    /// `path` (relative to the root) with `content`, or deleted (`None`). A later call for the
    /// same path replaces the earlier.
    pub fn set(&mut self, path: impl Into<String>, content: Option<Vec<u8>>) {
        self.files.insert(path.into(), content.map(Arc::from));
    }

    /// What the overlay says of `path`.
    pub fn get(&self, path: &str) -> Entry<'_> {
        match self.files.get(path) {
            None => Entry::Disk,
            Some(Some(bytes)) => Entry::Content(bytes),
            Some(None) => Entry::Deleted,
        }
    }

    /// The paths it holds (sorted).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Whether a path of the overlay is one `is` accepts.
    pub fn touches(&self, is: impl Fn(&str) -> bool) -> bool {
        self.files.keys().any(|p| is(p))
    }

    /// `list` (sorted relative paths of one kind of file, `keep` telling which paths are of
    /// that kind) as the overlay makes it: deleted paths gone, added ones in, still sorted.
    pub fn apply_to_list(&self, list: &mut Vec<String>, keep: impl Fn(&str) -> bool) {
        let mut changed = false;
        for (path, content) in &self.files {
            let at = list.binary_search_by(|p| p.as_str().cmp(path));
            match (at, content) {
                (Ok(i), None) => {
                    list.remove(i);
                }
                (Err(i), Some(_)) if keep(path) => {
                    list.insert(i, path.clone());
                    changed = true;
                }
                _ => {}
            }
        }
        if changed {
            list.sort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_lose_deleted_paths_and_gain_added_ones_in_order() {
        let mut o = Overlay::default();
        o.set("src/b.rs", None);
        o.set("src/c.rs", Some(b"fn c() {}".to_vec()));
        o.set("src/a.rs", Some(b"fn a() {}".to_vec()));
        o.set("notes.md", Some(b"x".to_vec()));
        let mut list = vec!["src/a.rs".to_string(), "src/b.rs".to_string()];
        o.apply_to_list(&mut list, |p| p.ends_with(".rs"));
        assert_eq!(list, ["src/a.rs", "src/c.rs"]);
        assert_eq!(o.get("src/b.rs"), Entry::Deleted);
        assert_eq!(o.get("src/c.rs"), Entry::Content(b"fn c() {}"));
        assert_eq!(o.get("src/d.rs"), Entry::Disk);
    }
}
