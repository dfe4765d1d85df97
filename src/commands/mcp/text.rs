//! The short text that goes with a check's structured result: what a model reads first. One
//! line per finding (file:line:column, severity, code, message, the spec line it breaks, its
//! id), then the input warnings and the summary.

use std::fmt::Write as _;

use serde_json::Value;

/// The report of `ribo check --format json` (`report`) as a few lines.
pub(crate) fn findings(report: &Value) -> String {
    let mut text = String::new();
    let spec = report["spec"].as_str().unwrap_or("ribo.yaml");
    for v in report["violations"].as_array().into_iter().flatten() {
        let at = |p: &Value| format!("{}:{}", p["line"], p["column"]);
        let _ = write!(
            text,
            "{}:{}: {} {}: {}",
            v["file"].as_str().unwrap_or_default(),
            at(&v["start"]),
            v["severity"].as_str().unwrap_or_default(),
            v["code"].as_str().unwrap_or_default(),
            v["message"].as_str().unwrap_or_default(),
        );
        if let Some(rule) = v["rule"].as_object() {
            let _ = write!(
                text,
                " [{}:{}: {}]",
                rule.get("file").and_then(Value::as_str).unwrap_or(spec),
                rule.get("start")
                    .map(|s| s["line"].clone())
                    .unwrap_or_default(),
                rule.get("label")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            );
        }
        if let Some(help) = v["help"].as_str() {
            let _ = write!(text, " help: {help}");
        }
        let _ = writeln!(
            text,
            " (id {})",
            v["fingerprint"].as_str().unwrap_or_default()
        );
    }
    for w in report["warnings"].as_array().into_iter().flatten() {
        let _ = writeln!(
            text,
            "warning: {}: {}",
            w["file"].as_str().unwrap_or_default(),
            w["message"].as_str().unwrap_or_default()
        );
    }
    let omitted = report["omitted"]["violations"].as_u64().unwrap_or(0);
    if omitted > 0 {
        let _ = writeln!(
            text,
            "... and {omitted} more findings (errors come first; raise `limit` to see more)"
        );
    }
    let s = &report["summary"];
    let count = |key: &str| s[key].as_u64().unwrap_or(0);
    match s.get("change") {
        Some(c) => {
            let _ = write!(
                text,
                "this change adds {} errors, {} warnings; fixes {}",
                c["added_errors"], c["added_warnings"], c["fixed"]
            );
        }
        None => {
            let _ = write!(
                text,
                "{} errors, {} warnings in {} files",
                count("errors"),
                count("warnings"),
                count("files")
            );
        }
    }
    if count("input_warnings") > 0 {
        let _ = write!(text, "; {} input warnings", count("input_warnings"));
    }
    text.push('\n');
    text
}
