#!/usr/bin/env python3
"""An independent count of unsafe blocks, `.unwrap()` calls and `println!` invocations,
reconciled location by location with what ribo reports.

usage: oracle.py CORPUS_DIR RIBO_REPORT.json RIBO_FACTS.json

The oracle parses every file ribo checked (the list comes from `ribo facts`) with the Python
tree-sitter bindings (PyPI `tree-sitter` + `tree-sitter-rust`, the grammar version ribo links)
and runs the same queries as `../shared/bench/tsparse oracle`:

    (unsafe_block)                                          unsafe blocks
    (call_expression function: (field_expression field: "unwrap") arguments: "()")
    (macro_invocation macro: (identifier) "println")

Per crate and per invariant it then checks, by byte offset:
  1. every location the oracle finds, ribo reports (none missing);
  2. every location ribo reports beyond the oracle is explained by a definition wider than the
     oracle's, and says which: inside a macro's token tree (tree-sitter does not parse token
     trees; ribo does), an unsafe fn/impl/trait (`unsafe: true` covers them), a path call
     (`Option::unwrap(x)`) or a function named `unwrap`, an unwrap with arguments, a path macro (`std::println!`).
So per crate: ribo = oracle + explained extras, exactly; the script fails on anything missing or
unexplained.
"""
import collections
import json
import os
import sys

import tree_sitter_rust
from tree_sitter import Language, Parser, Query, QueryCursor

LANG = Language(tree_sitter_rust.language())
ORACLE = Query(LANG, r"""
(unsafe_block) @unsafe
(call_expression
  function: (field_expression field: (field_identifier) @unwrap (#eq? @unwrap "unwrap"))
  arguments: (arguments) @_a (#eq? @_a "()"))
(macro_invocation macro: (identifier) @_n (#eq? @_n "println")) @println
""")
CODES = {"unsafe": "invariant::unsafe-blocks", "unwrap": "invariant::unwrap-calls",
         "println": "invariant::println-macros"}


def ancestors(node):
    while node is not None:
        yield node
        node = node.parent


def why_wider(kind, root, byte):
    """Why ribo reports `byte` although the oracle does not (None: unexplained)."""
    node = root.descendant_for_byte_range(byte, byte + 1)
    if node is None:
        return None
    if any(a.type == "token_tree" for a in ancestors(node)):
        return "in a macro's token tree"
    parent = node.parent
    if kind == "unsafe" and parent is not None:
        wider = {"function_modifiers": "unsafe fn", "impl_item": "unsafe impl",
                 "trait_item": "unsafe trait"}
        return wider.get(parent.type)
    if kind == "unwrap":
        if parent is not None and parent.type == "scoped_identifier":
            return "path call (X::unwrap(..))"
        if parent is not None and parent.type == "call_expression":
            return "function call (unwrap(..))"
        if parent is not None and parent.type == "field_expression":
            return "unwrap with arguments"
    if kind == "println" and parent is not None and parent.type == "scoped_identifier":
        return "path macro (std::println!)"
    return None


def main():
    corpus = os.path.realpath(sys.argv[1])
    report = json.load(open(sys.argv[2]))
    facts = json.load(open(sys.argv[3]))
    reported = collections.defaultdict(set)  # (kind, path) -> {(path, byte)}
    by_code = {code: kind for kind, code in CODES.items()}
    for v in report["violations"]:
        kind = by_code.get(v["code"])
        if kind:
            path = os.path.realpath(v["file"])
            reported[(kind, path)].add((path, v["start"]["byte"]))
    parser = Parser(LANG)
    rows = collections.defaultdict(lambda: collections.Counter())
    reasons = collections.Counter()
    problems = []
    for f in facts["files"]:
        if not f.get("parsed", True):
            continue
        path = os.path.join(corpus, f["path"])
        crate = f["path"].split("/")[0]
        source = open(path, "rb").read()
        tree = parser.parse(source)
        found = collections.defaultdict(set)
        for name, nodes in QueryCursor(ORACLE).captures(tree.root_node).items():
            if name in CODES:
                found[name].update((os.path.realpath(path), n.start_byte) for n in nodes)
        for kind in CODES:
            mine = reported[(kind, os.path.realpath(path))]
            rows[crate][kind + " oracle"] += len(found[kind])
            rows[crate][kind + " ribo"] += len(mine)
            for loc in sorted(found[kind] - mine):
                problems.append(f"MISSING {kind} at {f['path']} byte {loc[1]}")
            for loc in sorted(mine - found[kind]):
                why = why_wider(kind, tree.root_node, loc[1])
                if why is None:
                    problems.append(f"UNEXPLAINED {kind} at {f['path']} byte {loc[1]}")
                else:
                    reasons[(kind, why)] += 1
                    rows[crate][kind + " wider"] += 1
    kinds = list(CODES)
    print(f"{'crate':28} " + " ".join(f"{k + ' ribo = oracle + wider':>34}" for k in kinds))
    total = collections.Counter()
    for crate in sorted(rows):
        r = rows[crate]
        total.update(r)
        cells = [f"{r[k + ' ribo']} = {r[k + ' oracle']} + {r[k + ' wider']}" for k in kinds]
        print(f"{crate:28} " + " ".join(c.rjust(34) for c in cells))
    cells = [f"{total[k + ' ribo']} = {total[k + ' oracle']} + {total[k + ' wider']}" for k in kinds]
    print(f"{'TOTAL':28} " + " ".join(c.rjust(34) for c in cells))
    print("\nwhere ribo's definitions are wider than the oracle's:")
    for (kind, why), n in sorted(reasons.items()):
        print(f"  {kind:8} {why:32} {n}")
    for p in problems[:50]:
        print(p)
    if problems:
        print(f"{len(problems)} locations missing or unexplained")
        sys.exit(1)
    print("every oracle location is reported by ribo; every other ribo location is explained")


if __name__ == "__main__":
    main()
