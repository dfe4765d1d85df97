//! Inline suppressions: `// ribo: allow(CODE[, CODE...]) -- reason`, on the line before the
//! violation (a comment alone on its line) or at the end of the violating line. A directive
//! covers the whole syntax node it stands before, or whose first line it ends: a statement or
//! item over several lines (a method chain, a `use` group, an item with its attributes).
//!
//! Codes: `suppression::missing-reason`, `suppression::malformed`, `drift::unused-suppression`.
//!
//! A suppression needs a reason after `--`; without one it still suppresses, but is itself an
//! error. A suppression that suppresses nothing is stale: `drift::unused-suppression`.
//! `CODE` is a full code (`invariant::no-panics-in-domain`) or a prefix with `*`
//! (`invariant::*`).

use super::{CodeDoc, Context, Location, Violation};
use crate::facts::model::{DirectiveFact, Span};
use crate::spec::model::Severity;

/// The codes this rule emits, with their documentation.
pub const CODES: &[CodeDoc] = &[
    CodeDoc {
        code: "suppression::missing-reason",
        summary: "an inline suppression without a reason",
        explanation: "Every `// ribo: allow(CODE)` must say why after `--`: \
`// ribo: allow(invariant::no-panics-in-domain) -- the length was checked above`. \
Reviewers and agents read the reason; an exception without one is not reviewable.",
    },
    CodeDoc {
        code: "suppression::malformed",
        summary: "a `// ribo:` comment ribo cannot read",
        explanation:
            "The only directive is `// ribo: allow(CODE[, CODE...]) -- reason`, in a plain \
comment: in a doc comment (`/// ribo: allow(..)`) it is documentation, and suppresses nothing.",
    },
    CodeDoc {
        code: "drift::unused-suppression",
        summary: "an inline suppression that suppresses nothing",
        explanation:
            "The violation it excused is gone: the exception is stale. Remove the comment \
so the rule applies again.",
    },
];

/// A parsed `allow(...)` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    pub codes: Vec<String>,
    pub reason: Option<String>,
}

/// Parses the text after `ribo:`.
pub fn parse(text: &str) -> Option<Allow> {
    let text = text.trim();
    let rest = text.strip_prefix("allow")?.trim_start();
    let rest = rest.strip_prefix('(')?;
    let close = rest.find(')')?;
    let codes: Vec<String> = rest[..close]
        .split(',')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    if codes.is_empty() {
        return None;
    }
    let after = rest[close + 1..].trim();
    let reason = match after.strip_prefix("--") {
        Some(r) => {
            Some(r.trim().trim_end_matches("*/").trim().to_string()).filter(|r| !r.is_empty())
        }
        None if after.is_empty() || after == "*/" => None,
        None => return None,
    };
    Some(Allow { codes, reason })
}

/// A directive with its span and what it parsed to (`None`: malformed).
type Directive<'a> = (Span, &'a DirectiveFact, Option<Allow>);

fn code_matches(pattern: &str, code: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => code.starts_with(prefix),
        None => pattern == code,
    }
}

/// Removes suppressed violations and adds the suppressions' own problems.
pub fn apply(cx: &Context, violations: Vec<Violation>) -> (Vec<Violation>, usize) {
    let mut by_file: std::collections::HashMap<&str, Vec<Directive>> =
        std::collections::HashMap::new();
    for f in &cx.graph.files {
        if f.facts.directives.is_empty() || (cx.skip_tests() && f.test) {
            continue;
        }
        let list = f
            .facts
            .directives
            .iter()
            .map(|d| (d.span, d, parse(&d.text)))
            .collect();
        by_file.insert(f.path.as_str(), list);
    }
    if by_file.is_empty() {
        return (violations, 0);
    }
    let mut used: std::collections::HashSet<(String, u32)> = std::collections::HashSet::new();
    let mut suppressed = 0;
    // Filtered in place: a second vector of tens of thousands of violations would double the
    // peak memory of the run.
    let mut kept = violations;
    kept.retain(|v| {
        let Location::Source { file, span } = &v.location else {
            return true;
        };
        let hit = by_file.get(file.as_str()).and_then(|ds| {
            ds.iter().find(|(s, d, allow)| {
                let (first, last) = match d.covers {
                    Some(lines) => lines,
                    None if d.own_line => (s.line + 1, s.line + 1),
                    None => (s.line, s.line),
                };
                (first..=last).contains(&span.line)
                    && !d.doc
                    && allow
                        .as_ref()
                        .is_some_and(|a| a.codes.iter().any(|c| code_matches(c, &v.code)))
            })
        });
        match hit {
            Some((s, _, _)) => {
                used.insert((file.to_string(), s.start));
                suppressed += 1;
                false
            }
            None => true,
        }
    });
    for (file, ds) in &by_file {
        for (span, d, allow) in ds {
            let location = Location::Source {
                file: (*file).into(),
                span: *span,
            };
            if d.doc {
                kept.push(Violation {
                    fingerprint: String::new(),
                    location,
                    code: "suppression::malformed".into(),
                    severity: Severity::Error,
                    message: format!(
                        "`ribo: {}` is in a doc comment: documentation, not a directive",
                        d.text.trim()
                    )
                    .into(),
                    label: "a doc comment suppresses nothing".into(),
                    spec_label: None,
                    help: Some(
                        "write the directive in a plain comment: `// ribo: allow(CODE) -- reason`"
                            .into(),
                    ),
                });
                continue;
            }
            match allow {
                None => kept.push(Violation {
                    fingerprint: String::new(),
                    location,
                    code: "suppression::malformed".into(),
                    severity: Severity::Error,
                    message: format!("cannot read the directive `ribo: {}`", d.text.trim()).into(),
                    label: "not a `ribo: allow(CODE) -- reason` directive".into(),
                    spec_label: None,
                    help: Some("write `// ribo: allow(CODE[, CODE...]) -- reason`".into()),
                }),
                Some(a) => {
                    if a.reason.is_none() {
                        kept.push(Violation {
                            fingerprint: String::new(),
                            location: location.clone(),
                            code: "suppression::missing-reason".into(),
                            severity: Severity::Error,
                            message: format!(
                                "suppression of `{}` gives no reason",
                                a.codes.join(", ")
                            )
                            .into(),
                            label: "add `-- reason` after the codes".into(),
                            spec_label: None,
                            help: Some("an exception must say why it is justified".into()),
                        });
                    }
                    if !used.contains(&(file.to_string(), span.start)) {
                        kept.push(Violation {
                            fingerprint: String::new(),
                            location,
                            code: "drift::unused-suppression".into(),
                            severity: Severity::Error,
                            message: format!(
                                "suppression of `{}` suppresses nothing",
                                a.codes.join(", ")
                            )
                            .into(),
                            label: match (d.covers, d.own_line) {
                                (Some((a, b)), _) if a < b => {
                                    format!("no such violation in lines {a}-{b}, which it covers")
                                        .into()
                                }
                                (_, true) => "no such violation on the next line".into(),
                                (_, false) => "no such violation on this line".into(),
                            },
                            spec_label: None,
                            help: Some("the exception is stale: remove it".into()),
                        });
                    }
                }
            }
        }
    }
    (kept, suppressed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_directives() {
        assert_eq!(
            parse("allow(invariant::a, boundary::layer) -- measured, safe"),
            Some(Allow {
                codes: vec!["invariant::a".into(), "boundary::layer".into()],
                reason: Some("measured, safe".into())
            })
        );
        assert_eq!(parse("allow(invariant::a)").map(|a| a.reason), Some(None));
        assert_eq!(
            parse("allow(invariant::a) --   ").map(|a| a.reason),
            Some(None)
        );
        assert_eq!(parse("allow()"), None);
        assert_eq!(parse("deny(x)"), None);
        assert_eq!(parse("allow(x) trailing words"), None);
    }

    #[test]
    fn code_patterns() {
        assert!(code_matches("invariant::*", "invariant::no-unsafe"));
        assert!(code_matches("boundary::layer", "boundary::layer"));
        assert!(!code_matches("boundary::layer", "boundary::cycle"));
    }
}
