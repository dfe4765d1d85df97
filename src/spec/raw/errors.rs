//! Every problem the YAML and structural layers report, worded in one place.

use std::ops::Range;

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

/// `spec::encoding`: the file is not UTF-8.
pub(crate) fn encoding(byte: u8, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::encoding",
            "the spec is not valid UTF-8".to_owned(),
            span,
            &format!("invalid byte 0x{byte:02x}"),
        ),
        "save the spec as UTF-8".to_owned(),
    )
}

/// `spec::yaml`: serde-saphyr could not parse the text.
pub(crate) fn yaml(message: &str, span: Range<usize>) -> SpecError {
    let message = match sentence(message) {
        text if text.is_empty() => "invalid YAML".to_owned(),
        text => text,
    };
    let hint = YAML_HINTS
        .iter()
        .find(|(symptom, _)| message.contains(symptom))
        .map(|(_, hint)| (*hint).to_owned());
    let error = error("spec::yaml", message, span, "invalid YAML here");
    match hint {
        Some(hint) => with_help(error, hint),
        None => error,
    }
}

/// `spec::too-large`: the spec is over the size limit, or its YAML over ribo's budget (too
/// deep, too many nodes, aliases that expand too far).
pub(crate) fn too_large(reason: &str, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::too-large",
            format!("the spec is too large or too complex to load: {reason}"),
            span,
            "refused here",
        ),
        "a spec declares a system in a few hundred lines: split what is generated, and do not \
         nest anchors and aliases"
            .to_owned(),
    )
}

/// serde-saphyr message fragments and the likely cause a user should look for.
const YAML_HINTS: &[(&str, &str)] = &[
    (
        "mapping values are not allowed",
        "if this line holds text with `: ` in it (a signature, a message), quote it, \
         e.g. `- \"fn get(id: Id, at: Time) -> Order\"`",
    ),
    (
        "illegal placement of ':'",
        "look above this line for an unclosed `[`, `{` or quote",
    ),
    (
        "tabs disallowed",
        "YAML indents with spaces only: replace the tab with spaces",
    ),
    (
        "unclosed quote",
        "close the quote, or use `'...'` for text holding `\"`",
    ),
];

/// `spec::empty`: no document, or only comments.
pub(crate) fn empty() -> SpecError {
    with_help(
        error(
            "spec::empty",
            "the spec is empty".to_owned(),
            0..0,
            "expected a mapping here",
        ),
        "a spec starts with `version: 1`, then `system:` and `boundaries:`".to_owned(),
    )
}

/// `spec::type`: the document is not a mapping.
pub(crate) fn top_not_a_mapping(found: &str, span: Range<usize>) -> SpecError {
    with_help(
        error(
            "spec::type",
            format!("expected a mapping at the top level of the spec, found {found}"),
            span,
            "expected a mapping",
        ),
        "a spec starts with `version: 1`, then `system:` and `boundaries:`".to_owned(),
    )
}

/// `spec::type`: a value of the wrong type (`what` names the key or list).
pub(crate) fn wrong_type(what: &str, expected: &str, found: &str, span: Range<usize>) -> SpecError {
    error(
        "spec::type",
        format!("expected {expected} for {what}, found {found}"),
        span,
        &format!("expected {expected}"),
    )
}

/// `spec::type` for a number or boolean where text is expected: quoting makes it text.
pub(crate) fn not_text(
    what: &str,
    expected: &str,
    found: &str,
    text: &str,
    span: Range<usize>,
) -> SpecError {
    with_help(
        wrong_type(what, expected, found, span),
        format!("write `\"{text}\"` to make it a string"),
    )
}

/// `spec::type` for `invariants:` / `contracts:` written as a mapping.
pub(crate) fn not_a_list_of_entries(what: &str, found: &str, span: Range<usize>) -> SpecError {
    with_help(
        wrong_type(what, "a list", found, span),
        "write each entry as a list item: `- id: ...`".to_owned(),
    )
}

/// `spec::type`: a list of strings was left empty (`key:` with no value).
pub(crate) fn null_list(what: &str, span: Range<usize>) -> SpecError {
    with_help(
        wrong_type(what, "a list of strings", "nothing (null)", span),
        "write `[]` for an empty list, or remove the key".to_owned(),
    )
}

/// `spec::unknown-key`, with the nearest valid key suggested.
pub(crate) fn unknown_key(
    key: &str,
    context: &str,
    valid: &[&str],
    span: Range<usize>,
) -> SpecError {
    let listed = backticked(valid.iter().copied());
    let help = match nearest(key, valid.iter().copied()) {
        Some(close) => format!("did you mean `{close}`? valid keys: {listed}"),
        None => format!("valid keys: {listed}"),
    };
    with_help(
        error(
            "spec::unknown-key",
            format!("unknown key `{key}` in {context}"),
            span,
            "unknown key",
        ),
        help,
    )
}

/// `spec::duplicate-key`: a key repeated in one mapping.
pub(crate) fn duplicate_key(
    key: &str,
    context: &str,
    span: Range<usize>,
    first_line: usize,
) -> SpecError {
    with_help(
        error(
            "spec::duplicate-key",
            format!("duplicate key `{key}` in {context}"),
            span,
            "duplicate key",
        ),
        format!("`{key}` is first defined on line {first_line}; keep one of them"),
    )
}

/// `spec::missing-key`: a required key is absent (`span` is the parent's key).
pub(crate) fn missing_key(key: &str, context: &str, span: Range<usize>) -> SpecError {
    error(
        "spec::missing-key",
        format!("missing required key `{key}` in {context}"),
        span,
        &format!("`{key}` is required here"),
    )
}
