//! `ribo check`: build the facts, assign files to boundaries, run the rules, report.

use std::io::{self, Write};
use std::time::Instant;

use super::changed::{self, Paths};
use super::{analyse, baseline, load_spec_deferred};
use crate::cli::{CheckArgs, Format, SpecArgs};
use crate::report::{self, Style, Summary};
use crate::rules::changed::Selector;
use crate::{rules, EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS};

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
    // Named files select changed mode; the spec is then looked for from the first one's dir.
    let paths = match changed::paths(args) {
        Ok(p) => p,
        Err(message) => {
            writeln!(err, "error: {message}")?;
            return Ok(EXIT_ERROR);
        }
    };
    let from_files;
    let spec_args = match &paths {
        Paths::Files(files) => {
            from_files = SpecArgs {
                path: changed::discovery_start(files),
                spec: args.spec.spec.clone(),
                threads: args.spec.threads,
                no_cache: args.spec.no_cache,
                cache_dir: args.spec.cache_dir.clone(),
            };
            &from_files
        }
        Paths::Repository => &args.spec,
    };
    let loaded = match load_spec_deferred(spec_args, style, err)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let spec = &loaded.spec;
    // The baseline and the changed files, read before the (costly) facts: bad input fails fast.
    let baseline_path = baseline::path(spec, args.baseline.as_deref());
    let baseline = match baseline::for_check(spec, args.baseline.as_deref(), args.no_baseline, err)?
    {
        Ok(b) => b,
        Err(code) => return Ok(code),
    };
    let changes = match changed::select(&paths, args, spec, &loaded.root_display, &baseline_path) {
        Ok(c) => c,
        Err(message) => {
            writeln!(err, "error: {message}")?;
            return Ok(EXIT_ERROR);
        }
    };
    // The changed-files view needs the graph; a whole-repository run may reuse the results
    // of a run over the same input.
    let analysis = match analyse(
        &loaded,
        spec_args,
        changes.is_none(),
        changes.as_ref().and_then(|c| c.focus()),
        !args.quiet,
        style,
        err,
    )? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let selector = match (&changes, &analysis.built) {
        (Some(c), Some((graph, assignment))) => Some(Selector::new(spec, graph, assignment, c)),
        _ => None,
    };
    let narrowed = baseline::narrow(
        analysis.outcome.violations,
        baseline.as_ref(),
        selector.as_ref(),
    );
    let mut violations = narrowed.violations;
    if args.strict {
        strict_unchecked(&mut violations);
    }
    let warnings = &analysis.warnings;
    let mut summary = Summary::new(
        &violations,
        analysis.files,
        analysis.unreadable,
        warnings,
        Some(started.elapsed()),
    );
    summary.suppressed = analysis.outcome.suppressed;
    let sources = report::Sources {
        root: &spec.root,
        display_prefix: &loaded.root_display,
        spec_name: &loaded.spec_name,
        spec_source: &spec.source,
    };
    summary.baselined = narrowed.baselined;
    summary.selected = selector.as_ref().map(Selector::files);
    match args.format {
        Format::Human => {
            if args.quiet {
                writeln!(out, "{}", report::human::summary_line(&summary))?;
            } else {
                report::human::write_check(out, &sources, &violations, warnings, &summary, style)?;
            }
        }
        Format::Json => {
            report::json::write(out, &sources, &violations, warnings, &summary)?;
        }
        Format::Sarif => {
            report::sarif::write(out, &sources, &violations, warnings, &spec.invariants)?
        }
        Format::Github => {
            report::github::write(out, &sources, &violations, warnings, &summary)?;
        }
        Format::Compact => {
            report::compact::write(out, &sources, &violations, warnings, &summary)?;
        }
        Format::Junit => report::junit::write(
            out,
            &sources,
            &violations,
            warnings,
            &spec.invariants,
            args.deny_warnings,
        )?,
    }
    let strict_failed = args.strict && summary.input_warnings > 0;
    if strict_failed {
        writeln!(err, "{}", strict_message(summary.input_warnings))?;
    }
    let failed =
        summary.errors > 0 || (args.deny_warnings && summary.warnings > 0) || strict_failed;
    drop(selector);
    release((analysis.built, violations));
    Ok(if failed { EXIT_VIOLATIONS } else { EXIT_OK })
}

/// Frees the facts on another thread: on a large repository, freeing a million small facts
/// takes tens of milliseconds that the verdict need not wait for (the process may exit first;
/// the memory goes back with it).
fn release<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
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
