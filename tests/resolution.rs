//! Name resolution against the compiler: a battery of mini repositories, one case each, whose
//! expected verdict is what rustc does with the same code.
//!
//! Every fixture in `tests/fixtures/resolution/` was compiled with rustc (the command is in the
//! comment at the top of its `ribo.yaml`, with stub rlibs built in /tmp for external crates;
//! never `-o /dev/null`: run as root, rustc renames its output over `/dev/null` and leaves a
//! regular file there),
//! and is designed so that the verdict depends on resolving as rustc does: a violating fixture
//! (`<case>`) reports a specific finding only under rustc's reading, and its clean counterpart
//! (`<case>-clean`) reports "no violations" only under rustc's reading (a wrong resolution
//! would produce a false positive, an unresolved-path warning, or an unused allowance where
//! `unused_allowances: error` is set).

mod common;
use common::{check_fixture, fixture, settings, transcript};

fn case(snapshot: &str, dir: &str) {
    check_fixture(
        &format!("resolution_{snapshot}"),
        &format!("resolution/{dir}"),
    );
}

// ---- 1. Scopes ----------------------------------------------------------------------------

/// rustc: a `use` inside a fn body is an item of that block only; it shadows the module's
/// own `mod db` there, so `db::inner::g()` in `a` is infra::db::inner (private-use), while in
/// `b` it is domain::db::inner.
#[test]
fn block_use() {
    case("block_use", "block-use");
}

/// rustc: `b`'s `db` is the module's own `mod db`, not the block import of `a`: no violation.
#[test]
fn block_use_clean() {
    case("block_use_clean", "block-use-clean");
}

/// rustc: a parameter shadows the imported `exit` inside its fn; `exit(1)` with no local
/// binding, and `exit(3)` after a `let exit` block ended, call std::process::exit.
#[test]
fn shadowed_exit() {
    case("shadowed_exit", "shadowed-exit");
}

/// rustc: parameters, `let`, closure parameters and `if let` bindings named `exit` shadow the
/// import: no call of std::process::exit.
#[test]
fn shadowed_exit_clean() {
    case("shadowed_exit_clean", "shadowed-exit-clean");
}

// ---- 2. Precedence and namespaces ---------------------------------------------------------

/// rustc: a module brought in by `use super::*` beats the extern prelude: `time::now()` is
/// parent::time::now, an edge to `clock`, not a use of the crate time.
#[test]
fn glob_shadows_crate() {
    case("glob_shadows_crate", "glob-shadows-crate");
}

/// rustc: `time::now()` is the glob-imported module, so `crates: []` holds.
#[test]
fn glob_shadows_crate_clean() {
    case("glob_shadows_crate_clean", "glob-shadows-crate-clean");
}

/// rustc: a fn `memchr` (value namespace) does not hide the crate memchr for the path prefix
/// `memchr::` (type namespace): a use of the crate.
#[test]
fn fn_named_like_crate() {
    case("fn_named_like_crate", "fn-named-like-crate");
}

/// rustc: `memchr::memchr(..)` uses the crate memchr, which is allowed (and so used).
#[test]
fn fn_named_like_crate_clean() {
    case("fn_named_like_crate_clean", "fn-named-like-crate-clean");
}

/// rustc: `use crate::infra::Level::*` imports the enum's variants only (without another
/// glob, `sub::z()` is E0433): an edge to infra at the `use`, nothing at `sub::z()`.
#[test]
fn enum_glob() {
    case("enum_glob", "enum-glob");
}

/// rustc: `sub` is shared::sub (the other glob), never infra::sub: no violation.
#[test]
fn enum_glob_clean() {
    case("enum_glob_clean", "enum-glob-clean");
}

/// rustc: with only the glob `use crate::infra::*` naming `db`, `db::q()` is infra::db,
/// outside infra's interface.
#[test]
fn explicit_beats_glob() {
    case("explicit_beats_glob", "explicit-beats-glob");
}

/// rustc: an explicit `use crate::shared::db` shadows the `db` of a glob: no violation.
#[test]
fn explicit_beats_glob_clean() {
    case("explicit_beats_glob_clean", "explicit-beats-glob-clean");
}

// ---- 3. Re-exports ------------------------------------------------------------------------

/// rustc: `crate::shared::db` is infra::db re-exported by `pub(crate) use`: domain -> infra.
#[test]
fn reexport_module() {
    case("reexport_module", "reexport-module");
}

/// rustc: the re-exported path is an (allowed, used) edge to infra: no violation.
#[test]
fn reexport_module_clean() {
    case("reexport_module_clean", "reexport-module-clean");
}

/// rustc: a root facade `pub use crate::infra::db;` makes `crate::db` infra::db: the edge is
/// domain -> infra, not domain -> root.
#[test]
fn root_facade() {
    case("root_facade", "root-facade");
}

/// rustc: `crate::db::q()` reaches infra (allowed), not the root module: no violation.
#[test]
fn root_facade_clean() {
    case("root_facade_clean", "root-facade-clean");
}

/// rustc: `pub use regex;` in shared makes `crate::shared::regex` the crate regex: a use of
/// regex from domain.
#[test]
fn reexport_crate() {
    case("reexport_crate", "reexport-crate");
}

/// rustc: `crate::shared::regex::Regex` names the crate regex (allowed), no module of shared.
#[test]
fn reexport_crate_clean() {
    case("reexport_crate_clean", "reexport-crate-clean");
}

/// rustc: `crate::infra::db::q()` reaches infra::db directly (outside the interface), while
/// `api` from the glob is the interface's re-export.
#[test]
fn interface_reexport() {
    case("interface_reexport", "interface-reexport");
}

/// rustc: `api` (via `use crate::infra::*`) is `pub use self::db as api` in the interface
/// file: no private-use.
#[test]
fn interface_reexport_clean() {
    case("interface_reexport_clean", "interface-reexport-clean");
}

/// rustc: a glob imports what its own module may see: read's `pub use self::dwarf::*` does not
/// bring dwarf's private `use crate::read::DebugNames` (which would lead back to itself), so
/// `DebugNames` in dwarf is names::DebugNames through the second glob: dwarf -> names.
#[test]
fn glob_private_import() {
    case("glob_private_import", "glob-private-import");
}

/// rustc: the same `use` reaches names (allowed, used): no violation.
#[test]
fn glob_private_import_clean() {
    case("glob_private_import_clean", "glob-private-import-clean");
}

// ---- 4. cfg alternatives ------------------------------------------------------------------

/// rustc: outside tests `crate::infra` is src/infra/mod.rs (the `#[cfg(test)] #[path]`
/// double is compiled only under cfg(test)): the edge is domain -> infra.
#[test]
fn cfg_test_double() {
    case("cfg_test_double", "cfg-test-double");
}

/// rustc: production code never resolves into the test double: no violation.
#[test]
fn cfg_test_double_clean() {
    case("cfg_test_double_clean", "cfg-test-double-clean");
}

/// rustc: the same with the two declarations swapped: still domain -> infra.
#[test]
fn cfg_test_double_swapped() {
    case("cfg_test_double_swapped", "cfg-test-double-swapped");
}

/// rustc: the declaration order does not matter: no violation.
#[test]
fn cfg_test_double_swapped_clean() {
    case(
        "cfg_test_double_swapped_clean",
        "cfg-test-double-swapped-clean",
    );
}

/// rustc (unix): `#[cfg_attr(unix, path = "sys/unix.rs")] mod sys;` loads src/sys/unix.rs:
/// `crate::sys::page_size()` is an edge to sys.
#[test]
fn cfg_attr_path() {
    case("cfg_attr_path", "cfg-attr-path");
}

/// rustc (unix): the cfg_attr path is honoured: no missing-file warning, no violation.
#[test]
fn cfg_attr_path_clean() {
    case("cfg_attr_path_clean", "cfg-attr-path-clean");
}

// ---- 5. Crate names and editions ----------------------------------------------------------

/// rustc: `extern crate serde_json as json;` at the root puts `json` in every module's extern
/// prelude: `json::to_string` in domain uses serde_json.
#[test]
fn extern_crate_alias() {
    case("extern_crate_alias", "extern-crate-alias");
}

/// rustc: the aliased crate is serde_json, which domain may use: no violation.
#[test]
fn extern_crate_alias_clean() {
    case("extern_crate_alias_clean", "extern-crate-alias-clean");
}

/// rustc: `extern crate self as me;` makes `me::infra::x()` crate::infra::x: domain -> infra.
#[test]
fn extern_crate_self() {
    case("extern_crate_self", "extern-crate-self");
}

/// rustc: `me` is this crate, no external crate: no violation.
#[test]
fn extern_crate_self_clean() {
    case("extern_crate_self_clean", "extern-crate-self-clean");
}

/// rustc/cargo: the package engine-core has `[lib] name = "engine"`: `engine::run()` in the
/// other member is an edge app -> engine.
#[test]
fn workspace_lib_name() {
    case("workspace_lib_name", "workspace-lib-name");
}

/// rustc/cargo: `engine` is the workspace crate, not an external one: no violation.
#[test]
fn workspace_lib_name_clean() {
    case("workspace_lib_name_clean", "workspace-lib-name-clean");
}

/// rustc/cargo: the registry package md-5 has the library name md5: `md5::compute` uses md-5.
#[test]
fn registry_lib_name() {
    case("registry_lib_name", "registry-lib-name");
}

/// rustc/cargo: `md5::` is the allowed dependency md-5: no violation, nothing unresolved.
#[test]
fn registry_lib_name_clean() {
    case("registry_lib_name_clean", "registry-lib-name-clean");
}

/// rustc: `pub mod r#type;` is the module `type` in src/type.rs: `crate::r#type::name()` is
/// an edge to that file's boundary.
#[test]
fn raw_ident() {
    case("raw_ident", "raw-ident");
}

/// rustc: raw identifiers name plain modules (`r#util` is `util`): no violation, no missing
/// file.
#[test]
fn raw_ident_clean() {
    case("raw_ident_clean", "raw-ident-clean");
}

/// rustc --edition 2015: `use infra::db;` and `::infra::db` are relative to the crate root
/// (not domain's own `mod infra`, not a crate): two edges domain -> infra.
#[test]
fn edition_2015() {
    case("edition_2015", "edition-2015");
}

/// rustc --edition 2015: both paths name crate::infra::db (allowed): no violation.
#[test]
fn edition_2015_clean() {
    case("edition_2015_clean", "edition-2015-clean");
}

/// Cargo's default edition (no `edition` key) is 2015: the same two edges as edition-2015.
#[test]
fn edition_missing() {
    case("edition_missing", "edition-missing");
}

/// Cargo's default edition is 2015: no violation.
#[test]
fn edition_missing_clean() {
    case("edition_missing_clean", "edition-missing-clean");
}

// ---- 6. Targets ---------------------------------------------------------------------------

/// rustc: build.rs is its own crate; its `#[path = "src/infra/version.rs"] mod version;`
/// makes `crate::version` that file: an edge build -> infra.
#[test]
fn build_script() {
    case("build_script", "build-script");
}

/// rustc: `crate::infra::db::q()` in build.rs is build.rs's inline module, not the
/// library's: no violation.
#[test]
fn build_script_clean() {
    case("build_script_clean", "build-script-clean");
}

/// rustc: main.rs declaring `mod infra;` compiles the whole infra tree into the binary:
/// `crate::infra::db::q()` there reaches infra::db (private-use).
#[test]
fn bin_redeclares() {
    case("bin_redeclares", "bin-redeclares");
}

/// rustc: the binary's `crate::infra::connect()` is infra's interface: no violation.
#[test]
fn bin_redeclares_clean() {
    case("bin_redeclares_clean", "bin-redeclares-clean");
}

// ---- 7. Macro tokens ----------------------------------------------------------------------

/// rustc: `$($fut)*::new(self)` pastes `::new` after the fragment (no crate `new`);
/// `make!(crate::infra::Conn)` names infra: domain -> infra, no forbidden-crate.
#[test]
fn macro_transcriber() {
    case("macro_transcriber", "macro-transcriber");
}

/// rustc: `make!(W)` is `W::new(self)`: `crates: []` holds, no violation.
#[test]
fn macro_transcriber_clean() {
    case("macro_transcriber_clean", "macro-transcriber-clean");
}

/// rustc never resolves `quote!` input; with `options.quoted: check` the spec opts in and
/// `::serde::Serialize` is held to `crates:` (forbidden-crate serde).
#[test]
fn quoted_tokens() {
    case("quoted_tokens", "quoted-tokens");
}

/// rustc: `::serde::Serialize` in `quote!` is output for another crate, not a dependency:
/// no violation by default.
#[test]
fn quoted_tokens_clean() {
    case("quoted_tokens_clean", "quoted-tokens-clean");
}

/// rustc: `unsafe { .. }` in the arguments of `println!` and `assert_eq!` is an unsafe block
/// of this crate after expansion: two violations.
#[test]
fn unsafe_in_macro() {
    case("unsafe_in_macro", "unsafe-in-macro");
}

/// rustc: `unsafe` in comments and format strings is no unsafe code: no violation.
#[test]
fn unsafe_in_macro_clean() {
    case("unsafe_in_macro_clean", "unsafe-in-macro-clean");
}

/// rustc --test: the `#[cfg(test)] mod tests` emitted by a `macro_rules!` body names the
/// dev-dependency regex; with `tests: check` that is a forbidden-crate.
#[test]
fn cfg_test_in_macro() {
    case("cfg_test_in_macro", "cfg-test-in-macro");
}

/// rustc: that module exists only under cfg(test): with `tests: skip` it is not held to
/// `crates: []`.
#[test]
fn cfg_test_in_macro_clean() {
    case("cfg_test_in_macro_clean", "cfg-test-in-macro-clean");
}

/// rustc: `#[macro_use] pub mod infra;` puts infra's `debug!` in textual scope: the bare
/// `debug!(..)` in domain is an edge domain -> infra.
#[test]
fn macro_use() {
    case("macro_use", "macro-use");
}

/// rustc: the same edge, allowed (and so used): no violation.
#[test]
fn macro_use_clean() {
    case("macro_use_clean", "macro-use-clean");
}

/// rustc: `use crate::trace;` imports the `#[macro_export]` macro defined in infra: an edge
/// domain -> infra (not root). ribo also reports the bare `trace!` invocation, which only
/// repeats the `use` (docs/spec.md folds such repeats into the `use` for paths).
#[test]
fn macro_export() {
    case("macro_export", "macro-export");
}

/// rustc: the exported macro's edge goes to infra (allowed, used): no violation.
#[test]
fn macro_export_clean() {
    case("macro_export_clean", "macro-export-clean");
}

// ---- 8. Invariant patterns ----------------------------------------------------------------

/// rustc: `::std::process::exit(1)` is std's exit: matched by `calls` and `paths` patterns.
#[test]
fn leading_colon() {
    case("leading_colon", "leading-colon");
}

/// rustc: `crate::process::exit` and `self::process::exit` are this crate's: no violation.
#[test]
fn leading_colon_clean() {
    case("leading_colon_clean", "leading-colon-clean");
}

/// rustc: a crate-root `mod std` shadows the extern prelude, so only `::std::process::exit(1)`
/// (line 9) is std's; `std::process::exit("local")` (line 8) is the local fn.
#[test]
fn std_shadowed() {
    case("std_shadowed", "std-shadowed");
}

/// rustc: `std::process::exit("local")` calls the crate's own `mod std`: no violation.
#[test]
fn std_shadowed_clean() {
    case("std_shadowed_clean", "std-shadowed-clean");
}

/// rustc: `use std::process::*; exit(1)` calls std::process::exit.
#[test]
fn glob_std_process() {
    case("glob_std_process", "glob-std-process");
}

/// rustc: the module's own `fn exit` shadows the glob's `exit`: no violation.
#[test]
fn glob_std_process_clean() {
    case("glob_std_process_clean", "glob-std-process-clean");
}

/// rustc/cargo: `json = { package = "serde_json" }` makes `json::to_string` serde_json's:
/// matched by `paths: ["serde_json::**"]`.
#[test]
fn renamed_crate() {
    case("renamed_crate", "renamed-crate");
}

/// rustc: a crate-root `mod json` shadows the renamed dependency `json`: nothing names
/// serde_json, no violation.
#[test]
fn renamed_crate_clean() {
    case("renamed_crate_clean", "renamed-crate-clean");
}

/// rustc: `ptr` is `s::ptr` and `s` is `std`: `ptr::null()` is std::ptr::null, two imports
/// away from what is written (and `use s::ptr;` names std::ptr): two violations.
#[test]
fn use_chain() {
    case("use_chain", "use-chain");
}

/// rustc: `ptr` is `s::mem` here: `ptr::swap` is std::mem::swap, whatever it spells.
#[test]
fn use_chain_clean() {
    case("use_chain_clean", "use-chain-clean");
}

// ---- 9. Locations -------------------------------------------------------------------------

/// rustc counts columns in characters, a leading BOM excluded: the violations are at
/// src/bom.rs:1:5 and src/text.rs:3:41 in the human header too.
#[test]
fn locations() {
    case("locations", "locations");
}

/// rustc counts columns in characters, a leading BOM excluded: the JSON `column`s are 5 and 41.
#[test]
fn locations_json() {
    let text = transcript(
        &fixture("resolution/locations"),
        &["check", "--format", "json"],
    );
    settings().bind(|| insta::assert_snapshot!("resolution_locations_json", text));
}

/// rustc: a BOM, form feeds and NUL bytes in comments are valid Rust: no syntax-error
/// warning, and the path after them is read.
#[test]
fn locations_clean() {
    case("locations_clean", "locations-clean");
}

// ---- 10. Suppressions ---------------------------------------------------------------------

/// rustc reads `/// ribo: allow(..)` as documentation (`#[doc]`): suppression::malformed, and
/// the `.unwrap()` it would cover is still reported.
#[test]
fn suppressions() {
    case("suppressions", "suppressions");
}

/// A `// ribo: allow` before a multi-line `use` group, method chain or attribute-led item
/// covers the whole node: no violation, no unused suppression.
#[test]
fn suppressions_clean() {
    case("suppressions_clean", "suppressions-clean");
}

// ---- Nothing unchecked in silence ---------------------------------------------------------

/// rustc rejects `ghost::call()` (E0433: nothing is named `ghost`): ribo warns about the
/// input, naming the file and the path.
#[test]
fn unresolved_path() {
    case("unresolved_path", "unresolved-path");
}

/// The same with `--strict`: the unresolved path makes the run exit 1.
#[test]
fn unresolved_path_strict() {
    let text = transcript(
        &fixture("resolution/unresolved-path"),
        &["check", "--strict"],
    );
    settings().bind(|| insta::assert_snapshot!("resolution_unresolved_path_strict", text));
}
