#!/usr/bin/env python3
"""Writes the benchmark spec for a corpus directory (one sub-directory per crate).

Each crate is a boundary; the spec holds ten invariants of every forbid kind (unsafe, calls,
macros, paths, attributes, query) and one contract per crate (the crate's external
dependency `only_from` itself), so the benchmark exercises every rule kind.

usage: spec.py CORPUS_DIR [--oracle]   (--oracle: only the three invariants compared with
                                        tsparse's independent counts)
"""
import os
import re
import sys


def crates(root):
    for d in sorted(os.listdir(root)):
        if os.path.isdir(os.path.join(root, d)) and not d.startswith("."):
            m = re.match(r"(.*?)-\d", d)
            if m:
                yield d, m.group(1).replace("_", "-").lower()


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    root = sys.argv[1]
    oracle = "--oracle" in sys.argv
    out = ["version: 1", "system:", "  name: corpus", "options:", "  unassigned: allow",
           "  cycles: allow", "  tests: check", "boundaries:"]
    names = []
    for d, name in crates(root):
        names.append(name)
        out += [f"  {name}:", f"    paths: [{q(d + '/**')}]"]
    out.append("invariants:")
    if oracle:
        out += ["  - id: unsafe-blocks", "    forbid: { unsafe: true }",
                "  - id: unwrap-calls", "    forbid: { calls: [unwrap] }",
                "  - id: println-macros", "    forbid: { macros: [println] }"]
        print("\n".join(out))
        return
    calls = ["unwrap", "expect", "std::process::exit", "**::delete_stack", "*::spawn",
             "std::mem::transmute", "panic_any", "std::env::set_var", "Box::leak", "**::forget"]
    macros = ["println", "eprintln", "dbg", "todo", "unimplemented", "panic", "print",
              "std::println", "unreachable", "eprint"]
    paths = ["std::ptr::**", "std::mem::**", "core::ptr::**", "std::process::**",
             "std::thread::**", "std::sync::**", "tokio::**", "std::cell::**",
             "std::env::**", "alloc::**"]
    attributes = ["allow(clippy::unwrap_used)", "no_mangle", "inline(always)",
                  "allow(unsafe_code)", "allow(dead_code)", "export_name", "link_section",
                  "deny(warnings)", "allow(unused)", "cold"]
    queries = [
        '(unsafe_block) @violation',
        '(call_expression function: (field_expression field: (field_identifier) @violation (#eq? @violation "unwrap")))',
        '(macro_invocation macro: (identifier) @violation (#eq? @violation "println"))',
        '(function_item (function_modifiers "async") name: (identifier) @violation)',
        '(impl_item "unsafe" @violation)',
        '(static_item (mutable_specifier) @violation)',
        '(call_expression function: (scoped_identifier) @violation (#match? @violation "transmute$"))',
        '(closure_expression "move" @violation)',
        '(loop_expression) @violation',
        '(type_cast_expression type: (primitive_type) @violation (#eq? @violation "usize"))',
    ]
    for i in range(10):
        out += [f"  - id: calls-{i}", "    severity: warning",
                f"    forbid: {{ calls: [{q(calls[i])}] }}"]
        out += [f"  - id: macros-{i}", "    severity: warning",
                f"    forbid: {{ macros: [{q(macros[i])}] }}"]
        out += [f"  - id: paths-{i}", "    severity: warning",
                f"    forbid: {{ paths: [{q(paths[i])}] }}"]
        out += [f"  - id: attributes-{i}", "    severity: warning",
                f"    forbid: {{ attributes: [{q(attributes[i])}] }}"]
        out += [f"  - id: unsafe-{i}", "    severity: warning",
                "    forbid: { unsafe: true }", f"    in: [{names[i % len(names)]}]"]
        out += [f"  - id: query-{i}", "    severity: warning", "    forbid:",
                f"      query: {q(queries[i])}"]
    out.append("contracts:")
    for name in names:
        out += [f"  - id: {name}-only-self", f"    crate: {name}", f"    only_from: [{name}]"]
    print("\n".join(out))


if __name__ == "__main__":
    main()
