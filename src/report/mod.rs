//! Output formats: each is a function of (violations, sources) into a writer. Nothing here
//! prints to the process's stdout or stderr directly.

pub mod compact;
pub mod diag;
pub mod dot;
pub mod explain;
pub mod facts_json;
pub mod github;
pub mod graph;
pub mod human;
pub mod json;
pub mod junit;
pub mod mermaid;
pub mod place;
pub mod sarif;
pub mod source;

use std::path::Path;
use std::time::Duration;

use crate::facts::Warning;
use crate::rules::Violation;
use crate::spec::model::Severity;

/// Totals shown at the end of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    /// Rust files found.
    pub files: usize,
    /// Files that could not be read or parsed at all.
    pub unreadable: usize,
    /// Warnings about the input (unreadable files, syntax errors, missing modules...).
    pub input_warnings: usize,
    /// Wall time; `None` to leave it out (snapshots).
    pub elapsed: Option<Duration>,
    /// Violations silenced by a justified inline `ribo: allow(...)`.
    pub suppressed: usize,
    /// Violations the baseline accepted (not shown, not failing the run).
    pub baselined: usize,
    /// In changed mode, how many of the `files` were selected.
    pub selected: Option<usize>,
    /// With `--new`: what the proposed change does to the findings (see [`ChangeCount`]).
    pub change: Option<ChangeCount>,
}

/// What a proposed change does to the findings of the files it touches, compared by
/// fingerprint with the same check without it (`ribo check --patch --new`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeCount {
    /// Findings it introduces, by severity (the violations shown).
    pub added_errors: usize,
    pub added_warnings: usize,
    /// Findings of the tree without the change that it removes.
    pub fixed: usize,
}

impl Summary {
    /// Counts the violations by severity.
    pub fn new(
        violations: &[Violation],
        files: usize,
        unreadable: usize,
        input_warnings: &[Warning],
        elapsed: Option<Duration>,
    ) -> Self {
        let errors = violations
            .iter()
            .filter(|v| v.severity == Severity::Error)
            .count();
        Summary {
            errors,
            warnings: violations.len() - errors,
            files,
            unreadable,
            input_warnings: input_warnings.len(),
            elapsed,
            suppressed: 0,
            baselined: 0,
            selected: None,
            change: None,
        }
    }
}

/// Where the sources of a run are, to read them back and to show their paths.
pub struct Sources<'a> {
    /// The checked root, to read source files from.
    pub root: &'a Path,
    /// How to display a root-relative path (prefix joined in front).
    pub display_prefix: &'a str,
    /// The spec's display name and text.
    pub spec_name: &'a str,
    pub spec_source: &'a str,
    /// A proposed change the run checked: its files are shown as it makes them.
    pub overlay: Option<&'a crate::facts::Overlay>,
}

impl Sources<'_> {
    /// The text of a root-relative source file, as the run read it (see
    /// [`crate::facts::read_for_display`]).
    pub fn read(&self, rel: &str) -> Option<String> {
        crate::facts::read_for_display_over(self.root, self.overlay, rel)
    }

    /// A root-relative path as shown to the user: relative to the working directory.
    pub fn display(&self, rel: &str) -> String {
        display(self.display_prefix, rel)
    }
}

/// `prefix/rel`, either part possibly empty.
pub fn display(prefix: &str, rel: &str) -> String {
    if prefix.is_empty() {
        rel.to_string()
    } else if rel.is_empty() {
        prefix.to_string()
    } else {
        format!("{}/{rel}", prefix.trim_end_matches('/'))
    }
}

/// How human output looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    /// Terminal width used to wrap text.
    pub width: usize,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            color: false,
            width: 100,
        }
    }
}

/// `n thing` / `n things`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}
