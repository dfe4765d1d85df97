//! Questions about the declared identity alone (no facts): `where_may` (which boundaries may
//! use a boundary, a crate or a path) and `spec` (the identity, summarised for a model's
//! context window). Every rule cited carries its line of ribo.yaml.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::super::explain::{self, Forbidden};
use super::engine::{Answer, Identity};
use crate::rules::{self, span_in};
use crate::spec::model::{ContractKind, CratePattern, Scope};
use crate::spec::Spec;

/// What a `where_may` target names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Boundary,
    Crate,
    Path,
}

impl Kind {
    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "boundary" => Some(Kind::Boundary),
            "crate" => Some(Kind::Crate),
            "path" => Some(Kind::Path),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Boundary => "boundary",
            Kind::Crate => "crate",
            Kind::Path => "path",
        }
    }
}

fn line(spec: &Spec, span: &std::ops::Range<usize>) -> u32 {
    span_in(&spec.source, span).line
}

/// One boundary's verdict: it may, or it may not (why, and the line that says so); it may
/// only from some of its files (`only`: the globs, and the line that says so).
struct Verdict {
    boundary: usize,
    why: Option<(String, u32)>,
    only: Option<(Vec<String>, u32)>,
}

impl Verdict {
    /// `boundary` may.
    fn may(boundary: usize) -> Verdict {
        Verdict {
            boundary,
            why: None,
            only: None,
        }
    }
}

/// Every boundary may.
fn everyone(spec: &Spec) -> Vec<Verdict> {
    (0..spec.boundaries.len()).map(Verdict::may).collect()
}

/// Which boundaries may use `target` (a boundary, a crate, or a file), and which may not.
/// `dependencies` gives the repository's dependencies (code name, package name), read only
/// for a crate.
pub(crate) fn where_may(
    identity: &Identity,
    target: &str,
    kind: Option<Kind>,
    dependencies: impl FnOnce() -> Vec<(String, String)>,
) -> Answer {
    let spec = &identity.spec;
    if target.trim().is_empty() {
        return Answer::Refused("`target` is empty: name a boundary, a crate or a file".into());
    }
    if target.contains("::") {
        return Answer::Refused(format!(
            "`{target}` is a Rust path: name a boundary, a crate, or a file (`explain_path` \
             says what governs a file)"
        ));
    }
    let named = spec.boundaries.iter().position(|b| b.name.value == target);
    let kind = kind.unwrap_or(match named {
        Some(_) => Kind::Boundary,
        None if target.contains('/') || target.ends_with(".rs") => Kind::Path,
        None => Kind::Crate,
    });
    let mut found = json!({ "target": target, "kind": kind.name() });
    let verdicts = match kind {
        Kind::Boundary => {
            let Some(to) = named else {
                let known: Vec<&str> = spec
                    .boundaries
                    .iter()
                    .map(|b| b.name.value.as_str())
                    .collect();
                return Answer::Refused(format!(
                    "no boundary is named `{target}`; the boundaries: {}",
                    known.join(", ")
                ));
            };
            let b = &spec.boundaries[to];
            found["boundary"] = json!({ "name": b.name.value, "line": line(spec, &b.name.span) });
            found["interface"] = match &b.interface {
                Some(i) => json!({
                    "globs": i.value.iter().map(|g| g.text.as_str()).collect::<Vec<_>>(),
                    "line": line(spec, &i.span),
                }),
                None => Value::Null,
            };
            towards(spec, to, None)
        }
        Kind::Path => {
            let rel = match super::engine::file_in(&spec.root, target, "name a file in it") {
                Ok((_, rel)) => rel,
                Err(e) => return Answer::Refused(e),
            };
            if spec.exclude_set().is_match(&rel) {
                found["excluded"] = json!(true);
                found["owner"] = Value::Null;
                found["may"] = json!([]);
                found["may_not"] = json!([]);
                let text =
                    format!("`{rel}` is excluded (system.exclude): ribo checks nothing about it");
                return Answer::Done { value: found, text };
            }
            found["excluded"] = json!(false);
            let owner = match rules::assign::owner(spec, &rel) {
                Ok(o) => o,
                Err(tie) => {
                    let start = tie.error.message.clone();
                    return Answer::Refused(format!("`{rel}`: {start}"));
                }
            };
            match owner {
                Some(to) => {
                    let b = &spec.boundaries[to];
                    let in_interface = b
                        .interface
                        .as_ref()
                        .is_none_or(|i| i.value.iter().any(|g| g.matcher.is_match(&rel)));
                    found["owner"] =
                        json!({ "name": b.name.value, "line": line(spec, &b.name.span) });
                    found["in_interface"] = json!(in_interface);
                    let hidden = b
                        .interface
                        .as_ref()
                        .filter(|_| !in_interface)
                        .map(|i| (b.name.value.clone(), line(spec, &i.span)));
                    towards(spec, to, hidden)
                }
                // A file no boundary claims: boundary rules do not reach it.
                None => {
                    found["owner"] = Value::Null;
                    everyone(spec)
                }
            }
        }
        Kind::Crate => {
            let normal = rules::boundaries::normalise_crate(target);
            if crate::facts::is_std_crate(&normal) {
                found["std"] = json!(true);
                // The standard library is every boundary's, whatever its `crates`.
                everyone(spec)
            } else {
                // A dependency is named in code by its key and on the registry by its package
                // (`stripe = { package = "async-stripe" }`): `crates` and crate contracts
                // match either, so the verdict is about both.
                let mut names = vec![normal.clone()];
                let mut declared = false;
                for (name, package) in dependencies() {
                    let (name, package) = (
                        rules::boundaries::normalise_crate(&name),
                        rules::boundaries::normalise_crate(&package),
                    );
                    if name == normal || package == normal {
                        declared = true;
                        names.extend([name, package]);
                    }
                }
                names.sort();
                names.dedup();
                found["declared"] = json!(declared);
                found["names"] = json!(names);
                crate_verdicts(spec, target, &names)
            }
        }
    };
    let name = |i: usize| spec.boundaries[i].name.value.as_str();
    let may: Vec<Value> = verdicts
        .iter()
        .filter(|v| v.why.is_none())
        .map(|v| {
            let b = &spec.boundaries[v.boundary];
            let mut may = json!({ "boundary": name(v.boundary), "line": line(spec, &b.name.span) });
            if let Some((globs, at)) = &v.only {
                may["only_files"] = json!(globs);
                may["only_line"] = json!(at);
            }
            may
        })
        .collect();
    let may_not: Vec<Value> = verdicts
        .iter()
        .filter_map(|v| {
            let (reason, rule_line) = v.why.as_ref()?;
            Some(json!({ "boundary": name(v.boundary), "reason": reason, "line": rule_line }))
        })
        .collect();
    let mut text = String::new();
    let listed = |vs: &[Value]| {
        vs.iter()
            .filter_map(|v| v["boundary"].as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(text, "{} `{target}`", kind.name());
    if let Some(o) = found.get("owner").and_then(|o| o["name"].as_str()) {
        let _ = writeln!(text, "owned by `{o}`");
    }
    if found["declared"] == json!(false) {
        let _ = writeln!(
            text,
            "no package of the repository depends on `{target}` (a typo, or a dependency to add)"
        );
    }
    if let Some(globs) = found["interface"]["globs"].as_array() {
        let globs: Vec<&str> = globs.iter().filter_map(Value::as_str).collect();
        let _ = writeln!(
            text,
            "other boundaries may only reach its interface: {}",
            globs.join(", ")
        );
    }
    let _ = writeln!(text, "may use it: {}", or_none(&listed(&may)));
    for m in may.iter().filter(|m| m.get("only_files").is_some()) {
        let globs: Vec<&str> = m["only_files"]
            .as_array()
            .map(|g| g.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "  {}: only its files matching {} ({} line {})",
            m["boundary"].as_str().unwrap_or_default(),
            globs.join(", "),
            identity.spec_name,
            m["only_line"]
        );
    }
    for v in &may_not {
        let _ = writeln!(
            text,
            "may not: {} ({}; {} line {})",
            v["boundary"].as_str().unwrap_or_default(),
            v["reason"].as_str().unwrap_or_default(),
            identity.spec_name,
            v["line"]
        );
    }
    found["may"] = Value::Array(may);
    found["may_not"] = Value::Array(may_not);
    Answer::Done { value: found, text }
}

fn or_none(s: &str) -> &str {
    if s.is_empty() {
        "none"
    } else {
        s
    }
}

/// Every boundary's verdict on using boundary `to`; `hidden`: the target is a file outside
/// `to`'s interface (the boundary and its interface's line), which only `to` itself may reach.
fn towards(spec: &Spec, to: usize, hidden: Option<(String, u32)>) -> Vec<Verdict> {
    let to_name = &spec.boundaries[to].name.value;
    (0..spec.boundaries.len())
        .map(|from| {
            if from == to {
                return Verdict::may(from);
            }
            let from_name = &spec.boundaries[from].name.value;
            let why = match explain::may_use(spec, from, to) {
                Err(Forbidden::NotInMayUse(span)) => Some((
                    format!("`{to_name}` is not in the may_use of `{from_name}`"),
                    line(spec, &span),
                )),
                Err(Forbidden::InMayNotUse(span)) => Some((
                    format!("`{to_name}` is in the may_not_use of `{from_name}`"),
                    line(spec, &span),
                )),
                Err(Forbidden::Upward(span)) => Some((
                    format!("`{to_name}` is above `{from_name}` in layers"),
                    line(spec, &span),
                )),
                Ok(()) => hidden.as_ref().map(|(owner, at)| {
                    (
                        format!("the file is not in the interface of `{owner}`"),
                        *at,
                    )
                }),
            };
            Verdict {
                boundary: from,
                why,
                only: None,
            }
        })
        .collect()
}

/// Every boundary's verdict on using the external crate `target`, known by `names` (its code
/// names and package names, normalised): its `crates` list, then the crate contracts that name
/// the crate. A contract that allows it from files (globs) allows a boundary whose paths may
/// hold such files, for those files only.
fn crate_verdicts(spec: &Spec, target: &str, names: &[String]) -> Vec<Verdict> {
    let matches = |p: &CratePattern| names.iter().any(|n| p.matcher.is_match(n));
    (0..spec.boundaries.len())
        .map(|i| {
            let b = &spec.boundaries[i];
            let listed = b
                .crates
                .as_ref()
                .map_or(Ok(()), |c| match c.value.iter().any(matches) {
                    true => Ok(()),
                    false => Err((
                        format!("`{target}` is not in the crates of `{}`", b.name.value),
                        line(spec, &c.span),
                    )),
                });
            let mut only = None;
            let mut contract = None;
            for c in &spec.contracts {
                let ContractKind::CrateUse { krate, only_from } = &c.kind else {
                    continue;
                };
                if !matches(krate) {
                    continue;
                }
                let whole = only_from
                    .iter()
                    .any(|s| matches!(s, Scope::Boundary(x) if x.value == i));
                if whole {
                    continue;
                }
                let globs: Vec<String> = only_from
                    .iter()
                    .filter_map(|s| match s {
                        Scope::Glob(g) if b.paths.iter().any(|p| may_overlap(&p.text, &g.text)) => {
                            Some(g.text.clone())
                        }
                        _ => None,
                    })
                    .collect();
                let at = line(spec, &c.id.span);
                if globs.is_empty() {
                    let from: Vec<String> = only_from
                        .iter()
                        .map(|s| explain::scope_text(spec, s))
                        .collect();
                    contract.get_or_insert((
                        format!(
                            "contract `{}` lets only {} use `{target}`",
                            c.id.value,
                            from.join(", ")
                        ),
                        at,
                    ));
                } else {
                    only.get_or_insert((globs, at));
                }
            }
            let why = listed.err().or(contract);
            Verdict {
                boundary: i,
                only: if why.is_none() { only } else { None },
                why,
            }
        })
        .collect()
}

/// Whether globs `a` and `b` may match a common path: their literal starts (up to the first
/// wildcard) are one a prefix of the other.
fn may_overlap(a: &str, b: &str) -> bool {
    let literal = |g: &str| -> String {
        g.chars()
            .take_while(|c| !matches!(c, '*' | '?' | '[' | '{'))
            .collect()
    };
    let (a, b) = (literal(a), literal(b));
    a.starts_with(&b) || b.starts_with(&a)
}

/// The declared identity, summarised: the system, every boundary (paths, may_use, crates,
/// interface, layer), the invariants and the contracts, each with its line.
pub(crate) fn summary(identity: &Identity) -> Answer {
    let spec = &identity.spec;
    let boundaries: Vec<Value> = (0..spec.boundaries.len())
        .map(|i| {
            let mut b =
                serde_json::to_value(explain::boundary_slice(spec, i, "")).unwrap_or(Value::Null);
            // `contains_file` is about a file; here there is none.
            if let Some(interface) = b.get_mut("interface").and_then(Value::as_object_mut) {
                interface.remove("contains_file");
            }
            b
        })
        .collect();
    let invariants: Vec<Value> = spec
        .invariants
        .iter()
        .map(|inv| {
            serde_json::to_value(explain::invariant(spec, inv, line(spec, &inv.id.span)))
                .unwrap_or(Value::Null)
        })
        .collect();
    let contracts: Vec<Value> = spec
        .contracts
        .iter()
        .map(|c| {
            let mut v = json!({
                "id": c.id.value,
                "line": line(spec, &c.id.span),
                "description": c.description.as_ref().map(|d| d.value.as_str()),
            });
            match &c.kind {
                ContractKind::Exports {
                    target,
                    exports,
                    exhaustive,
                } => {
                    v["kind"] = json!("exports");
                    v["target"] = json!(explain::export_target(&target.value));
                    v["exports"] = json!(exports.iter().map(|e| &e.value).collect::<Vec<_>>());
                    v["exhaustive"] = json!(exhaustive.as_ref().is_some_and(|e| e.value));
                }
                ContractKind::CrateUse { krate, only_from } => {
                    v["kind"] = json!("crate-use");
                    v["crate"] = json!(krate.text);
                    v["only_from"] = json!(only_from
                        .iter()
                        .map(|s| explain::scope_text(spec, s))
                        .collect::<Vec<_>>());
                }
                ContractKind::Env { vars, exhaustive } => {
                    v["kind"] = json!("env");
                    v["vars"] = json!(vars.iter().map(|x| &x.value).collect::<Vec<_>>());
                    v["exhaustive"] = json!(exhaustive.as_ref().is_some_and(|e| e.value));
                }
            }
            v
        })
        .collect();
    let layers = spec.layers.as_ref().map(|l| {
        l.value
            .iter()
            .map(|x| spec.boundaries[x.value].name.value.as_str())
            .collect::<Vec<_>>()
    });
    let intent = spec
        .system
        .intent
        .as_ref()
        .map(|i| i.value.trim_end().to_string());
    let mut text = String::new();
    let _ = writeln!(
        text,
        "system `{}` ({})",
        spec.system.name.value, identity.spec_name
    );
    if let Some(i) = &intent {
        let _ = writeln!(text, "intent: {}", i.replace('\n', " "));
    }
    for b in &boundaries {
        let may = match b["may_use"].as_array() {
            Some(list) => list
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            None => "any (no may_use)".to_string(),
        };
        let may_not = b["may_not_use"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "boundary {} (line {}): may use {}; may not use {}",
            b["name"].as_str().unwrap_or_default(),
            b["line"],
            or_none(&may),
            or_none(&may_not)
        );
    }
    for i in &invariants {
        let _ = write!(
            text,
            "invariant {} (line {}, {})",
            i["id"].as_str().unwrap_or_default(),
            i["line"],
            i["severity"].as_str().unwrap_or_default(),
        );
        let _ = match i["message"].as_str() {
            Some(m) => writeln!(text, ": {m}"),
            None => writeln!(text),
        };
    }
    for c in &contracts {
        let _ = writeln!(
            text,
            "contract {} (line {}, {})",
            c["id"].as_str().unwrap_or_default(),
            c["line"],
            c["kind"].as_str().unwrap_or_default()
        );
    }
    let value = json!({
        "spec": identity.spec_name,
        "system": { "name": spec.system.name.value, "intent": intent },
        "boundaries": boundaries,
        "layers": layers,
        "invariants": invariants,
        "contracts": contracts,
    });
    Answer::Done { value, text }
}
