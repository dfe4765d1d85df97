#!/usr/bin/env bash
# bench/changed-equivalence.sh — changed mode from the caches reports exactly what it reports
# without them, at scale.
#
# usage: bench/changed-equivalence.sh [CORPUS_DIR] [EVERY]
#   (default /tmp/ribo-corpus-large, every 300th source file; build the corpus with run.sh)
#
# For a sample of the corpus's files, in turn: a comment is appended (a body-only edit: every
# file's interface is unchanged, so the unchanged files' resolution comes from the resolution
# snapshot and their facts from the facts cache), or a new item (an interface edit: everything
# is resolved again, the other files' references read back from the facts cache). Then
# `ribo check FILE --format json` with the caches must be byte-identical to the same check with
# `--no-cache`. Each file is restored.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
CORPUS="${1:-/tmp/ribo-corpus-large}"
EVERY="${2:-300}"
build_binaries
cd "$CORPUS"
"$RIBO" check . --quiet --color never >/dev/null || true   # primes the caches
SAVED="$(mktemp)"; A="$(mktemp)"; B="$(mktemp)"
fail=0; n=0
for f in $(find . -name '*.rs' -path '*/src/*' | sort | awk -v k="$EVERY" 'NR % k == 7'); do
  cp "$f" "$SAVED"
  if [ $((n % 2)) = 0 ]; then
    kind="body edit"; echo "// edited by changed-equivalence.sh" >> "$f"
  else
    kind="new item"; echo "pub fn edited_by_changed_equivalence() {}" >> "$f"
  fi
  "$RIBO" check "$f" --format json --color never >"$A" 2>/dev/null || true
  "$RIBO" check "$f" --format json --color never --no-cache >"$B" 2>/dev/null || true
  cp "$SAVED" "$f"
  n=$((n + 1))
  if cmp -s "$A" "$B"; then echo "same  $f, $kind ($(wc -c <"$A") bytes)"; else echo "DIFF  $f, $kind"; fail=1; fi
done
rm -f "$SAVED" "$A" "$B"
echo "== $n files: $([ $fail = 0 ] && echo 'all identical' || echo 'DIFFERENCES')"
exit $fail
