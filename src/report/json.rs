//! `--format json`: one object per violation plus a summary, versioned.

use std::io::{self, Write};

use serde::Serialize;

use super::Summary;
use crate::facts::Warning;
use crate::rules::{Location, Violation};
use crate::spec::model::Severity;

/// Version of the check JSON format.
pub const CHECK_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    violations: Vec<ViolationOut<'a>>,
    warnings: &'a [Warning],
    summary: SummaryOut,
}

#[derive(Serialize)]
struct Position {
    line: u32,
    column: u32,
    byte: u32,
}

#[derive(Serialize)]
struct ViolationOut<'a> {
    code: &'a str,
    severity: &'static str,
    message: &'a str,
    label: &'a str,
    file: &'a str,
    start: Position,
    end_byte: u32,
    spec: Option<SpecOut<'a>>,
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct SpecOut<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    label: &'a str,
}

#[derive(Serialize)]
struct SummaryOut {
    errors: usize,
    warnings: usize,
    files: usize,
    unreadable_files: usize,
    input_warnings: usize,
}

/// Writes the report as pretty JSON.
pub fn write(
    out: &mut dyn Write,
    spec_name: &str,
    violations: &[Violation],
    warnings: &[Warning],
    summary: &Summary,
) -> io::Result<()> {
    let report = Report {
        version: CHECK_FORMAT_VERSION,
        violations: violations
            .iter()
            .map(|v| {
                let (file, span) = match &v.location {
                    Location::Source { file, span } => (file.as_str(), span),
                    Location::Spec { span } => (spec_name, span),
                };
                ViolationOut {
                    code: &v.code,
                    severity: match v.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    },
                    message: &v.message,
                    label: &v.label,
                    file,
                    start: Position {
                        line: span.line,
                        column: span.col,
                        byte: span.start,
                    },
                    end_byte: span.end,
                    spec: v.spec_label.as_ref().map(|l| SpecOut {
                        file: spec_name,
                        line: l.span.line,
                        column: l.span.col,
                        label: &l.text,
                    }),
                    help: v.help.as_deref(),
                }
            })
            .collect(),
        warnings,
        summary: SummaryOut {
            errors: summary.errors,
            warnings: summary.warnings,
            files: summary.files,
            unreadable_files: summary.unreadable,
            input_warnings: summary.input_warnings,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::other)?;
    writeln!(out)
}
