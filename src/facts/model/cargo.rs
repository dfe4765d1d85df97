//! Cargo packages and workspaces, read from `Cargo.toml` as TOML. Cargo is never run.
//!
//! For each package: its name, its edition (`package.edition`, inherited from
//! `[workspace.package]`; Cargo's default, 2015, when none is set), its targets (lib, main,
//! `src/bin/*`, examples, tests, benches, the build script; explicit `[[bin]]`-style tables and
//! auto-discovered ones, each with its own `edition` when it sets one) and its declared
//! dependencies (`[dependencies]`, `[dev-dependencies]`, `[build-dependencies]`, their
//! `target.'cfg(..)'` forms, renames through `package = ".."`, `workspace = true`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::Warning;

/// What a Cargo target builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    Lib,
    Bin,
    Example,
    Test,
    Bench,
    /// The build script (`build.rs`): a crate of its own, run by Cargo before the others.
    Build,
}

/// A Rust edition: what paths mean (2015: `use` paths start at the crate root).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Edition {
    #[serde(rename = "2015")]
    E2015,
    #[serde(rename = "2018")]
    E2018,
    #[serde(rename = "2021")]
    E2021,
    #[serde(rename = "2024")]
    E2024,
}

impl Edition {
    /// The edition a manifest value names (`"2021"`); `None` for anything else.
    pub fn parse(text: &str) -> Option<Edition> {
        match text {
            "2015" => Some(Edition::E2015),
            "2018" => Some(Edition::E2018),
            "2021" => Some(Edition::E2021),
            "2024" => Some(Edition::E2024),
            _ => None,
        }
    }
}

impl TargetKind {
    /// Test and bench targets are test code.
    pub fn is_test(self) -> bool {
        matches!(self, TargetKind::Test | TargetKind::Bench)
    }
}

/// One crate a package builds: its kind, crate name and root file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub kind: TargetKind,
    /// The crate name as code refers to it (`-` replaced by `_`).
    pub name: String,
    /// Root file, relative to the checked root.
    pub root: String,
    pub edition: Edition,
}

/// The section a dependency is declared in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DepKind {
    Normal,
    Dev,
    Build,
}

/// A dependency declared in a Cargo.toml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    /// The name code uses (`-` replaced by `_`; the rename key when `package =` is set).
    pub name: String,
    /// The package name on the registry (or in the workspace).
    pub package: String,
    pub kind: DepKind,
}

impl Dependency {
    /// The code names it otherwise than its package (`json = { package = "serde_json" }`),
    /// `-` and `_` aside.
    pub fn is_renamed(&self) -> bool {
        self.name != self.package.replace('-', "_")
    }
}

/// A Cargo package: name, directory, targets and dependencies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    /// The package's edition (a target may set its own: see [`Target::edition`]).
    pub edition: Edition,
    /// Directory of the manifest relative to the root (`""` for the root itself).
    pub dir: String,
    pub manifest: String,
    pub targets: Vec<Target>,
    pub dependencies: Vec<Dependency>,
    /// Directory of the workspace this package is a member of (its own directory for a
    /// workspace root package); `None` outside any workspace. (Used by `ribo init` to tell
    /// the project's packages from nested fixtures and examples.)
    #[serde(skip)]
    pub workspace: Option<String>,
}

impl Package {
    /// The library target, if the package has one.
    pub fn lib(&self) -> Option<&Target> {
        self.targets.iter().find(|t| t.kind == TargetKind::Lib)
    }
}

/// A `[workspace]` table: its members (as globs) and inheritable dependencies.
#[derive(Debug, Clone, Default)]
struct Workspace {
    dir: String,
    members: Vec<String>,
    dependencies: BTreeMap<String, String>,
    /// `[workspace.package] edition`, for members that inherit it.
    edition: Option<Edition>,
}

/// Reads every manifest. `read` returns a manifest's text (relative path in), `rust_files` is
/// the sorted set of `.rs` files found by the walk (used for target auto-discovery).
pub fn read_packages(
    manifests: &[String],
    rust_files: &BTreeSet<&str>,
    read: impl Fn(&str) -> Result<String, String>,
    warnings: &mut Vec<Warning>,
) -> Vec<Package> {
    let mut tables = Vec::new();
    for manifest in manifests {
        let text = match read(manifest) {
            Ok(text) => text,
            Err(e) => {
                warnings.push(Warning::new(manifest, format!("could not be read: {e}")));
                continue;
            }
        };
        match text.parse::<toml::Table>() {
            Ok(table) => tables.push((manifest.clone(), table)),
            Err(e) => warnings.push(Warning::new(
                manifest,
                format!("is not valid TOML, its package is ignored: {}", e.message()),
            )),
        }
    }
    let workspaces: Vec<Workspace> = tables
        .iter()
        .filter_map(|(m, t)| workspace_of(m, t))
        .collect();
    for ws in &workspaces {
        check_members(ws, &tables, warnings);
    }
    let mut packages: Vec<Package> = tables
        .iter()
        .filter_map(|(manifest, table)| package_of(manifest, table, &workspaces, rust_files))
        .collect();
    packages.sort_by(|a, b| a.dir.cmp(&b.dir).then(a.name.cmp(&b.name)));
    packages
}

/// The package a repository without any Cargo.toml is taken to be: a root package named
/// `name` whose targets are found by Cargo's conventions (`src/lib.rs`, `src/main.rs`,
/// `src/bin/*`, `tests/`...), with no declared dependencies.
pub fn guessed_package(name: &str, rust_files: &BTreeSet<&str>) -> Option<Package> {
    let mut package = toml::Table::new();
    package.insert("name".into(), toml::Value::String(name.to_string()));
    let mut table = toml::Table::new();
    table.insert("package".into(), toml::Value::Table(package));
    package_of("Cargo.toml", &table, &[], rust_files)
}

/// The directory part of a relative path (`""` for a top-level file).
pub fn parent_dir(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// Joins a relative directory and a relative path, resolving `.` and `..` textually.
/// Returns `None` when the result would leave the root.
pub fn join(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for seg in rel.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

fn workspace_of(manifest: &str, table: &toml::Table) -> Option<Workspace> {
    let ws = table.get("workspace")?.as_table()?;
    let members = ws
        .get("members")
        .and_then(|m| m.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut dependencies = BTreeMap::new();
    if let Some(deps) = ws.get("dependencies").and_then(|d| d.as_table()) {
        for (key, value) in deps {
            dependencies.insert(key.clone(), package_name(key, value));
        }
    }
    let edition = ws
        .get("package")
        .and_then(|p| p.get("edition"))
        .and_then(|e| e.as_str())
        .and_then(Edition::parse);
    Some(Workspace {
        dir: parent_dir(manifest).to_string(),
        members,
        dependencies,
        edition,
    })
}

/// Warns about workspace members (non-glob) whose manifest is missing.
fn check_members(ws: &Workspace, tables: &[(String, toml::Table)], warnings: &mut Vec<Warning>) {
    for member in &ws.members {
        if member.contains(['*', '?', '[', '{']) {
            continue;
        }
        let Some(dir) = join(&ws.dir, member) else {
            continue;
        };
        let manifest = if dir.is_empty() {
            "Cargo.toml".to_string()
        } else {
            format!("{dir}/Cargo.toml")
        };
        if !tables.iter().any(|(m, _)| *m == manifest) {
            let ws_manifest = if ws.dir.is_empty() {
                "Cargo.toml".to_string()
            } else {
                format!("{}/Cargo.toml", ws.dir)
            };
            warnings.push(Warning::new(
                ws_manifest,
                format!("workspace member `{member}` has no Cargo.toml (looked for {manifest})"),
            ));
        }
    }
}

fn package_name(key: &str, value: &toml::Value) -> String {
    value
        .as_table()
        .and_then(|t| t.get("package"))
        .and_then(|p| p.as_str())
        .unwrap_or(key)
        .to_string()
}

fn crate_name(name: &str) -> String {
    name.replace('-', "_")
}

fn package_of(
    manifest: &str,
    table: &toml::Table,
    workspaces: &[Workspace],
    rust_files: &BTreeSet<&str>,
) -> Option<Package> {
    let pkg = table.get("package")?.as_table()?;
    let name = pkg.get("name")?.as_str()?.to_string();
    let dir = parent_dir(manifest).to_string();
    let ws = workspaces
        .iter()
        .filter(|w| dir.starts_with(&w.dir))
        .max_by_key(|w| w.dir.len());
    // `edition = "2021"`, or `edition.workspace = true`; Cargo's default is 2015.
    let edition = match pkg.get("edition") {
        Some(toml::Value::String(e)) => Edition::parse(e),
        Some(toml::Value::Table(t))
            if t.get("workspace").and_then(|w| w.as_bool()) == Some(true) =>
        {
            ws.and_then(|w| w.edition)
        }
        _ => None,
    }
    .unwrap_or(Edition::E2015);
    let targets = targets_of(&name, &dir, table, rust_files, edition);
    let dependencies = dependencies_of(table, ws);
    let workspace = workspaces
        .iter()
        .filter(|w| is_member(w, &dir))
        .max_by_key(|w| w.dir.len())
        .map(|w| w.dir.clone());
    Some(Package {
        name,
        edition,
        dir,
        manifest: manifest.to_string(),
        targets,
        dependencies,
        workspace,
    })
}

/// Is the package in `dir` a member of `ws`: the workspace's own package, or listed (exactly
/// or by glob) in its `members`?
fn is_member(ws: &Workspace, dir: &str) -> bool {
    if ws.dir == dir {
        return true;
    }
    ws.members.iter().any(|member| {
        let Some(joined) = join(&ws.dir, member) else {
            return false;
        };
        if member.contains(['*', '?', '[', '{']) {
            globset::GlobBuilder::new(&joined)
                .literal_separator(true)
                .build()
                .is_ok_and(|g| g.compile_matcher().is_match(dir))
        } else {
            joined == dir
        }
    })
}

fn dependencies_of(table: &toml::Table, ws: Option<&Workspace>) -> Vec<Dependency> {
    let mut out = Vec::new();
    let mut add_tables = |t: &toml::Table| {
        for (section, kind) in [
            ("dependencies", DepKind::Normal),
            ("dev-dependencies", DepKind::Dev),
            ("dev_dependencies", DepKind::Dev),
            ("build-dependencies", DepKind::Build),
            ("build_dependencies", DepKind::Build),
        ] {
            let Some(deps) = t.get(section).and_then(|d| d.as_table()) else {
                continue;
            };
            for (key, value) in deps {
                let inherited = value
                    .as_table()
                    .and_then(|v| v.get("workspace"))
                    .and_then(|w| w.as_bool())
                    .unwrap_or(false);
                let package = match (inherited, ws) {
                    (true, Some(ws)) => ws
                        .dependencies
                        .get(key)
                        .cloned()
                        .unwrap_or_else(|| key.clone()),
                    _ => package_name(key, value),
                };
                out.push(Dependency {
                    name: crate_name(key),
                    package,
                    kind,
                });
            }
        }
    };
    add_tables(table);
    if let Some(targets) = table.get("target").and_then(|t| t.as_table()) {
        for cfg in targets.values().filter_map(|v| v.as_table()) {
            add_tables(cfg);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.kind.cmp(&b.kind)));
    out.dedup_by(|a, b| a.name == b.name && a.package == b.package);
    out
}

fn file_in(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

fn targets_of(
    package: &str,
    dir: &str,
    table: &toml::Table,
    rust_files: &BTreeSet<&str>,
    edition: Edition,
) -> Vec<Target> {
    let mut targets: Vec<Target> = Vec::new();
    let exists = |p: &str| rust_files.contains(p);
    // A target table may set its own edition.
    let own_edition = |t: Option<&toml::Table>| {
        t.and_then(|t| t.get("edition"))
            .and_then(|e| e.as_str())
            .and_then(Edition::parse)
            .unwrap_or(edition)
    };
    let push_in = |targets: &mut Vec<Target>, kind, name: &str, root: String, edition| {
        if exists(&root) && !targets.iter().any(|t| t.root == root) {
            targets.push(Target {
                kind,
                name: crate_name(name),
                root,
                edition,
            });
        }
    };
    let push = |targets: &mut Vec<Target>, kind, name: &str, root: String| {
        push_in(targets, kind, name, root, edition)
    };
    // Explicit targets first: they may move roots away from the defaults.
    let lib = table.get("lib").and_then(|l| l.as_table());
    let lib_name = lib
        .and_then(|l| l.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or(package);
    let lib_root = lib
        .and_then(|l| l.get("path"))
        .and_then(|p| p.as_str())
        .and_then(|p| join(dir, p))
        .unwrap_or_else(|| file_in(dir, "src/lib.rs"));
    push_in(
        &mut targets,
        TargetKind::Lib,
        lib_name,
        lib_root,
        own_edition(lib),
    );
    // The build script: `package.build = "path"`, `build.rs` by default, none with `false`.
    let build = match table
        .get("package")
        .and_then(|p| p.as_table())
        .and_then(|p| p.get("build"))
    {
        Some(toml::Value::String(p)) => join(dir, p),
        Some(toml::Value::Boolean(false)) => None,
        _ => Some(file_in(dir, "build.rs")),
    };
    if let Some(root) = build {
        push(&mut targets, TargetKind::Build, "build_script_build", root);
    }
    for (key, kind, default_dir) in [
        ("bin", TargetKind::Bin, "src/bin"),
        ("example", TargetKind::Example, "examples"),
        ("test", TargetKind::Test, "tests"),
        ("bench", TargetKind::Bench, "benches"),
    ] {
        let Some(list) = table.get(key).and_then(|b| b.as_array()) else {
            continue;
        };
        for t in list.iter().filter_map(|t| t.as_table()) {
            let Some(name) = t.get("name").and_then(|n| n.as_str()) else {
                continue;
            };
            let root = match t.get("path").and_then(|p| p.as_str()) {
                Some(p) => join(dir, p),
                None if kind == TargetKind::Bin && name == package => {
                    Some(file_in(dir, "src/main.rs"))
                }
                None => {
                    let single = file_in(dir, &format!("{default_dir}/{name}.rs"));
                    if exists(&single) {
                        Some(single)
                    } else {
                        Some(file_in(dir, &format!("{default_dir}/{name}/main.rs")))
                    }
                }
            };
            if let Some(root) = root {
                push_in(&mut targets, kind, name, root, own_edition(Some(t)));
            }
        }
    }
    // Auto-discovered targets.
    push(
        &mut targets,
        TargetKind::Bin,
        package,
        file_in(dir, "src/main.rs"),
    );
    for (kind, sub) in [
        (TargetKind::Bin, "src/bin"),
        (TargetKind::Example, "examples"),
        (TargetKind::Test, "tests"),
        (TargetKind::Bench, "benches"),
    ] {
        let prefix = file_in(dir, sub) + "/";
        let candidates: Vec<(String, String)> = rust_files
            .range(prefix.as_str()..)
            .take_while(|f| f.starts_with(&prefix))
            .filter_map(|f| {
                let rest = &f[prefix.len()..];
                match rest.split('/').collect::<Vec<_>>().as_slice() {
                    [file] => file
                        .strip_suffix(".rs")
                        .map(|n| (n.to_string(), f.to_string())),
                    [sub, "main.rs"] => Some((sub.to_string(), f.to_string())),
                    _ => None,
                }
            })
            .collect();
        for (name, root) in candidates {
            push(&mut targets, kind, &name, root);
        }
    }
    targets.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.root.cmp(&b.root)));
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packages(files: &[(&str, &str)], rs: &[&str]) -> (Vec<Package>, Vec<Warning>) {
        let manifests: Vec<String> = files.iter().map(|(p, _)| p.to_string()).collect();
        let rust: BTreeSet<&str> = rs.iter().copied().collect();
        let mut warnings = Vec::new();
        let read = |p: &str| {
            files
                .iter()
                .find(|(q, _)| *q == p)
                .map(|(_, t)| t.to_string())
                .ok_or_else(|| "missing".to_string())
        };
        let pkgs = read_packages(&manifests, &rust, read, &mut warnings);
        (pkgs, warnings)
    }

    #[test]
    fn targets_and_renamed_dependencies() {
        let (pkgs, warnings) = packages(
            &[(
                "Cargo.toml",
                "[package]\nname = \"my-app\"\n[dependencies]\nserde = \"1\"\nfoo = { package = \"bar-baz\", version = \"1\" }\n[dev-dependencies]\ninsta = \"1\"\n",
            )],
            &["src/lib.rs", "src/main.rs", "src/bin/tool.rs", "tests/it.rs", "examples/demo/main.rs", "benches/b.rs"],
        );
        assert!(warnings.is_empty());
        let p = &pkgs[0];
        let t: Vec<(TargetKind, &str, &str)> = p
            .targets
            .iter()
            .map(|t| (t.kind, t.name.as_str(), t.root.as_str()))
            .collect();
        assert_eq!(
            t,
            vec![
                (TargetKind::Lib, "my_app", "src/lib.rs"),
                (TargetKind::Bin, "tool", "src/bin/tool.rs"),
                (TargetKind::Bin, "my_app", "src/main.rs"),
                (TargetKind::Example, "demo", "examples/demo/main.rs"),
                (TargetKind::Test, "it", "tests/it.rs"),
                (TargetKind::Bench, "b", "benches/b.rs"),
            ]
        );
        let d: Vec<(&str, &str)> = p
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.package.as_str()))
            .collect();
        assert_eq!(
            d,
            vec![("foo", "bar-baz"), ("insta", "insta"), ("serde", "serde")]
        );
    }

    #[test]
    fn workspace_members_and_inherited_dependencies() {
        let (pkgs, warnings) = packages(
            &[
                ("Cargo.toml", "[workspace]\nmembers = [\"a\", \"gone\"]\n[workspace.dependencies]\nrx = { package = \"regex\", version = \"1\" }\n"),
                ("a/Cargo.toml", "[package]\nname = \"a\"\n[dependencies]\nrx = { workspace = true }\n"),
            ],
            &["a/src/lib.rs"],
        );
        assert_eq!(pkgs.len(), 1);
        assert_eq!(pkgs[0].dependencies[0].package, "regex");
        assert_eq!(pkgs[0].workspace.as_deref(), Some(""));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.contains("`gone`"));
    }

    #[test]
    fn workspace_membership_by_path_and_glob() {
        let (pkgs, _) = packages(
            &[
                (
                    "Cargo.toml",
                    "[package]\nname = \"root\"\n[workspace]\nmembers = [\"crates/*\"]\n",
                ),
                ("crates/a/Cargo.toml", "[package]\nname = \"a\"\n"),
                ("tests/fixtures/x/Cargo.toml", "[package]\nname = \"x\"\n"),
            ],
            &[
                "src/lib.rs",
                "crates/a/src/lib.rs",
                "tests/fixtures/x/src/lib.rs",
            ],
        );
        let ws: Vec<(&str, Option<&str>)> = pkgs
            .iter()
            .map(|p| (p.name.as_str(), p.workspace.as_deref()))
            .collect();
        assert_eq!(ws, vec![("root", Some("")), ("a", Some("")), ("x", None)]);
    }

    #[test]
    fn invalid_toml_is_a_warning() {
        let (pkgs, warnings) = packages(&[("Cargo.toml", "[package\nname=")], &[]);
        assert!(pkgs.is_empty());
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn join_never_leaves_the_root() {
        assert_eq!(join("a/b", "../c.rs").as_deref(), Some("a/c.rs"));
        assert_eq!(join("", "../c.rs"), None);
    }
}
