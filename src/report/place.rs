//! What the machine formats (json, sarif, github, junit) share: where a violation is, as a path
//! a CI system can open (relative to the working directory, as the human output shows it) with
//! a start and an end position, and the one-line text of a violation.
//!
//! Spans carry their start line and column; the end is computed here from the text, read back
//! once per file (the facts keep no source text).

use std::collections::HashMap;

use serde::Serialize;

use super::Sources;
use crate::facts::model::Span;
use crate::rules::{Location, SpecLabel, Violation};
use crate::spec::model::Severity;

/// A position in a file: 1-based line, 1-based column in characters, 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub byte: u32,
}

/// A file and a range in it; `end` is exclusive (one past the last character).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// As displayed: relative to the working directory, `/`-separated.
    pub file: String,
    pub start: Position,
    pub end: Position,
}

/// Resolves places, reading each source file at most once.
pub struct Places<'a> {
    sources: &'a Sources<'a>,
    texts: HashMap<String, Option<String>>,
}

impl<'a> Places<'a> {
    /// A resolver over `sources`.
    pub fn new(sources: &'a Sources<'a>) -> Self {
        Places {
            sources,
            texts: HashMap::new(),
        }
    }

    /// Where the violation is: a source file, or the spec for drift of the spec itself.
    pub fn of(&mut self, v: &Violation) -> Place {
        match &v.location {
            Location::Source { file, span } => {
                let sources = self.sources;
                let text = self
                    .texts
                    .entry(file.to_string())
                    .or_insert_with(|| sources.read(file));
                Place {
                    file: self.sources.display(file),
                    start: start_of(span),
                    end: end_of(text.as_deref(), span),
                }
            }
            Location::Spec { span } => self.in_spec(span),
        }
    }

    /// The line of the spec that declares the broken rule.
    pub fn of_rule(&self, label: &SpecLabel) -> Place {
        self.in_spec(&label.span)
    }

    fn in_spec(&self, span: &Span) -> Place {
        Place {
            file: self.sources.spec_name.to_string(),
            start: start_of(span),
            end: end_of(Some(self.sources.spec_source), span),
        }
    }
}

fn start_of(span: &Span) -> Position {
    Position {
        line: span.line,
        column: span.col,
        byte: span.start,
    }
}

/// The position of `span.end`, counted from the span's start through the text. Without the
/// text (the file vanished) the end is put on the start's line and column.
pub fn end_of(text: Option<&str>, span: &Span) -> Position {
    let mut end = Position {
        line: span.line,
        column: span.col,
        byte: span.end,
    };
    let covered = text.and_then(|t| t.get(span.start as usize..span.end as usize));
    for c in covered.unwrap_or("").chars() {
        if c == '\n' {
            end.line += 1;
            end.column = 1;
        } else {
            end.column += 1;
        }
    }
    end
}

/// `error` or `warning`.
pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The message and the label in one line: what is wrong, then what is wrong right here.
pub fn one_line(v: &Violation) -> String {
    if v.label.is_empty() {
        v.message.to_string()
    } else {
        format!("{}: {}", v.message, v.label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u32, end: u32, line: u32, col: u32) -> Span {
        Span {
            start,
            end,
            line,
            col,
        }
    }

    #[test]
    fn end_counts_characters_and_lines() {
        let text = "ab\ncé fg\nhi";
        // `cé f`: 5 bytes, 4 characters, from line 2 column 1.
        assert_eq!(
            end_of(Some(text), &span(3, 8, 2, 1)),
            Position {
                line: 2,
                column: 5,
                byte: 8
            }
        );
        // `b\ncé`: ends on the next line.
        assert_eq!(
            end_of(Some(text), &span(1, 6, 1, 2)),
            Position {
                line: 2,
                column: 3,
                byte: 6
            }
        );
    }

    #[test]
    fn end_without_text_stays_at_the_start() {
        assert_eq!(
            end_of(None, &span(4, 9, 3, 2)),
            Position {
                line: 3,
                column: 2,
                byte: 9
            }
        );
        // A span outside the text (the file changed) is treated the same way.
        assert_eq!(end_of(Some("ab"), &span(4, 9, 3, 2)).line, 3);
    }
}
