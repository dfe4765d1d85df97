#!/usr/bin/env bash
# bench/changed-equivalence.sh — changed mode from the caches reports exactly what it reports
# without them, at scale.
#
# usage: bench/changed-equivalence.sh [CORPUS_DIR] [EVERY]
#   (default /tmp/ribo-corpus-large, every 300th source file; build the corpus with run.sh)
#
# For a sample of the corpus's files, in turn: a comment is appended (a body-only edit: every
# file's interface is unchanged, so the unchanged files' resolution comes from the resolution
# snapshot and their facts from the facts cache); or a new item (only item names changed: the
# files that may see the name are resolved again, the others' results come from the snapshot);
# or an item is removed (added, the whole repository checked so that the snapshot holds it,
# then the file restored); or an item named after a segment many paths write (`Error`); or a
# `use` added that binds such a name, or the file's first `use` line removed (only item names
# and `use`s changed: the `use`s are compared with the snapshot's). Then
# `ribo check FILE --format json` with the caches must be byte-identical to the same check with
# `--no-cache`. Each file is restored.
#
# Then module-tree edits (an inline module appended, a new file with its `mod`, a file
# deleted), whose effects reach beyond the checked file: tests/cache.rs
# `corpus_module_tree_edits_resolve_as_a_full_run` compares the whole graph's resolution of
# each focused run with a full run's (RIBO_EVERY=n samples every n-th file, default 200; set
# SKIP_TREE_EDITS=1 to skip this part, which builds the tests in release).
#
# RIBO_BIN=path/to/ribo uses that binary instead of building one.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
CORPUS="${1:-/tmp/ribo-corpus-large}"
EVERY="${2:-300}"
if [ -n "${RIBO_BIN:-}" ]; then
  RIBO="$(cd "$(dirname "$RIBO_BIN")" && pwd)/$(basename "$RIBO_BIN")"   # the script moves
else
  build_binaries
fi
[ -x "$RIBO" ] || { echo "no ribo binary at $RIBO" >&2; exit 2; }
cd "$CORPUS"
CORPUS="$(pwd)"
"$RIBO" check . --quiet --color never >/dev/null || true   # primes the caches
SAVED="$(mktemp)"; A="$(mktemp)"; B="$(mktemp)"
fail=0; n=0
for f in $(find . -name '*.rs' -path '*/src/*' | sort | awk -v k="$EVERY" 'NR % k == 7'); do
  cp "$f" "$SAVED"
  case $((n % 6)) in
    0) kind="body edit"; echo "// edited by changed-equivalence.sh" >> "$f" ;;
    1) kind="new item"; echo "pub fn edited_by_changed_equivalence() {}" >> "$f" ;;
    2) kind="removed item"; echo "pub fn removed_by_changed_equivalence() {}" >> "$f"
       "$RIBO" check . --quiet --color never >/dev/null 2>&1 || true
       cp "$SAVED" "$f" ;;
    3) kind="new Error item"; echo "pub struct Error;" >> "$f" ;;
    4) kind="new use of Error"; echo "pub use std::fmt::Error;" >> "$f" ;;
    5) if grep -q '^use .*;$' "$f"; then
         kind="first use removed"; sed -i '0,/^use .*;$/{/^use .*;$/d}' "$f"
       else
         kind="new use"; echo "use std::fmt::Write as EditedByChangedEquivalence;" >> "$f"
       fi ;;
  esac
  "$RIBO" check "$f" --format json --color never >"$A" 2>/dev/null || true
  "$RIBO" check "$f" --format json --color never --no-cache >"$B" 2>/dev/null || true
  cp "$SAVED" "$f"
  n=$((n + 1))
  # An empty output means the check did not run at all: never counted as the same.
  if [ ! -s "$A" ]; then echo "NONE  $f, $kind: no output"; fail=1
  elif cmp -s "$A" "$B"; then echo "same  $f, $kind ($(wc -c <"$A") bytes)"
  else echo "DIFF  $f, $kind"; fail=1; fi
done
rm -f "$SAVED" "$A" "$B"
echo "== $n files: $([ $fail = 0 ] && echo 'all identical' || echo 'DIFFERENCES')"
if [ -z "${SKIP_TREE_EDITS:-}" ]; then
  echo "== module-tree edits (whole-graph resolution, focused against full)"
  (cd "$REPO" && RIBO_CORPUS="$CORPUS" cargo test --release --quiet --test cache \
     corpus_module_tree_edits -- --ignored --nocapture 2>&1 | grep -E '^(same|==)|panicked|FAILED') || fail=1
fi
exit $fail
