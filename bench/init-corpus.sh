#!/usr/bin/env bash
# bench/init-corpus.sh — `ribo init` then `ribo check` on every crate of a corpus, and what the
# inferred spec says checked against each crate's own Cargo.toml.
#
# usage: bench/init-corpus.sh [CORPUS_DIR]   (default /tmp/ribo-corpus-large; run.sh builds it)
#
# For every crate (a copy of it, its ribo.yaml removed):
# 1. `ribo init` exits 0 and `ribo check` exits 0 with no finding (tangles of boundaries are
#    recorded in the baseline init writes; warnings about the input are allowed, and counted);
# 2. every crate a boundary's `crates:` lists is declared in the crate's Cargo.toml as a normal
#    or build dependency (with `tests: skip`, `crates:` comes from non-test code only: a
#    dev-dependency there would mean test code taken for production code);
# 3. when the boundary graph is acyclic (no `boundary::cycle` in the baseline), `layers` is
#    proposed: declared, or written as a comment when several orders fit.
# The script prints one line per crate and fails if any crate fails a point.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
CORPUS="${1:-/tmp/ribo-corpus-large}"
(cd "$REPO" && cargo build --release --quiet)
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
fail=0
printf '%-32s %-6s %-8s %-9s %-8s %s\n' crate check findings warnings crates layers
for crate in "$CORPUS"/*/; do
  name="$(basename "$crate")"
  cp -r "$crate" "$WORK/$name"
  rm -f "$WORK/$name/ribo.yaml" "$WORK/$name/ribo-baseline.json"
  if ! "$RIBO" init "$WORK/$name" >/dev/null 2>"$WORK/init.err"; then
    echo "FAIL init $name: $(head -3 "$WORK/init.err")"; fail=1; continue
  fi
  set +e
  "$RIBO" check "$WORK/$name" --no-cache --format json --color never >"$WORK/check.json" 2>"$WORK/check.err"
  code=$?
  set -e
  python3 - "$WORK/$name" "$WORK/check.json" "$code" "$name" <<'PY' || fail=1
import json, re, sys, tomllib
root, report, code, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
problems = []
try:
    out = json.load(open(report))
except Exception as e:
    out = {"violations": [{"code": f"unreadable report: {e}"}], "summary": {}}
findings = [v["code"] for v in out.get("violations", [])]
warnings = out.get("summary", {}).get("input_warnings", 0)
if code != 0 or findings:
    problems.append(f"check exit {code}, findings {sorted(set(findings))}")
spec = open(f"{root}/ribo.yaml").read()
# Every `crates:` entry, flow (`crates: [a, b]`) or block (`crates:` then `- a` lines).
listed = set()
lines = spec.splitlines()
for i, line in enumerate(lines):
    m = re.match(r"\s+crates:\s*\[(.*)\]\s*$", line)
    if m:
        listed |= {c.strip() for c in m.group(1).split(",") if c.strip()}
    elif re.match(r"\s+crates:\s*$", line):
        for more in lines[i + 1:]:
            item = re.match(r"\s+-\s+(\S+)", more)
            if not item:
                break
            listed.add(item.group(1))
manifest = tomllib.load(open(f"{root}/Cargo.toml", "rb"))
def packages(table, sections):
    out = set()
    for sec in sections:
        for key, val in (table.get(sec) or {}).items():
            pkg = val.get("package", key) if isinstance(val, dict) else key
            out |= {key, pkg}
    return out
normal = packages(manifest, ["dependencies", "build-dependencies", "build_dependencies"])
dev = packages(manifest, ["dev-dependencies", "dev_dependencies"])
for cfg in (manifest.get("target") or {}).values():
    normal |= packages(cfg, ["dependencies", "build-dependencies", "build_dependencies"])
    dev |= packages(cfg, ["dev-dependencies", "dev_dependencies"])
norm = lambda c: c.replace("-", "_")
declared = {norm(c) for c in normal}
undeclared = sorted(c for c in listed if norm(c) not in declared)
if undeclared:
    dev_only = [c for c in undeclared if norm(c) in {norm(d) for d in dev}]
    problems.append(f"crates: {undeclared} not declared as dependencies" + (f" ({dev_only} are dev-dependencies)" if dev_only else ""))
try:
    baseline = open(f"{root}/ribo-baseline.json").read()
except FileNotFoundError:
    baseline = ""
cyclic = '"boundary::cycle"' in baseline
boundaries = len(re.findall(r"^  [a-z][a-z0-9_-]*:  #", spec, re.M))
declared_layers = re.search(r"^layers:", spec, re.M) is not None
suggested_layers = re.search(r"^# layers:", spec, re.M) is not None
if cyclic:
    layers = "cyclic"
elif declared_layers:
    layers = "declared"
elif suggested_layers:
    layers = "suggested"
elif boundaries < 2:
    layers = "one"
else:
    layers = "none"
    # No dependency between boundaries at all also proposes none: check there is one.
    if re.search(r"may_use: \[[^\]]", spec):
        problems.append("acyclic boundaries but no layers proposed")
status = "ok" if not problems else "FAIL"
print(f"{name:32} {status:6} {len(findings):<8} {warnings:<9} {len(listed):<8} {layers}")
for p in problems:
    print(f"    {p}")
sys.exit(1 if problems else 0)
PY
  rm -rf "$WORK/$name"
done
exit $fail
