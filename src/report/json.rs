//! `--format json`: one object per violation, the input warnings and a summary, versioned.
//! The shape is published as `specs/check-output.schema.json` and documented in
//! `docs/formats.md`; a change of shape bumps `CHECK_FORMAT_VERSION`.

use std::io::{self, Write};

use serde::Serialize;

use super::place::{severity_name, Places, Position};
use super::{Sources, Summary};
use crate::facts::Warning;
use crate::rules::Violation;

/// Version of the check JSON format.
pub const CHECK_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    root: String,
    spec: &'a str,
    violations: Vec<ViolationOut<'a>>,
    warnings: Vec<WarningOut<'a>>,
    summary: SummaryOut,
}

#[derive(Serialize)]
struct ViolationOut<'a> {
    code: &'a str,
    severity: &'static str,
    message: &'a str,
    label: &'a str,
    file: String,
    start: Position,
    end: Position,
    rule: Option<RuleOut<'a>>,
    help: Option<&'a str>,
    fingerprint: &'a str,
}

/// The place in the spec that declares the broken rule.
#[derive(Serialize)]
struct RuleOut<'a> {
    file: String,
    start: Position,
    end: Position,
    label: &'a str,
}

#[derive(Serialize)]
struct WarningOut<'a> {
    /// `.` (or the root as displayed) when the warning concerns the root itself.
    file: String,
    message: &'a str,
}

#[derive(Serialize)]
struct SummaryOut {
    errors: usize,
    warnings: usize,
    files: usize,
    unreadable_files: usize,
    input_warnings: usize,
    suppressed: usize,
    /// With `--new`: the findings the change adds (`errors`/`warnings` above) and fixes.
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<ChangeOut>,
}

#[derive(Serialize)]
struct ChangeOut {
    added_errors: usize,
    added_warnings: usize,
    fixed: usize,
}

/// Writes the report as pretty JSON.
pub fn write(
    out: &mut dyn Write,
    sources: &Sources,
    violations: &[Violation],
    warnings: &[Warning],
    summary: &Summary,
) -> io::Result<()> {
    let mut places = Places::new(sources);
    let report = Report {
        version: CHECK_FORMAT_VERSION,
        root: or_dot(sources.display_prefix.to_string()),
        spec: sources.spec_name,
        violations: violations
            .iter()
            .map(|v| {
                let place = places.of(v);
                ViolationOut {
                    code: &v.code,
                    severity: severity_name(v.severity),
                    message: &v.message,
                    label: &v.label,
                    file: place.file,
                    start: place.start,
                    end: place.end,
                    rule: v.spec_label.as_ref().map(|l| {
                        let rule = places.of_rule(l);
                        RuleOut {
                            file: rule.file,
                            start: rule.start,
                            end: rule.end,
                            label: &l.text,
                        }
                    }),
                    help: v.help.as_deref(),
                    fingerprint: &v.fingerprint,
                }
            })
            .collect(),
        warnings: warnings
            .iter()
            .map(|w| WarningOut {
                file: or_dot(sources.display(&w.path)),
                message: &w.message,
            })
            .collect(),
        summary: SummaryOut {
            errors: summary.errors,
            warnings: summary.warnings,
            files: summary.files,
            unreadable_files: summary.unreadable,
            input_warnings: summary.input_warnings,
            suppressed: summary.suppressed,
            change: summary.change.map(|c| ChangeOut {
                added_errors: c.added_errors,
                added_warnings: c.added_warnings,
                fixed: c.fixed,
            }),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::other)?;
    writeln!(out)
}

/// The working directory is shown as `.`, not as an empty path.
fn or_dot(path: String) -> String {
    if path.is_empty() {
        ".".to_string()
    } else {
        path
    }
}
