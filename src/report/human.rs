//! Human output: miette's graphical diagnostics, then input warnings, then a one-line summary.
//! Plain text (no colour) when `Style::color` is false.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource};

use super::diag::{render, Diag};
use super::source::Indexed;
use super::{display, plural, Style, Summary};
use crate::facts::model::Span;
use crate::facts::Warning;
use crate::rules::{Location, Violation};
use crate::spec::model::Severity;
use crate::spec::{SpecError, SpecErrors};

pub use super::Sources;

/// Writes the violations, the input warnings and the summary.
pub fn write_check(
    out: &mut dyn Write,
    sources: &Sources,
    violations: &[Violation],
    warnings: &[Warning],
    summary: &Summary,
    style: Style,
) -> io::Result<()> {
    let mut cache: HashMap<String, Arc<Indexed>> = HashMap::new();
    let spec_text = Arc::new(Indexed::new(sources.spec_source.to_string()));
    for v in violations {
        let diag = violation_diag(v, sources, &spec_text, &mut cache);
        out.write_all(render(&diag, style).as_bytes())?;
        writeln!(out)?;
    }
    for w in warnings {
        writeln!(out, "{}", warning_line(w, sources.display_prefix))?;
    }
    writeln!(out, "{}", summary_line(summary))
}

fn label(span: &Span, text: &str) -> LabeledSpan {
    LabeledSpan::new_with_span(
        Some(text.to_string()),
        (
            span.start as usize,
            (span.end.saturating_sub(span.start)) as usize,
        ),
    )
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    }
}

fn violation_diag(
    v: &Violation,
    sources: &Sources,
    spec_text: &Arc<Indexed>,
    cache: &mut HashMap<String, Arc<Indexed>>,
) -> Diag {
    let spec_source = || NamedSource::new(sources.spec_name, Arc::clone(spec_text));
    let (source, span) = match &v.location {
        Location::Source { file, span } => {
            let text = cache
                .entry(file.to_string())
                .or_insert_with(|| {
                    let text = sources.read(file);
                    Arc::new(Indexed::new(text.unwrap_or_default()))
                })
                .clone();
            let name = display(sources.display_prefix, file);
            (NamedSource::new(name, text), span)
        }
        Location::Spec { span } => (spec_source(), span),
    };
    let related = v
        .spec_label
        .iter()
        .map(|l| Diag {
            code: String::new(),
            severity: miette::Severity::Advice,
            message: format!(
                "the rule is declared in {}:{}",
                sources.spec_name, l.span.line
            ),
            source: Some(spec_source()),
            labels: vec![label(&l.span, &l.text)],
            help: None,
            related: Vec::new(),
        })
        .collect();
    Diag {
        code: v.code.to_string(),
        severity: severity(v.severity),
        message: v.message.to_string(),
        source: Some(source),
        labels: vec![label(span, &v.label)],
        help: v.help.clone(),
        related,
    }
}

/// `warning: <path>: <message>`.
pub fn warning_line(w: &Warning, prefix: &str) -> String {
    let path = display(prefix, &w.path);
    if path.is_empty() {
        format!("warning: {}", w.message)
    } else {
        format!("warning: {path}: {}", w.message)
    }
}

/// [`summary_line`] without the wall time: what machine formats print (their output changes
/// only when the code or the spec does).
pub fn untimed_summary_line(s: &Summary) -> String {
    summary_line(&Summary {
        elapsed: None,
        ..s.clone()
    })
}

/// The last line of a run.
pub fn summary_line(s: &Summary) -> String {
    let files = match s.selected {
        Some(n) => format!("{n} of {}", plural(s.files, "file", "files")),
        None => plural(s.files, "file", "files"),
    };
    let mut line = if s.errors == 0 && s.warnings == 0 {
        format!("ribo: no violations in {files}")
    } else {
        format!(
            "ribo: {}, {} in {files}",
            plural(s.errors, "error", "errors"),
            plural(s.warnings, "warning", "warnings"),
        )
    };
    if let Some(c) = &s.change {
        line = format!(
            "ribo: this change adds {}, {}, fixes {} in {files}",
            plural(c.added_errors, "error", "errors"),
            plural(c.added_warnings, "warning", "warnings"),
            c.fixed
        );
    }
    if s.baselined > 0 {
        line.push_str(&format!("; {} baselined", s.baselined));
    }
    if s.input_warnings > 0 {
        line.push_str(&format!(
            "; {} about the input",
            plural(s.input_warnings, "warning", "warnings")
        ));
    }
    if s.unreadable > 0 {
        line.push_str(&format!(
            " ({} could not be checked)",
            plural(s.unreadable, "file", "files")
        ));
    }
    if let Some(t) = s.elapsed {
        line.push_str(&format!(" [{:.2}s]", t.as_secs_f64()));
    }
    line
}

/// Writes every spec problem as a diagnostic, then a summary line.
pub fn write_spec_errors(
    out: &mut dyn Write,
    errors: &SpecErrors,
    spec_name: &str,
    style: Style,
) -> io::Result<()> {
    let text = Arc::new(Indexed::new(errors.source.clone()));
    for e in &errors.errors {
        let diag = spec_error_diag(e, spec_name, &text);
        out.write_all(render(&diag, style).as_bytes())?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "ribo: {spec_name} is invalid: {}",
        plural(errors.errors.len(), "problem", "problems")
    )
}

fn spec_error_diag(e: &SpecError, spec_name: &str, text: &Arc<Indexed>) -> Diag {
    let text_len = text.text().len();
    let start = e.span.start.min(text_len);
    let len = e.span.end.clamp(start, text_len) - start;
    Diag {
        code: e.code.to_string(),
        severity: miette::Severity::Error,
        message: e.message.clone(),
        source: Some(NamedSource::new(spec_name, Arc::clone(text))),
        labels: vec![LabeledSpan::new_with_span(
            Some(e.label.clone()),
            (start, len),
        )],
        help: e.help.clone(),
        related: Vec::new(),
    }
}
