//! Every problem semantic validation reports, worded in one place.

use std::ops::Range;
use std::path::Path;

use tree_sitter::QueryErrorKind;

use crate::spec::lines::{one_line, sentence};
use crate::spec::suggest::{backticked, nearest};
use crate::spec::SpecError;

fn error(code: &'static str, message: String, span: Range<usize>, label: &str) -> SpecError {
    SpecError {
        code,
        message: one_line(&message),
        span,
        label: label.to_owned(),
        help: None,
    }
}

fn with_help(mut error: SpecError, help: String) -> SpecError {
    error.help = Some(help);
    error
}

/// "did you mean `x`?" when a candidate is close.
fn did_you_mean<'c, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'c str>,
{
    nearest(word, candidates).map(|close| format!("did you mean `{close}`?"))
}

/// "did you mean `x`? {rest}" when a candidate is close, else just `rest`.
fn suggesting<'c, I>(word: &str, candidates: I, rest: String) -> String
where
    I: IntoIterator<Item = &'c str>,
{
    match nearest(word, candidates) {
        Some(close) => format!("did you mean `{close}`? {rest}"),
        None => rest,
    }
}

pub(super) fn version(text: &str, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::version",
            format!("unsupported spec version `{text}`"),
            span,
            "expected `1`",
        ),
        "this ribo reads `version: 1`".to_owned(),
    )
}

/// `spec::name`: not a kebab- or snake-case identifier; `what` is e.g. "boundary name".
pub(super) fn name(what: &str, text: &str, span: Range<usize>, fixed: Option<String>) -> SpecError {
    let rule = "use lower-case letters, digits, `-` and `_`, starting with a letter";
    let help = match fixed {
        Some(fixed) => format!("{rule}, e.g. `{fixed}`"),
        None => rule.to_owned(),
    };
    with_help(
        error(
            "spec::name",
            format!("invalid {what} `{text}`"),
            span,
            "not a kebab- or snake-case identifier",
        ),
        help,
    )
}

pub(super) fn empty_system_name(span: Range<usize>) -> SpecError {
    error(
        "spec::name",
        "the system name is empty".to_owned(),
        span,
        "empty name",
    )
}

pub(super) fn root(root: &str, reason: &str, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::root",
            format!("cannot use `{root}` as the root: {}", sentence(reason)),
            span,
            "not a usable directory",
        ),
        "`system.root` is a directory relative to the directory that holds the spec".to_owned(),
    )
}

/// `spec::root`: the root leaves the repository that holds the spec.
pub(super) fn root_outside(root: &str, top: &Path, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::root",
            format!(
                "cannot use `{root}` as the root: it is outside the repository that holds the \
                 spec ({})",
                top.display()
            ),
            span,
            "outside the repository",
        ),
        "a spec checks its own repository: name a directory inside it (a spec that could \
         point elsewhere would make ribo read, show and cache another tree)"
            .to_owned(),
    )
}

/// `spec::value`: `options.baseline` would be written outside the repository.
pub(super) fn baseline_outside(text: &str, top: &Path, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::value",
            format!(
                "invalid value `{text}` for `options.baseline`: it is outside the repository \
                 that holds the spec ({})",
                top.display()
            ),
            span,
            "outside the repository",
        ),
        "name a file inside the repository, relative to the spec root, e.g. \
         `ribo-baseline.json` (`ribo baseline` writes it)"
            .to_owned(),
    )
}

/// `spec::value`: `options.baseline` is not a relative file name.
pub(super) fn baseline(text: &str, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::value",
            format!("invalid value `{text}` for `options.baseline`"),
            span,
            "not a relative file name",
        ),
        "name a file relative to the spec root, e.g. `ribo-baseline.json`".to_owned(),
    )
}

/// `spec::value`: a value outside an enumeration (`allow`/`warn`/`error`, …).
pub(super) fn value(key: &str, text: &str, allowed: &[&str], span: Range<usize>) -> SpecError {
    let listed = backticked(allowed.iter().copied());
    let error = error(
        "spec::value",
        format!("invalid value `{text}` for `{key}`"),
        span,
        &format!("expected one of {listed}"),
    );
    match did_you_mean(text, allowed.iter().copied()) {
        Some(help) => with_help(error, help),
        None => error,
    }
}

pub(super) fn empty_paths(boundary: &str, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::empty-paths",
            format!("boundary `{boundary}` has no paths"),
            span,
            "empty list",
        ),
        "a boundary owns the files its `paths` globs match; list at least one".to_owned(),
    )
}

pub(super) fn glob(text: &str, reason: &str, span: Range<usize>) -> SpecError {
    error(
        "spec::glob",
        format!("invalid glob `{text}`: {}", sentence(reason)),
        span,
        "invalid glob",
    )
}

pub(super) fn glob_absolute(text: &str, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::glob-escape",
            format!("glob `{text}` is an absolute path"),
            span,
            "absolute path",
        ),
        "globs are relative to the spec's root directory; remove the leading `/`".to_owned(),
    )
}

pub(super) fn glob_parent(text: &str, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::glob-escape",
            format!("glob `{text}` reaches outside the spec's root directory"),
            span,
            "`..` leaves the root",
        ),
        "globs are relative to the spec's root directory; to check a larger tree, set \
         `system.root` (e.g. `root: ..`)"
            .to_owned(),
    )
}

/// `spec::unknown-boundary`: `list` is the key it was found in (`may_use`, `in`, …).
pub(super) fn unknown_boundary(
    name: &str,
    list: &str,
    known: &[String],
    span: Range<usize>,
) -> SpecError {
    let names = known.iter().map(String::as_str);
    let rest = match known.is_empty() {
        true => "no boundaries are declared".to_owned(),
        false => format!("declared boundaries: {}", backticked(names.clone())),
    };
    with_help(
        error(
            "spec::unknown-boundary",
            format!("unknown boundary `{name}` in `{list}`"),
            span,
            "not a declared boundary",
        ),
        suggesting(name, names, rest),
    )
}

pub(super) fn glob_not_allowed(text: &str, list: &str, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::unknown-boundary",
            format!("`{text}` in `{list}` is not a boundary name"),
            span,
            "a glob, not a boundary name",
        ),
        format!(
            "`{list}` lists boundary names; globs are accepted in `in`, `except` and `only_from`"
        ),
    )
}

pub(super) fn duplicate_layer(name: &str, span: Range<usize>, first_line: usize) -> SpecError {
    with_help(
        error(
            "spec::duplicate-layer",
            format!("boundary `{name}` is listed twice in `layers`"),
            span,
            "listed again",
        ),
        format!("`{name}` is first listed on line {first_line}; a boundary sits in one layer"),
    )
}

pub(super) fn layer_conflict(
    user: &str,
    used: &str,
    span: Range<usize>,
    layers_line: usize,
) -> SpecError {
    with_help(
        error(
            "spec::layer-conflict",
            format!("boundary `{user}` may use `{used}`, which is above it in `layers`"),
            span,
            &format!("`{used}` is above `{user}`"),
        ),
        format!(
            "`layers` (line {layers_line}) runs top to bottom and a boundary never uses one \
             above it; remove `{used}` from `may_use` or reorder `layers`"
        ),
    )
}

/// `spec::use-conflict`: `owner` lists `used` in both `may_use` and `may_not_use`.
pub(super) fn use_conflict(
    owner: &str,
    used: &str,
    span: Range<usize>,
    may_use_line: usize,
) -> SpecError {
    with_help(
        error(
            "spec::use-conflict",
            format!("boundary `{owner}` lists `{used}` in both `may_use` and `may_not_use`"),
            span,
            &format!("`{used}` is also allowed in `may_use` (line {may_use_line})"),
        ),
        format!("remove `{used}` from one of the two lists"),
    )
}

/// `spec::duplicate-id`: `kind` is "invariant" or "contract".
pub(super) fn duplicate_id(
    kind: &str,
    id: &str,
    span: Range<usize>,
    first_line: usize,
) -> SpecError {
    with_help(
        error(
            "spec::duplicate-id",
            format!("duplicate {kind} id `{id}`"),
            span,
            "duplicate id",
        ),
        format!("`{id}` is first used on line {first_line}; {kind} ids must be unique"),
    )
}

pub(super) fn rule_without_kind(context: &str, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::empty-rule",
            format!("{context} has neither `forbid` nor `require`"),
            span,
            "no rule",
        ),
        "add `forbid:` (unsafe, calls, macros, paths, attributes or query) or `require:` \
         (items, with an attribute or doc)"
            .to_owned(),
    )
}

pub(super) fn empty_forbid(span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::empty-rule",
            "`forbid` names nothing to forbid".to_owned(),
            span,
            "empty rule",
        ),
        "use one or more of `unsafe`, `calls`, `macros`, `paths`, `attributes`, `query`".to_owned(),
    )
}

pub(super) fn empty_require(span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::empty-rule",
            "`require` asks nothing of the items".to_owned(),
            span,
            "empty rule",
        ),
        "add `attribute: <name>` and/or `doc: true`".to_owned(),
    )
}

pub(super) fn pattern(
    what: &str,
    text: &str,
    reason: &str,
    span: Range<usize>,
    help: Option<&str>,
) -> SpecError {
    let error = error(
        "spec::pattern",
        format!("invalid {what} `{text}`: {reason}"),
        span,
        &format!("invalid {what}"),
    );
    match help {
        Some(help) => with_help(error, help.to_owned()),
        None => error,
    }
}

/// `spec::query`: `detail` is tree-sitter's error text (a node or field name, a predicate
/// problem), `suggestion` the nearest valid node type or field name.
pub(super) fn query(
    kind: &QueryErrorKind,
    detail: &str,
    span: Range<usize>,
    suggestion: Option<String>,
) -> SpecError {
    let detail = sentence(detail);
    let (problem, label) = match kind {
        QueryErrorKind::NodeType => (format!("unknown node type `{detail}`"), "unknown node type"),
        QueryErrorKind::Field => (format!("unknown field `{detail}`"), "unknown field"),
        QueryErrorKind::Capture => (format!("unknown capture `@{detail}`"), "unknown capture"),
        QueryErrorKind::Predicate => (format!("invalid predicate: {detail}"), "invalid predicate"),
        QueryErrorKind::Structure => (
            "impossible pattern".to_owned(),
            "this pattern can never match",
        ),
        QueryErrorKind::Syntax => ("syntax error".to_owned(), "syntax error here"),
        QueryErrorKind::Language => (detail, "invalid query"),
    };
    let error = error(
        "spec::query",
        format!("invalid tree-sitter query: {problem}"),
        span,
        label,
    );
    match suggestion {
        Some(close) => with_help(error, format!("did you mean `{close}`?")),
        None => error,
    }
}

pub(super) fn item_selector(text: &str, valid: &[&str], span: Range<usize>) -> SpecError {
    let listed = format!("expected one of {}", backticked(valid.iter().copied()));
    with_help(
        error(
            "spec::item-selector",
            format!("unknown item selector `{text}`"),
            span,
            "unknown selector",
        ),
        suggesting(text, valid.iter().copied(), listed),
    )
}

const CONTRACT_SHAPES: &str = "a contract is one of: `module:` or `file:` with `exports:`; \
    `crate:` with `exports:` (a workspace crate's root) or with `only_from:` (who may use an \
    external crate); `env:` (the environment variables read)";

/// `spec::contract-kind`: `problem` completes "contract `x` …".
pub(super) fn contract_kind(
    context: &str,
    problem: &str,
    span: Range<usize>,
    label: &str,
) -> SpecError {
    with_help(
        error(
            "spec::contract-kind",
            format!("{context} {problem}"),
            span,
            label,
        ),
        CONTRACT_SHAPES.to_owned(),
    )
}

pub(super) fn env_name(text: &str, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::env-name",
            format!("invalid environment variable name `{text}`"),
            span,
            "not a variable name",
        ),
        "a name is ASCII letters, digits and `_`, not starting with a digit".to_owned(),
    )
}

pub(super) fn missing_exports(context: &str, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::missing-key",
            format!("missing required key `exports` in {context}"),
            span,
            "`exports` is required with this key",
        ),
        CONTRACT_SHAPES.to_owned(),
    )
}

/// Validation gave up without a located reason (should not happen).
pub(super) fn incomplete() -> SpecError {
    error(
        "spec::invalid",
        "the spec could not be validated".to_owned(),
        0..0,
        "here",
    )
}
