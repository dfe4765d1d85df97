//! `--format compact`: one line per finding, for machines with little patience (a coding
//! agent's hook, an editor's error list, `grep`). No colour, no source excerpt:
//!
//! ```text
//! src/domain/order.rs:3:5: error[boundary::forbidden-use]: `domain` uses `infra`: crate::infra::db [ribo.yaml:9] help: ...
//! ```
//!
//! `path:line:col: severity[code]: message`, the way rustc and gcc write a diagnostic (editors'
//! error formats and CI problem matchers read it as is), then the spec line that declares the
//! broken rule and the help, when there are. Input warnings follow as `path: warning[input]:
//! message` (no position: they concern a file), then the summary line. Every field is one
//! line: line breaks inside a message become spaces.

use std::io::{self, Write};

use super::human::untimed_summary_line;
use super::place::{one_line, severity_name, Places};
use super::{Sources, Summary};
use crate::facts::Warning;
use crate::rules::Violation;

/// Writes one line per violation and per input warning, then the summary.
pub fn write(
    out: &mut dyn Write,
    sources: &Sources,
    violations: &[Violation],
    warnings: &[Warning],
    summary: &Summary,
) -> io::Result<()> {
    let mut places = Places::new(sources);
    for v in violations {
        let place = places.of(v);
        let mut line = format!(
            "{}:{}:{}: {}[{}]: {}",
            place.file,
            place.start.line,
            place.start.column,
            severity_name(v.severity),
            v.code,
            flat(&one_line(v))
        );
        if let Some(label) = &v.spec_label {
            let at = places.of_rule(label);
            line.push_str(&format!(" [{}:{}]", at.file, at.start.line));
        }
        if let Some(help) = &v.help {
            line.push_str(&format!(" help: {}", flat(help)));
        }
        writeln!(out, "{line}")?;
    }
    for w in warnings {
        let file = sources.display(&w.path);
        let file = if file.is_empty() { "ribo" } else { &file };
        writeln!(out, "{file}: warning[input]: {}", flat(&w.message))?;
    }
    writeln!(out, "{}", untimed_summary_line(summary))
}

/// `text` on one line: each run of line breaks (and the spaces around them) one space.
fn flat(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::flat;

    #[test]
    fn line_breaks_become_single_spaces() {
        assert_eq!(flat("a\n  b\r\n\nc"), "a b c");
        assert_eq!(flat("one line"), "one line");
        assert_eq!(flat("\ntrailing\n"), "trailing");
    }
}
