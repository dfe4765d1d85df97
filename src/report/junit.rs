//! `--format junit`: JUnit XML, as GitLab and Jenkins read it. One testcase per rule: every
//! code ribo checks and every declared invariant, sorted. A rule fails when it has a violation
//! that fails the run (an error, or a warning under `--deny-warnings`); its single `<failure>`
//! lists every violation, one per line, because GitLab and Jenkins show only the first
//! `<failure>` of a testcase. Warnings that do not fail the run go to the testcase's
//! `<system-out>`, input warnings to the suite's.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::place::{one_line, severity_name, Place, Places};
use super::{plural, Sources};
use crate::facts::Warning;
use crate::rules::{self, Violation};
use crate::spec::model::{Invariant, Severity};

/// One violation, resolved for the report.
struct Line<'a> {
    v: &'a Violation,
    place: Place,
    rule: Option<Place>,
}

/// Writes the XML document.
pub fn write(
    out: &mut dyn Write,
    sources: &Sources,
    violations: &[Violation],
    warnings: &[Warning],
    invariants: &[Invariant],
    deny_warnings: bool,
) -> io::Result<()> {
    let mut places = Places::new(sources);
    let mut cases: BTreeMap<String, Vec<Line>> = rule_names(invariants)
        .into_iter()
        .map(|name| (name, Vec::new()))
        .collect();
    for v in violations {
        let line = Line {
            v,
            place: places.of(v),
            rule: v.spec_label.as_ref().map(|l| places.of_rule(l)),
        };
        cases.entry(v.code.to_string()).or_default().push(line);
    }
    let fails = |l: &Line| l.v.severity == Severity::Error || deny_warnings;
    let failed = cases
        .values()
        .filter(|lines| lines.iter().any(fails))
        .count();
    let counts = format!(
        "tests=\"{}\" failures=\"{failed}\" errors=\"0\"",
        cases.len()
    );
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<testsuites name="ribo" {counts}>"#)?;
    writeln!(
        out,
        r#"  <testsuite name="ribo check" {counts} skipped="0">"#
    )?;
    for (name, lines) in &cases {
        let (failing, passing): (Vec<&Line>, Vec<&Line>) = lines.iter().partition(|l| fails(l));
        let open = format!(
            r#"    <testcase name="{}" classname="{}""#,
            xml(name),
            xml(&classname(name))
        );
        if lines.is_empty() {
            writeln!(out, "{open}/>")?;
            continue;
        }
        writeln!(out, "{open}>")?;
        if !failing.is_empty() {
            writeln!(
                out,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                xml(&format!(
                    "{} of {name}",
                    plural(failing.len(), "violation", "violations")
                )),
                xml(name),
                xml(&report_lines(&failing))
            )?;
        }
        if !passing.is_empty() {
            writeln!(
                out,
                "      <system-out>{}</system-out>",
                xml(&report_lines(&passing))
            )?;
        }
        writeln!(out, "    </testcase>")?;
    }
    if !warnings.is_empty() {
        let text: Vec<String> = warnings
            .iter()
            .map(|w| super::human::warning_line(w, sources.display_prefix))
            .collect();
        writeln!(
            out,
            "    <system-out>{}</system-out>",
            xml(&format!("{}\n", text.join("\n")))
        )?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

/// Every code a run can report (not `spec::*`, which stop the run), with `invariant::<id>`
/// replaced by the declared invariants.
fn rule_names(invariants: &[Invariant]) -> Vec<String> {
    rules::all_codes()
        .iter()
        .map(|d| d.code)
        .filter(|c| !c.starts_with("spec::") && *c != "invariant::<id>")
        .map(str::to_string)
        .chain(
            invariants
                .iter()
                .map(|i| format!("invariant::{}", i.id.value)),
        )
        .collect()
}

/// `ribo.boundary` for `boundary::layer`: Jenkins groups testcases by the dotted classname.
fn classname(code: &str) -> String {
    let kind = code.split("::").next().unwrap_or(code);
    format!("ribo.{kind}")
}

/// `file:line:col: severity: message: label`, then the help and the rule, indented.
fn report_lines(lines: &[&Line]) -> String {
    let mut s = String::new();
    for l in lines {
        s.push_str(&format!(
            "{}:{}:{}: {}: {}\n",
            l.place.file,
            l.place.start.line,
            l.place.start.column,
            severity_name(l.v.severity),
            one_line(l.v)
        ));
        if let Some(help) = &l.v.help {
            s.push_str(&format!("  help: {}\n", help.replace('\n', "\n    ")));
        }
        if let Some(at) = &l.rule {
            s.push_str(&format!(
                "  the rule is declared in {}:{}\n",
                at.file, at.start.line
            ));
        }
    }
    s
}

/// Escapes text for an attribute or element; characters XML 1.0 cannot hold become U+FFFD.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            xml(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(xml("a\u{1}b\tc"), "a\u{FFFD}b\tc");
    }

    #[test]
    fn classnames_group_by_kind() {
        assert_eq!(classname("boundary::layer"), "ribo.boundary");
        assert_eq!(classname("invariant::no-unwrap"), "ribo.invariant");
    }
}
