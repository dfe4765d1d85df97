//! Finding the spec: `ribo.yaml`, then `.ribo.yaml`, in a directory and its ancestors,
//! stopping at the repository root (the first directory holding `.git`).

use std::path::{Path, PathBuf};

/// The names looked for, in order.
pub const SPEC_NAMES: [&str; 2] = ["ribo.yaml", ".ribo.yaml"];

/// Looks for a spec in `start` and its ancestors; stops after the directory that holds `.git`.
pub fn find_spec(start: &Path) -> Option<PathBuf> {
    // Absolute, so that `.` has parents (`ribo check` run in a subdirectory of the project).
    let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        for name in SPEC_NAMES {
            let candidate = d.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        if d.join(".git").exists() {
            return None;
        }
        dir = d.parent();
    }
    None
}
