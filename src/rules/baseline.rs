//! Baselines: violations accepted as existing debt, recorded by fingerprint, so that only new
//! ones fail a run.
//!
//! Matching is by fingerprint and counts: two identical violations need two entries (the
//! occurrence number is part of the fingerprint, so they have different fingerprints anyway).
//! An entry that matches no violation is stale: the debt was paid, and reporting it as
//! `drift::stale-baseline` until the entry is removed locks the fix in. Reading and writing the
//! baseline file is the command's business; this module only matches.

use std::collections::HashMap;

use super::{CodeDoc, Location, Violation};
use crate::facts::model::Span;
use crate::spec::model::Severity;

/// The codes this rule emits, with their documentation.
pub const CODES: &[CodeDoc] = &[CodeDoc {
    code: "drift::stale-baseline",
    summary: "a baseline entry that matches no violation any more",
    explanation: "The baseline file (`ribo-baseline.json`, or `options.baseline`) records \
violations accepted as existing debt, so that only new ones fail `ribo check`. This entry's \
violation is gone: it was fixed, or the code around it changed enough to change its \
fingerprint. Run `ribo baseline` to drop stale entries (it only ever shrinks the file unless \
`--accept-new` is given); the entry stays an error until then, so that a fix cannot silently \
come undone.",
}];

/// The code of a stale baseline entry.
pub const STALE: &str = "drift::stale-baseline";

/// One accepted violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub fingerprint: String,
    pub code: String,
    /// The violation's file, relative to the root (the spec's path for spec-located ones).
    pub file: String,
    pub message: String,
    /// Why the debt is accepted (written by hand; kept by `ribo baseline`).
    pub reason: Option<String>,
    /// Where the entry is in the baseline file (its fingerprint), to point at when stale.
    pub span: Span,
}

/// A baseline file as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// The baseline file relative to the root: where stale entries are reported.
    pub file: String,
    pub entries: Vec<Entry>,
}

/// Violations split against a baseline.
#[derive(Debug, Clone, Default)]
pub struct Split {
    /// Violations no entry accepts, in their original order.
    pub new: Vec<Violation>,
    /// Violations an entry accepts.
    pub baselined: Vec<Violation>,
    /// For each entry: the index (in the input) of the violation it accepted, or `None` when
    /// it is stale.
    pub matched: Vec<Option<usize>>,
}

impl Split {
    /// Indexes of the entries that match no violation.
    pub fn stale(&self) -> impl Iterator<Item = usize> + '_ {
        self.matched
            .iter()
            .enumerate()
            .filter(|(_, m)| m.is_none())
            .map(|(i, _)| i)
    }
}

/// Splits `violations` into new and baselined ones. Each entry accepts at most one violation;
/// `drift::stale-baseline` violations are never accepted.
pub fn split(violations: Vec<Violation>, baseline: &Baseline) -> Split {
    let mut free: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in baseline.entries.iter().enumerate().rev() {
        free.entry(e.fingerprint.as_str()).or_default().push(i);
    }
    let mut matched = vec![None; baseline.entries.len()];
    let mut split = Split::default();
    for (vi, v) in violations.into_iter().enumerate() {
        let entry = match v.code.as_str() {
            STALE => None,
            _ => free.get_mut(v.fingerprint.as_str()).and_then(Vec::pop),
        };
        match entry {
            Some(ei) => {
                matched[ei] = Some(vi);
                split.baselined.push(v);
            }
            None => split.new.push(v),
        }
    }
    split.matched = matched;
    split
}

/// The file a violation is recorded under: its source file, or the spec's path.
pub fn file_of<'a>(v: &'a Violation, spec_file: &'a str) -> &'a str {
    match &v.location {
        Location::Source { file, .. } => file,
        Location::Spec { .. } => spec_file,
    }
}

/// A new entry accepting `v`.
pub fn entry_of(v: &Violation, spec_file: &str) -> Entry {
    Entry {
        fingerprint: v.fingerprint.clone(),
        code: v.code.to_string(),
        file: file_of(v, spec_file).to_owned(),
        message: v.message.to_string(),
        reason: None,
        span: Span::default(),
    }
}

/// Entries in the one order of a baseline file: file, code, message, fingerprint.
pub fn sort(entries: &mut [Entry]) {
    entries.sort_by(|a, b| {
        (&a.file, &a.code, &a.message, &a.fingerprint).cmp(&(
            &b.file,
            &b.code,
            &b.message,
            &b.fingerprint,
        ))
    });
}

/// `drift::stale-baseline` for an entry that matches nothing, located on the entry in the
/// baseline file.
pub fn stale_violation(baseline: &Baseline, entry: &Entry) -> Violation {
    Violation {
        fingerprint: super::fingerprint::of(&[STALE, &baseline.file, &entry.fingerprint]),
        location: Location::Source {
            file: baseline.file.as_str().into(),
            span: entry.span,
        },
        code: STALE.into(),
        severity: Severity::Error,
        message: format!(
            "baseline entry for `{}` in {} matches no violation",
            entry.code, entry.file
        )
        .into(),
        label: "no violation has this fingerprint any more".into(),
        spec_label: None,
        help: Some(
            "the violation was fixed: run `ribo baseline` to remove the entry and lock the fix in"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(fingerprint: &str) -> Violation {
        Violation {
            location: Location::Source {
                file: "src/a.rs".into(),
                span: Span::default(),
            },
            code: "invariant::x".into(),
            severity: Severity::Error,
            message: "m".into(),
            label: String::new().into(),
            spec_label: None,
            help: None,
            fingerprint: fingerprint.into(),
        }
    }

    fn baseline(fingerprints: &[&str]) -> Baseline {
        Baseline {
            file: "ribo-baseline.json".into(),
            entries: fingerprints
                .iter()
                .map(|f| entry_of(&violation(f), "ribo.yaml"))
                .collect(),
        }
    }

    #[test]
    fn matching_counts_entries() {
        let vs = vec![violation("a"), violation("a"), violation("b")];
        let split = split(vs, &baseline(&["a", "c"]));
        assert_eq!(split.baselined.len(), 1);
        assert_eq!(split.new.len(), 2);
        assert_eq!(split.matched, vec![Some(0), None]);
        assert_eq!(split.stale().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn stale_violations_are_never_baselined() {
        let mut v = violation("a");
        v.code = STALE.into();
        let split = split(vec![v], &baseline(&["a"]));
        assert_eq!(split.new.len(), 1);
        assert_eq!(split.stale().count(), 1);
    }
}
