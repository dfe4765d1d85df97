//! ribo can run on untrusted pull requests: it reads the checked repository and nothing
//! else happens to it. It never builds or runs anything from it (no build script, no proc
//! macro, no cargo), and no command of this suite writes into it: after every run, the tree
//! is byte-identical (contents, names, kinds and permissions) and has no new file.
//! `tests/fixtures/build-script` holds a build script and a proc macro that would leave marker
//! files if they ever ran. See docs/reliability.md.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Everything observable about a tree: per relative path, its kind, permissions and bytes
/// (a link's target for a symbolic link).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (String, u32, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, (String, u32, Vec<u8>)>) {
        for entry in fs::read_dir(dir).expect("readable").flatten() {
            let path = entry.path();
            let meta = fs::symlink_metadata(&path).expect("metadata");
            let rel = path.strip_prefix(root).expect("under root").to_path_buf();
            #[cfg(unix)]
            let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions());
            #[cfg(not(unix))]
            let mode = u32::from(meta.permissions().readonly());
            if meta.file_type().is_symlink() {
                let target = fs::read_link(&path).expect("link");
                let target = target.to_string_lossy().as_bytes().to_vec();
                out.insert(rel, ("link".into(), mode, target));
            } else if meta.is_dir() {
                out.insert(rel, ("dir".into(), mode, Vec::new()));
                walk(root, &path, out);
            } else {
                out.insert(rel, ("file".into(), mode, fs::read(&path).expect("read")));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).expect("readable").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every read-only command ribo has, in each of its output forms.
const COMMANDS: &[&[&str]] = &[
    &["check"],
    &["check", "--format", "json"],
    &["check", "--quiet", "--strict", "--deny-warnings"],
    &["facts"],
    &["contract", "snapshot", "crate"],
    &["explain", "input::unchecked"],
    &["schema"],
];

#[test]
fn no_command_changes_the_checked_repository() {
    for fixture in ["build-script", "input-problems", "workspace"] {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_tree(&common::fixture(fixture), dir.path());
        // Links too: ribo must not follow them out, nor touch what they point to.
        #[cfg(unix)]
        std::os::unix::fs::symlink("/", dir.path().join("escape")).expect("symlink");
        let before = snapshot(dir.path());
        assert!(before.len() > 3, "{fixture}: nothing to compare");
        for args in COMMANDS {
            let (code, _, stderr) = common::run_in(dir.path(), args);
            assert!(
                code == 0 || code == 1,
                "{fixture} {args:?}: exit {code}: {stderr}"
            );
            let after = snapshot(dir.path());
            let added: Vec<_> = after.keys().filter(|k| !before.contains_key(*k)).collect();
            assert!(added.is_empty(), "{fixture} {args:?} created {added:?}");
            assert!(after == before, "{fixture} {args:?} changed the tree");
        }
    }
}

#[test]
fn build_scripts_and_proc_macros_are_never_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&common::fixture("build-script"), dir.path());
    let text = common::transcript(dir.path(), &["check"]);
    // The violation inside the proc-macro-annotated function is found from the source...
    common::settings().bind(|| insta::assert_snapshot!("build_script_not_run", text));
    // ...and neither the build script nor the macro ran.
    for marker in ["BUILD_SCRIPT_RAN", "SHELL_RAN", "PROC_MACRO_RAN"] {
        assert!(!dir.path().join(marker).exists(), "{marker} exists");
    }
    // The fixture is real: its build script would leave the marker if run (it is compiled
    // here only when rustc is at hand, as it is wherever these tests are built).
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let exe = dir.path().join("target-build-script");
    let compiled = std::process::Command::new(&rustc)
        .arg(dir.path().join("build.rs"))
        .arg("-o")
        .arg(&exe)
        .status()
        .is_ok_and(|s| s.success());
    assert!(compiled, "the fixture's build.rs compiles");
    let ran = std::process::Command::new(&exe)
        .env("CARGO_MANIFEST_DIR", dir.path())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ran && dir.path().join("BUILD_SCRIPT_RAN").exists());
}
