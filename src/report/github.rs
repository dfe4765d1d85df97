//! `--format github`: GitHub Actions workflow commands. Each violation is an `::error` or
//! `::warning` annotation on its file and lines, input warnings are `::warning`s, and the
//! summary is a plain log line. Data and properties are escaped as GitHub's toolkit does.

use std::io::{self, Write};

use super::human::untimed_summary_line;
use super::place::{one_line, severity_name, Place, Places};
use super::{Sources, Summary};
use crate::facts::Warning;
use crate::rules::Violation;

/// Writes one workflow command per violation and per input warning, then the summary.
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
        let rule = v
            .spec_label
            .as_ref()
            .map(|l| (places.of_rule(l), l.text.as_str()));
        writeln!(out, "{}", annotation(v, &place, rule))?;
    }
    for w in warnings {
        writeln!(out, "{}", warning_command(w, sources))?;
    }
    writeln!(out, "{}", untimed_summary_line(summary))
}

/// `::error file=..,line=..,endLine=..,col=..,endColumn=..,title=CODE::text`.
fn annotation(v: &Violation, place: &Place, rule: Option<(Place, &str)>) -> String {
    let mut text = one_line(v);
    if let Some(help) = &v.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    if let Some((at, label)) = rule {
        text.push_str(&format!(
            "\nthe rule is declared in {}:{}: {label}",
            at.file, at.start.line
        ));
    }
    format!(
        "::{} file={},line={},endLine={},col={},endColumn={},title={}::{}",
        severity_name(v.severity),
        property(&place.file),
        place.start.line,
        place.end.line,
        place.start.column,
        place.end.column,
        property(&v.code),
        data(&text)
    )
}

/// `::warning file=PATH,title=ribo::message` (no `file` when it concerns the whole run).
fn warning_command(w: &Warning, sources: &Sources) -> String {
    let file = sources.display(&w.path);
    let file = if file.is_empty() {
        String::new()
    } else {
        format!("file={},", property(&file))
    };
    format!("::warning {file}title=ribo::{}", data(&w.message))
}

/// Escapes a command's message: `%`, CR and LF.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: as `data`, plus `:` and `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_actions_toolkit_does() {
        assert_eq!(data("100%\r\nnext: a, b"), "100%25%0D%0Anext: a, b");
        assert_eq!(
            property("a,b:c%d\ne"),
            "a%2Cb%3Ac%25d%0Ae",
            "`,` and `:` separate properties"
        );
        // `%` first: an escape is never escaped twice.
        assert_eq!(data("%0A"), "%250A");
    }
}
