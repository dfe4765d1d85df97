//! The warm graph of `ribo mcp` (`facts::incremental::warm`): a graph patched for a proposed
//! change is the graph a build from scratch over the changed tree gives, and restored it is the
//! disk's again; a change a patch cannot take leaves the graph as it was.
//!
//! The oracle of every comparison is `facts::build` without a cache over the disk with the
//! change as an overlay (every file parsed, every path resolved in full). Edits are made by
//! hand (each kind of change a patch takes or refuses) and at random (lines inserted, deleted,
//! duplicated, in every Rust file of every resolution fixture).

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::Lcg;
use ribo::facts::incremental::warm::Warm;
use ribo::facts::{build, build_warm, BuildOptions, FactGraph, Overlay};

fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(name),
        dir.path(),
    );
    dir
}

/// The options `ribo mcp` builds its warm graph with: the caches, the walk remembered, no
/// file's bodies but those a patch parses.
fn warm_options(root: &Path) -> BuildOptions {
    BuildOptions {
        cache_dir: Some(root.join(".ribo-cache")),
        exclude_texts: Some(Vec::new()),
        bodies_for: Some(BTreeSet::new()),
        threads: 1,
        ..BuildOptions::default()
    }
}

/// A warm graph of `root`, built the way the server builds it (caches written by a first run).
fn warm(root: &Path) -> Warm {
    let _ = build(
        root,
        &BuildOptions {
            cache_dir: Some(root.join(".ribo-cache")),
            exclude_texts: Some(Vec::new()),
            ..BuildOptions::default()
        },
    );
    build_warm(root, &warm_options(root)).expect("a warm graph")
}

/// [`warm`], without the resolution snapshot: every file's references are read (the graph
/// holds them all, and no file's filter is asked).
fn warm_without_snapshot(root: &Path) -> Warm {
    let w = warm(root);
    drop(w);
    fs::remove_file(root.join(".ribo-cache/resolved-v2.bin")).expect("the snapshot");
    let w = build_warm(
        root,
        &BuildOptions {
            exclude_texts: None,
            ..warm_options(root)
        },
    )
    .expect("a warm graph");
    assert!(
        w.graph().expect("graph").lean_refs.is_none(),
        "every file's references are held"
    );
    w
}

fn overlay(files: &[(&str, &str)]) -> Arc<Overlay> {
    let mut o = Overlay::default();
    for (path, text) in files {
        o.set(*path, Some(text.as_bytes().to_vec()));
    }
    Arc::new(o)
}

/// The oracle: the graph of the disk with `change`, built from scratch.
fn built(root: &Path, change: &Arc<Overlay>) -> FactGraph {
    build(
        root,
        &BuildOptions {
            overlay: Some(Arc::clone(change)),
            threads: 1,
            ..BuildOptions::default()
        },
    )
}

/// What rules can read of a graph, as text: every file's place and `use` targets, the facts
/// and query hits of the files `whole` names (the warm graph holds the others' without bodies
/// or references, as a focused run does), the module trees, and every resolution and warning.
fn seen(g: &FactGraph, whole: &BTreeSet<String>) -> String {
    let files: Vec<String> = g
        .files
        .iter()
        .map(|f| {
            let mut line = format!(
                "{} {:?} {:?} {} {} {} {:?} {:?}",
                f.path,
                f.krate,
                f.module,
                f.in_tree,
                f.test,
                f.parsed,
                f.scope_modules,
                f.use_targets
            );
            if whole.contains(&f.path) {
                line.push_str(&format!("\n  {:?}\n  {:?}", f.facts, f.query_hits));
            }
            line
        })
        .collect();
    format!(
        "{}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        files.join("\n"),
        g.crates,
        g.modules,
        g.edges,
        g.external_uses,
        g.unresolved,
        g.warnings
    )
}

/// Every fact of a graph (to tell a restored graph from the one before the patch).
fn everything(g: &FactGraph) -> String {
    format!(
        "{}\n{:?}",
        seen(g, &BTreeSet::new()),
        g.files
            .iter()
            .map(|f| (&f.facts, &f.query_hits))
            .collect::<Vec<_>>()
    )
}

/// Patches `w` with `change`: when the patch is taken, the graph is the oracle's and, restored,
/// the disk's again; when refused, untouched. Gives whether it was taken.
fn check(w: &mut Warm, root: &Path, change: &[(&str, &str)], what: &str) -> bool {
    let before = everything(w.graph().expect("graph"));
    let o = overlay(change);
    let taken = w.patch(&o);
    if taken {
        let whole: BTreeSet<String> = change.iter().map(|(p, _)| p.to_string()).collect();
        let oracle = built(root, &o);
        assert_eq!(
            seen(w.graph().expect("graph"), &whole),
            seen(&oracle, &whole),
            "{what}: the patched graph is not the one a build gives"
        );
        w.restore();
    }
    assert_eq!(
        everything(w.graph().expect("graph")),
        before,
        "{what}: the graph is not the disk's after the patch"
    );
    taken
}

fn read(root: &Path, rel: &str) -> String {
    fs::read_to_string(root.join(rel)).expect("read")
}

#[test]
fn edits_a_patch_takes_give_the_graph_a_build_gives() {
    let dir = fixture("tests/fixtures/resolution/use-chain");
    let root = dir.path();
    let mut w = warm(root);
    let files = rust_files(root);
    assert!(!files.is_empty());
    for rel in &files {
        let text = read(root, rel);
        let cases = [
            (format!("{text}\n// a comment\n"), "a comment"),
            (
                format!("{text}\npub fn warm_patch_unique_name() -> u32 {{ 1 }}\n"),
                "an item no other file names",
            ),
            (format!("\n\n{text}"), "every offset moved"),
            (
                format!("{text}\nfn uses_unknown() {{ nowhere::to_be::found(); }}\n"),
                "an unresolved path",
            ),
            (format!("{text}\nfn broken( {{\n"), "a syntax error"),
        ];
        for (new, what) in &cases {
            let taken = check(&mut w, root, &[(rel, new)], &format!("{rel}: {what}"));
            if *what != "a syntax error" {
                assert!(taken, "{rel}: {what}: a patch takes it");
            }
        }
    }
}

#[test]
fn edits_that_reach_other_files_are_left_to_a_build() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    fs::create_dir_all(root.join("src")).expect("mkdir");
    fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"w\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .expect("write");
    fs::write(
        root.join("src/lib.rs"),
        "pub mod a;\npub mod b;\nuse crate::a::*;\npub fn run() { Helper::go(); }\n",
    )
    .expect("write");
    fs::write(root.join("src/a.rs"), "pub fn other() {}\n").expect("write");
    fs::write(root.join("src/b.rs"), "pub fn helper() {}\n").expect("write");
    for snapshot in [true, false] {
        let mut w = match snapshot {
            true => warm(root),
            false => warm_without_snapshot(root),
        };
        left_to_a_build(&mut w, root);
    }
}

fn left_to_a_build(w: &mut Warm, root: &Path) {
    // `Helper`, which lib.rs writes, added to the module lib.rs globs: lib.rs resolves
    // otherwise.
    let taken = check(
        w,
        root,
        &[(
            "src/a.rs",
            "pub fn other() {}\npub struct Helper;\nimpl Helper { pub fn go() {} }\n",
        )],
        "a name another file writes",
    );
    assert!(!taken, "a name another file writes is left to a build");
    let taken = check(
        w,
        root,
        &[("src/a.rs", "pub fn other() {}\npub mod inner {}\n")],
        "an inline module added",
    );
    assert!(!taken, "a frame change is left to a build");
    let taken = check(
        w,
        root,
        &[("src/b.rs", "pub use crate::a::*;\npub fn helper() {}\n")],
        "a glob added",
    );
    assert!(!taken, "a glob added is left to a build");
    let taken = check(
        w,
        root,
        &[(
            "src/lib.rs",
            "pub mod a;\npub mod b;\nuse crate::a::*;\npub fn run() { Helper::go(); b::helper(); }\n",
        )],
        "a body edit beside a glob",
    );
    assert!(taken, "a body edit is patched");
    let taken = check(w, root, &[("src/missing.rs", "fn x() {}\n")], "a new file");
    assert!(!taken, "a file added is left to a build");
}

/// A patch committed (the change was written) is the disk's graph from then on: the graph is
/// the one a build of the disk gives, and later patches go on from it.
#[test]
fn a_committed_patch_is_the_disk_from_then_on() {
    for name in ["use-chain", "glob-private-import", "reexport-module"] {
        let dir = fixture(&format!("tests/fixtures/resolution/{name}"));
        let root = dir.path();
        let mut w = warm(root);
        let files = rust_files(root);
        for (k, rel) in files.iter().enumerate() {
            let new = format!("// written\n{}\nfn written_{k}() {{}}\n", read(root, rel));
            let change = overlay(&[(rel, &new)]);
            assert!(w.patch(&change), "{name}/{rel}: patched");
            w.commit();
            fs::write(root.join(rel), &new).expect("write");
            let whole: BTreeSet<String> = files[..=k].iter().cloned().collect();
            let oracle = built(root, &overlay(&[]));
            assert_eq!(
                seen(w.graph().expect("graph"), &whole),
                seen(&oracle, &whole),
                "{name}/{rel}: the committed graph is the disk's"
            );
            // A proposal on top of it.
            if let Some(next) = files.get(k + 1) {
                let proposed = format!("{}\n// proposed\n", read(root, next));
                let taken = check(
                    &mut w,
                    root,
                    &[(next, &proposed)],
                    &format!("{name}/{next}"),
                );
                assert!(taken, "{name}/{next}: a comment is patched");
            }
        }
    }
}

/// A `mod` whose file is missing is a warning about the file that declares it, on the line of
/// the declaration: a patch that moves the line moves the warning. The crate a
/// `#[macro_use] extern crate` names, changed, is left to a build (every bare macro call of
/// the crate resolves into it, and none writes the binding).
#[test]
fn warnings_of_the_module_trees_and_extern_crates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let lib = "#[macro_use]\nextern crate log as lg;\npub mod a;\nmod missing;\n";
    common::write_files(
        root,
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"m\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nlog = \"0.4\"\ntracing = \"0.1\"\n",
            ),
            ("src/lib.rs", lib),
            ("src/a.rs", "pub fn f() {\n    info!(\"x\");\n}\n"),
        ],
    );
    let mut w = warm(root);
    assert!(
        w.graph()
            .expect("graph")
            .warnings
            .iter()
            .any(|x| x.message.starts_with("declares `mod missing` (line 4)")),
        "{:?}",
        w.graph().expect("graph").warnings
    );
    let moved = format!("// one\n// two\n{lib}");
    assert!(
        check(
            &mut w,
            root,
            &[("src/lib.rs", &moved)],
            "the declaration moved"
        ),
        "a patch takes it"
    );
    let other = lib.replace("extern crate log", "extern crate tracing");
    assert!(
        !check(&mut w, root, &[("src/lib.rs", &other)], "another crate"),
        "another crate is left to a build"
    );
}

/// A private `use` binds its name for the code inside its module only: added where files
/// outside write the name, it is patched; where a module inside writes it (`super::fmt`), it is
/// left to a build.
#[test]
fn a_private_use_is_seen_inside_its_module_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let lib = "pub mod a;\npub mod b;\npub mod c;\n";
    common::write_files(
        root,
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
            ),
            ("src/lib.rs", lib),
            (
                "src/a.rs",
                "use std::fmt;\npub fn g(_: &dyn fmt::Debug) {}\n",
            ),
            ("src/b.rs", "pub mod inner;\npub fn h() {}\n"),
            (
                "src/b/inner.rs",
                "pub fn i() -> super::fmt::Result { Ok(()) }\n",
            ),
            ("src/c.rs", "pub fn f() -> std::fmt::Result { Ok(()) }\n"),
        ],
    );
    let mut w = warm(root);
    let c = "use std::fmt;\npub fn f() -> fmt::Result { Ok(()) }\n";
    assert!(
        check(
            &mut w,
            root,
            &[("src/c.rs", c)],
            "a private use, written outside only"
        ),
        "a private use no code inside its module writes is patched"
    );
    let b = "use std::fmt;\npub mod inner;\npub fn h() {}\n";
    assert!(
        !check(
            &mut w,
            root,
            &[("src/b.rs", b)],
            "a private use a module inside writes"
        ),
        "a private use a module inside writes is left to a build"
    );
    // At the crate root, every module is inside.
    let with_use = format!("use std::fmt;\n{lib}");
    assert!(
        !check(
            &mut w,
            root,
            &[("src/lib.rs", &with_use)],
            "a private use at the root"
        ),
        "a private use at the root, where a.rs writes the name, is left to a build"
    );
    let public = format!("pub use std::fmt;\n{c}");
    assert!(
        !check(&mut w, root, &[("src/c.rs", &public)], "a public use"),
        "a public use other files' names may see is left to a build"
    );
}

/// The Rust files under `root`, relative, sorted.
fn rust_files(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p: PathBuf = e.path();
            if e.file_name() == ".ribo-cache" {
                continue;
            }
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).expect("under root");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Random edits of every Rust file of every resolution fixture: each taken patch is compared
/// with a build, each refused one leaves the graph as it was.
#[test]
fn random_edits_of_every_resolution_fixture() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/resolution");
    let mut names: Vec<String> = fs::read_dir(&base)
        .expect("fixtures")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let lines_to_add = [
        "pub fn warm_random_item() {}",
        "fn local() { let _ = 1; }",
        "// a comment",
        "use std::fmt;",
        "pub struct Added;",
        "fn calls() { crate::nowhere(); }",
    ];
    let (mut taken, mut refused) = (0, 0);
    for (k, name) in names.iter().enumerate() {
        let dir = fixture(&format!("tests/fixtures/resolution/{name}"));
        let root = dir.path();
        // Half the fixtures with the snapshot (files read without their references), half
        // without (every reference held).
        let mut w = match k % 2 {
            0 => warm(root),
            _ => warm_without_snapshot(root),
        };
        for rel in rust_files(root) {
            let text = read(root, &rel);
            let lines: Vec<&str> = text.lines().collect();
            let mut rng = Lcg(name.len() as u64 * 7919 + rel.len() as u64);
            for round in 0..4 {
                let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                let at = rng.below(edited.len() + 1);
                match rng.below(3) {
                    0 => edited.insert(at, lines_to_add[rng.below(lines_to_add.len())].to_string()),
                    1 if !edited.is_empty() => {
                        edited.remove(at.min(edited.len() - 1));
                    }
                    _ if !edited.is_empty() => {
                        let l = edited[at.min(edited.len() - 1)].clone();
                        edited.insert(at.min(edited.len() - 1), l);
                    }
                    _ => edited.push(lines_to_add[0].to_string()),
                }
                let new = edited.join("\n") + "\n";
                let what = format!("{name}/{rel} round {round}");
                match check(&mut w, root, &[(&rel, &new)], &what) {
                    true => taken += 1,
                    false => refused += 1,
                }
            }
        }
    }
    // Both kinds are exercised (the counts are not pinned: they follow the fixtures).
    eprintln!("{taken} patches taken, {refused} refused");
    assert!(taken > 50, "{taken} patches taken, {refused} refused");
    assert!(refused > 0, "{taken} patches taken, {refused} refused");
}
