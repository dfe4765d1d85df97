//! The engine behind `ribo mcp`'s tools: the spec stays resident between calls (read again,
//! and validated again, only when the file's bytes change), and every check runs the
//! pipeline of `ribo check` over the caches a warm run reads (file stamps, the remembered walk,
//! the facts cache, the resolution snapshot, the remembered results), so that a call pays for
//! what changed on disk since the last one. A proposed change is an in-memory overlay: it
//! writes nothing, and the next plain check does not see it.
//!
//! Every tool argument is untrusted: paths are relative to the spec's root and confined to it
//! ([`proposed::confine`]); inputs are bounded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};

use super::super::check::{check_with, Given};
use super::super::proposed::{self, Proposed};
use super::super::warm::{self, WarmCheck};
use super::super::{explain, load_spec_text, Loaded};
use super::identity;
use crate::cli::{CheckArgs, Format, SpecArgs};
use crate::facts::MAX_FILE_BYTES;
use crate::report::Style;
use crate::rules;

/// The most bytes of new content a `check_change` call may carry in all (a diff, or the files).
pub const MAX_CHANGE_BYTES: usize = 64 * 1024 * 1024;

/// Calls without a warm graph before one that could not be built is tried again (the spec
/// unchanged).
const WARM_RETRY_AFTER: usize = 16;

/// The most paths one call may name.
const MAX_PATHS: usize = 10_000;

/// What a tool answers: a result (structured, with a short text for a model), or a tool error
/// (the call was understood but cannot be answered: a broken spec, a refused path).
pub(crate) enum Answer {
    Done { value: Value, text: String },
    Refused(String),
}

/// The spec as last read, valid.
struct Resident {
    bytes: Vec<u8>,
    identity: Arc<Identity>,
}

/// A valid spec, resident.
pub(crate) struct Identity {
    pub spec: Arc<crate::spec::Spec>,
    /// The spec file as answers show it.
    pub spec_name: String,
}

/// The server's engine: where to find the spec, and what was last read of it.
pub(crate) struct Engine {
    /// Where to look for the spec (absolute), when `spec` is not given.
    start: PathBuf,
    args: SpecArgs,
    resident: Option<Resident>,
    /// The files of the modules exports contracts name, and the input they were found in
    /// (see [`Engine::module_files`]).
    modules: Option<([u8; 32], ModuleFiles)>,
    /// The disk's graph kept warm for `check_change` (see [`super::super::warm`]).
    warm: warm::Shared,
    /// Whether `check_change` uses a warm graph (off only to compare with the pipeline).
    warming: bool,
    /// How many warm graphs were built.
    warm_builds: usize,
    /// The spec a warm graph could not be built for, and how many calls went without one
    /// since (see [`Engine::warm_for`]).
    warm_failed: Option<(Arc<crate::spec::Spec>, usize)>,
    /// Whether the process works in the spec's root once it is found (so that answers show
    /// paths as `ribo check` run there does); off only in tests, which share the process.
    chdir: bool,
}

/// The file of each exports contract's module, by the contract's target as written (`None`:
/// no such module).
type ModuleFiles = BTreeMap<String, Option<String>>;

/// Rendering for texts a model reads: no colour, 100 columns.
const PLAIN: Style = Style {
    color: false,
    width: 100,
};

impl Engine {
    pub fn new(args: &SpecArgs) -> Engine {
        let start = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        Engine {
            start: absolute(&start),
            args: SpecArgs {
                path: None,
                spec: args.spec.as_deref().map(absolute),
                threads: args.threads,
                no_cache: args.no_cache,
                cache_dir: args.cache_dir.as_deref().map(absolute),
            },
            resident: None,
            modules: None,
            warm: warm::Shared::default(),
            // `RIBO_MCP_WARM=0`: every change through the pipeline (a filesystem whose
            // changes the watch may miss; a comparison).
            warming: std::env::var_os("RIBO_MCP_WARM").is_none_or(|v| v != "0"),
            warm_builds: 0,
            warm_failed: None,
            chdir: true,
        }
    }

    /// The spec in force: the resident one when the file's bytes are the same, else read and
    /// validated again. A spec that cannot be found, read or validated is the error text every
    /// tool that needs it answers with (the server keeps running; the next call reads it again).
    pub fn identity(&mut self) -> Result<Arc<Identity>, String> {
        let path = match &self.args.spec {
            Some(p) => p.clone(),
            None => crate::spec::discover::find_spec(&self.start).ok_or_else(|| {
                format!(
                    "no ribo.yaml or .ribo.yaml in `{}` or its parent directories (up to the \
                     repository root): write one (`ribo init`), or start the server with --spec",
                    self.start.display()
                )
            })?,
        };
        // Never opened unless it is a regular file: a FIFO would block the server.
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(format!(
                    "the spec `{}` is not a regular file",
                    path.display()
                ))
            }
            Err(e) => return Err(format!("could not read the spec `{}`: {e}", path.display())),
        }
        // One byte over the spec's limit: the loader says it is too large.
        let limit = crate::spec::MAX_SPEC_BYTES as u64 + 1;
        let bytes = proposed::read_bounded(&path, limit, "the spec")
            .map_err(|e| format!("could not read the spec `{}`: {e}", path.display()))?;
        if let Some(r) = &self.resident {
            if r.identity.spec.path == path && r.bytes == bytes {
                return Ok(Arc::clone(&r.identity));
            }
        }
        let mut err = Vec::new();
        match load_spec_text(&self.args, &path, &bytes, PLAIN, &mut err) {
            Ok(Ok(Loaded { spec, .. })) => {
                // Paths in every answer are shown relative to the root, as `ribo check` shows
                // them when run there; the spec's name too, whichever directory the server
                // started in.
                if self.chdir {
                    let _ = std::env::set_current_dir(&spec.root);
                }
                let identity = Arc::new(Identity {
                    spec_name: super::super::display_path(&spec.path),
                    spec: Arc::new(spec),
                });
                self.resident = Some(Resident {
                    bytes,
                    identity: Arc::clone(&identity),
                });
                Ok(identity)
            }
            // Not kept: what made it invalid may be outside the file (a root that does not
            // exist yet), and the next call reads it again.
            _ => Err(String::from_utf8_lossy(&err).trim_end().to_string()),
        }
    }

    /// Arguments of a check run as `ribo check` (JSON), with the resident spec's file.
    fn check_args(&self, identity: &Identity, files: Vec<PathBuf>, new: bool) -> CheckArgs {
        let spec = SpecArgs {
            spec: Some(identity.spec.path.clone()),
            ..self.args.clone()
        };
        CheckArgs::of(spec, Format::Json, files, new)
    }

    /// `check`: the whole repository, or the files `paths` name (changed-mode semantics: the
    /// findings of those files, and of the edges into them).
    pub fn check(&mut self, paths: Option<Vec<String>>, limit: usize) -> Answer {
        let identity = match self.identity() {
            Ok(i) => i,
            Err(e) => return Answer::Refused(e),
        };
        let root = &identity.spec.root;
        let paths = paths.unwrap_or_default();
        if paths.len() > MAX_PATHS {
            return Answer::Refused(format!("more than {MAX_PATHS} paths: refused"));
        }
        let mut files = Vec::new();
        for rel in paths {
            match confined(root, &rel) {
                Ok(at) => files.push(at),
                Err(e) => return Answer::Refused(e),
            }
        }
        let whole = files.is_empty();
        // A warm graph that no longer holds is dropped first: a whole check that builds the
        // graph then peaks at what a one-shot check does (one that holds: the whole check's
        // results are the remembered ones). Named files are checked over one that holds (none
        // is built for a `check`).
        let held = self.warm_held(&identity);
        let args = self.check_args(&identity, files, false);
        let given = Given {
            spec: Some(Arc::clone(&identity.spec)),
            limit: Some(limit),
            warm: held.filter(|_| !whole),
            ..Given::default()
        };
        // A whole check allocates as a one-shot `ribo check` does (the system allocator: its
        // peak is lower, main.rs); the memory release after the call trims it.
        let focused = |on: bool| {
            if let Some(set) = crate::FOCUSED_ALLOCATOR.get() {
                set(on);
            }
        };
        if whole {
            focused(false);
        }
        let answer = run_check(&args, given);
        if whole {
            focused(true);
        }
        answer
    }

    /// `check_change`: what a change would introduce (`ribo check --patch --new`), given as a
    /// unified diff or as the new content of files (`None`: the file is deleted).
    pub fn check_change(&mut self, change: Change, limit: usize) -> Answer {
        let identity = match self.identity() {
            Ok(i) => i,
            Err(e) => return Answer::Refused(e),
        };
        let root = identity.spec.root.clone();
        let proposal = match change {
            // A diff's paths are the repository's, as `git diff` prints them (and as
            // `ribo check --patch` reads them), wherever the spec is in it.
            Change::Diff(diff) => {
                let at = identity.spec.path.canonicalize();
                let at = at.as_deref().unwrap_or(&identity.spec.path);
                let top = crate::spec::validate::repository_top(at)
                    .filter(|top| root.starts_with(top))
                    .unwrap_or_else(|| root.clone());
                proposed::from_patch(&top, diff.as_bytes())
            }
            Change::Files(files) => files_change(&root, files),
        };
        let proposal = match proposal {
            Ok(p) if p.files.is_empty() => {
                return Answer::Refused("the change touches no file".to_string())
            }
            Ok(p) if p.files.len() > MAX_PATHS => {
                return Answer::Refused(format!(
                    "the change touches more than {MAX_PATHS} files: refused"
                ))
            }
            Ok(p) => p,
            Err(e) => return Answer::Refused(relative_to(&root, &e)),
        };
        // A change to the spec or its baseline that loosens the identity is named (the agent
        // is told never to loosen it; the verdict below is about the code).
        let touched: Vec<(PathBuf, Option<Vec<u8>>)> = proposal
            .files
            .iter()
            .map(|(p, c)| (p.clone(), c.clone()))
            .collect();
        let mut loosenings = super::super::hook::spec_loosenings(&touched);
        loosenings.extend(super::super::hook::baseline_debt(&touched));
        let args = self.check_args(&identity, Vec::new(), true);
        let given = Given {
            proposal: Some((proposal, root)),
            before: None,
            lazy_before: false,
            spec: Some(Arc::clone(&identity.spec)),
            limit: Some(limit),
            warm: self.warming.then(|| self.warm_for(&identity)),
        };
        match run_check(&args, given) {
            Answer::Done {
                mut value,
                mut text,
            } => {
                if !loosenings.is_empty() {
                    text.push_str(&format!(
                        "and it loosens the declared identity (a human's decision, not an agent's):\n{}\n",
                        loosenings.join("\n")
                    ));
                }
                value["loosenings"] = json!(loosenings);
                Answer::Done { value, text }
            }
            refused => refused,
        }
    }

    /// The warm graph of the disk under `identity`'s spec if there is one that holds (see
    /// [`WarmCheck::holds`]); one that does not is dropped.
    fn warm_held(&mut self, identity: &Identity) -> Option<warm::Shared> {
        let mut guard = self.warm.lock().unwrap_or_else(|p| p.into_inner());
        let holds = guard
            .as_mut()
            .is_some_and(|w| w.holds(&identity.spec, &self.args));
        if !holds {
            *guard = None;
        }
        holds.then(|| Arc::clone(&self.warm))
    }

    /// The warm graph of the disk under `identity`'s spec: kept while it holds (see
    /// [`WarmCheck::holds`]), else built again. One that could not be built (its files could
    /// not be assigned: the check reports why) is tried again when the spec changes, or after
    /// [`WARM_RETRY_AFTER`] calls without it.
    fn warm_for(&mut self, identity: &Identity) -> warm::Shared {
        // One that does not hold is freed before a new one is built.
        if self.warm_held(identity).is_none() {
            let wait = match &mut self.warm_failed {
                Some((spec, calls)) if Arc::ptr_eq(spec, &identity.spec) => {
                    *calls += 1;
                    *calls <= WARM_RETRY_AFTER
                }
                _ => false,
            };
            if !wait {
                let built = WarmCheck::build(&identity.spec, &self.args);
                self.warm_builds += 1;
                self.warm_failed = match built {
                    None => Some((Arc::clone(&identity.spec), 0)),
                    Some(_) => None,
                };
                *self.warm.lock().unwrap_or_else(|p| p.into_inner()) = built;
            }
        }
        Arc::clone(&self.warm)
    }

    /// `explain_path`: the slice of the spec that governs `path` (which need not exist).
    pub fn explain_path(&mut self, path: &str) -> Answer {
        let identity = match self.identity() {
            Ok(i) => i,
            Err(e) => return Answer::Refused(e),
        };
        let spec = &identity.spec;
        let (at, rel) = match file_in(&spec.root, path, "explain_path takes a file") {
            Ok(found) => found,
            Err(e) => return Answer::Refused(e),
        };
        let boundary = match rules::assign::owner(spec, &rel) {
            Ok(b) => b,
            Err(tie) => {
                let errors = crate::spec::SpecErrors::of(spec, vec![*tie.error]);
                return Answer::Refused(spec_errors_text(&errors, &identity.spec_name));
            }
        };
        let modules = match explain::needs_facts(spec) {
            true => self.module_files(spec),
            false => BTreeMap::new(),
        };
        let slice = explain::slice(
            spec,
            &identity.spec_name,
            &rel,
            at.is_file(),
            boundary,
            &|target| {
                modules
                    .get(&explain::export_target(target))
                    .cloned()
                    .flatten()
            },
        );
        let mut text = Vec::new();
        let _ = crate::report::explain::write_human(&mut text, &slice);
        match serde_json::to_value(&slice) {
            Ok(value) => Answer::Done {
                value,
                text: String::from_utf8_lossy(&text).into_owned(),
            },
            Err(e) => Answer::Refused(format!("internal error: {e}")),
        }
    }

    /// The file of the module each exports contract of `spec` names (by the contract's target
    /// as written): from the fact graph, built (from the caches) only when the input changed
    /// since it was last built for these targets.
    fn module_files(&mut self, spec: &crate::spec::Spec) -> ModuleFiles {
        let targets: Vec<&crate::spec::model::ExportTarget> = spec
            .contracts
            .iter()
            .filter_map(|c| match &c.kind {
                crate::spec::model::ContractKind::Exports { target, .. } => Some(&target.value),
                _ => None,
            })
            .collect();
        let options = super::super::build_options(spec, &self.args);
        let input = crate::facts::scan(&spec.root, &options);
        let digest = input.digest().copied();
        if let (Some(d), Some((kept, map))) = (&digest, &self.modules) {
            let all = targets
                .iter()
                .all(|t| map.contains_key(&explain::export_target(t)));
            if d == kept && all {
                return map.clone();
            }
        }
        let graph = crate::facts::build_from(&spec.root, input, &options);
        let map: ModuleFiles = targets
            .iter()
            .map(|t| (explain::export_target(t), explain::module_file(&graph, t)))
            .collect();
        if let Some(d) = digest {
            self.modules = Some((d, map.clone()));
        }
        map
    }

    /// `where_may`: which boundaries may use a boundary, a crate or a path.
    pub fn where_may(&mut self, target: &str, kind: Option<identity::Kind>) -> Answer {
        let identity = match self.identity() {
            Ok(i) => i,
            Err(e) => return Answer::Refused(e),
        };
        let (spec, args) = (&identity.spec, &self.args);
        let dependencies = || {
            let options = super::super::build_options(spec, args);
            crate::facts::packages(&spec.root, &options)
                .into_iter()
                .flat_map(|p| p.dependencies)
                .map(|d| (d.name, d.package))
                .collect()
        };
        identity::where_may(&identity, target, kind, dependencies)
    }

    /// `spec`: the declared identity, summarised.
    pub fn spec(&mut self) -> Answer {
        let identity = match self.identity() {
            Ok(i) => i,
            Err(e) => return Answer::Refused(e),
        };
        identity::summary(&identity)
    }
}

/// `explain_code`: the documentation of a diagnostic code (needs no spec).
pub(crate) fn explain_code(code: &str) -> Answer {
    let all = rules::all_codes();
    match all.iter().find(|c| c.code == code) {
        Some(doc) => Answer::Done {
            value: json!({
                "code": doc.code,
                "summary": doc.summary,
                "explanation": doc.explanation,
            }),
            text: format!("{}: {}\n\n{}", doc.code, doc.summary, doc.explanation),
        },
        None => Answer::Refused(match explain::nearest_code(code) {
            Some(n) => format!("unknown code `{code}`; did you mean `{n}`?"),
            None => format!("unknown code `{code}`"),
        }),
    }
}

/// A proposed change, as a tool receives it.
pub(crate) enum Change {
    Diff(String),
    Files(BTreeMap<String, Option<String>>),
}

/// The change that writes `files` (path relative to the root: new content, or `None` to
/// delete it), each path confined to the root.
fn files_change(root: &Path, files: BTreeMap<String, Option<String>>) -> Result<Proposed, String> {
    if files.len() > MAX_PATHS {
        return Err(format!("more than {MAX_PATHS} files: refused"));
    }
    let mut out = Proposed::default();
    for (rel, content) in files {
        let at = confined(root, &rel)?;
        if at.is_dir() {
            return Err(format!("`{rel}` is a directory, not a file: refused"));
        }
        if content
            .as_ref()
            .is_some_and(|c| c.len() as u64 > MAX_FILE_BYTES)
        {
            return Err(format!(
                "the content for `{rel}` is larger than {} MiB: refused",
                MAX_FILE_BYTES / (1024 * 1024)
            ));
        }
        out.files.insert(at, content.map(String::into_bytes));
    }
    Ok(out)
}

/// `root` joined with `rel`, an untrusted path, confined to it ([`proposed::confine`]), and
/// with the links inside the repository on its way resolved: a file reached through a link
/// (`src/alias/x.rs`, `alias` a link to `domain`) is the file the walk finds
/// (`src/domain/x.rs`), and governed as it is.
pub(crate) fn confined(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let at = proposed::confine(root, rel)?;
    let mut rest = Vec::new();
    let mut existing = at.as_path();
    let real = loop {
        match existing.canonicalize() {
            Ok(real) => break real,
            Err(_) => {
                let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                    return Ok(at.clone());
                };
                rest.push(name.to_os_string());
                existing = parent;
            }
        }
    };
    let mut real = real;
    for name in rest.iter().rev() {
        real.push(name);
    }
    // `confine` let only links that stay inside through; anything else keeps its own path.
    Ok(if real.starts_with(root) { real } else { at })
}

/// The file `path` names (an untrusted path: [`confined`]), and its path relative to `root`;
/// a directory is refused with `what_then` (what the tool wants instead).
pub(crate) fn file_in(
    root: &Path,
    path: &str,
    what_then: &str,
) -> Result<(PathBuf, String), String> {
    let at = confined(root, path)?;
    if at.is_dir() {
        return Err(format!(
            "`{path}` is a directory: {what_then} (it need not exist yet)"
        ));
    }
    let rel = crate::facts::walk::relative(root, &at)
        .ok_or_else(|| format!("`{path}` is outside the repository: refused"))?;
    Ok((at, rel))
}

/// `message` with the repository's root left out of the paths it shows.
fn relative_to(root: &Path, message: &str) -> String {
    message.replace(&format!("{}/", root.display()), "")
}

/// Runs `ribo check --format json` with `args` and `given`, and reads its report back.
fn run_check(args: &CheckArgs, given: Given) -> Answer {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = match check_with(args, given, PLAIN, &mut out, &mut err) {
        Ok(code) => code,
        Err(e) => return Answer::Refused(format!("could not check: {e}")),
    };
    if code == crate::EXIT_ERROR {
        return Answer::Refused(String::from_utf8_lossy(&err).trim_end().to_string());
    }
    match serde_json::from_slice::<Value>(&out) {
        Ok(mut value) => {
            // What the limit left out: the summary counts every finding.
            let s = &value["summary"];
            let count = |key: &str| s[key].as_u64().unwrap_or(0);
            let len = |key: &str| value[key].as_array().map_or(0, Vec::len) as u64;
            let omitted = json!({
                "violations": (count("errors") + count("warnings")).saturating_sub(len("violations")),
                "warnings": count("input_warnings").saturating_sub(len("warnings")),
            });
            value["omitted"] = omitted;
            let text = super::text::findings(&value);
            Answer::Done { value, text }
        }
        Err(e) => Answer::Refused(format!("internal error: the report is not JSON: {e}")),
    }
}

/// Spec errors as the text a model reads.
fn spec_errors_text(errors: &crate::spec::SpecErrors, spec_name: &str) -> String {
    let mut out = Vec::new();
    let _ = crate::report::human::write_spec_errors(&mut out, errors, spec_name, PLAIN);
    String::from_utf8_lossy(&out).trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of examples/shop (its caches written by a first whole check).
    fn shop() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("shop");
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
        copy(&from, &root);
        (dir, root)
    }

    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for e in std::fs::read_dir(from).expect("read_dir").flatten() {
            let dest = to.join(e.file_name());
            match e.file_type().expect("type").is_dir() {
                true => copy(&e.path(), &dest),
                false => {
                    std::fs::copy(e.path(), dest).expect("copy");
                }
            }
        }
    }

    fn watched(e: &Engine) -> bool {
        let guard = e.warm.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().is_some_and(WarmCheck::watched)
    }

    fn engine(root: &Path, warming: bool) -> Engine {
        let mut e = Engine::new(&SpecArgs {
            path: Some(root.to_path_buf()),
            spec: None,
            threads: Some(1),
            no_cache: false,
            cache_dir: None,
        });
        e.warming = warming;
        e.chdir = false;
        e
    }

    /// A call's answer, without the warning about undecodable cached items: a process-wide
    /// count that another unit test of this process raises on purpose, at any moment.
    fn done(answer: Answer) -> (Value, String) {
        match answer {
            Answer::Done { mut value, text } => {
                if let Some(list) = value["warnings"].as_array_mut() {
                    list.retain(|w| {
                        !w["message"]
                            .as_str()
                            .is_some_and(|m| m.starts_with("internal error: the cached items of"))
                    });
                }
                let text = text
                    .lines()
                    .filter(|l| !l.contains("internal error: the cached items of"))
                    .collect::<Vec<_>>()
                    .join("\n");
                (value, text)
            }
            Answer::Refused(why) => panic!("refused: {why}"),
        }
    }

    fn patched(e: &Engine) -> usize {
        let guard = e.warm.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map_or(0, |w| w.patched)
    }

    fn files(change: &[(&str, String)]) -> Change {
        Change::Files(
            change
                .iter()
                .map(|(p, t)| (p.to_string(), Some(t.clone())))
                .collect(),
        )
    }

    /// `check_change` over the warm graph answers what the pipeline (`ribo check --patch
    /// --new`, run by an engine without a warm graph) answers, change after change; the
    /// changes a patch cannot take go through the pipeline; an edit on disk between two calls
    /// is seen (the warm graph built again).
    #[test]
    fn check_change_over_the_warm_graph_answers_as_the_pipeline() {
        for watch in [true, false] {
            over_the_warm_graph(watch);
        }
    }

    /// With `watch`, the tree is old enough for its walk to be remembered and watched; else
    /// it was just written, and each call stats the files instead.
    fn over_the_warm_graph(watch: bool) {
        let (_dir, root) = shop();
        let (mut warm, mut cold) = (engine(&root, true), engine(&root, false));
        let _ = done(cold.check(None, 1000));
        if watch {
            // A walk over directories changed within the last seconds (the tree was just
            // copied) is not remembered (`listing`, as for file stamps): walked again once they
            // are old enough.
            std::thread::sleep(std::time::Duration::from_millis(2100));
            let _ = done(cold.check(None, 1000));
        }
        let read = |rel: &str| std::fs::read_to_string(root.join(rel)).expect("read");
        let pricing = read("src/domain/pricing.rs");
        let model = read("src/domain/model.rs");
        let orders = read("src/app/orders.rs");
        let domain = read("src/domain/mod.rs");
        type Case<'a> = (&'a str, Vec<(&'a str, String)>, bool);
        let cases: Vec<Case> = vec![
            (
                "a finding removed",
                vec![("src/domain/pricing.rs", pricing.replace(".unwrap()", ".unwrap_or(1)"))],
                true,
            ),
            (
                "findings added",
                vec![(
                    "src/domain/pricing.rs",
                    format!("{pricing}\npub fn leak_xq() {{ crate::infra::db::connect(); unsafe {{ }} }}\n"),
                )],
                true,
            ),
            (
                "a body edit, nothing new",
                vec![("src/domain/pricing.rs", format!("// moved down\n{pricing}"))],
                true,
            ),
            (
                "two files at once",
                vec![
                    ("src/domain/model.rs", format!("{model}\npub struct FreshXq;\n")),
                    ("src/app/orders.rs", format!("{orders}\nfn more_xq() {{ let _ = 1; }}\n")),
                ],
                true,
            ),
            (
                "a name other files write, removed",
                vec![("src/domain/model.rs", model.replace("OrderLine", "OrderLineXq"))],
                false,
            ),
            (
                "a file added",
                vec![
                    ("src/domain/fresh.rs", "pub fn f() { crate::infra::db::connect(); }\n".to_string()),
                    ("src/domain/mod.rs", format!("{domain}pub mod fresh;\n")),
                ],
                false,
            ),
        ];
        let mut added = Vec::new();
        for (what, change, taken) in &cases {
            let before = patched(&warm);
            let a = done(warm.check_change(files(change), 1000));
            // Without the wait, the walk is remembered only if this test ran for seconds (a
            // loaded machine): then the graph is built again once, to be watched.
            if watch {
                assert_eq!(watched(&warm), cfg!(target_os = "linux"), "{what}: watched");
            }
            let b = done(cold.check_change(files(change), 1000));
            assert_eq!(a, b, "{what}: the warm graph answers otherwise");
            assert_eq!(patched(&warm) > before, *taken, "{what}: warm graph used");
            added.push(format!(
                "{what}: {} added, {} fixed",
                a.0["summary"]["change"]["added_errors"], a.0["summary"]["change"]["fixed"]
            ));
        }
        // The answers compared are not empty ones.
        assert_eq!(
            added,
            [
                "a finding removed: 0 added, 1 fixed",
                "findings added: 2 added, 0 fixed",
                "a body edit, nothing new: 0 added, 0 fixed",
                "two files at once: 0 added, 0 fixed",
                "a name other files write, removed: 0 added, 0 fixed",
                "a file added: 1 added, 0 fixed",
            ]
        );
        let upgraded = usize::from(!watch && watched(&warm));
        assert_eq!(
            warm.warm_builds,
            1 + upgraded,
            "built once while the disk stayed the same"
        );
        // The disk edited between two calls: the next call sees it.
        std::fs::write(
            root.join("src/domain/pricing.rs"),
            pricing.replace(".unwrap()", ".unwrap_or(2)"),
        )
        .expect("edit");
        let change = vec![(
            "src/domain/pricing.rs",
            format!("{pricing}\nfn more_xq() {{}}\n"),
        )];
        let a = done(warm.check_change(files(&change), 1000));
        let b = done(cold.check_change(files(&change), 1000));
        assert_eq!(a, b, "after an edit on disk");
        assert_eq!(a.0["summary"]["change"]["added_errors"], 1, "{:#}", a.0);
        // The file written, checked: over the warm graph (it holds: nothing changed since).
        let before = patched(&warm);
        let paths = || Some(vec!["src/domain/pricing.rs".to_string()]);
        let a = done(warm.check(paths(), 1000));
        let b = done(cold.check(paths(), 1000));
        assert_eq!(a, b, "check of the file written");
        assert!(patched(&warm) > before, "check over the warm graph");
        assert!(!a.0["violations"].as_array().expect("violations").is_empty());
        // Seen by the watch: the written file patched into the graph for good. Without a
        // watch, by a scan: the graph built again.
        let watched_now = watched(&warm);
        assert_eq!(
            warm.warm_builds,
            1 + upgraded + usize::from(!watched_now),
            "after a file written"
        );
        // A file added on disk: built again, either way.
        let builds = warm.warm_builds;
        std::fs::write(root.join("src/domain/fresh.rs"), "pub fn f() {}\n").expect("write");
        std::fs::write(
            root.join("src/domain/mod.rs"),
            format!("{domain}pub mod fresh;\n"),
        )
        .expect("write");
        let a = done(warm.check_change(files(&change), 1000));
        let b = done(cold.check_change(files(&change), 1000));
        assert_eq!(a, b, "after a file added on disk");
        assert_eq!(warm.warm_builds, builds + 1, "after a file added");
    }
}
