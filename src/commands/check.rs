//! `ribo check`: build the facts, assign files to boundaries, run the rules, report.

use std::io::{self, Write};
use std::time::Instant;

use super::{build_options, load_spec};
use crate::cli::{CheckArgs, Format};
use crate::report::{self, Style, Summary};
use crate::spec::SpecErrors;
use crate::{facts, rules, EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS};

pub fn check(
    args: &CheckArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let started = Instant::now();
    // A closed pipe ends the output, not the verdict: the exit status stays 0 or 1.
    let mut out = super::PipeGuard::new(out);
    let out: &mut dyn Write = &mut out;
    let loaded = match load_spec(&args.spec, style, err)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let spec = &loaded.spec;
    if !spec.root.is_dir() {
        writeln!(
            err,
            "error: the root `{}` is not a readable directory",
            loaded.root_display
        )?;
        return Ok(EXIT_ERROR);
    }
    let graph = facts::build(&spec.root, &build_options(spec, args.spec.threads));
    let assignment = match rules::assign::assign(spec, &graph) {
        Ok(a) => a,
        Err(errors) => {
            let errors = SpecErrors {
                path: spec.path.clone(),
                source: spec.source.clone(),
                errors,
            };
            report::human::write_spec_errors(err, &errors, &loaded.spec_name, style)?;
            return Ok(EXIT_ERROR);
        }
    };
    let outcome = rules::check(spec, &graph, &assignment);
    let mut violations = outcome.violations;
    if args.strict {
        strict_unchecked(&mut violations);
    }
    let unreadable = graph.files.iter().filter(|f| !f.parsed).count();
    let summary = Summary::new(
        &violations,
        graph.files.len(),
        unreadable,
        &graph.warnings,
        Some(started.elapsed()),
    );
    match args.format {
        Format::Human => {
            let sources = report::human::Sources {
                root: &spec.root,
                display_prefix: &loaded.root_display,
                spec_name: &loaded.spec_name,
                spec_source: &spec.source,
            };
            if args.quiet {
                writeln!(out, "{}", report::human::summary_line(&summary))?;
            } else {
                report::human::write_check(
                    out,
                    &sources,
                    &violations,
                    &graph.warnings,
                    &summary,
                    style,
                )?;
            }
        }
        Format::Json => report::json::write(
            out,
            &loaded.spec_name,
            &violations,
            &graph.warnings,
            &summary,
        )?,
    }
    let strict_failed = args.strict && summary.input_warnings > 0;
    if strict_failed {
        writeln!(err, "{}", strict_message(summary.input_warnings))?;
    }
    let failed =
        summary.errors > 0 || (args.deny_warnings && summary.warnings > 0) || strict_failed;
    Ok(if failed { EXIT_VIOLATIONS } else { EXIT_OK })
}

/// `--strict`: a file no rule could check is an error, not a warning.
fn strict_unchecked(violations: &mut [rules::Violation]) {
    for v in violations.iter_mut() {
        if v.code == rules::input::CODE {
            v.severity = crate::spec::model::Severity::Error;
        }
    }
}

/// Why `--strict` failed a run whose input was not fully checked.
fn strict_message(input_warnings: usize) -> String {
    format!(
        "error: --strict: {} about the input: not everything could be checked",
        report::plural(input_warnings, "warning", "warnings")
    )
}
