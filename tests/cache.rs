//! The facts cache: warm runs reuse facts, changes are seen, bad caches are never trusted.

mod common;

use std::fs;
use std::path::Path;

use common::Lcg;
use ribo::facts::{build, BuildOptions, FactGraph};

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        if entry.file_name() == ".ribo-cache" {
            continue;
        }
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), dest).expect("copy");
        }
    }
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dependency-forms");
    copy_dir(&fixture, dir.path());
    dir
}

fn options(root: &Path) -> BuildOptions {
    BuildOptions {
        cache_dir: Some(root.join(".ribo-cache")),
        ..BuildOptions::default()
    }
}

/// Everything a rule can see, as text (the cache report aside).
fn facts_of(g: &FactGraph) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        g.files
            .iter()
            .map(|f| (&f.path, &f.facts))
            .collect::<Vec<_>>(),
        g.edges,
        g.unresolved,
        g.warnings
    )
}

#[test]
fn warm_run_reuses_every_file_and_sees_the_same_facts() {
    let dir = repo();
    let root = dir.path();
    let uncached = build(root, &BuildOptions::default());
    let cold = build(root, &options(root));
    assert_eq!((cold.cache.hits, cold.cache.misses), (0, 7));
    assert!(root.join(".ribo-cache/facts-v1.bin").exists());
    assert_eq!(
        fs::read_to_string(root.join(".ribo-cache/.gitignore")).expect("written"),
        "# Written by ribo: its cache never belongs in version control.\n*\n"
    );
    let warm = build(root, &options(root));
    assert_eq!((warm.cache.hits, warm.cache.misses), (7, 0));
    assert_eq!(facts_of(&uncached), facts_of(&cold));
    assert_eq!(facts_of(&cold), facts_of(&warm));
}

#[test]
fn a_changed_file_is_parsed_again_and_its_new_facts_are_used() {
    let dir = repo();
    let root = dir.path();
    build(root, &options(root));
    let leaf = root.join("src/consumer/nested/leaf.rs");
    let text = fs::read_to_string(&leaf).expect("read");
    fs::write(
        &leaf,
        text.replace("vec![crate::target::inner::i()]", "vec![]"),
    )
    .expect("write");
    let after = build(root, &options(root));
    assert_eq!((after.cache.hits, after.cache.misses), (6, 1));
    assert_eq!(
        facts_of(&after),
        facts_of(&build(root, &BuildOptions::default()))
    );
}

#[test]
fn a_corrupt_or_foreign_cache_is_ignored_and_rebuilt() {
    let dir = repo();
    let root = dir.path();
    build(root, &options(root));
    let file = root.join(".ribo-cache/facts-v1.bin");
    let mut raw = fs::read(&file).expect("read");
    let mid = raw.len() / 2;
    raw[mid] ^= 0x55;
    fs::write(&file, &raw).expect("write");
    let after = build(root, &options(root));
    assert_eq!(after.cache.misses, 7);
    assert_eq!(
        after.cache.rejected.as_deref(),
        Some("corrupt (checksum mismatch)")
    );
    assert_eq!(
        facts_of(&after),
        facts_of(&build(root, &BuildOptions::default()))
    );
    // Rebuilt: the next run is warm again.
    assert_eq!(build(root, &options(root)).cache.hits, 7);

    // A different set of queries (another spec) makes a foreign cache.
    let other = BuildOptions {
        query_texts: vec!["(unsafe_block) @violation".into()],
        ..options(root)
    };
    let foreign = build(root, &other);
    assert_eq!(foreign.cache.hits, 0);
    assert!(foreign.cache.rejected.is_some());

    // Garbage never panics.
    fs::write(&file, b"RIBOFCT\0garbage").expect("write");
    assert_eq!(build(root, &options(root)).cache.misses, 7);
}

#[test]
fn no_cache_writes_nothing() {
    let dir = repo();
    let root = dir.path();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ribo"))
        .args(["check", "--no-cache", "--color", "never"])
        .current_dir(root)
        .env_remove("RIBO_NO_CACHE")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(!root.join(".ribo-cache").exists());
    let with_cache = std::process::Command::new(env!("CARGO_BIN_EXE_ribo"))
        .args(["check", "--color", "never"])
        .current_dir(root)
        .env_remove("RIBO_NO_CACHE")
        .output()
        .expect("runs");
    assert!(root.join(".ribo-cache/facts-v1.bin").exists());
    let strip = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .lines()
            .filter(|l| !l.starts_with("ribo: "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&out.stdout), strip(&with_cache.stdout));
}

/// `--cache-dir` and `RIBO_CACHE_DIR` put the cache elsewhere (the option first), and nothing
/// is written in the repository then.
#[test]
fn the_cache_goes_where_the_option_or_the_environment_says() {
    let dir = repo();
    let root = dir.path();
    let by_option = tempfile::tempdir().expect("tempdir");
    let by_env = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str], env: Option<&Path>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ribo"));
        cmd.args(["check", "--color", "never"])
            .args(args)
            .current_dir(root)
            .env_remove("RIBO_NO_CACHE")
            .env_remove("RIBO_CACHE_DIR");
        if let Some(e) = env {
            cmd.env("RIBO_CACHE_DIR", e);
        }
        cmd.output().expect("runs").status.code()
    };
    let option_dir = by_option.path().to_string_lossy().into_owned();
    assert_eq!(
        run(&["--cache-dir", &option_dir], Some(by_env.path())),
        Some(1)
    );
    assert!(by_option.path().join("facts-v1.bin").exists());
    assert!(
        !by_env.path().join("facts-v1.bin").exists(),
        "the option comes first"
    );
    assert_eq!(run(&[], Some(by_env.path())), Some(1));
    assert!(by_env.path().join("facts-v1.bin").exists());
    assert!(
        !root.join(".ribo-cache").exists(),
        "nothing in the repository"
    );
}

/// Runs `ribo check` (human and JSON) with the cache in `.ribo-cache/` of `root`.
fn check_cached(root: &Path, extra: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ribo"))
        .args(["check", "--color", "never", "--format", "json"])
        .args(extra)
        .current_dir(root)
        .env_remove("RIBO_NO_CACHE")
        .env_remove("RIBO_CACHE_DIR")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The wall time is the only part of a report that may differ between runs.
    let stable: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.contains("\"elapsed"))
        .collect();
    (out.status.code().unwrap_or(-1), stable.join("\n"))
}

fn invariants_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invariants-forbid");
    copy_dir(&fixture, dir.path());
    dir
}

/// A run over exactly the input of the last one reuses its results (the results file is not
/// written again) and reports exactly what a run without any cache reports; a changed
/// source file, spec or manifest makes them be computed again.
#[test]
fn results_are_reused_only_for_the_same_input() {
    let dir = invariants_repo();
    let root = dir.path();
    let results = root.join(".ribo-cache/results-v1.bin");
    let uncached = check_cached(root, &["--no-cache"]);
    assert_eq!(uncached.0, 1, "{}", uncached.1);
    assert!(!results.exists());

    let cold = check_cached(root, &[]);
    assert_eq!(cold, uncached);
    let written = fs::read(&results).expect("results cached");
    let stamp = fs::metadata(&results)
        .and_then(|m| m.modified())
        .expect("mtime");

    let warm = check_cached(root, &[]);
    assert_eq!(warm, uncached);
    assert_eq!(
        fs::read(&results).expect("read"),
        written,
        "reused, not rewritten"
    );
    assert_eq!(
        fs::metadata(&results)
            .and_then(|m| m.modified())
            .expect("mtime"),
        stamp
    );

    // A source file changes: a new violation is reported, and the results are stored anew.
    let lib = root.join("src/lib.rs");
    let text = fs::read_to_string(&lib).expect("read");
    fs::write(&lib, format!("{text}\nfn added() {{ unsafe {{}} }}\n")).expect("write");
    let edited = check_cached(root, &[]);
    assert_ne!(edited, uncached);
    assert_eq!(edited, check_cached(root, &["--no-cache"]));
    let count = |s: &str| s.matches("\"code\"").count();
    assert_eq!(count(&edited.1), count(&uncached.1) + 1, "{}", edited.1);
    assert_ne!(fs::read(&results).expect("read"), written);

    // The spec changes (a severity): its results are not the old ones either.
    let spec = root.join("ribo.yaml");
    let yaml = fs::read_to_string(&spec).expect("read");
    fs::write(&spec, yaml.replace("severity: warning", "severity: error")).expect("write");
    let respec = check_cached(root, &[]);
    assert_ne!(respec, edited);
    assert_eq!(respec, check_cached(root, &["--no-cache"]));

    // A manifest changes (the package is renamed): computed again, same as uncached.
    let manifest = root.join("Cargo.toml");
    let toml = fs::read_to_string(&manifest).expect("read");
    fs::write(
        &manifest,
        format!("{toml}\n[dependencies]\nsqlx = \"0.8\"\n"),
    )
    .expect("write");
    let remanifest = check_cached(root, &[]);
    assert_eq!(remanifest, check_cached(root, &["--no-cache"]));
}

/// A corrupt or truncated results file is ignored (the run computes everything) and replaced.
#[test]
fn corrupt_results_are_never_trusted() {
    let dir = invariants_repo();
    let root = dir.path();
    let uncached = check_cached(root, &["--no-cache"]);
    check_cached(root, &[]);
    let results = root.join(".ribo-cache/results-v1.bin");
    let mut raw = fs::read(&results).expect("read");
    let mid = raw.len() / 2;
    raw[mid] ^= 0x55;
    fs::write(&results, &raw).expect("write");
    assert_eq!(check_cached(root, &[]), uncached);
    assert_ne!(fs::read(&results).expect("read"), raw, "replaced");
    for n in [0, 7, 30, raw.len() - 1] {
        fs::write(&results, &raw[..n]).expect("write");
        assert_eq!(check_cached(root, &[]), uncached);
    }
}

/// Stamps (size, times, inode) stand for content hashes between runs, but never hide an edit:
/// an edit that keeps the size and sets the modification time back is still seen (on Unix the
/// change time moves with any write and cannot be set back).
#[cfg(unix)]
#[test]
fn stamps_save_hashing_but_never_hide_an_edit() {
    let dir = repo();
    let root = dir.path();
    build(root, &options(root));
    let stamps = root.join(".ribo-cache/stamps-v1.bin");
    assert!(stamps.exists());
    // Files written less than two seconds before a run are not stamped (they could change
    // again within one tick of a coarse clock): wait until they are old enough.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let warm = build(root, &options(root));
    assert_eq!((warm.cache.hits, warm.cache.misses), (7, 0));
    let stamped = fs::metadata(&stamps).expect("stamps").len();
    assert!(stamped > 7 * 60, "every file is stamped: {stamped} bytes");

    let leaf = root.join("src/consumer/nested/leaf.rs");
    let modified = fs::metadata(&leaf)
        .expect("meta")
        .modified()
        .expect("mtime");
    let text = fs::read_to_string(&leaf).expect("read");
    let edited = text.replace("inner::i()", "inner::j()");
    assert_eq!(edited.len(), text.len());
    assert_ne!(edited, text);
    fs::write(&leaf, &edited).expect("write");
    fs::File::options()
        .write(true)
        .open(&leaf)
        .and_then(|f| f.set_modified(modified))
        .expect("mtime set back");
    let after = build(root, &options(root));
    assert_eq!((after.cache.hits, after.cache.misses), (6, 1));
    assert_eq!(
        facts_of(&after),
        facts_of(&build(root, &BuildOptions::default()))
    );
}

/// Changed mode decodes only the changed files' bodies from the cache, except when a
/// graph-wide rule reads every file's: an `env` contract must still see the variables read by
/// files that did not change (else each would be reported as never read).
#[test]
fn changed_mode_from_cached_facts_still_sees_every_files_env_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/contracts-env-clean");
    copy_dir(&fixture, root);
    let lib = root.join("src/lib.rs");
    let text = fs::read_to_string(&lib).expect("read");
    fs::write(&lib, format!("pub mod other;\n{text}")).expect("write");
    fs::write(root.join("src/other.rs"), "pub fn f() {}\n").expect("write");
    let (code, _) = check_cached(root, &[]);
    assert_eq!(code, 0);
    assert!(root.join(".ribo-cache/facts-v1.bin").exists());

    fs::write(root.join("src/other.rs"), "pub fn f() {}\n// edited\n").expect("write");
    let from_cache = check_cached(root, &["src/other.rs"]);
    let uncached = check_cached(root, &["src/other.rs", "--no-cache"]);
    assert_eq!(from_cache, uncached);
    assert_eq!(from_cache.0, 0, "{}", from_cache.1);
}

/// What resolution gave, as text: every edge (with its path as written), external use,
/// unresolved path and `use` target. A graph whose unchanged files' resolution came from the
/// snapshot must give exactly what a full resolution gives.
fn resolution_of(g: &FactGraph) -> String {
    let edges: Vec<_> = g.edges.iter().map(|e| (e, g.edge_path(e))).collect();
    let targets: Vec<_> = g.files.iter().map(|f| (&f.path, &f.use_targets)).collect();
    format!(
        "{edges:#?}\n{:#?}\n{:#?}\n{targets:#?}\n{:?}",
        g.external_uses, g.unresolved, g.warnings
    )
}

/// Asserts that `g` resolved exactly as a full resolution of the code under `root` does.
#[track_caller]
fn assert_resolves_as_full(root: &Path, g: &FactGraph) {
    assert_eq!(
        resolution_of(g),
        resolution_of(&build(root, &BuildOptions::default()))
    );
}

/// Options of a run that reads the bodies of `files` only (changed mode).
fn focused(root: &Path, files: &[&str]) -> BuildOptions {
    BuildOptions {
        bodies_for: Some(files.iter().map(|f| f.to_string()).collect()),
        ..options(root)
    }
}

/// Appends `tail` to the file at `rel` under `root`.
fn append(root: &Path, rel: &str, tail: &str) {
    let path = root.join(rel);
    let text = fs::read_to_string(&path).expect("read");
    fs::write(&path, format!("{text}{tail}")).expect("write");
}

fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
        dir.path(),
    );
    dir
}

#[test]
fn a_body_edit_resolves_only_the_edited_file_and_the_graph_is_the_same() {
    // Globs, re-exports, cycles, workspaces: an edit that keeps every file's interface (a
    // comment appended) takes every other file's resolution from the snapshot.
    for name in [
        "dependency-forms",
        "glob-imports",
        "cycle",
        "workspace",
        "contracts-exports",
    ] {
        let dir = fixture(name);
        let root = dir.path();
        let primed = build(root, &options(root));
        assert!(
            root.join(".ribo-cache/resolved-v2.bin").exists(),
            "{name}: a full resolution writes the snapshot"
        );
        let first = primed.files[0].path.clone();
        append(root, &first, "\n// edited\n");
        let after = build(root, &focused(root, &[&first]));
        assert_eq!(
            after.cache.resolutions_reused,
            primed.files.len() - 1,
            "{name}: every unchanged file's resolution is reused"
        );
        let full = build(root, &BuildOptions::default());
        assert_eq!(resolution_of(&after), resolution_of(&full), "{name}");
    }
}

#[test]
fn a_new_path_in_a_body_is_resolved_against_the_snapshot() {
    let dir = repo();
    let root = dir.path();
    let primed = build(root, &options(root));
    let leaf = "src/consumer/nested/leaf.rs";
    let text = fs::read_to_string(root.join(leaf)).expect("read");
    let edited = text.replace(
        "vec![crate::target::inner::i()]",
        "vec![crate::target::inner::i(), crate::target::inner::i()]",
    );
    assert_ne!(text, edited);
    fs::write(root.join(leaf), edited).expect("write");
    let after = build(root, &focused(root, &[leaf]));
    assert_eq!(after.cache.resolutions_reused, 6);
    assert_eq!(
        after.edges.len(),
        primed.edges.len() + 1,
        "the new path is an edge"
    );
    assert_resolves_as_full(root, &after);
}

#[test]
fn an_inline_module_added_resolves_only_the_files_that_can_see_it() {
    let dir = repo();
    let root = dir.path();
    build(root, &options(root));
    // An inline module added changes the module trees: the snapshot's modules are mapped
    // onto the new ones, and only the edited file is resolved again (no other file writes
    // `extra`).
    let leaf = "src/consumer/nested/leaf.rs";
    append(root, leaf, "pub mod extra {\n    pub fn e() {}\n}\n");
    let after = build(root, &focused(root, &[leaf]));
    assert_eq!(after.cache.resolutions_reused, 6);
    let full = build(root, &BuildOptions::default());
    assert_eq!(resolution_of(&after), resolution_of(&full));
    // The next run over the same structure writes its snapshot; the body edit after it
    // reuses that.
    build(root, &focused(root, &[leaf]));
    append(root, leaf, "// edited\n");
    let next = build(root, &focused(root, &[leaf]));
    assert_eq!(next.cache.resolutions_reused, 6);
    assert_eq!(resolution_of(&next), resolution_of(&full));
}

/// A `use` that binds a module and a macro of one name (`use crate::tool;` with `pub mod tool`
/// and `#[macro_export] macro_rules! tool` defined in `m`) remembers the module that defines
/// the macro. An inline module added before `m` shifts module ids: the snapshot's bindings
/// are mapped onto today's modules, the macro's module too, so the `use` resolves as it did
/// and only the edited file is resolved again (the macro's module left unmapped made the `use`
/// differ, its name changed, and every file that writes `tool` resolved again; on real code, a
/// glob reaching such a name made a whole focused run resolve everything).
#[test]
fn a_module_tree_edit_keeps_what_a_use_binds_as_a_macro() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let files: &[(&str, &str)] = &[
        (
            "Cargo.toml",
            "[package]\nname = \"tools\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        (
            "src/lib.rs",
            "pub mod a;\npub mod m;\npub mod tool {}\npub mod user;\n",
        ),
        ("src/a.rs", "pub fn a() {}\n"),
        (
            "src/m.rs",
            "#[macro_export]\nmacro_rules! tool {\n    () => {};\n}\n",
        ),
        (
            "src/user.rs",
            "use crate::tool;\npub fn f() {\n    tool!();\n}\n",
        ),
    ];
    common::write_files(root, files);
    let primed = build(root, &options(root));
    assert!(has_edge(&primed, "src/user.rs", "tool", "src/m.rs"));
    append(root, "src/a.rs", "pub mod extra {\n    pub fn e() {}\n}\n");
    let after = build(root, &focused(root, &["src/a.rs"]));
    assert_resolves_as_full(root, &after);
    assert!(has_edge(&after, "src/user.rs", "tool", "src/m.rs"));
    assert_eq!(after.cache.resolutions_reused, primed.files.len() - 1);
}

#[test]
fn a_corrupt_snapshot_is_never_trusted() {
    let dir = repo();
    let root = dir.path();
    build(root, &options(root));
    let snapshot = root.join(".ribo-cache/resolved-v2.bin");
    let mut raw = fs::read(&snapshot).expect("written");
    let mid = raw.len() / 2;
    raw[mid] ^= 0xff;
    fs::write(&snapshot, &raw).expect("write");
    let leaf = "src/consumer/nested/leaf.rs";
    let after = build(root, &focused(root, &[leaf]));
    assert_eq!(after.cache.resolutions_reused, 0);
    assert_resolves_as_full(root, &after);
    for n in [0, 10, raw.len() - 1] {
        fs::write(&snapshot, &raw[..n]).expect("write");
        assert_eq!(
            build(root, &focused(root, &[leaf]))
                .cache
                .resolutions_reused,
            0
        );
    }
}

#[test]
fn an_unchanged_focused_file_is_checked_whole() {
    // `ribo check FILE` on a file unchanged since the snapshot: its resolution is reused, but
    // its paths are still read, for `forbid.paths` invariants.
    let dir = fixture("invariants-forbid");
    let root = dir.path();
    let (_, full) = check_cached(root, &[]);
    let file = "src/domain/sql.rs";
    let (code, cached) = check_cached(root, &[file]);
    let (_, uncached) = check_cached(root, &[file, "--no-cache"]);
    assert_eq!(cached, uncached);
    assert_eq!(code, 1);
    assert!(cached.contains("sqlx::PgPool"), "{cached}");
    assert!(full.contains("sqlx::PgPool"));
    let after = build(root, &focused(root, &[file]));
    assert_eq!(after.cache.resolutions_reused, after.files.len());
    let sql = after.file(after.file_id(file).expect("listed"));
    assert!(
        !sql.facts.refs.is_empty(),
        "the focused file's paths are read"
    );
}

#[test]
fn edge_paths_of_unchanged_files_survive_a_lost_rest_file() {
    // Cycle hops show the paths of edges in unchanged files, read back from the facts cache;
    // with its references and bodies gone, from the files themselves.
    let dir = fixture("cycle");
    let root = dir.path();
    let primed = build(root, &options(root));
    fs::remove_file(root.join(".ribo-cache/facts-v1-rest.bin")).expect("written");
    let first = primed.files[0].path.clone();
    append(root, &first, "\n// edited\n");
    let after = build(root, &focused(root, &[&first]));
    assert_eq!(after.cache.resolutions_reused, primed.files.len() - 1);
    assert!(after.edges.iter().all(|e| !after.edge_path(e).is_empty()));
    assert_resolves_as_full(root, &after);
}

/// A crate whose paths reach names through globs and re-exports, for the item-name tests
/// (the names a path starts with are types: a path's first segment is looked up in the type
/// namespace):
/// - `a.rs` globs `b` and writes `helper::go` (no `helper` in `b` yet) and `existing::x`;
/// - `e.rs` globs `f` and re-exports `thing` (not in `f` yet) as `bee`; `c.rs` globs `e` and
///   writes `bee::call`, and `crate::d::bb::c` (`d.rs`: `pub use crate::f::thing as bb;`);
/// - `x.rs` re-exports (`pub use ..::*`, which other modules' globs see) `b` and then `sub`
///   (`b`'s inline module); `z.rs` globs `x` and writes `deep::w`, found in `b::sub` through
///   `x`'s second glob;
/// - `u.rs` globs `e` and writes `newname::deep` and `pick::deep` (neither bound anywhere yet);
/// - `other.rs` writes paths none of the edits touch;
/// - 64 more files, so that one edited file does not make the facts cache be rewritten (which
///   would read its references and bodies: a run that reads neither parses the few files whose
///   references it needs again, and that path is tested too).
fn names_repo() -> tempfile::TempDir {
    names_repo_with(64)
}

/// [`names_repo`] with `fill` more files.
fn names_repo_with(fill: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let files: &[(&str, &str)] = &[
        (
            "Cargo.toml",
            "[package]\nname = \"names\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        (
            "src/lib.rs",
            "pub mod a;\npub mod b;\npub mod c;\npub mod d;\npub mod e;\npub mod f;\n\
             pub mod other;\npub mod u;\npub mod x;\npub mod z;\n",
        ),
        (
            "src/a.rs",
            "use crate::b::*;\npub fn run() {\n    helper::go();\n    existing::x();\n}\n",
        ),
        (
            "src/b.rs",
            "pub struct existing;\npub mod sub {\n    pub fn deep() {}\n    pub struct deep {}\n}\n",
        ),
        (
            "src/c.rs",
            "use crate::e::*;\npub fn g() {\n    bee::call();\n    crate::d::bb::c();\n}\n",
        ),
        ("src/d.rs", "pub use crate::f::thing as bb;\n"),
        ("src/e.rs", "use crate::f::*;\npub use thing as bee;\n"),
        ("src/f.rs", "pub fn unrelated() {}\n"),
        (
            "src/other.rs",
            "pub fn o() {\n    crate::b::sub::deep();\n    std::mem::drop(1);\n}\n",
        ),
        (
            "src/u.rs",
            "use crate::e::*;\npub fn u() {\n    newname::deep();\n    pick::deep();\n}\n",
        ),
        (
            "src/x.rs",
            "pub use crate::b::*;\npub use sub::*;\npub fn k() {}\n",
        ),
        (
            "src/z.rs",
            "use crate::x::*;\npub fn q() {\n    deep::w();\n}\n",
        ),
    ];
    common::write_files(root, files);
    let mods: String = (0..fill).map(|i| format!("pub mod fill{i};\n")).collect();
    append(root, "src/lib.rs", &mods);
    for i in 0..fill {
        let text = format!("pub fn f{i}() {{\n    crate::b::sub::deep();\n}}\n");
        fs::write(root.join(format!("src/fill{i}.rs")), text).expect("write");
    }
    dir
}

/// Whether `g` has an edge from `from` written as `path` into the module of file `to`.
fn has_edge(g: &FactGraph, from: &str, path: &str, to: &str) -> bool {
    g.edges.iter().any(|e| {
        g.file(e.from).path == from && g.edge_path(e) == path && g.file(e.to_file).path == to
    })
}

fn is_unresolved(g: &FactGraph, file: &str, path: &str) -> bool {
    g.unresolved
        .iter()
        .any(|u| g.file(u.file).path == file && u.path == path)
}

#[test]
fn an_added_item_resolves_a_path_of_an_unchanged_file() {
    let dir = names_repo();
    let root = dir.path();
    let primed = build(root, &options(root));
    assert!(is_unresolved(&primed, "src/a.rs", "helper::go"));
    append(root, "src/b.rs", "pub struct helper;\n");
    // `other.rs`, unchanged, is read whole (its references and body from the facts cache): the
    // references of `a.rs` are then read from the cache too, not parsed again.
    let after = build(root, &focused(root, &["src/b.rs", "src/other.rs"]));
    let full = build(root, &BuildOptions::default());
    assert_eq!(resolution_of(&after), resolution_of(&full));
    assert!(has_edge(&after, "src/a.rs", "helper::go", "src/b.rs"));
    // Only `b.rs` (edited) and `a.rs` (which writes `helper`) are resolved again: every other
    // unchanged file's results come from the snapshot.
    assert_eq!(after.cache.resolutions_reused, primed.files.len() - 2);

    // The same over the snapshot that run wrote (its item names read from lean files), once
    // the facts cache lost the references of the files read without them: `a.rs` is resolved
    // again, its references read from the file itself.
    fs::remove_file(root.join(".ribo-cache/facts-v1-rest.bin")).expect("written");
    let b = root.join("src/b.rs");
    let text = fs::read_to_string(&b).expect("read");
    fs::write(&b, text.replace("pub struct helper;\n", "")).expect("write");
    let after = build(root, &focused(root, &["src/b.rs"]));
    assert_resolves_as_full(root, &after);
    assert!(is_unresolved(&after, "src/a.rs", "helper::go"));
    assert_eq!(after.cache.resolutions_reused, primed.files.len() - 2);
}

#[test]
fn a_removed_item_leaves_a_path_of_an_unchanged_file_unresolved() {
    let dir = names_repo();
    let root = dir.path();
    let primed = build(root, &options(root));
    assert!(has_edge(&primed, "src/a.rs", "existing::x", "src/b.rs"));
    let b = root.join("src/b.rs");
    let text = fs::read_to_string(&b).expect("read");
    fs::write(&b, text.replace("pub struct existing;\n", "")).expect("write");
    let after = build(root, &focused(root, &["src/b.rs"]));
    assert_resolves_as_full(root, &after);
    assert!(is_unresolved(&after, "src/a.rs", "existing::x"));
    assert!(after.cache.resolutions_reused > 0);
}

#[test]
fn an_item_change_follows_re_exports_into_other_files() {
    let dir = names_repo();
    let root = dir.path();
    let primed = build(root, &options(root));
    assert!(is_unresolved(&primed, "src/c.rs", "bee::call"));
    append(root, "src/f.rs", "pub struct thing;\n");
    let after = build(root, &focused(root, &["src/f.rs"]));
    assert_resolves_as_full(root, &after);
    // `thing` is now found through `e.rs`'s glob, so `bee` names `f`, and so does `bee::call`
    // in `c.rs`, which does not write `thing` at all.
    assert!(has_edge(&after, "src/c.rs", "bee::call", "src/f.rs"));
    assert!(after.cache.resolutions_reused > 0);
}

#[test]
fn an_item_change_under_a_glob_resolves_everything_again() {
    let dir = names_repo();
    let root = dir.path();
    let primed = build(root, &options(root));
    assert!(has_edge(&primed, "src/z.rs", "deep::w", "src/b.rs"));
    // `sub` in `x.rs` now names its own item, not `b::sub`: `use sub::*` brings in nothing,
    // and `deep` is no longer found from `z.rs`, which writes neither `sub` nor any new name.
    append(root, "src/x.rs", "pub struct sub;\n");
    let after = build(root, &focused(root, &["src/x.rs"]));
    assert_eq!(after.cache.resolutions_reused, 0);
    assert_resolves_as_full(root, &after);
    assert!(is_unresolved(&after, "src/z.rs", "deep::w"));
}

/// A `use` whose result depends on the order in which the first pass reaches it: `q.rs` is a
/// chain of 16 re-exports (`c0` imports `c1`, ..., `c15` is `crate::target`), just within the
/// resolver's depth limit when the chain is entered from its head. Once `p.rs` loses its item
/// `c0`, its `use c0 as t0;` finds `c0` through its glob of `q`, and enters the chain two levels
/// deep, before `q.rs`'s own turn: the whole chain is then too deep, as a full resolution finds.
/// `r.rs` writes none of the changed names (`c5::x`), yet its path now resolves otherwise: the
/// snapshot's `use` results are compared with the fresh ones, not only followed by name.
#[test]
fn a_use_reached_in_another_order_is_seen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let mut chain: String = (0..15)
        .map(|i| format!("pub use c{} as c{i};\n", i + 1))
        .collect();
    chain.push_str("pub use crate::target as c15;\n");
    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"order\"\nversion = \"0.1.0\"\nedition = \"2021\"\n".to_string(),
        ),
        (
            "src/lib.rs",
            "pub mod p;\npub mod q;\npub mod r;\npub mod target;\n".to_string(),
        ),
        (
            "src/p.rs",
            "use crate::q::*;\nuse c0 as t0;\npub struct c0;\n".to_string(),
        ),
        ("src/q.rs", chain),
        (
            "src/r.rs",
            "use crate::q::*;\npub fn f() {\n    c5::x();\n}\n".to_string(),
        ),
        ("src/target.rs", "pub fn x() {}\n".to_string()),
    ];
    common::write_files(root, &files);
    let primed = build(root, &options(root));
    assert!(has_edge(&primed, "src/r.rs", "c5::x", "src/target.rs"));
    let p = root.join("src/p.rs");
    let text = fs::read_to_string(&p).expect("read");
    fs::write(&p, text.replace("pub struct c0;\n", "")).expect("write");
    let after = build(root, &focused(root, &["src/p.rs"]));
    let full = build(root, &BuildOptions::default());
    assert!(
        is_unresolved(&full, "src/r.rs", "c5::x"),
        "{:?}",
        full.unresolved
    );
    assert_eq!(resolution_of(&after), resolution_of(&full));
    assert!(after.cache.resolutions_reused > 0);
    // `t0`'s fresh resolution reads `c1`'s snapshot result two levels deep, where the chain
    // below it no longer fits the depth limit: nothing is seeded.
    assert_eq!(after.cache.uses_seeded, 0);
}

/// How many `use`s of `g`'s files resolution reads (those of files a module tree reaches).
fn uses_in_crates(g: &FactGraph) -> usize {
    g.files
        .iter()
        .filter(|f| f.module.is_some())
        .map(|f| f.facts.uses.len())
        .sum()
}

/// Names mode takes from the snapshot the result of every `use` no changed name reaches: here
/// all but the edited file's own `use`s, and the results are those of a full run.
#[test]
fn names_mode_takes_the_uses_no_changed_name_reaches_from_the_snapshot() {
    let dir = names_repo();
    let root = dir.path();
    build(root, &options(root));
    append(root, "src/f.rs", "pub fn added() {}\n");
    let after = build(root, &focused(root, &["src/f.rs"]));
    assert_resolves_as_full(root, &after);
    let own = after
        .files
        .iter()
        .find(|f| f.path == "src/f.rs")
        .map_or(0, |f| f.facts.uses.len());
    assert!(uses_in_crates(&after) > own + 5);
    assert_eq!(after.cache.uses_seeded, uses_in_crates(&after) - own);
}

/// A repository whose glob imports lead back to themselves: resolving `a.rs`'s glob
/// `crate::b::y::*` looks for `y` through `b.rs`'s glob of `a`, whose own glob is the one being
/// resolved (an import cycle: what the first pass gives depends on which `use` it reaches
/// first). rustc (`rustc --emit=metadata` on the same modules inline) rejects `crate::b::y`,
/// and so `crate::a::fb` (`a` imports nothing); ribo leaves the glob unresolved whatever the
/// order, and a path through `a` names `a`.
fn cycle_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let files: &[(&str, &str)] = &[
        (
            "Cargo.toml",
            "[package]\nname = \"cycle\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        (
            "src/lib.rs",
            "pub mod a;\npub mod b;\npub mod other;\npub mod user;\n",
        ),
        ("src/a.rs", "pub use crate::b::y::*;\npub fn fa() {}\n"),
        ("src/b.rs", "pub use crate::a::*;\npub fn fb() {}\n"),
        (
            "src/other.rs",
            "use crate::b::fb;\npub fn o() {\n    fb();\n}\n",
        ),
        (
            "src/user.rs",
            "use crate::a::fa;\npub fn u() {\n    fa();\n}\n",
        ),
    ];
    common::write_files(root, files);
    dir
}

/// A `use` resolved again that reads a result an import cycle made (one the order of the first
/// pass may change) makes names mode resolve every `use` again, in file order, as a full run
/// does: nothing is seeded, and the results are a full run's.
#[test]
fn a_changed_use_that_reads_through_an_import_cycle_seeds_nothing() {
    let dir = cycle_repo();
    let root = dir.path();
    build(root, &options(root));
    replace(
        root,
        "src/user.rs",
        "use crate::a::fa;",
        "use crate::a::fb;",
    );
    replace(root, "src/user.rs", "    fa();", "    fb();");
    let after = build(root, &focused(root, &["src/user.rs"]));
    assert_resolves_as_full(root, &after);
    assert!(has_edge(&after, "src/user.rs", "crate::a::fb", "src/a.rs"));
    assert_eq!(after.cache.uses_seeded, 0);
}

/// An edit whose fresh `use`s read nothing an import cycle made still seeds the others, the
/// cycle's own `use`s included (their results are the snapshot's, as a full run finds them).
#[test]
fn an_import_cycle_elsewhere_does_not_stop_seeding() {
    let dir = cycle_repo();
    let root = dir.path();
    build(root, &options(root));
    append(root, "src/other.rs", "pub fn more() {}\n");
    let after = build(root, &focused(root, &["src/other.rs"]));
    assert_resolves_as_full(root, &after);
    assert!(after.cache.uses_seeded > 0);
    assert_eq!(after.cache.uses_seeded, uses_in_crates(&after) - 1);
}

/// Replaces `from` by `to` in the file at `rel` under `root` (which must hold it).
fn replace(root: &Path, rel: &str, from: &str, to: &str) {
    let path = root.join(rel);
    let text = fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{rel} holds {from:?}");
    fs::write(&path, text.replace(from, to)).expect("write");
}

#[test]
fn a_use_added_changed_or_removed_resolves_the_paths_that_see_it() {
    let dir = names_repo();
    let root = dir.path();
    let primed = build(root, &options(root));
    let files = primed.files.len();
    assert!(is_unresolved(&primed, "src/u.rs", "newname::deep"));
    let check = |edited: &str| {
        let after = build(root, &focused(root, &[edited]));
        assert_resolves_as_full(root, &after);
        after
    };
    // Added: `u.rs` now reaches `b::sub` through its glob of `e`. Only `e.rs` (edited) and
    // `u.rs` (which writes `newname`) are resolved again.
    append(root, "src/e.rs", "pub use crate::b::sub as newname;\n");
    let after = check("src/e.rs");
    assert!(has_edge(&after, "src/u.rs", "newname::deep", "src/b.rs"));
    assert_eq!(after.cache.resolutions_reused, files - 2);
    // Changed (the same name bound to something else), and another `use` added before it, so
    // that `e.rs`'s `use`s no longer match the snapshot's one for one: found by comparing what
    // the `use` binding `newname` resolves to now with what it did.
    replace(
        root,
        "src/e.rs",
        "pub use crate::b::sub as newname;",
        "pub use crate::b::sub as another;\npub use crate::f as newname;",
    );
    let after = check("src/e.rs");
    assert!(has_edge(&after, "src/u.rs", "newname::deep", "src/f.rs"));
    assert!(after.cache.resolutions_reused >= files - 2);
    // Removed.
    replace(root, "src/e.rs", "pub use crate::f as newname;\n", "");
    let after = check("src/e.rs");
    assert!(is_unresolved(&after, "src/u.rs", "newname::deep"));
    assert!(after.cache.resolutions_reused >= files - 2);
    // Renamed back, then pointed elsewhere in a file whose `use`s are otherwise the same, one
    // for one: compared by index.
    replace(
        root,
        "src/e.rs",
        "pub use crate::b::sub as another;",
        "pub use crate::b::sub as newname;",
    );
    let after = check("src/e.rs");
    assert!(has_edge(&after, "src/u.rs", "newname::deep", "src/b.rs"));
    replace(
        root,
        "src/e.rs",
        "crate::b::sub as newname",
        "crate::f as newname",
    );
    let after = check("src/e.rs");
    assert!(has_edge(&after, "src/u.rs", "newname::deep", "src/f.rs"));
    assert!(after.cache.resolutions_reused >= files - 2);
}

/// Two `use`s bind one name in one scope (as under `#[cfg]` alternatives): the first one binds
/// it. Swapping them changes no `use`'s result, but what the name resolves to (a `use ... as _`
/// put between them, which binds nothing, keeps the file's `use`s from matching the
/// snapshot's one for one: the bindings are compared).
#[test]
fn swapping_two_uses_of_one_name_rebinds_it() {
    let dir = names_repo();
    let root = dir.path();
    append(
        root,
        "src/e.rs",
        "#[cfg(unix)]\npub use crate::b::sub as pick;\n#[cfg(not(unix))]\npub use crate::f as pick;\n",
    );
    let primed = build(root, &options(root));
    assert!(has_edge(&primed, "src/u.rs", "pick::deep", "src/b.rs"));
    replace(
        root,
        "src/e.rs",
        "#[cfg(unix)]\npub use crate::b::sub as pick;\n#[cfg(not(unix))]\npub use crate::f as pick;\n",
        "#[cfg(not(unix))]\npub use crate::f as pick;\npub use crate::f as _;\n\
         #[cfg(unix)]\npub use crate::b::sub as pick;\n",
    );
    let after = build(root, &focused(root, &["src/e.rs"]));
    let full = build(root, &BuildOptions::default());
    assert_eq!(resolution_of(&after), resolution_of(&full));
    assert!(has_edge(&after, "src/u.rs", "pick::deep", "src/f.rs"));
    assert!(after.cache.resolutions_reused > 0);
}

#[test]
fn a_glob_use_added_resolves_everything_again() {
    let dir = names_repo();
    let root = dir.path();
    let primed = build(root, &options(root));
    assert!(is_unresolved(&primed, "src/u.rs", "newname::deep"));
    // `e.rs` globs a module that binds `newname`: a glob brings in no one name.
    fs::write(
        root.join("src/extra.rs"),
        "pub use crate::b::sub as newname;\n",
    )
    .expect("write");
    append(root, "src/lib.rs", "pub mod extra;\n");
    build(root, &options(root));
    append(root, "src/e.rs", "pub use crate::extra::*;\n");
    let after = build(root, &focused(root, &["src/e.rs"]));
    assert_eq!(after.cache.resolutions_reused, 0);
    assert_resolves_as_full(root, &after);
    assert!(has_edge(&after, "src/u.rs", "newname::deep", "src/b.rs"));
    // The same in a file that had no glob (`d.rs`).
    build(root, &options(root));
    append(root, "src/d.rs", "pub use crate::extra::*;\n");
    let after = build(root, &focused(root, &["src/d.rs"]));
    assert_eq!(after.cache.resolutions_reused, 0);
    assert_resolves_as_full(root, &after);
}

#[test]
fn a_mod_declaration_without_its_file_resolves_as_a_full_run() {
    let dir = names_repo();
    let root = dir.path();
    let primed = build(root, &options(root));
    // `e.rs` declares a module whose file is missing: no file is added, no module either
    // (a warning says so). `u.rs`, edited, writes `ghost`; its new item `w` is written by
    // `z.rs` (`deep::w()`), resolved again too.
    append(root, "src/e.rs", "pub mod ghost;\n");
    append(
        root,
        "src/u.rs",
        "pub fn w() {\n    crate::e::ghost::x();\n}\n",
    );
    let after = build(root, &focused(root, &["src/e.rs", "src/u.rs"]));
    assert_eq!(after.cache.resolutions_reused, primed.files.len() - 3);
    assert_resolves_as_full(root, &after);
}

/// A run in names mode leaves the snapshot as it was (writing it would cost that run as much
/// as its first pass); the next such run over the same snapshot and the same code structure
/// rewrites it, so that the runs after it take every file's resolution from the snapshot
/// again. While each run sees another structure (edit after edit), none rewrites it.
#[test]
fn the_second_run_in_names_mode_rewrites_the_snapshot() {
    // Enough files that two resolved again do not make the first run rewrite it anyway.
    let dir = names_repo_with(160);
    let root = dir.path();
    let primed = build(root, &options(root));
    let files = primed.files.len();
    let snapshot = root.join(".ribo-cache/resolved-v2.bin");
    let primed_snapshot = fs::read(&snapshot).expect("snapshot");
    for i in 0..3 {
        append(root, "src/e.rs", &format!("pub fn item{i}() {{}}\n"));
        let run = build(root, &focused(root, &["src/e.rs"]));
        assert_eq!(
            run.cache.resolutions_reused,
            files - 1,
            "names mode, edit {i}"
        );
    }
    assert_eq!(
        fs::read(&snapshot).expect("snapshot"),
        primed_snapshot,
        "not rewritten while each run saw another structure"
    );
    append(root, "src/e.rs", "pub use crate::b::sub as newname;\n");
    let first = build(root, &focused(root, &["src/e.rs"]));
    assert_eq!(first.cache.resolutions_reused, files - 2);
    let second = build(root, &focused(root, &["src/e.rs"]));
    assert_eq!(
        second.cache.resolutions_reused,
        files - 2,
        "still names mode"
    );
    let third = build(root, &focused(root, &["src/e.rs"]));
    assert_eq!(
        third.cache.resolutions_reused, files,
        "the new structure's snapshot"
    );
    let full = build(root, &BuildOptions::default());
    for run in [&first, &second, &third] {
        assert_eq!(resolution_of(run), resolution_of(&full));
    }
}

/// Drops the `#[cfg(test)]` before `pub mod {name};` in `src/lib.rs`, if any.
fn untest(root: &Path, name: &str) {
    let text = fs::read_to_string(root.join("src/lib.rs")).expect("read");
    let test = format!("#[cfg(test)]\npub mod {name};\n");
    fs::write(
        root.join("src/lib.rs"),
        text.replace(&test, &format!("pub mod {name};\n")),
    )
    .expect("write");
}

/// Module-tree edits in sequence — file modules added, deleted and renamed, inline modules
/// added before others (shifting scopes) and removed, orphan files added and then declared,
/// paths written to modules before and after they exist, `use super::*` in new test modules —
/// each followed by a focused run over the files it touched: every run resolves exactly as a
/// full resolution does, and most take files' results from the snapshot (its module ids
/// mapped onto the new trees, see `facts::incremental::reframe`).
#[test]
fn module_tree_edits_resolve_as_a_full_run() {
    for seed in [1u64, 7, 42] {
        let dir = names_repo_with(24);
        let root = dir.path();
        build(root, &options(root));
        let mut rng = Lcg(seed);
        let existing = ["a", "b", "c", "d", "e", "f", "other", "u", "x", "z"];
        let mut modules: Vec<String> = Vec::new();
        let mut inline: Vec<(String, String)> = Vec::new();
        let mut orphans: Vec<String> = Vec::new();
        // Modules that paths were written to before they existed: the next ones made.
        let mut wanted: Vec<String> = Vec::new();
        let mut reused_runs = 0;
        let steps = 36;
        for step in 0..steps {
            let mut changed: Vec<String> = Vec::new();
            let k = step;
            match rng.below(9) {
                0 => {
                    let name = wanted.pop().unwrap_or_else(|| format!("n{k}"));
                    let text = "use crate::b::*;\npub fn thing() {\n    existing();\n}\n\
                         pub mod inner {\n    pub fn deep() {}\n}\n#[cfg(test)]\nmod tests {\n    \
                         use super::*;\n    fn t() {\n        thing();\n        inner::deep();\n    \
                         }\n}\n";
                    fs::write(root.join(format!("src/{name}.rs")), text).expect("write");
                    append(root, "src/lib.rs", &format!("pub mod {name};\n"));
                    changed.extend(["src/lib.rs".to_string(), format!("src/{name}.rs")]);
                    modules.push(name);
                }
                1 if !modules.is_empty() => {
                    let name = modules.remove(rng.below(modules.len()));
                    untest(root, &name);
                    replace(root, "src/lib.rs", &format!("pub mod {name};\n"), "");
                    fs::remove_file(root.join(format!("src/{name}.rs"))).expect("rm");
                    changed.push("src/lib.rs".to_string());
                }
                2 if !modules.is_empty() => {
                    let i = rng.below(modules.len());
                    let new = format!("r{k}");
                    let old = std::mem::replace(&mut modules[i], new.clone());
                    untest(root, &old);
                    replace(
                        root,
                        "src/lib.rs",
                        &format!("pub mod {old};\n"),
                        &format!("pub mod {new};\n"),
                    );
                    fs::rename(
                        root.join(format!("src/{old}.rs")),
                        root.join(format!("src/{new}.rs")),
                    )
                    .expect("rename");
                    changed.extend(["src/lib.rs".to_string(), format!("src/{new}.rs")]);
                }
                3 => {
                    let file = existing[rng.below(existing.len())];
                    let rel = format!("src/{file}.rs");
                    let block = format!("pub mod i{k} {{\n    pub fn deep() {{}}\n}}\n");
                    let text = fs::read_to_string(root.join(&rel)).expect("read");
                    fs::write(root.join(&rel), format!("{block}{text}")).expect("write");
                    inline.push((rel.clone(), block));
                    changed.push(rel);
                }
                4 if !inline.is_empty() => {
                    let (rel, block) = inline.remove(rng.below(inline.len()));
                    replace(root, &rel, &block, "");
                    changed.push(rel);
                }
                5 => {
                    let file = existing[rng.below(existing.len())];
                    let rel = format!("src/{file}.rs");
                    // To a module that exists (or is an orphan), or one that comes later.
                    let present: Vec<&String> = modules.iter().chain(&orphans).collect();
                    let target = match rng.below(2) {
                        0 if !present.is_empty() => present[rng.below(present.len())].clone(),
                        _ => {
                            wanted.push(format!("m{k}"));
                            format!("m{k}")
                        }
                    };
                    let via = inline
                        .get(rng.below(inline.len().max(1)))
                        .map(|(r, b)| {
                            let m = r.trim_start_matches("src/").trim_end_matches(".rs");
                            let i = b.trim_start_matches("pub mod ").split(' ').next();
                            format!("crate::{m}::{}::deep", i.unwrap_or(""))
                        })
                        .unwrap_or_else(|| "crate::b::sub::deep".to_string());
                    append(
                        root,
                        &rel,
                        &format!(
                            "pub fn w{k}() {{\n    crate::{target}::thing();\n    {via}();\n}}\n"
                        ),
                    );
                    changed.push(rel);
                }
                6 => {
                    let name = wanted.pop().unwrap_or_else(|| format!("o{k}"));
                    let rel = format!("src/{name}.rs");
                    fs::write(
                        root.join(&rel),
                        "pub fn thing() {\n    super::b::existing();\n}\n",
                    )
                    .expect("write");
                    orphans.push(name);
                    changed.push(rel);
                }
                7 if !orphans.is_empty() => {
                    let name = orphans.remove(rng.below(orphans.len()));
                    append(root, "src/lib.rs", &format!("pub mod {name};\n"));
                    changed.push("src/lib.rs".to_string());
                    modules.push(name);
                }
                8 if !modules.is_empty() => {
                    // Test code or not: the module's files' edges change their test flag.
                    let name = &modules[rng.below(modules.len())];
                    let (plain, test) = (
                        format!("pub mod {name};\n"),
                        format!("#[cfg(test)]\npub mod {name};\n"),
                    );
                    let text = fs::read_to_string(root.join("src/lib.rs")).expect("read");
                    let toggled = match text.contains(&test) {
                        true => text.replace(&test, &plain),
                        false => text.replace(&plain, &test),
                    };
                    fs::write(root.join("src/lib.rs"), toggled).expect("write");
                    changed.push("src/lib.rs".to_string());
                }
                _ => {
                    append(root, "src/a.rs", &format!("// body edit {k}\n"));
                    changed.push("src/a.rs".to_string());
                }
            }
            let only: Vec<&str> = changed.iter().map(String::as_str).collect();
            let after = build(root, &focused(root, &only));
            let full = build(root, &BuildOptions::default());
            assert_eq!(
                resolution_of(&after),
                resolution_of(&full),
                "seed {seed}, step {step}, files {changed:?}"
            );
            if after.cache.resolutions_reused > 0 {
                reused_runs += 1;
            }
        }
        assert!(
            reused_runs * 4 >= steps * 3,
            "seed {seed}: only {reused_runs} of {steps} runs reused the snapshot"
        );
    }
}

/// Where the first of two lists differ, if they do.
fn first_difference<T: PartialEq + std::fmt::Debug>(
    what: &str,
    a: &[T],
    b: &[T],
) -> Option<String> {
    if a == b {
        return None;
    }
    let at = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    Some(format!(
        "{what}: {} against {}; first difference at {at}: {:?} against {:?}",
        a.len(),
        b.len(),
        a.get(at),
        b.get(at)
    ))
}

/// The first difference between two graphs' resolutions (see [`resolution_of`], which is too
/// large to print on a real repository).
fn resolution_difference(a: &FactGraph, b: &FactGraph) -> Option<String> {
    let targets = |g: &FactGraph| -> Vec<_> {
        g.files
            .iter()
            .map(|f| (f.path.clone(), f.use_targets.clone()))
            .collect()
    };
    first_difference("edges", &a.edges, &b.edges)
        .or_else(|| first_difference("external uses", &a.external_uses, &b.external_uses))
        .or_else(|| first_difference("unresolved", &a.unresolved, &b.unresolved))
        .or_else(|| first_difference("use targets", &targets(a), &targets(b)))
        .or_else(|| first_difference("warnings", &a.warnings, &b.warnings))
}

/// Module-tree edits on a real repository (`RIBO_CORPUS`, e.g. the large benchmark corpus;
/// `bench/changed-equivalence.sh` runs this; `RIBO_EVERY=n` samples every n-th file): for a
/// sample of its files in turn, an inline module appended, a new file declared by a `mod` the
/// file gains, or the file deleted (its `mod` left dangling). After each, a focused run resolves exactly as a full run over
/// the same caches does. Every file is restored.
#[test]
#[ignore = "needs a corpus: RIBO_CORPUS=dir (bench/changed-equivalence.sh)"]
fn corpus_module_tree_edits_resolve_as_a_full_run() {
    let corpus = std::env::var_os("RIBO_CORPUS").expect("RIBO_CORPUS names the corpus");
    let root = Path::new(&corpus);
    let every: usize = std::env::var("RIBO_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let cache = tempfile::tempdir().expect("tempdir");
    let options = |bodies_for: Option<Vec<String>>| BuildOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        bodies_for: bodies_for.map(|files| files.into_iter().collect()),
        ..BuildOptions::default()
    };
    let primed = build(root, &options(None));
    let files: Vec<String> = primed
        .files
        .iter()
        .map(|f| f.path.clone())
        .filter(|p| p.contains("/src/"))
        .collect();
    let mut checked = 0;
    let mut reused = 0;
    for (n, rel) in files.iter().step_by(every).enumerate() {
        let path = root.join(rel);
        let saved = fs::read(&path).expect("read");
        let name = rel.rsplit('/').next().unwrap_or("");
        // A new module's file: next to a `lib.rs`/`mod.rs`/`main.rs`, else in the directory
        // named after the file.
        let dir = match name {
            "lib.rs" | "mod.rs" | "main.rs" => path.parent().expect("dir").to_path_buf(),
            _ => path.with_extension(""),
        };
        let made_dir = !dir.exists();
        let new_file = dir.join("reframe_probe_new.rs");
        let (kind, changed): (&str, Vec<String>) = match n % 3 {
            0 => {
                append(
                    root,
                    rel,
                    "\npub mod reframe_probe {\n    pub fn x() {}\n}\n",
                );
                ("inline module added", vec![rel.clone()])
            }
            1 => {
                fs::create_dir_all(&dir).expect("mkdir");
                fs::write(&new_file, "pub fn x() {\n    super::x();\n}\n").expect("write");
                append(root, rel, "\npub mod reframe_probe_new;\n");
                let new_rel = new_file
                    .strip_prefix(root)
                    .expect("under the root")
                    .to_string_lossy()
                    .replace('\\', "/");
                ("file added", vec![rel.clone(), new_rel])
            }
            _ => {
                fs::remove_file(&path).expect("rm");
                ("file deleted", Vec::new())
            }
        };
        let after = build(root, &options(Some(changed)));
        let full = build(root, &options(None));
        fs::write(&path, &saved).expect("restore");
        if kind == "file added" {
            fs::remove_file(&new_file).expect("rm");
            if made_dir {
                fs::remove_dir(&dir).expect("rmdir");
            }
        }
        if let Some(diff) = resolution_difference(&after, &full) {
            panic!("{rel}, {kind}: {diff}");
        }
        eprintln!(
            "same  {rel}, {kind}: {} of {} files' results from the snapshot",
            after.cache.resolutions_reused,
            after.files.len()
        );
        checked += 1;
        reused += usize::from(after.cache.resolutions_reused > 0);
    }
    assert!(checked > 0, "no file sampled");
    eprintln!("== {checked} edits: all resolved as full runs; {reused} reused the snapshot");
}

/// The crate a `#[macro_use] extern crate` names, changed (its binding kept): every bare
/// macro call of the crate resolves into the other crate, though none writes the binding.
/// Names mode resolves everything again, as a full run does.
#[test]
fn an_extern_crate_that_names_another_crate_resolves_everything_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let files: &[(&str, &str)] = &[
        (
            "Cargo.toml",
            "[package]\nname = \"m\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nlog = \"0.4\"\ntracing = \"0.1\"\n",
        ),
        (
            "src/lib.rs",
            "#[macro_use]\nextern crate log as lg;\npub mod a;\n",
        ),
        ("src/a.rs", "pub fn f() {\n    info!(\"x\");\n}\n"),
    ];
    common::write_files(root, files);
    let before = build(root, &options(root));
    let crates = |g: &FactGraph| -> Vec<String> {
        g.external_uses
            .iter()
            .map(|u| u.package.to_string())
            .collect()
    };
    assert!(
        crates(&before).contains(&"log".to_string()),
        "{:?}",
        crates(&before)
    );
    replace(
        root,
        "src/lib.rs",
        "extern crate log as lg",
        "extern crate tracing as lg",
    );
    let after = build(root, &focused(root, &["src/lib.rs"]));
    assert_resolves_as_full(root, &after);
    assert!(
        !crates(&after).contains(&"log".to_string()),
        "{:?}",
        crates(&after)
    );
}

/// Writing the snapshot removes the one of the format before (`resolved-v1.bin`), which no
/// run reads any more.
#[test]
fn the_snapshot_of_the_format_before_is_removed() {
    let dir = repo();
    let root = dir.path();
    let cache = root.join(".ribo-cache");
    fs::create_dir_all(&cache).expect("mkdir");
    fs::write(cache.join("resolved-v1.bin"), b"old").expect("write");
    build(root, &options(root));
    assert!(cache.join("resolved-v2.bin").exists());
    assert!(!cache.join("resolved-v1.bin").exists());
}
