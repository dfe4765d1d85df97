//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning accepts it. One run; a rule per code
//! that appears; a result per violation with its region, the spec line of the rule as a related
//! location and the fingerprint as `partialFingerprints["ribo/v1"]`; input warnings as tool
//! notifications. Paths are relative to the working directory under `%SRCROOT%`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::place::{one_line, severity_name, Place, Places};
use super::Sources;
use crate::facts::Warning;
use crate::rules::{self, Violation};
use crate::spec::model::Invariant;

/// The published schema of the SARIF version written.
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of ribo's fingerprint in `partialFingerprints`; the suffix changes with the recipe.
pub const FINGERPRINT_KEY: &str = "ribo/v1";

/// Relative artifact URIs are resolved against this base: the directory ribo ran in.
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    invocations: [Invocation; 1],
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    short_description: Text,
    full_description: Text,
    help: Help,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [SarifLocation; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
    partial_fingerprints: BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u32>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

/// Writes the SARIF log as pretty JSON. `invariants` give the rules of `invariant::<id>` codes
/// their descriptions.
pub fn write(
    out: &mut dyn Write,
    sources: &Sources,
    violations: &[Violation],
    warnings: &[Warning],
    invariants: &[Invariant],
) -> io::Result<()> {
    let rules = rules_of(violations, invariants, sources.spec_name);
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut places = Places::new(sources);
    let results = violations
        .iter()
        .map(|v| {
            let place = places.of(v);
            let related = v
                .spec_label
                .iter()
                .map(|l| SarifLocation {
                    id: Some(1),
                    physical_location: physical(&places.of_rule(l)),
                    message: Some(Text {
                        text: l.text.to_string(),
                    }),
                })
                .collect();
            SarifResult {
                rule_id: &v.code,
                rule_index: index.get(v.code.as_str()).copied().unwrap_or(0),
                level: severity_name(v.severity),
                message: Text { text: text(v) },
                locations: [SarifLocation {
                    id: None,
                    physical_location: physical(&place),
                    message: None,
                }],
                related_locations: related,
                partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, v.fingerprint.as_str())]),
            }
        })
        .collect();
    let log = Log {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "ribo",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            invocations: [Invocation {
                execution_successful: true,
                tool_execution_notifications: warnings
                    .iter()
                    .map(|w| notification(w, sources))
                    .collect(),
            }],
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
    writeln!(out)
}

/// The result's message: what is wrong here, then the help when there is one.
fn text(v: &Violation) -> String {
    match &v.help {
        Some(help) => format!("{}\nhelp: {help}", one_line(v)),
        None => one_line(v),
    }
}

/// One rule per code that appears, sorted by id.
fn rules_of(violations: &[Violation], invariants: &[Invariant], spec_name: &str) -> Vec<Rule> {
    let docs = rules::all_codes();
    let generic_invariant = docs.iter().find(|d| d.code == "invariant::<id>");
    let mut rules: BTreeMap<&str, Rule> = BTreeMap::new();
    for v in violations {
        if rules.contains_key(v.code.as_str()) {
            continue;
        }
        let rule = match v.code.strip_prefix("invariant::") {
            Some(id) => {
                let message = invariants
                    .iter()
                    .find(|i| i.id.value == id)
                    .and_then(|i| i.message.as_ref())
                    .map(|m| m.value.trim().to_string())
                    .unwrap_or_else(|| format!("breaks invariant `{id}`"));
                let help = generic_invariant.map_or("", |d| d.explanation);
                Rule {
                    id: v.code.to_string(),
                    full_description: Text {
                        text: format!("invariant `{id}` of {spec_name}: {message}"),
                    },
                    short_description: Text { text: message },
                    help: Help {
                        text: help.to_string(),
                        markdown: help.to_string(),
                    },
                }
            }
            None => {
                let doc = docs.iter().find(|d| d.code == v.code.as_str());
                let summary = doc.map_or(v.code.as_str(), |d| d.summary);
                let explanation = doc.map_or(summary, |d| d.explanation);
                Rule {
                    id: v.code.to_string(),
                    short_description: Text {
                        text: summary.to_string(),
                    },
                    full_description: Text {
                        text: explanation.to_string(),
                    },
                    help: Help {
                        text: explanation.to_string(),
                        markdown: explanation.to_string(),
                    },
                }
            }
        };
        rules.insert(&v.code, rule);
    }
    rules.into_values().collect()
}

fn physical(place: &Place) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: artifact(&place.file),
        region: Some(Region {
            start_line: place.start.line.max(1),
            start_column: place.start.column.max(1),
            end_line: place.end.line.max(1),
            end_column: place.end.column.max(1),
        }),
    }
}

fn notification(w: &Warning, sources: &Sources) -> Notification {
    let file = sources.display(&w.path);
    Notification {
        level: "warning",
        message: Text {
            text: w.message.clone(),
        },
        locations: if file.is_empty() {
            Vec::new()
        } else {
            vec![SarifLocation {
                id: None,
                physical_location: PhysicalLocation {
                    artifact_location: artifact(&file),
                    region: None,
                },
                message: None,
            }]
        },
    }
}

/// A displayed path as an artifact location: relative paths under `%SRCROOT%`, absolute ones
/// (a root outside the working directory) as `file://` URIs.
fn artifact(path: &str) -> ArtifactLocation {
    let drive = path.as_bytes().get(1) == Some(&b':');
    if path.starts_with('/') || drive {
        let slash = if drive { "/" } else { "" };
        ArtifactLocation {
            uri: format!("file://{slash}{}", encode(path)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: encode(path),
            uri_base_id: Some(SRCROOT),
        }
    }
}

/// Percent-encodes everything but unreserved characters, `/` and a drive letter's `:`.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, b) in path.bytes().enumerate() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')
            || (b == b':' && i == 1);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded_and_based() {
        let a = artifact("src/a b/ü.rs");
        assert_eq!(a.uri, "src/a%20b/%C3%BC.rs");
        assert_eq!(a.uri_base_id, Some(SRCROOT));
        let a = artifact("/tmp/x/src/lib.rs");
        assert_eq!(a.uri, "file:///tmp/x/src/lib.rs");
        assert_eq!(a.uri_base_id, None);
        let a = artifact("C:/x/lib.rs");
        assert_eq!(a.uri, "file:///C:/x/lib.rs");
        // A colon elsewhere is not a drive letter.
        assert_eq!(artifact("src/a:b.rs").uri, "src/a%3Ab.rs");
    }
}
