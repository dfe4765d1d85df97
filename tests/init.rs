//! `ribo init`: the spec it writes loads, and `ribo check` passes with it, on every fixture, on
//! the example, and on ribo itself; it never overwrites a spec unasked.

mod common;

use std::fs;
use std::path::Path;

use common::{fixture, run_in, settings, transcript};

/// Copies a directory tree (files and directories only).
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create dir");
    let mut entries: Vec<_> = fs::read_dir(from)
        .expect("read dir")
        .map(|e| e.expect("entry"))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let kind = e.file_type().expect("file type");
        let target = to.join(e.file_name());
        if kind.is_dir() {
            copy_dir(&e.path(), &target);
        } else if kind.is_file() {
            fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// A copy of `dir` without its ribo.yaml.
fn without_spec(dir: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_dir(dir, tmp.path());
    let _ = fs::remove_file(tmp.path().join("ribo.yaml"));
    tmp
}

/// The codes `ribo check --format json` reports in `dir`, with its exit status.
fn check_codes(dir: &Path) -> (i32, Vec<String>) {
    let (code, stdout, stderr) = run_in(dir, &["check", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("check output is JSON ({e}):\n{stdout}\n{stderr}"));
    let codes = report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| v["code"].as_str().expect("code").to_string())
        .collect();
    (code, codes)
}

/// Runs init in a copy of `dir`, checks the spec loads, and returns the copy.
fn init_copy(dir: &Path) -> tempfile::TempDir {
    let tmp = without_spec(dir);
    let (code, stdout, stderr) = run_in(tmp.path(), &["init"]);
    assert_eq!(
        code,
        0,
        "init failed in {}:\n{stdout}\n{stderr}",
        dir.display()
    );
    let spec = tmp.path().join("ribo.yaml");
    if let Err(e) = ribo::spec::load(&spec) {
        panic!(
            "the spec written for {} does not load: {e:?}",
            dir.display()
        );
    }
    tmp
}

/// Fixtures whose code no spec can make pass, and why.
const NO_SPEC_PASSES: &[(&str, &str)] = &[
    (
        "suppressions",
        "malformed and reasonless `// ribo:` comments are errors whatever the spec says",
    ),
    (
        "formats",
        "its `// ribo: allow(invariant::no-panics-in-domain)` excuses an invariant only its own \
         spec declares; an inferred spec cannot know it, so the suppression is stale",
    ),
];

#[test]
fn init_then_check_passes_on_every_fixture_with_a_valid_spec() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut dirs: Vec<_> = fs::read_dir(&root)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("ribo.yaml").is_file() && ribo::spec::load(&p.join("ribo.yaml")).is_ok())
        .collect();
    dirs.sort();
    assert!(dirs.len() > 20, "fixtures found: {}", dirs.len());
    for dir in dirs {
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let tmp = init_copy(&dir);
        let (code, codes) = check_codes(tmp.path());
        if NO_SPEC_PASSES.iter().any(|(n, _)| *n == name) {
            assert_eq!(code, 1, "{name}");
            continue;
        }
        assert_eq!(
            code, 0,
            "`ribo check` fails after `ribo init` in {name}: {codes:?}"
        );
        // Nothing is left to report: the tangles of today are in the baseline init wrote.
        assert!(codes.is_empty(), "{name}: {codes:?}");
    }
}

/// The example's deliberate drift tangles its boundaries: `ribo init` records the tangle in a
/// baseline, `ribo check` then reports nothing, and a boundary joining the tangle fails it.
#[test]
fn init_then_check_passes_on_the_example_and_a_new_cycle_fails() {
    let tmp = init_copy(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop"));
    let spec = fs::read_to_string(tmp.path().join("ribo.yaml")).expect("spec");
    assert!(spec.contains("  cycles: error\n"), "{spec}");
    let baseline = fs::read_to_string(tmp.path().join("ribo-baseline.json")).expect("baseline");
    assert!(
        baseline.contains("\"code\": \"boundary::cycle\""),
        "{baseline}"
    );
    let (code, codes) = check_codes(tmp.path());
    assert_eq!((code, codes), (0, Vec::new()));
    // `api` joins the tangle (`app`, `domain`, `infra`): it uses `app`, and now `infra` uses it.
    let infra = tmp.path().join("src/infra/mod.rs");
    let text = fs::read_to_string(&infra).expect("infra");
    fs::write(
        &infra,
        format!("{text}\npub fn joins() {{ let _ = crate::api::serve; }}\n"),
    )
    .expect("write");
    let (code, codes) = check_codes(tmp.path());
    assert_eq!(code, 1, "{codes:?}");
    assert!(codes.contains(&"boundary::cycle".to_string()), "{codes:?}");
}

#[test]
fn init_spec_of_the_example() {
    let tmp = without_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop"));
    let text = transcript(tmp.path(), &["init", "--stdout"]);
    settings().bind(|| insta::assert_snapshot!("init_shop", text));
}

#[test]
fn init_spec_of_ribo_itself() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = transcript(root, &["init", "--stdout"]);
    settings().bind(|| insta::assert_snapshot!("init_ribo", text));
}

#[test]
fn init_spec_of_a_workspace_has_one_boundary_per_package() {
    let tmp = without_spec(&fixture("workspace"));
    let (code, stdout, _) = run_in(tmp.path(), &["init", "--stdout"]);
    assert_eq!(code, 0);
    // The system is named after the directory, which is random here.
    let text = stdout
        .lines()
        .map(|l| {
            if l.starts_with("  name: ") {
                "  name: [DIR]"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    settings().bind(|| insta::assert_snapshot!("init_workspace", text));
}

#[test]
fn init_reports_what_no_spec_can_allow() {
    let tmp = without_spec(&fixture("suppressions"));
    let text = transcript(tmp.path(), &["init"]);
    settings().bind(|| insta::assert_snapshot!("init_suppressions", text));
}

#[test]
fn init_never_overwrites_a_spec_unless_forced() {
    let tmp = without_spec(&fixture("layer-clean"));
    fs::write(tmp.path().join("ribo.yaml"), "version: 1\n").expect("write");
    let refused = transcript(tmp.path(), &["init"]);
    assert_eq!(
        fs::read_to_string(tmp.path().join("ribo.yaml")).expect("read"),
        "version: 1\n"
    );
    let forced = transcript(tmp.path(), &["init", "--force"]);
    assert!(ribo::spec::load(&tmp.path().join("ribo.yaml")).is_ok());
    let text = format!("$ ribo init\n{refused}\n$ ribo init --force\n{forced}");
    settings().bind(|| insta::assert_snapshot!("init_overwrite", text));
}

#[test]
fn init_without_rust_code_is_an_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = transcript(tmp.path(), &["init"]);
    assert!(!tmp.path().join("ribo.yaml").exists());
    settings().bind(|| insta::assert_snapshot!("init_no_code", text));
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// The spec init prints for `dir`, after checking that `ribo check` passes with it cleanly.
fn init_clean(dir: &Path) -> String {
    let (code, stdout, stderr) = run_in(dir, &["init"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let (code, codes) = check_codes(dir);
    assert_eq!((code, codes), (0, vec![]));
    fs::read_to_string(dir.join("ribo.yaml")).expect("spec")
}

#[test]
fn init_handles_a_crate_with_awkward_modules() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"my-app\"\nversion = \"0.1.0\"\n",
    );
    write(
        root,
        "src/lib.rs",
        "mod root;\nmod util;\npub mod api;\n#[path = \"weird/place.rs\"]\nmod placed;\nmod inline { pub fn i() {} }\n",
    );
    write(root, "src/root.rs", "pub fn r() { crate::util::u() }\n");
    write(root, "src/util.rs", "pub fn u() { println!(\"x\") }\n");
    write(root, "src/api/mod.rs", "pub mod v1;\n");
    write(
        root,
        "src/api/v1.rs",
        "pub fn f() { crate::root::r(); crate::placed::p(); }\n",
    );
    write(root, "src/weird/place.rs", "pub fn p() {}\n");
    write(root, "src/orphan.rs", "pub fn o() {}\n");
    write(
        root,
        "src/bin/tool.rs",
        "fn main() { my_app::api::v1::f(); std::process::exit(0) }\n",
    );
    write(root, "build.rs", "fn main() {}\n");
    write(
        root,
        "examples/demo.rs",
        "fn main() { my_app::api::v1::f() }\n",
    );
    write(
        root,
        "tests/it.rs",
        "#[test]\nfn t() { my_app::api::v1::f(); }\n",
    );
    write(
        root,
        "fixtures/other/Cargo.toml",
        "[package]\nname = \"other\"\n",
    );
    write(
        root,
        "fixtures/other/src/lib.rs",
        "pub fn x() { unsafe {} }\n",
    );
    let spec = init_clean(root);
    settings().bind(|| insta::assert_snapshot!("init_awkward_crate", spec));
}

#[test]
fn init_handles_a_workspace_with_a_root_package_and_glob_members() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"top\"\n[dependencies]\nalpha = { path = \"crates/alpha\" }\n[workspace]\nmembers = [\"crates/*\"]\n",
    );
    write(root, "src/main.rs", "fn main() { alpha::a(); }\n");
    write(
        root,
        "crates/alpha/Cargo.toml",
        "[package]\nname = \"alpha\"\n[dependencies]\nBeta-Two = { path = \"../beta\" }\nserde = \"1\"\n",
    );
    write(
        root,
        "crates/alpha/src/lib.rs",
        "pub fn a() { Beta_Two::b() }\nuse serde::Serialize;\n",
    );
    write(
        root,
        "crates/beta/Cargo.toml",
        "[package]\nname = \"Beta-Two\"\n",
    );
    write(
        root,
        "crates/beta/src/lib.rs",
        "/// Documented.\npub fn b() {}\n",
    );
    write(
        root,
        "vendor/thing/Cargo.toml",
        "[package]\nname = \"thing\"\n",
    );
    write(root, "vendor/thing/src/lib.rs", "pub fn t() {}\n");
    let spec = init_clean(root);
    let spec = spec
        .lines()
        .map(|l| {
            if l.starts_with("  name: ") {
                "  name: [DIR]"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    settings().bind(|| insta::assert_snapshot!("init_workspace_glob_members", spec));
}
