#!/usr/bin/env bash
# bench/growth.sh — does ribo's cost grow linearly with the repository? Rerunnable.
#
# usage: bench/growth.sh [RUNS]
#
# Times ribo cold (--no-cache, 2 threads) and the tsparse parse floor on the small, medium and
# large tiers of the pinned corpus (built with bench/run.sh's corpus script when missing, each
# with its benchmark spec from bench/spec.py), and prints seconds per million lines for both:
# linear growth means ribo's per-line cost stays flat from tier to tier, like the floor's.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RUNS="${1:-3}"
build_binaries
OUT="$(mktemp -d)"
for tier in small medium large; do
  corpus="/tmp/ribo-corpus-$tier"
  prepare_corpus "$tier" "$corpus" >/dev/null
  lines="$(find -L "$corpus" -name '*.rs' -exec cat {} + | wc -l)"
  echo "$tier $lines" >> "$OUT/lines"
  # Interleaved rounds (bench/interleave.py), as run.sh times cold runs.
  python3 "$HERE/interleave.py" "$OUT/$tier.json" "$RUNS" \
    "parse=$TSPARSE parse 2 $corpus" \
    "ribo=$RIBO check $corpus --no-cache --quiet --color never" >/dev/null
done
python3 - "$OUT" <<'PY'
import json, statistics, sys, os
out = sys.argv[1]
lines = dict(l.split() for l in open(os.path.join(out, "lines")))
print(f"{'tier':8} {'lines':>9} {'parse s':>8} {'ribo s':>8} {'parse s/Mline':>14} {'ribo s/Mline':>13} {'ribo/parse':>11}")
for tier in ("small", "medium", "large"):
    r = {x["command"]: statistics.median(x["times"]) for x in json.load(open(os.path.join(out, tier + ".json")))["results"]}
    n = int(lines[tier]) / 1e6
    print(f"{tier:8} {int(lines[tier]):9} {r['parse']:8.3f} {r['ribo']:8.3f} {r['parse'] / n:14.2f} {r['ribo'] / n:13.2f} {r['ribo'] / r['parse']:11.2f}")
PY
rm -rf "$OUT"
