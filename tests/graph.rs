//! `ribo graph`: the boundary and module graphs as DOT and Mermaid, violating edges apart.

mod common;

use std::path::Path;

use common::{fixture, settings, transcript};

fn snapshot(name: &str, dir: &Path, args: &[&str]) {
    let mut all = vec!["graph"];
    all.extend_from_slice(args);
    let text = format!("$ ribo {}\n{}", all.join(" "), transcript(dir, &all));
    settings().bind(|| insta::assert_snapshot!(name.to_string(), text));
}

fn shop() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop")
}

#[test]
fn boundary_graph_of_the_example_as_dot() {
    snapshot("graph_shop_dot", &shop(), &[]);
}

#[test]
fn boundary_graph_of_the_example_as_mermaid() {
    snapshot("graph_shop_mermaid", &shop(), &["--format", "mermaid"]);
}

#[test]
fn module_graph_of_the_example() {
    snapshot("graph_shop_modules_dot", &shop(), &["--modules"]);
    snapshot(
        "graph_shop_modules_mermaid",
        &shop(),
        &["--modules", "--format", "mermaid"],
    );
}

#[test]
fn layer_violation_and_unused_allowances() {
    snapshot("graph_layer", &fixture("layer"), &["--format", "mermaid"]);
    snapshot(
        "graph_unused_allowance",
        &fixture("unused-allowance"),
        &["--unused"],
    );
}

#[test]
fn workspace_modules() {
    snapshot(
        "graph_workspace_modules",
        &fixture("workspace"),
        &["--modules"],
    );
}

/// The README embeds the example's graph: it must be what `ribo graph` prints today.
#[test]
fn readme_graph_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, stdout, _) =
        common::run_in(root, &["graph", "examples/shop", "--format", "mermaid"]);
    assert_eq!(code, 0);
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let block = format!("```mermaid\n{stdout}```\n");
    assert!(
        readme.contains(&block),
        "README.md's mermaid block differs from `ribo graph examples/shop --format mermaid`:\n{stdout}"
    );
}
