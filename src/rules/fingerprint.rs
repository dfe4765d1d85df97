//! Stable fingerprints of violations: they survive edits that only move lines.
//!
//! A fingerprint hashes the code, the file, the offending text (whitespace collapsed), the
//! enclosing item (`fn parse`, `impl Store` > `fn get`...) and the occurrence number among
//! violations that share all of these. Line numbers are not part of it. A rule may set the
//! fingerprint itself when something else identifies its finding (a `boundary::cycle`: the set
//! of its boundaries). FNV-1a (64 bits) keeps
//! it identical across platforms and Rust versions.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{Location, Violation};
use crate::facts::model::{ItemFact, Span};
use crate::facts::FactGraph;

/// FNV-1a over the parts, each followed by a NUL.
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The fingerprint of a violation ribo builds itself from a few parts (e.g. a stale baseline
/// entry): 16 hex digits of FNV-1a, like every other fingerprint.
pub fn of(parts: &[&str]) -> String {
    format!("{:016x}", fnv(parts))
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A file's items as a nesting tree, to find the chain of items around a span without
/// scanning them all (a file with many violations and many items stays linear).
struct Nest<'a> {
    /// Sorted by start, outer before inner.
    items: Vec<&'a ItemFact>,
    parent: Vec<Option<usize>>,
}

impl<'a> Nest<'a> {
    fn new(items: &'a [ItemFact]) -> Self {
        let mut items: Vec<&ItemFact> = items.iter().collect();
        items.sort_by_key(|i| (i.item_span.start, std::cmp::Reverse(i.item_span.end)));
        let mut parent = Vec::with_capacity(items.len());
        let mut stack: Vec<usize> = Vec::new();
        for (k, it) in items.iter().enumerate() {
            while let Some(&top) = stack.last() {
                if items[top].item_span.end >= it.item_span.end {
                    break;
                }
                stack.pop();
            }
            parent.push(stack.last().copied());
            stack.push(k);
        }
        Nest { items, parent }
    }

    /// The chain of items enclosing `span`, outermost first: `impl Store > fn get`.
    fn enclosing(&self, span: Span) -> String {
        let last = self
            .items
            .partition_point(|i| i.item_span.start <= span.start);
        let mut cur = last.checked_sub(1);
        while let Some(c) = cur {
            if self.items[c].item_span.end >= span.end {
                break;
            }
            cur = self.parent[c];
        }
        let mut chain = Vec::new();
        while let Some(c) = cur {
            chain.push(self.items[c]);
            cur = self.parent[c];
        }
        chain
            .iter()
            .rev()
            .map(|i| {
                let kind = format!("{:?}", i.kind).to_lowercase();
                if i.name.is_empty() {
                    kind
                } else {
                    format!("{kind} {}", i.name)
                }
            })
            .collect::<Vec<_>>()
            .join(" > ")
    }
}

/// Sets `fingerprint` on every violation (which must be sorted). Files are taken one at a
/// time, in parallel: each source file with a violation is read once, to take the offending
/// texts, and dropped before the next.
pub fn assign(violations: &mut [Violation], graph: &FactGraph, spec_source: &str) {
    // Sorted violations come in runs of one location file each (spec violations last).
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    while let Some(first) = violations.get(start) {
        let len = violations[start..]
            .iter()
            .position(|v| !same_file(&v.location, &first.location))
            .unwrap_or(violations.len() - start);
        runs.push(start..start + len);
        start += len;
    }
    let shared: &[Violation] = violations;
    let prints = crate::facts::par::map(runs.len(), graph.threads, |i| {
        fingerprints(&shared[runs[i].clone()], graph, spec_source)
    });
    for (v, print) in violations.iter_mut().zip(prints.into_iter().flatten()) {
        v.fingerprint = print;
    }
}

fn same_file(a: &Location, b: &Location) -> bool {
    match (a, b) {
        (Location::Source { file: x, .. }, Location::Source { file: y, .. }) => x == y,
        (Location::Spec { .. }, Location::Spec { .. }) => true,
        _ => false,
    }
}

/// Fingerprints of the violations of one file (or of the spec), in order.
fn fingerprints(run: &[Violation], graph: &FactGraph, spec_source: &str) -> Vec<String> {
    let (file, source, nest) = match run.first().map(|v| &v.location) {
        Some(Location::Source { file, .. }) => (
            file.to_string(),
            Cow::Owned(crate::facts::source_text(graph, file).unwrap_or_default()),
            graph
                .file_id(file)
                .map(|id| Nest::new(&graph.file(id).facts.items)),
        ),
        Some(Location::Spec { .. }) => ("ribo.yaml".to_owned(), Cow::Borrowed(spec_source), None),
        None => return Vec::new(),
    };
    let mut seen: HashMap<u64, u32> = HashMap::new();
    run.iter()
        .map(|v| {
            // A rule that knows what identifies its finding better set it (a cycle: its
            // boundaries).
            if !v.fingerprint.is_empty() {
                return v.fingerprint.clone();
            }
            let span = match &v.location {
                Location::Source { span, .. } | Location::Spec { span } => *span,
            };
            let text = source
                .get(span.start as usize..span.end as usize)
                .map(collapse)
                .unwrap_or_default();
            let item = nest.as_ref().map(|n| n.enclosing(span)).unwrap_or_default();
            let key = fnv(&[&v.code, &file, &text, &item]);
            let n = seen.entry(key).or_insert(0);
            let occurrence = n.to_string();
            *n += 1;
            format!("{:016x}", fnv(&[&v.code, &file, &text, &item, &occurrence]))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv(&["a"]), fnv(&["a"]));
        assert_ne!(fnv(&["a", "b"]), fnv(&["ab"]));
        // Pinned: a change here breaks every baseline file in the wild.
        assert_eq!(
            format!("{:016x}", fnv(&["boundary::layer"])),
            "93a023d5f32189d8"
        );
    }
}
