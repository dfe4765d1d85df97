#!/usr/bin/env bash
# bench/correctness.sh — ribo at scale, checked against an independent count.
#
# usage: bench/correctness.sh [CORPUS_DIR]   (default /tmp/ribo-corpus-large; build it with run.sh)
#
# 1. For every crate of the corpus: `ribo init` then `ribo check` must exit 0, with no panic.
# 2. A spec with three invariants (unsafe blocks, `.unwrap()` calls, `println!`) is checked
#    on the whole corpus and reconciled with an independent oracle (bench/oracle.py: the Python
#    tree-sitter bindings running tsparse's `oracle` queries), location by location: per crate,
#    ribo = oracle + extras that each come from a wider definition, named (inside a macro's
#    token tree, unsafe fn/impl/trait, path calls...). The script fails on any oracle location
#    ribo misses and on any ribo location it cannot explain; the oracle's totals must equal
#    tsparse's.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
CORPUS="${1:-/tmp/ribo-corpus-large}"
build_binaries

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

echo "== counts per crate: ribo vs an independent tree-sitter oracle, location by location"
PY="$TOOLS/py"
if ! PYTHONPATH="$PY" python3 -c "import tree_sitter, tree_sitter_rust" 2>/dev/null; then
  echo "== installing the Python tree-sitter bindings (PyPI) into bench/.tools/py"
  python3 -m pip install --quiet --target "$PY" "tree-sitter==0.26.1" "tree-sitter-rust==0.24.2" >/dev/null
fi
SPEC="$(mktemp --suffix=.yaml)"
python3 "$HERE/spec.py" "$CORPUS" --oracle > "$SPEC"
sed -i "s|^system:|system:\n  root: $CORPUS|" "$SPEC"
"$RIBO" check --spec "$SPEC" --no-cache --format json --color never > "$SPEC.json" || true
"$RIBO" facts --spec "$SPEC" --no-cache > "$SPEC.facts.json"
PYTHONPATH="$PY" python3 "$HERE/oracle.py" "$CORPUS" "$SPEC.json" "$SPEC.facts.json" | tee "$SPEC.out" || fail=1
# The Python oracle and tsparse's Rust oracle (same queries) must agree on the totals.
"$TSPARSE" oracle 2 "$CORPUS" 2>/dev/null > "$SPEC.tsv"
python3 - "$SPEC.tsv" "$SPEC.out" <<'PY' || fail=1
import re, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
col = {n: i for i, n in enumerate(rows[0])}
total = next(r for r in rows if r[0] == "TOTAL")
want = [int(total[col[c]]) for c in ("unsafe_block", "unwrap_call", "println_macro")]
line = next(l for l in open(sys.argv[2]) if l.startswith("TOTAL"))
got = [int(o) for o in re.findall(r"\d+ = (\d+) \+", line)]
print(f"tsparse oracle totals {want}, Python oracle totals {got}")
sys.exit(0 if got == want else 1)
PY
rm -f "$SPEC" "$SPEC.json" "$SPEC.facts.json" "$SPEC.out" "$SPEC.tsv"
exit $fail
