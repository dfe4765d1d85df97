#!/usr/bin/env bash
# bench/facts-equivalence.sh — shows that a change to extraction leaves every fact as it was.
#
# usage: bench/facts-equivalence.sh OLD_RIBO [TIER] [CORPUS_DIR]
#
# Runs OLD_RIBO (a ribo binary built before the change) and this tree's release build over the
# corpus, each with a cache directory of its own, and compares the facts caches byte for byte:
# they hold every fact of every file (paths, uses, items, calls, macros, attributes, unsafe
# sites, directives, query hits, spans), encoded in file order, so identical files mean
# identical facts. The resolution snapshots are compared too. Both binaries must write the same
# cache format (a binary from before a format change writes different files whatever its facts).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
OLD="${1:?usage: bench/facts-equivalence.sh OLD_RIBO [TIER] [CORPUS_DIR]}"
TIER="${2:-large}"
CORPUS="${3:-/tmp/ribo-corpus-$TIER}"

prepare_corpus "$TIER" "$CORPUS"
(cd "$REPO" && cargo build --release --quiet)
A="$(mktemp -d)"; B="$(mktemp -d)"
trap 'rm -rf "$A" "$B"' EXIT
"$OLD" check "$CORPUS" --cache-dir "$A" --quiet --color never >/dev/null || true
"$RIBO" check "$CORPUS" --cache-dir "$B" --quiet --color never >/dev/null || true
status=0
for f in facts-v1.bin facts-v1-rest.bin resolved-v1.bin; do
  if cmp -s "$A/$f" "$B/$f"; then
    echo "identical: $f ($(stat -c %s "$B/$f") bytes)"
  else
    echo "DIFFERENT: $f" >&2
    status=1
  fi
done
exit $status
