//! A change that is not written: `ribo check --patch FILE|-`, `--stdin-path PATH` and `--new`,
//! in temporary copies of `tests/fixtures/changed`. What is reported is what `ribo check
//! FILE...` reports once the change is written; nothing is written meanwhile (the tree and
//! the cache directory are compared byte for byte before and after).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use common::{copy_dir, fixture, settings};

fn shop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_dir(&fixture("changed"), dir.path());
    dir
}

/// `ribo <args>` in `dir` with `stdin`, the cache on (in `dir/.ribo-cache`): exit status,
/// stdout and stderr as one transcript.
fn run(dir: &Path, args: &[&str], stdin: &[u8]) -> String {
    let args: Vec<&str> = args.iter().copied().chain(["--color", "never"]).collect();
    let mut child = common::spawn_piped(dir, &args);
    let mut input = child.stdin.take().expect("stdin");
    // A refused run may exit before reading all of it.
    let _ = input.write_all(stdin);
    drop(input);
    let out = child.wait_with_output().expect("ribo ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked at"), "ribo panicked:\n{stderr}");
    let mut s = format!("exit: {}\n", out.status.code().unwrap_or(-1));
    if !out.stdout.is_empty() {
        s.push_str("--- stdout\n");
        s.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    if !stderr.is_empty() {
        s.push_str("--- stderr\n");
        s.push_str(&stderr);
    }
    s
}

/// Every file under `dir` (the cache directory included), by relative path.
fn bytes_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).expect("lists") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("under").display().to_string();
                out.insert(rel, fs::read(&p).expect("reads"));
            }
        }
    }
    out
}

const COMPACT: [&str; 3] = ["check", "--format", "compact"];

fn args<'a>(more: &[&'a str]) -> Vec<&'a str> {
    COMPACT
        .iter()
        .copied()
        .chain(more.iter().copied())
        .collect()
}

/// The domain reaching into infra, and the `unwrap` in `domain/model.rs` fixed.
const DOMAIN_USES_INFRA: &str = "\
diff --git a/src/domain/model.rs b/src/domain/model.rs
index 1111111..2222222 100644
--- a/src/domain/model.rs
+++ b/src/domain/model.rs
@@ -3,5 +3,6 @@ pub struct Order {
 }
 
 pub fn parse(s: &str) -> Order {
-    Order { id: s.parse().unwrap() }
+    let id = s.parse().unwrap_or(0);
+    Order { id: crate::infra::store(&Order { id }) }
 }
";

#[test]
fn a_patch_is_checked_as_if_written_and_nothing_is_written() {
    let dir = shop();
    let root = dir.path();
    // A first run fills the cache; the proposed change must leave it as it is.
    let plain = run(root, &COMPACT, b"");
    let before = bytes_of(root);
    let proposed = run(root, &args(&["--patch", "-"]), DOMAIN_USES_INFRA.as_bytes());
    assert_eq!(bytes_of(root), before, "the patch wrote something");
    assert_eq!(
        run(root, &COMPACT, b""),
        plain,
        "the next run saw the patch"
    );
    // What `ribo check FILE` says once the change is written.
    let patch = dir.path().join("change.diff");
    fs::write(&patch, DOMAIN_USES_INFRA).expect("write the patch");
    let from_file = run(root, &args(&["--patch", "change.diff"]), b"");
    fs::remove_file(&patch).expect("remove the patch");
    let model = root.join("src/domain/model.rs");
    let text = fs::read_to_string(&model).expect("reads");
    let written = text.replace(
        "    Order { id: s.parse().unwrap() }\n",
        "    let id = s.parse().unwrap_or(0);\n    Order { id: crate::infra::store(&Order { id }) }\n",
    );
    fs::write(&model, written).expect("write the change");
    let named = run(root, &args(&["src/domain/model.rs"]), b"");
    assert_eq!(proposed, named);
    assert_eq!(from_file, named);
    settings().bind(|| insta::assert_snapshot!("proposed_patch", proposed));
}

#[test]
fn every_shape_of_a_git_patch_is_applied() {
    let dir = shop();
    let root = dir.path();
    // Modified (two hunks), added, deleted, renamed with a change: what `git diff -M` writes.
    let patch = "\
diff --git a/src/lib.rs b/src/lib.rs
index 1..2 100644
--- a/src/lib.rs
+++ b/src/lib.rs
@@ -1,3 +1,4 @@
 pub mod app;
 pub mod domain;
 pub mod infra;
+pub mod extra;
diff --git a/src/extra.rs b/src/extra.rs
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/src/extra.rs
@@ -0,0 +1,3 @@
+pub fn extra() -> u32 {
+    \"1\".parse().unwrap()
+}
diff --git a/src/domain/rules.rs b/src/domain/rules.rs
deleted file mode 100644
index 4..0000000
--- a/src/domain/rules.rs
+++ /dev/null
@@ -1,3 +0,0 @@
-pub fn valid(id: u32) -> bool {
-    id > 0
-}
diff --git a/src/domain/mod.rs b/src/domain/mod.rs
index 5..6 100644
--- a/src/domain/mod.rs
+++ b/src/domain/mod.rs
@@ -1,2 +1,2 @@
 pub mod model;
-pub mod rules;
+pub mod checks;
diff --git a/src/infra/json.rs b/src/domain/checks.rs
similarity index 60%
rename from src/infra/json.rs
rename to src/domain/checks.rs
index 7..8 100644
--- a/src/infra/json.rs
+++ b/src/domain/checks.rs
@@ -1,5 +1,5 @@
 use serde::Serialize;
 
-pub fn encode<T: Serialize>(_value: &T) -> String {
-    String::new()
+pub fn encode<T: Serialize>(_value: &T) -> crate::infra::json::Missing {
+    todo!()
 }
";
    let before = bytes_of(root);
    let text = run(root, &args(&["--patch", "-"]), patch.as_bytes());
    assert_eq!(bytes_of(root), before);
    settings().bind(|| insta::assert_snapshot!("proposed_patch_shapes", text));
}

#[test]
fn stdin_path_checks_the_content_of_an_existing_or_a_new_file() {
    let dir = shop();
    let root = dir.path();
    let before = bytes_of(root);
    let existing = run(
        root,
        &args(&["--stdin-path", "src/infra/mod.rs"]),
        b"use crate::app;\npub fn store(_o: &crate::domain::model::Order) -> u32 { app::place(\"1\") }\n",
    );
    // A new file, named by an absolute path (as agents and editors pass them), in a new directory.
    let new_path = root.join("src/infra/cloud/mod.rs");
    let new = run(
        root,
        &args(&["--stdin-path", new_path.to_str().expect("utf-8")]),
        b"pub fn up() -> u32 {\n    \"1\".parse().unwrap()\n}\n",
    );
    assert_eq!(bytes_of(root), before);
    settings().bind(|| {
        insta::assert_snapshot!("proposed_stdin_existing", existing);
        insta::assert_snapshot!("proposed_stdin_new", new);
    });
}

#[test]
fn new_reports_only_what_the_change_introduces_and_counts_what_it_fixes() {
    let dir = shop();
    let root = dir.path();
    // `app/mod.rs` has an `unwrap` already. The change moves it two lines down (not new), adds
    // another (new), and removes the one of `domain/model.rs` (fixed).
    let patch = "\
--- a/src/app/mod.rs
+++ b/src/app/mod.rs
@@ -1,6 +1,9 @@
 use crate::domain::model::Order;
 use crate::infra;
 
+/// Places an order.
+///
 pub fn place(id: &str) -> u32 {
+    let _n: u32 = \"2\".parse().unwrap();
     let order = Order { id: id.parse().unwrap() };
     infra::store(&order)
--- a/src/domain/model.rs
+++ b/src/domain/model.rs
@@ -5,3 +5,3 @@
 pub fn parse(s: &str) -> Order {
-    Order { id: s.parse().unwrap() }
+    Order { id: s.parse().unwrap_or(0) }
 }
";
    let everything = run(root, &args(&["--patch", "-"]), patch.as_bytes());
    let new = run(root, &args(&["--patch", "-", "--new"]), patch.as_bytes());
    let json = run(
        root,
        &["check", "--format", "json", "--patch", "-", "--new"],
        patch.as_bytes(),
    );
    let clean = run(
        root,
        &args(&["--stdin-path", "src/domain/rules.rs", "--new"]),
        b"pub fn valid(id: u32) -> bool {\n    id != 0\n}\n",
    );
    settings().bind(|| {
        insta::assert_snapshot!("proposed_new_all", everything);
        insta::assert_snapshot!("proposed_new", new);
        insta::assert_snapshot!("proposed_new_clean", clean);
    });
    assert!(json.contains("\"added_errors\": 1"), "{json}");
    assert!(json.contains("\"fixed\": 1"), "{json}");
}

#[test]
fn a_change_to_the_spec_is_checked_as_the_spec() {
    let dir = shop();
    let root = dir.path();
    let loosened = "\
--- a/ribo.yaml
+++ b/ribo.yaml
@@ -14,7 +14,7 @@
     interface: [\"src/domain/mod.rs\", \"src/domain/model.rs\"]
   infra:
     paths: [\"src/infra/**\"]
-    may_use: [domain]
+    may_use: [domain, app]
     crates: [serde]
 invariants:
   - id: no-unwrap
";
    let broken = "\
--- a/ribo.yaml
+++ b/ribo.yaml
@@ -14,7 +14,7 @@
     interface: [\"src/domain/mod.rs\", \"src/domain/model.rs\"]
   infra:
     paths: [\"src/infra/**\"]
-    may_use: [domain]
+    may_use: [domain, nowhere]
     crates: [serde]
 invariants:
   - id: no-unwrap
";
    let text = format!(
        "{}{}",
        run(root, &args(&["--patch", "-"]), loosened.as_bytes()),
        run(root, &args(&["--patch", "-"]), broken.as_bytes())
    );
    settings().bind(|| insta::assert_snapshot!("proposed_spec", text));
}

#[test]
fn a_patch_that_cannot_be_applied_or_leaves_the_repository_is_refused() {
    let dir = shop();
    let root = dir.path();
    let outside = tempfile::tempdir().expect("a temporary directory");
    fs::write(outside.path().join("x.rs"), "fn x() {}\n").expect("write");
    std::os::unix::fs::symlink(outside.path(), root.join("out")).expect("symlink");
    run(root, &COMPACT, b"");
    let before = bytes_of(root);
    let cases: [(&str, &str); 7] = [
        (
            "does not apply",
            "--- a/src/domain/model.rs\n+++ b/src/domain/model.rs\n@@ -1,2 +1,2 @@\n pub struct Order {\n-    pub id: u64,\n+    pub id: u32,\n",
        ),
        (
            "binary",
            "diff --git a/logo.png b/logo.png\nindex 1..2 100644\nGIT binary patch\nliteral 4\nabcd\n",
        ),
        (
            "absolute",
            "--- /etc/hosts\n+++ /etc/hosts\n@@ -1 +1 @@\n-a\n+b\n",
        ),
        (
            "parent",
            "--- a/../x.rs\n+++ b/../x.rs\n@@ -1 +1 @@\n-fn x() {}\n+fn y() {}\n",
        ),
        (
            "through a link",
            "--- a/out/x.rs\n+++ b/out/x.rs\n@@ -1 +1 @@\n-fn x() {}\n+fn y() {}\n",
        ),
        ("not a diff", "hello\n"),
        (
            "cut short",
            "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,4 @@\n pub mod app;\n",
        ),
    ];
    let mut text = String::new();
    for (name, patch) in cases {
        text.push_str(&format!("## {name}\n"));
        text.push_str(&run(root, &args(&["--patch", "-"]), patch.as_bytes()));
    }
    text.push_str("## stdin-path outside\n");
    let target = outside.path().join("x.rs");
    text.push_str(
        &run(
            root,
            &args(&["--stdin-path", target.to_str().expect("utf-8")]),
            b"fn x() {}\n",
        )
        .replace(&outside.path().display().to_string(), "[OUTSIDE]")
        .replace(
            &root
                .canonicalize()
                .expect("canonical")
                .display()
                .to_string(),
            "[ROOT]",
        ),
    );
    text.push_str("## stdin-path through a link\n");
    text.push_str(&run(
        root,
        &args(&["--stdin-path", "out/x.rs"]),
        b"fn x() {}\n",
    ));
    assert_eq!(bytes_of(root), before, "a refused change wrote something");
    settings().bind(|| insta::assert_snapshot!("proposed_refused", text));
}

#[test]
fn a_real_git_diff_is_read() {
    let dir = shop();
    let root = dir.path();
    common::commit_all(root);
    fs::write(
        root.join("src/domain/rules.rs"),
        "pub fn valid(id: u32) -> bool {\n    crate::infra::store(&crate::domain::model::Order { id }) > 0\n}\n",
    )
    .expect("write");
    let diff = common::git(root, &["diff"]);
    common::git(root, &["checkout", "-q", "--", "."]);
    // From a subdirectory: git's paths start at the repository's top.
    let text = run(&root.join("src"), &args(&["--patch", "-"]), &diff);
    settings().bind(|| insta::assert_snapshot!("proposed_git_diff", text));
}

#[test]
fn new_with_changed_or_named_files_compares_with_the_files_at_the_base() {
    let dir = shop();
    let root = dir.path();
    common::commit_all(root);
    // The same edit as the patch of the test above, written: one unwrap added above the old
    // one (moved, not new), the one of domain/model.rs fixed.
    let app = root.join("src/app/mod.rs");
    let text = fs::read_to_string(&app).expect("reads");
    fs::write(
        &app,
        text.replace(
            "pub fn place(id: &str) -> u32 {\n",
            "/// Places an order.\n///\npub fn place(id: &str) -> u32 {\n    let _n: u32 = \"2\".parse().unwrap();\n",
        ),
    )
    .expect("edit");
    let model = root.join("src/domain/model.rs");
    let text = fs::read_to_string(&model).expect("reads");
    fs::write(
        &model,
        text.replace("s.parse().unwrap()", "s.parse().unwrap_or(0)"),
    )
    .expect("edit");
    let text = format!(
        "{}{}",
        run(root, &args(&["--changed", "--new"]), b""),
        run(root, &args(&["src/app/mod.rs", "--new"]), b"")
    );
    settings().bind(|| insta::assert_snapshot!("proposed_new_changed", text));
}

#[test]
fn a_proposed_baseline_is_read_as_proposed() {
    let dir = shop();
    let root = dir.path();
    let patch = r#"--- /dev/null
+++ b/ribo-baseline.json
@@ -0,0 +1,11 @@
+{
+  "version": 1,
+  "entries": [
+    {
+      "fingerprint": "86ba54d2d066b14c",
+      "code": "invariant::no-unwrap",
+      "file": "src/app/mod.rs",
+      "message": "breaks invariant `no-unwrap`"
+    }
+  ]
+}
--- a/src/app/mod.rs
+++ b/src/app/mod.rs
@@ -1,2 +1,3 @@
+// Placing orders.
 use crate::domain::model::Order;
 use crate::infra;
"#;
    let text = run(root, &args(&["--patch", "-"]), patch.as_bytes());
    assert!(
        text.contains("ribo: no violations in 1 of 7 files; 1 baselined"),
        "{text}"
    );
}
