//! The `spec::*` codes: problems in ribo.yaml itself (exit 2), with one-line documentation
//! for `ribo explain`. Each is emitted by the loader (`raw`) or the validator (`validate`).

/// `(code, summary)` of every spec problem.
pub const CODES: &[(&str, &str)] = &[
    ("spec::encoding", "the spec is not valid UTF-8"),
    ("spec::yaml", "the spec is not valid YAML"),
    (
        "spec::too-large",
        "the spec is over 1 MiB, or its YAML is too deep, has too many nodes, or has aliases \
         that expand too far (an alias bomb): refused before it costs time or memory",
    ),
    ("spec::empty", "the spec is empty or is not a mapping"),
    (
        "spec::type",
        "a value has the wrong type (e.g. a mapping where a list is expected)",
    ),
    (
        "spec::unknown-key",
        "a key the format does not have; the nearest valid key is suggested",
    ),
    (
        "spec::duplicate-key",
        "a key written twice in one mapping (also: a boundary declared twice)",
    ),
    ("spec::missing-key", "a required key is missing"),
    ("spec::version", "`version` is not 1"),
    (
        "spec::name",
        "a boundary or id is not a kebab- or snake-case identifier",
    ),
    ("spec::root", "`system.root` is not a directory"),
    (
        "spec::value",
        "a value outside its allowed set (options, severity, tests)",
    ),
    ("spec::empty-paths", "a boundary without any `paths`"),
    ("spec::glob", "a glob that does not compile"),
    (
        "spec::glob-escape",
        "a glob or path that is absolute or reaches outside the root with `..`",
    ),
    (
        "spec::unknown-boundary",
        "`may_use`/`may_not_use`/`layers`/`in`/`except`/`only_from` names an undefined boundary",
    ),
    (
        "spec::duplicate-layer",
        "a boundary listed twice in `layers`",
    ),
    (
        "spec::layer-conflict",
        "a `may_use` entry allows a boundary above it in `layers`",
    ),
    (
        "spec::use-conflict",
        "a boundary listed in both `may_use` and `may_not_use`",
    ),
    (
        "spec::duplicate-id",
        "two invariants (or two contracts) with the same id",
    ),
    (
        "spec::empty-rule",
        "an invariant with nothing to forbid or require",
    ),
    (
        "spec::pattern",
        "a `calls`/`macros`/`paths` pattern or `module:` path that is malformed",
    ),
    (
        "spec::query",
        "a tree-sitter `query` that does not compile (pointed at inside the block)",
    ),
    (
        "spec::item-selector",
        "a `require.items` selector ribo does not know",
    ),
    (
        "spec::contract-kind",
        "a contract that is not one of the accepted shapes",
    ),
    (
        "spec::env-name",
        "an `env` entry that is not a valid environment variable name",
    ),
    (
        "spec::declaration",
        "a contract export declaration that is not a Rust item header",
    ),
    (
        "spec::ambiguous-boundary",
        "a file claimed by two boundaries with equally specific globs",
    ),
    (
        "spec::invalid",
        "an internal validation failure (please report it)",
    ),
];

/// The codes of changes of the spec (`ribo diff-spec`): findings, not problems of the spec;
/// documented with their rule (`rules::loosening`).
pub const CHANGE_CODES: &[(&str, &str)] = &[
    (
        "spec::loosened",
        "the spec changed in a way that lets more code pass",
    ),
    (
        "spec::tightened",
        "the spec changed in a way that lets less code pass (a note)",
    ),
];
