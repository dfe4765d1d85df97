//! Invariants (`forbid` / `require` rules) and contracts.

use super::errors;
use super::glob;
use super::pattern::{self, PatternKind};
use super::{at_or_default, Ctx};
use crate::spec::model::{
    At, Contract, ContractKind, ExportTarget, Forbid, Invariant, PathPattern, Require, Severity,
    SpecSpan,
};
use crate::spec::raw::{RawContract, RawForbid, RawInvariant, RawList, RawQuery, RawRequire};

const SEVERITIES: &[(&str, Severity)] =
    &[("error", Severity::Error), ("warning", Severity::Warning)];

/// The span of `name` among an entry's keys, if present.
fn key(keys: &[At<String>], name: &str) -> Option<SpecSpan> {
    keys.iter()
        .find(|key| key.value == name)
        .map(|key| key.span.clone())
}

/// "invariant `id`" or "invariant #n".
fn context(kind: &str, id: Option<&At<String>>, index: usize) -> String {
    match id {
        Some(id) => format!("{kind} `{}`", id.value),
        None => format!("{kind} #{}", index + 1),
    }
}

/// Every `query:` text of the spec's invariants, in order.
pub(super) fn query_texts(raw: &[RawInvariant]) -> Vec<&RawQuery> {
    raw.iter()
        .filter_map(|i| i.forbid.as_ref()?.query.as_ref())
        .collect()
}

impl Ctx<'_> {
    pub(super) fn invariants(&mut self, raw: &[RawInvariant]) -> Vec<Invariant> {
        let mut seen = Vec::new();
        let checked = raw.iter().enumerate();
        checked
            .filter_map(|(index, invariant)| self.invariant(index, invariant, &mut seen))
            .collect()
    }

    /// Checks an id's shape and that no earlier entry of the same kind used it.
    fn rule_id(&mut self, kind: &str, id: &At<String>, seen: &mut Vec<At<String>>) {
        self.identifier(&format!("{kind} id"), id);
        match seen.iter().find(|earlier| earlier.value == id.value) {
            Some(first) => {
                let line = self.line(first.span.start);
                self.push(errors::duplicate_id(kind, &id.value, id.span.clone(), line));
            }
            None => seen.push(id.clone()),
        }
    }

    fn invariant(
        &mut self,
        index: usize,
        raw: &RawInvariant,
        seen: &mut Vec<At<String>>,
    ) -> Option<Invariant> {
        if let Some(id) = &raw.id {
            self.rule_id("invariant", id, seen);
        }
        let severity = raw.severity.as_ref();
        let severity_value =
            severity.and_then(|value| self.enumerated(value, "severity", SEVERITIES));
        let tests = raw.tests.as_ref().and_then(|tests| {
            let mode = self.enumerated(tests, "tests", super::TESTS_MODES)?;
            Some(At::new(mode, tests.span.clone()))
        });
        if key(&raw.keys, "forbid").is_none() && key(&raw.keys, "require").is_none() {
            let context = context("invariant", raw.id.as_ref(), index);
            self.push(errors::rule_without_kind(&context, raw.anchor.clone()));
        }
        let invariant = Invariant {
            id: raw.id.clone()?,
            message: raw.message.clone(),
            severity: at_or_default(severity, severity_value, Severity::Error, &raw.anchor),
            in_: self.scopes(raw.in_.as_ref(), "in"),
            except: self.scopes(raw.except.as_ref(), "except"),
            tests,
            forbid: raw.forbid.as_ref().map(|forbid| self.forbid(forbid)),
            require: raw
                .require
                .as_ref()
                .and_then(|require| self.require(require)),
            span: raw.span.clone(),
        };
        Some(invariant)
    }

    fn forbid(&mut self, raw: &RawForbid) -> Forbid {
        const KINDS: [&str; 6] = ["unsafe", "calls", "macros", "paths", "attributes", "query"];
        if !KINDS.iter().any(|kind| key(&raw.keys, kind).is_some()) {
            self.push(errors::empty_forbid(raw.key.clone()));
        }
        Forbid {
            unsafe_: raw.unsafe_.clone(),
            calls: self.patterns(raw.calls.as_ref(), PatternKind::Call),
            macros: self.patterns(raw.macros.as_ref(), PatternKind::Macro),
            paths: self.patterns(raw.paths.as_ref(), PatternKind::Path),
            attributes: self.attributes(raw.attributes.as_ref()),
            // Compiled with every other query of the spec, once: `compile_queries`.
            query: raw.query.as_ref().map(|raw| crate::spec::model::Query {
                text: raw.text.clone(),
            }),
            span: raw.key.clone(),
        }
    }

    fn patterns(&mut self, list: Option<&RawList>, kind: PatternKind) -> Vec<PathPattern> {
        let entries = list.map_or(&[][..], |list| list.value.as_slice());
        let parsed = entries
            .iter()
            .map(|entry| pattern::path_pattern(entry, kind));
        parsed.filter_map(|result| self.ok(result)).collect()
    }

    fn attributes(&mut self, list: Option<&RawList>) -> Vec<At<String>> {
        let entries = list.map_or(&[][..], |list| list.value.as_slice());
        entries
            .iter()
            .filter_map(|entry| self.attribute(entry))
            .collect()
    }

    fn attribute(&mut self, raw: &At<String>) -> Option<At<String>> {
        match pattern::attribute(&raw.value) {
            Some(name) => Some(At::new(name, raw.span.clone())),
            None => {
                let reason = "the attribute name is empty";
                self.push(errors::pattern(
                    "attribute",
                    &raw.value,
                    reason,
                    raw.span.clone(),
                    None,
                ));
                None
            }
        }
    }

    fn require(&mut self, raw: &RawRequire) -> Option<Require> {
        if key(&raw.keys, "attribute").is_none() && key(&raw.keys, "doc").is_none() {
            self.push(errors::empty_require(raw.key.clone()));
        }
        let attribute = raw
            .attribute
            .as_ref()
            .and_then(|attribute| self.attribute(attribute));
        let items = raw.items.as_ref()?;
        let Some(selector) = pattern::item_selector(&items.value) else {
            let error =
                errors::item_selector(&items.value, pattern::ITEM_SELECTORS, items.span.clone());
            self.push(error);
            return None;
        };
        Some(Require {
            items: At::new(selector, items.span.clone()),
            attribute,
            doc: raw.doc.clone(),
            span: raw.key.clone(),
        })
    }

    pub(super) fn contracts(&mut self, raw: &[RawContract]) -> Vec<Contract> {
        let mut seen = Vec::new();
        let checked = raw.iter().enumerate();
        checked
            .filter_map(|(index, contract)| self.contract(index, contract, &mut seen))
            .collect()
    }

    fn contract(
        &mut self,
        index: usize,
        raw: &RawContract,
        seen: &mut Vec<At<String>>,
    ) -> Option<Contract> {
        if let Some(id) = &raw.id {
            self.rule_id("contract", id, seen);
        }
        let context = context("contract", raw.id.as_ref(), index);
        let kind = self.contract_kind(&context, raw);
        Some(Contract {
            id: raw.id.clone()?,
            description: raw.description.clone(),
            kind: kind?,
            span: raw.span.clone(),
        })
    }

    /// Works out the contract's shape from the keys present.
    fn contract_kind(&mut self, context: &str, raw: &RawContract) -> Option<ContractKind> {
        const TARGETS: [&str; 4] = ["module", "file", "crate", "env"];
        let targets: Vec<&At<String>> = raw
            .keys
            .iter()
            .filter(|k| TARGETS.contains(&k.value.as_str()))
            .collect();
        let (first, second) = match targets.as_slice() {
            [] => {
                let label = "no `module`, `file`, `crate` or `env`";
                self.push(errors::contract_kind(
                    context,
                    "has no kind",
                    raw.anchor.clone(),
                    label,
                ));
                return None;
            }
            [first] => (*first, None),
            [first, second, ..] => (*first, Some(*second)),
        };
        if let Some(second) = second {
            let problem = format!("mixes `{}` and `{}`", first.value, second.value);
            self.push(errors::contract_kind(
                context,
                &problem,
                second.span.clone(),
                "second kind",
            ));
            return None;
        }
        match first.value.as_str() {
            "env" => self.env_contract(context, raw),
            "crate" => self.crate_contract(context, raw, first),
            _ => self.exports_contract(context, raw, first),
        }
    }

    /// Reports `name` (a key that does not fit this kind of contract) if present.
    fn misplaced(&mut self, context: &str, raw: &RawContract, name: &str, kind: &str) -> bool {
        let Some(span) = key(&raw.keys, name) else {
            return false;
        };
        let problem = format!("uses `{name}`, which does not apply to {kind}");
        let label = format!("not valid with {kind}");
        self.push(errors::contract_kind(context, &problem, span, &label));
        true
    }

    fn env_contract(&mut self, context: &str, raw: &RawContract) -> Option<ContractKind> {
        let exports = self.misplaced(context, raw, "exports", "`env`");
        let only_from = self.misplaced(context, raw, "only_from", "`env`");
        let vars = raw.env.as_ref()?.value.iter().filter(|name| {
            let valid = pattern::is_env_name(&name.value);
            if !valid {
                self.push(errors::env_name(&name.value, name.span.clone()));
            }
            valid
        });
        let vars: Vec<At<String>> = vars.cloned().collect();
        (!exports && !only_from).then(|| ContractKind::Env {
            vars,
            exhaustive: raw.exhaustive.clone(),
        })
    }

    fn crate_contract(
        &mut self,
        context: &str,
        raw: &RawContract,
        target: &At<String>,
    ) -> Option<ContractKind> {
        let exports = key(&raw.keys, "exports");
        let only_from = key(&raw.keys, "only_from");
        match (exports, only_from) {
            (Some(_), Some(span)) => {
                let problem = "has both `exports` and `only_from`";
                self.push(errors::contract_kind(context, problem, span, "second kind"));
                None
            }
            (None, None) => {
                let problem = "names a crate but neither `exports` nor `only_from`";
                self.push(errors::contract_kind(
                    context,
                    problem,
                    target.span.clone(),
                    "incomplete contract",
                ));
                None
            }
            (Some(_), None) => self.exports_contract(context, raw, target),
            (None, Some(_)) => self.crate_use(context, raw),
        }
    }

    fn crate_use(&mut self, context: &str, raw: &RawContract) -> Option<ContractKind> {
        let exhaustive = self.misplaced(
            context,
            raw,
            "exhaustive",
            "a `crate` + `only_from` contract",
        );
        let only_from = self.scopes(raw.only_from.as_ref(), "only_from");
        let krate = raw
            .krate
            .as_ref()
            .and_then(|text| self.ok(glob::crate_pattern(text)));
        let krate = krate?;
        (!exhaustive).then_some(ContractKind::CrateUse { krate, only_from })
    }

    fn exports_contract(
        &mut self,
        context: &str,
        raw: &RawContract,
        target: &At<String>,
    ) -> Option<ContractKind> {
        let kind = format!("`{}`", target.value);
        let only_from = target.value != "crate" && self.misplaced(context, raw, "only_from", &kind);
        if key(&raw.keys, "exports").is_none() {
            self.push(errors::missing_exports(context, target.span.clone()));
            return None;
        }
        let export_target = self.export_target(raw)?;
        let exports = raw.exports.as_ref()?;
        (!only_from).then(|| ContractKind::Exports {
            target: export_target,
            exports: exports.value.clone(),
            exhaustive: raw.exhaustive.clone(),
        })
    }

    fn export_target(&mut self, raw: &RawContract) -> Option<At<ExportTarget>> {
        if let Some(module) = &raw.module {
            let path = self.ok(pattern::module_path(module))?;
            return Some(At::new(ExportTarget::Module(path), module.span.clone()));
        }
        if let Some(file) = &raw.file {
            let path = self.ok(glob::relative_path(file))?;
            return Some(At::new(ExportTarget::File(path), file.span.clone()));
        }
        let krate = raw.krate.as_ref()?;
        let name = krate.value.trim();
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if !valid {
            let reason = "a crate name is letters, digits, `-` and `_`";
            self.push(errors::pattern(
                "crate name",
                name,
                reason,
                krate.span.clone(),
                None,
            ));
            return None;
        }
        Some(At::new(
            ExportTarget::Crate(name.to_owned()),
            krate.span.clone(),
        ))
    }
}
