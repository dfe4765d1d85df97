#!/usr/bin/env bash
# bench/init-corpus.sh — `ribo init` then `ribo check` on every crate of a corpus, and what the
# inferred spec says checked against each crate's own Cargo.toml.
#
# usage: bench/init-corpus.sh [CORPUS_DIR]   (default /tmp/ribo-corpus-large; run.sh builds it)
#
# For every crate (a copy of it, its ribo.yaml removed):
# 1. `ribo init` exits 0 and `ribo check` exits 0 with no finding (tangles of boundaries are
#    recorded in the baseline init writes; warnings about the input are allowed, and counted);
# 2. every crate a boundary's `crates:` lists is declared in the crate's Cargo.toml, and as a
#    normal or build dependency unless every file of the boundary is an example (Cargo gives
#    examples, tests and benches the dev-dependencies; with `tests: skip`, `crates:` comes from
#    non-test code only: a dev-dependency in a library's boundary would mean test code taken for
#    production code);
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
# Every boundary's `paths:` and `crates:` entries, flow (`[a, b]`) or block (`- a` lines).
def entries(lines, i, key):
    m = re.match(r"\s+" + key + r":\s*\[(.*)\]\s*$", lines[i])
    if m:
        return [c.strip().strip('"') for c in m.group(1).split(",") if c.strip()]
    if re.match(r"\s+" + key + r":\s*$", lines[i]):
        out = []
        for more in lines[i + 1:]:
            item = re.match(r"\s+-\s+(\S+)", more)
            if not item:
                break
            out.append(item.group(1).strip('"'))
        return out
    return None
listed = set()
production = set()
lines = spec.splitlines()
paths = []
for i, line in enumerate(lines):
    if re.match(r"^  [a-z][a-z0-9_-]*:  #", line):
        paths = []
    p = entries(lines, i, "paths")
    if p is not None:
        paths = p
    c = entries(lines, i, "crates")
    if c is not None:
        listed |= set(c)
        if not all(x.startswith("examples/") for x in paths):
            production |= set(c)
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
everything = declared | {norm(d) for d in dev}
undeclared = sorted(c for c in listed if norm(c) not in everything)
if undeclared:
    problems.append(f"crates: {undeclared} not declared in Cargo.toml")
dev_in_production = sorted(c for c in production if norm(c) not in declared and norm(c) in everything)
if dev_in_production:
    problems.append(f"crates: dev-dependencies {dev_in_production} listed for non-example code")
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
