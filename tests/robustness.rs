//! Bad repository input gives warnings with paths and the run goes on; never a panic (every
//! run goes through `common::run_in`, which fails on `panicked at`). What could not be checked
//! is counted, and the rules that applied to it say so (`input::unchecked`). See
//! docs/reliability.md for the list of guarantees.

mod common;
use common::{settings, transcript};
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

fn write(root: &std::path::Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

fn small_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"r\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(
        root,
        "ribo.yaml",
        "version: 1\nsystem: { name: r }\nboundaries:\n  core: { paths: [\"src/**\"] }\n",
    );
    write(root, "src/lib.rs", "pub fn f() {}\n");
    dir
}

#[cfg(unix)]
#[test]
fn symlink_loop_and_link_outside_root_are_warnings() {
    let dir = small_repo();
    let root = dir.path();
    std::os::unix::fs::symlink(".", root.join("src/loop")).expect("symlink");
    let outside = tempfile::tempdir().expect("tempdir");
    write(outside.path(), "secret.rs", "pub fn s() {}\n");
    std::os::unix::fs::symlink(outside.path(), root.join("src/outside")).expect("symlink");
    std::os::unix::fs::symlink(root.join("src/nowhere.rs"), root.join("src/dangling.rs"))
        .expect("symlink");
    let text = transcript(root, &["check"]);
    settings().bind(|| insta::assert_snapshot!("symlinks", text));
}

#[test]
fn empty_repository_checks_nothing_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "ribo.yaml",
        "version: 1\nsystem: { name: empty }\n",
    );
    let text = transcript(dir.path(), &["check"]);
    settings().bind(|| insta::assert_snapshot!("empty_repository", text));
}

/// A repository whose one boundary and one invariant apply to every file of `src/`, so that
/// a file that cannot be checked is a file these rules could not check.
fn ruled_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"r\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(
        root,
        "ribo.yaml",
        "version: 1\nsystem: { name: r }\nboundaries:\n  \
         core: { paths: [\"src/**\"], may_use: [], crates: [] }\n\
         invariants:\n  - id: no-unwrap\n    forbid: { calls: [unwrap] }\n",
    );
    write(root, "src/lib.rs", "pub mod generated;\npub fn f() {}\n");
    dir
}

/// Writes `mib` MiB of generated Rust (one `pub fn` per line) to `path`.
fn write_generated(path: &Path, mib: usize) {
    let line = "pub fn generated_function_0000() -> u64 { 0 }\n";
    let count = mib * 1024 * 1024 / line.len() + 1;
    fs::write(path, line.repeat(count)).expect("write");
}

#[test]
fn a_50_mb_generated_file_is_not_checked_and_its_rules_say_so() {
    let dir = ruled_repo();
    write_generated(&dir.path().join("src/generated.rs"), 50);
    let started = Instant::now();
    let text = transcript(dir.path(), &["check"]);
    // Skipped on its size: never read whole, never parsed.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    settings().bind(|| insta::assert_snapshot!("too_large_file", text));
}

#[test]
fn an_excluded_large_file_is_neither_checked_nor_reported() {
    let dir = ruled_repo();
    write_generated(&dir.path().join("src/generated.rs"), 11);
    let spec = fs::read_to_string(dir.path().join("ribo.yaml")).expect("spec");
    let spec = spec.replace(
        "system: { name: r }",
        "system: { name: r, exclude: [\"src/generated.rs\"] }",
    );
    write(dir.path(), "ribo.yaml", &spec);
    let text = transcript(dir.path(), &["check"]);
    settings().bind(|| insta::assert_snapshot!("too_large_file_excluded", text));
}

#[test]
fn a_file_no_rule_applies_to_gets_only_its_input_warning() {
    let dir = small_repo();
    write_generated(&dir.path().join("src/generated.rs"), 11);
    let text = transcript(dir.path(), &["check"]);
    settings().bind(|| insta::assert_snapshot!("too_large_file_no_rules", text));
}

#[test]
fn a_file_of_one_5_mb_line_is_checked_in_linear_time() {
    let dir = ruled_repo();
    // 5 MB of string literal, then 2000 violations on the same line: a column computed from
    // the line start, or a rendered line, per violation would take minutes.
    let line = format!(
        "pub fn long() {{ let s = \"{}\"; {}}}\n",
        "a".repeat(5_000_000),
        "x.unwrap(); ".repeat(2000)
    );
    write(dir.path(), "src/generated.rs", &line);
    let started = Instant::now();
    let (code, stdout, _) = common::run_in(dir.path(), &["check"]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 1);
    let first = stdout.split("\n\n\n").next().unwrap_or_default();
    let first = stdout
        .find("\ninvariant::")
        .map_or(first, |end| &stdout[..end]);
    let summary = stdout.lines().last().unwrap_or_default();
    let text = format!("{first}\n...\n{summary}\n");
    settings().bind(|| insta::assert_snapshot!("one_very_long_line", text));
}

#[test]
fn an_expression_nested_100000_deep_is_checked() {
    let dir = ruled_repo();
    let depth = 100_000;
    let source = format!(
        "pub fn deep() -> u8 {{ {}x.unwrap(){} }}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    write(dir.path(), "src/generated.rs", &source);
    let text = transcript(dir.path(), &["check"]);
    settings().bind(|| insta::assert_snapshot!("deep_nesting", text));
}

/// A repository whose spec forbids `query`, with a call nested 100 000 parentheses deep.
fn deeply_nested_query_repo(query: &str) -> tempfile::TempDir {
    let dir = ruled_repo();
    let spec = fs::read_to_string(dir.path().join("ribo.yaml")).expect("spec");
    let spec = format!("{spec}  - id: call-in-parens\n    forbid:\n      query: \"{query}\"\n");
    write(dir.path(), "ribo.yaml", &spec);
    let depth = 100_000;
    let source = format!(
        "pub fn deep() -> u8 {{ {}x.unwrap(){} }}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    write(dir.path(), "src/generated.rs", &source);
    dir
}

#[test]
fn a_query_walking_the_whole_tree_on_code_nested_100000_deep_gives_up_and_says_so() {
    // A wildcard root makes the query walk the whole tree; every enclosing parenthesis keeps
    // a candidate match in progress: the square of the depth, unless the work budget stops it.
    let dir =
        deeply_nested_query_repo("(_ (parenthesized_expression (call_expression) @violation))");
    let started = Instant::now();
    let (code, stdout, _) = common::run_in(dir.path(), &["check", "--quiet"]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("ribo: 1 error, 0 warnings in 2 files; 1 warning about the input ["),
        "{stdout}"
    );
    let (_, stdout, _) = common::run_in(dir.path(), &["check"]);
    assert!(stdout.contains(
        "warning: src/generated.rs: a `query:` invariant gave up on this file (over its work \
         budget, as on very deeply nested code): not fully checked\n"
    ));
    // On ordinary nesting, the same query finds its match.
    write(
        dir.path(),
        "src/generated.rs",
        "pub fn f() -> u8 { ((g())) }\n",
    );
    let (code, stdout, _) = common::run_in(dir.path(), &["check", "--quiet"]);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("ribo: 1 error, 0 warnings in 2 files ["),
        "{stdout}"
    );
}

#[test]
fn a_query_rooted_at_one_kind_runs_node_by_node_and_finishes_on_code_nested_100000_deep() {
    // Run on each `parenthesized_expression` alone, the pattern never looks deeper than its
    // own two levels: no square of the depth, and the match is found.
    let dir = deeply_nested_query_repo(
        "(parenthesized_expression (parenthesized_expression (call_expression) @violation))",
    );
    let (code, stdout, _) = common::run_in(dir.path(), &["check", "--quiet"]);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("ribo: 2 errors, 0 warnings in 2 files ["),
        "{stdout}"
    );
}

#[test]
fn syntax_errors_everywhere_still_yield_the_facts_around_them() {
    let dir = ruled_repo();
    let mut source = String::new();
    for i in 0..50 {
        source.push_str(&format!(
            "pub fn f{i}() {{ let y = ; }}\n@@ ) ] }} garbage {i}\n"
        ));
    }
    source.push_str("pub fn last() { Some(1).unwrap(); }\nimpl {{{\n");
    write(dir.path(), "src/generated.rs", &source);
    let text = transcript(dir.path(), &["check"]);
    settings().bind(|| insta::assert_snapshot!("syntax_errors_everywhere", text));
}

#[test]
fn a_repository_without_cargo_toml_is_checked_by_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "ribo.yaml",
        "version: 1\nsystem: { name: r }\nboundaries:\n  \
         a: { paths: [\"src/a.rs\"], may_use: [] }\n  b: { paths: [\"src/lib.rs\", \"src/b.rs\"] }\n",
    );
    write(root, "src/lib.rs", "pub mod a;\npub mod b;\n");
    write(root, "src/a.rs", "use crate::b::g;\npub fn f() { g() }\n");
    write(root, "src/b.rs", "pub fn g() {}\n");
    let text = transcript(root, &["check"]);
    // The crate name is the temporary directory's: the one line that names it is replaced.
    let name = root
        .canonicalize()
        .expect("canonical")
        .file_name()
        .map(|n| n.to_string_lossy().replace('-', "_"))
        .expect("a name");
    let text = text.replace(&name, "<dir>");
    settings().bind(|| insta::assert_snapshot!("no_cargo_toml", text));
}

#[test]
fn a_missing_workspace_member_is_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/present\", \"crates/missing\"]\n",
    );
    write(
        root,
        "crates/present/Cargo.toml",
        "[package]\nname = \"present\"\nversion = \"0.1.0\"\n",
    );
    write(root, "crates/present/src/lib.rs", "pub fn p() {}\n");
    write(
        root,
        "ribo.yaml",
        "version: 1\nsystem: { name: ws }\nboundaries:\n  present: { paths: [\"crates/present/**\"] }\n",
    );
    let text = transcript(root, &["check"]);
    settings().bind(|| insta::assert_snapshot!("missing_workspace_member", text));
}

/// Running as root, permissions do not stop reads: whether a `chmod 000` file is unreadable
/// is found out, never assumed.
#[cfg(unix)]
fn make_unreadable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o000)).expect("chmod");
    if path.is_dir() {
        fs::read_dir(path).is_err()
    } else {
        fs::read(path).is_err()
    }
}

#[cfg(unix)]
fn make_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_not_checked_and_its_rules_say_so() {
    let dir = ruled_repo();
    let path = dir.path().join("src/generated.rs");
    write(
        dir.path(),
        "src/generated.rs",
        "pub fn g() { x.unwrap(); }\n",
    );
    if make_unreadable(&path) {
        let (code, stdout, _) = common::run_in(dir.path(), &["check"]);
        make_readable(&path);
        assert_eq!(code, 0);
        assert!(stdout.contains("warning: src/generated.rs: could not be read: permission denied"));
        assert!(stdout.contains("input::unchecked"));
        assert!(stdout.contains("(1 file could not be checked)"));
    } else {
        // Not simulable here (root reads anything): the same code path, a read that fails
        // after the walk listed the file, is taken by a path that fails for root too.
        make_readable(&path);
        let (parsed, _, _) = ribo::facts::incremental::parse::parse_all(
            dir.path(),
            None,
            &["src".to_owned()],
            1,
            &ribo::facts::rust::query::QuerySet::default(),
            None,
            None,
        );
        match &parsed[..] {
            [ribo::facts::rust::parse::Parsed::Failed(message)] => {
                assert_eq!(message, "could not be read: is a directory");
            }
            other => panic!("expected one failure, got {other:?}"),
        }
    }
}

#[cfg(unix)]
#[test]
fn an_unreadable_directory_is_a_warning() {
    let dir = ruled_repo();
    write(dir.path(), "src/private/hidden.rs", "pub fn h() {}\n");
    let private = dir.path().join("src/private");
    if make_unreadable(&private) {
        let (code, stdout, _) = common::run_in(dir.path(), &["check", "--strict"]);
        make_readable(&private);
        assert_eq!(code, 1);
        assert!(stdout.contains("warning: src/private: could not be read: permission denied"));
    } else {
        // Not simulable here (root lists any directory): the walker's read errors are
        // reported the same way for a root that cannot be listed.
        make_readable(&private);
        let walked = ribo::facts::walk::walk(
            &dir.path().join("does-not-exist"),
            &globset::GlobSet::empty(),
        );
        assert_eq!(
            walked.warnings,
            [ribo::facts::Warning::new(
                "",
                "could not be read: entity not found"
            )]
        );
    }
}

#[test]
fn a_file_that_vanishes_after_the_walk_is_not_checked() {
    // The walk listed `src/gone.rs`; it is gone when the parser reads it.
    let dir = ruled_repo();
    let files = ["src/gone.rs".to_owned(), "src/lib.rs".to_owned()];
    let (parsed, _, _) = ribo::facts::incremental::parse::parse_all(
        dir.path(),
        None,
        &files,
        2,
        &ribo::facts::rust::query::QuerySet::default(),
        None,
        None,
    );
    assert!(matches!(
        &parsed[0],
        ribo::facts::rust::parse::Parsed::Failed(m) if m == "could not be read: entity not found"
    ));
    assert!(matches!(
        &parsed[1],
        ribo::facts::rust::parse::Parsed::Ok { .. }
    ));
    // Through the graph and the rules: counted, and the rules that apply say so.
    let spec = ribo::spec::load(&dir.path().join("ribo.yaml")).expect("valid spec");
    let graph = ribo::facts::resolve::assemble::assemble(
        dir.path().to_path_buf(),
        files.to_vec(),
        parsed,
        Vec::new(),
        Vec::new(),
        0,
    );
    let gone = graph.file(graph.file_id("src/gone.rs").expect("listed"));
    assert!(!gone.parsed);
    let assignment = ribo::rules::assign::assign(&spec, &graph).expect("assigned");
    let outcome = ribo::rules::check(&spec, &graph, &assignment);
    let unchecked: Vec<_> = outcome
        .violations
        .iter()
        .filter(|v| v.code == "input::unchecked")
        .map(|v| (v.location.clone(), v.message.as_str(), v.help.as_deref()))
        .collect();
    assert_eq!(
        unchecked,
        [(
            ribo::rules::Location::Source {
                file: "src/gone.rs".into(),
                span: ribo::facts::model::Span { start: 0, end: 0, line: 1, col: 1 }
            },
            "not checked, so the rules that apply to it did not run: could not be read: entity not found",
            Some(
                "these rules apply to it: boundary `core` (may_use, crates); invariant \
                 `no-unwrap`. Make the file readable, or exclude it in `system.exclude` if it \
                 is not code to check"
            )
        )]
    );
}

#[cfg(unix)]
#[test]
fn an_unchecked_file_names_every_kind_of_rule_that_applies_to_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"r\"\nversion = \"0.1.0\"\n\n[dependencies]\nserde = \"1\"\n",
    );
    write(
        root,
        "ribo.yaml",
        r#"version: 1
system: { name: r }
boundaries:
  api: { paths: ["src/lib.rs", "src/api.rs"] }
  domain: { paths: ["src/domain/**"], may_use: [], interface: ["src/domain/mod.rs"] }
layers: [api, domain]
invariants:
  - id: no-unwrap-in-domain
    in: [domain]
    forbid: { calls: [unwrap] }
  - id: no-print-outside-domain
    except: [domain]
    forbid: { macros: [println] }
contracts:
  - id: serde-only-in-api
    crate: serde
    only_from: [api]
  - id: configuration
    env: [HOME]
  - id: gone-api
    module: crate::domain::gone
    exports: ["fn gone()"]
"#,
    );
    write(root, "src/lib.rs", "pub mod api;\npub mod domain;\n");
    write(
        root,
        "src/api.rs",
        "pub fn a() { let _ = std::env::var(\"HOME\"); }\n",
    );
    write(root, "src/domain/mod.rs", "pub mod gone;\n");
    // Listed by the walk, unreadable when parsed.
    std::os::unix::fs::symlink("nowhere.rs", root.join("src/domain/gone.rs")).expect("symlink");
    let text = transcript(root, &["check"]);
    settings().bind(|| insta::assert_snapshot!("unchecked_rules", text));
}
