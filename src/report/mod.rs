//! Output formats: each is a function of (violations, sources) into a writer. Nothing here
//! prints to the process's stdout or stderr directly.

pub mod diag;
pub mod facts_json;
pub mod human;
pub mod json;
pub mod source;

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
        }
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
