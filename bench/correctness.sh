#!/usr/bin/env bash
# bench/correctness.sh — ribo at scale, checked against an independent count.
#
# usage: bench/correctness.sh [CORPUS_DIR]   (default /tmp/ribo-corpus-large; build it with run.sh)
#
# 1. For every crate of the corpus: `ribo init` then `ribo check` must exit 0, with no panic.
# 2. A spec with three invariants (unsafe blocks, `.unwrap()` calls, `println!`) is checked
#    on the whole corpus, and ribo's counts per crate are compared with tsparse's `oracle`
#    (raw tree-sitter queries over parsed code, no macro bodies). ribo also sees inside macro
#    token trees and re-parses item macros (tokio's `cfg_*! { .. }`), and `unsafe: true` also
#    covers unsafe fns/impls/traits, so it may count more, never less: the script fails if ribo
#    finds fewer anywhere.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SHARED="${RIBO_BENCH_SHARED:-$REPO/../shared/bench}"
CORPUS="${1:-/tmp/ribo-corpus-large}"
TOOLS="$HERE/.tools"
(cd "$REPO" && cargo build --release --quiet)
RIBO="$REPO/target/release/ribo"
(cd "$SHARED/tsparse" && CARGO_TARGET_DIR="$TOOLS/tsparse-target" cargo build --release --quiet)
TSPARSE="$TOOLS/tsparse-target/release/tsparse"

echo "== ribo init + ribo check on every crate"
fail=0
WORK="$(mktemp -d)"
for crate in "$CORPUS"/*/; do
  name="$(basename "$crate")"
  rm -rf "$WORK/$name" && cp -r "$crate" "$WORK/$name"
  rm -f "$WORK/$name/ribo.yaml"
  if ! "$RIBO" init "$WORK/$name" >/dev/null 2>"$WORK/init.err"; then
    echo "FAIL init $name: $(head -3 "$WORK/init.err")"; fail=1; continue
  fi
  set +e
  "$RIBO" check "$WORK/$name" --no-cache --quiet --color never >"$WORK/out" 2>"$WORK/err"
  code=$?
  set -e
  if [ "$code" -ne 0 ] || grep -q "panicked at" "$WORK/err"; then
    echo "FAIL check $name (exit $code): $(tail -2 "$WORK/out") $(head -3 "$WORK/err")"; fail=1
  else
    echo "ok   $name: $(tail -1 "$WORK/out")"
  fi
done
rm -rf "$WORK"

echo "== counts per crate: ribo vs tsparse oracle"
SPEC="$(mktemp --suffix=.yaml)"
python3 "$HERE/spec.py" "$CORPUS" --oracle > "$SPEC"
sed -i "s|^system:|system:\n  root: $CORPUS|" "$SPEC"
"$RIBO" check --spec "$SPEC" --no-cache --format json --color never > "$SPEC.json" || true
"$TSPARSE" oracle 2 "$CORPUS" > "$SPEC.tsv"
python3 - "$SPEC.json" "$SPEC.tsv" "$CORPUS" <<'PY' || fail=1
import json, os, sys, collections
report = json.load(open(sys.argv[1]))
corpus = os.path.realpath(sys.argv[3])
ribo = collections.Counter()
for v in report["violations"]:
    # JSON paths are shown as a user would type them from the working directory.
    rel = os.path.relpath(os.path.realpath(v["file"]), corpus)
    ribo[(rel.split(os.sep)[0], v["code"])] += 1
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
head, rows = rows[0], rows[1:]
col = {n: i for i, n in enumerate(head)}
pairs = [("unsafe_block", "invariant::unsafe-blocks"), ("unwrap_call", "invariant::unwrap-calls"),
         ("println_macro", "invariant::println-macros")]
bad = 0
print(f"{'crate':28} " + " ".join(f"{o:>22}" for o, _ in pairs))
for r in rows:
    crate = r[0]
    if crate == "TOTAL":
        continue
    cells = []
    for oracle, code in pairs:
        o, m = int(r[col[oracle]]), ribo[(crate, code)]
        mark = "" if m == o else (" (+%d)" % (m - o) if m > o else " (LESS)")
        if m < o:
            bad += 1
        cells.append(f"{m}/{o}{mark}".rjust(22))
    print(f"{crate:28} " + " ".join(cells))
print("\nribo/oracle per crate. ribo never counts fewer; (+n) comes from ribo's wider definitions:")
print("  unsafe: true also covers unsafe fns, impls and traits (the oracle counts unsafe blocks only);")
print("  calls: [unwrap] also matches path calls (Option::unwrap(x)) and calls in macro token trees;")
print("  macros nested in token trees and re-parsed item macros (tokio's cfg_*! { .. }) count too.")
sys.exit(1 if bad else 0)
PY
rm -f "$SPEC" "$SPEC.json" "$SPEC.tsv"
exit $fail
