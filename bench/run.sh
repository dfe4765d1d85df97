#!/usr/bin/env bash
# bench/run.sh — ribo against the parse floor and a peer, on real code. Rerunnable.
#
# usage: bench/run.sh [small|medium|large] [CORPUS_DIR]
#
# 1. Builds the pinned corpus with ../shared/bench/make-corpus.sh (crates.io only) unless
#    CORPUS_DIR already holds it, and writes the benchmark spec (bench/spec.py) into it.
# 2. Builds ribo (release) and tsparse (the raw tree-sitter floor), installs hyperfine (apt)
#    and ast-grep 0.51.1 (npm, into bench/.tools) when missing.
# 3. Times, side by side (median of 5 after a warm-up, page cache warm): tsparse parse (2
#    threads), ast-grep scan (5 rules, 2 threads), ribo cold (--no-cache) and ribo with 1
#    thread in interleaved rounds (bench/interleave.py); then with hyperfine ribo warm (cache
#    primed), ribo one changed file (ribo check FILE, after a body edit, an item added, a `use`
#    added, an inline module added, and a new file added with its `mod`) and ribo after a spec
#    edit; and prints the ratios the performance goals are stated
#    in, plus peak memory (/usr/bin/time): cold, warm, one changed file, and a repository's
#    first run with the cache (three times).
# With BASE=/path/to/an/earlier/ribo, that build is timed side by side with this one in every
# measurement (its own cache directory, .ribo-cache-base), round by round (each round runs
# both: see `timed`), and the table shows both.
# The machine is noisy: compare only ratios from one run (docs/performance.md).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
TIER="${1:-large}"
CORPUS="${2:-/tmp/ribo-corpus-$TIER}"
RUNS="${RUNS:-5}"

prepare_corpus "$TIER" "$CORPUS"

echo "== building ribo and tsparse (release)"
build_binaries

if ! command -v hyperfine >/dev/null; then
  echo "== installing hyperfine (apt)"
  (apt-get update -qq && apt-get install -y -qq hyperfine) >/dev/null
fi
ASTGREP="$TOOLS/node_modules/.bin/ast-grep"
if [ ! -x "$ASTGREP" ]; then
  echo "== installing ast-grep 0.51.1 (npm)"
  mkdir -p "$TOOLS" && (cd "$TOOLS" && npm install --silent --no-audit --no-fund @ast-grep/cli@0.51.1 >/dev/null)
fi

ONE_FILE="$(cd "$CORPUS" && find . -name '*.rs' -path '*/src/*' | sort | sed -n 1p)"
echo "== corpus: $(find -L "$CORPUS" -name '*.rs' | wc -l) files, $(find -L "$CORPUS" -name '*.rs' -exec cat {} + | wc -l) lines; one-file target: $ONE_FILE"

# Prime the cache for the warm and one-file runs.
"$RIBO" check "$CORPUS" --quiet --color never >/dev/null || true
# "One changed file" really changes it before every run (a comment appended: new content, so
# its facts and the run's results miss the cache; its interface is unchanged, so the other
# files' resolution comes from the snapshot); "interface edit" appends a new item instead
# (names mode: the files that may see the new name are resolved again), "use edit" a new
# `use` (names mode too: the files that may see its binding are); "warm, spec edited" edits the spec (a
# comment): the results are computed again from cached facts. Both are restored at the end.
# "mod edit" appends an inline module, "new file" writes a new file and appends its `mod` (the
# module trees change: the snapshot's are mapped onto the new ones, see src/facts/incremental/reframe.rs).
ONE_SAVED="$(mktemp)"; cp "$CORPUS/$ONE_FILE" "$ONE_SAVED"
SPEC_SAVED="$(mktemp)"; cp "$CORPUS/ribo.yaml" "$SPEC_SAVED"
case "$(basename "$ONE_FILE")" in
  lib.rs|mod.rs|main.rs) NEW_DIR="$CORPUS/$(dirname "$ONE_FILE")" ;;
  *) NEW_DIR="$CORPUS/${ONE_FILE%.rs}" ;;
esac
NEW_LAST="$(mktemp)"   # the path of the file the last "new file" run added
NEW_DIR_MADE=""; [ -d "$NEW_DIR" ] || NEW_DIR_MADE=1
trap 'cp "$ONE_SAVED" "$CORPUS/$ONE_FILE"; cp "$SPEC_SAVED" "$CORPUS/ribo.yaml"; rm -f "$NEW_DIR"/ribo_bench_*.rs; [ -z "$NEW_DIR_MADE" ] || rmdir "$NEW_DIR" 2>/dev/null; rm -f "$ONE_SAVED" "$SPEC_SAVED" "$NEW_LAST"' EXIT

BASE="${BASE:-}"
BASE_CACHE="$CORPUS/.ribo-cache-base"
# Each timed ribo command, then the same with the earlier build (when BASE is set).
both() { # NAME COMMAND-ARGS...
  local name="$1"; shift
  printf '%s\n' "-n" "$name" "$RIBO $*"
  if [ -n "$BASE" ]; then printf '%s\n' "-n" "$name (base)" "$BASE $* --cache-dir $BASE_CACHE"; fi
}
# hyperfine over the given commands into OUT. With BASE, each round runs every command once
# (this build, then the base), RUNS rounds after one warm-up round, so that both builds see the
# same moments of a noisy machine (five runs of one then five of the other moved a line's ratio
# by up to 20% between two runs of this script).
timed() { # OUT HYPERFINE-ARGS...
  local out="$1"; shift
  if [ -z "$BASE" ]; then
    hyperfine --warmup 1 --runs "$RUNS" --export-json "$out" "$@" -i >/dev/null
    return
  fi
  hyperfine --runs 1 "$@" -i >/dev/null
  local parts=() r
  for r in $(seq "$RUNS"); do
    parts+=("$out.round$r")
    hyperfine --runs 1 --export-json "$out.round$r" "$@" -i >/dev/null
  done
  python3 - "$out" "${parts[@]}" <<'PY'
import json, sys
out, parts = sys.argv[1], sys.argv[2:]
merged = {}
for p in parts:
    for x in json.load(open(p))["results"]:
        merged.setdefault(x["command"], []).extend(x["times"])
json.dump({"results": [{"command": c, "times": t} for c, t in merged.items()]}, open(out, "w"))
PY
  rm -f "${parts[@]}"
}
mapfile -t WARM < <(both "ribo warm" check "$CORPUS" --quiet --color never)
mapfile -t ONE < <(both "ribo one changed file" check "$CORPUS/$ONE_FILE" --quiet --color never)
if [ -n "$BASE" ]; then
  "$BASE" check "$CORPUS" --quiet --color never --cache-dir "$BASE_CACHE" >/dev/null || true
  BASE_COLD=("ribo cold (base)=$BASE check $CORPUS --no-cache --quiet --color never")
else
  BASE_COLD=()
fi

JSON="$(mktemp)"
# The cold comparisons run interleaved (bench/interleave.py: every command once per round), so
# that the machine's drifting load falls on all of them alike.
python3 "$HERE/interleave.py" "$JSON" "$RUNS" \
  "tsparse parse (2 threads)=$TSPARSE parse 2 $CORPUS" \
  "ast-grep scan (5 rules, 2 threads)=$ASTGREP scan -c $SHARED/astgrep/sgconfig.yml -j 2 $CORPUS" \
  "ribo cold=$RIBO check $CORPUS --no-cache --quiet --color never" \
  "ribo cold, 1 thread=$RIBO check $CORPUS --no-cache --quiet --color never --threads 1" \
  "${BASE_COLD[@]}"
JSON1="$(mktemp)"
timed "$JSON1" -N "${WARM[@]}"
# One edit kind at a time; with BASE, each build in turn after the same kind of edit.
edited() { # OUT NAME EDIT
  local out="$1" name="$2" edit="$3"
  local args=(-N --prepare "sh -c '$edit'" -n "$name" "$RIBO check $CORPUS/$ONE_FILE --quiet --color never")
  if [ -n "$BASE" ]; then
    args+=(--prepare "sh -c '$edit'" -n "$name (base)" "$BASE check $CORPUS/$ONE_FILE --quiet --color never --cache-dir $BASE_CACHE")
  fi
  timed "$out" "${args[@]}"
}
JSON2="$(mktemp)"
edited "$JSON2" "ribo one changed file" "echo \"// bench \$(date +%s%N)\" >> $CORPUS/$ONE_FILE"
edited "$JSON2.item" "ribo one file, interface edit" "echo \"pub fn bench_\$(date +%s%N)() {}\" >> $CORPUS/$ONE_FILE"
edited "$JSON2.use" "ribo one file, use edit" "echo \"use std::fmt as bench_\$(date +%s%N);\" >> $CORPUS/$ONE_FILE"
JSON4="$(mktemp)"
mkdir -p "$NEW_DIR"
edited "$JSON4" "ribo one file, mod edit" "echo \"pub mod bench_\$(date +%s%N) { pub fn x() {} }\" >> $CORPUS/$ONE_FILE"
# The new file's path changes every run: the command reads it through a shell (hyperfine
# subtracts the shell's own start-up; the cat costs ~1 ms more). Each run adds one more file
# and `mod` to those of the runs before it (the snapshot stays the primed one: each run's
# structure is new), so later runs map a little more than earlier ones.
NEW_EDIT="sh -c 'n=ribo_bench_\$(date +%s%N); echo \"pub fn x() {}\" > $NEW_DIR/\$n.rs; echo \"pub mod \$n;\" >> $CORPUS/$ONE_FILE; echo $NEW_DIR/\$n.rs > $NEW_LAST'"
NEW_ARGS=(--prepare "$NEW_EDIT" -n "ribo one file, new file" "$RIBO check $CORPUS/$ONE_FILE \$(cat $NEW_LAST) --quiet --color never")
if [ -n "$BASE" ]; then
  NEW_ARGS+=(--prepare "$NEW_EDIT" -n "ribo one file, new file (base)" "$BASE check $CORPUS/$ONE_FILE \$(cat $NEW_LAST) --quiet --color never --cache-dir $BASE_CACHE")
fi
timed "$JSON4.new" "${NEW_ARGS[@]}"
rm -f "$NEW_DIR"/ribo_bench_*.rs; cp "$ONE_SAVED" "$CORPUS/$ONE_FILE"
JSON3="$(mktemp)"
SPEC_EDIT="sh -c 'echo \"# bench \$(date +%s%N)\" >> $CORPUS/ribo.yaml'"
SPEC_ARGS=(-N --prepare "$SPEC_EDIT" -n "ribo warm, spec edited" "$RIBO check $CORPUS --quiet --color never")
if [ -n "$BASE" ]; then
  SPEC_ARGS+=(--prepare "$SPEC_EDIT" -n "ribo warm, spec edited (base)" "$BASE check $CORPUS --quiet --color never --cache-dir $BASE_CACHE")
fi
timed "$JSON3" "${SPEC_ARGS[@]}"

# A change that is not written (cache warm, the tree as it is): an agent's hook for a one-file
# edit (Claude Code's PreToolUse of a Write: the file with one line more), `--patch` of a
# three-file diff, and the same with `--new`.
JSON5="$(mktemp)"
"$RIBO" check "$CORPUS" --quiet --color never >/dev/null || true
PAYLOAD="$(mktemp)"; PATCH3="$(mktemp)"
python3 - "$CORPUS" "$ONE_FILE" "$PAYLOAD" "$PATCH3" <<'PY'
import json, os, subprocess, sys
corpus, one, payload, patch = sys.argv[1:5]
one = os.path.normpath(one)
path = os.path.join(corpus, one)
text = open(path, encoding="utf-8", errors="surrogateescape").read()
json.dump({"session_id": "bench", "transcript_path": "/dev/null", "cwd": corpus,
           "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": "Write",
           "tool_use_id": "bench", "tool_input": {"file_path": path,
           "content": text + "pub fn bench_hook() -> u32 { 1 }\n"}},
          open(payload, "w"), ensure_ascii=False)
files = sorted(f for f in subprocess.run(["find", ".", "-name", "*.rs", "-path", "*/src/*"],
               cwd=corpus, capture_output=True, text=True).stdout.split())
with open(patch, "w") as out:
    for f in files[:1] + files[len(files) // 2:len(files) // 2 + 1] + files[-1:]:
        f = os.path.normpath(f)
        n = sum(1 for _ in open(os.path.join(corpus, f), "rb"))
        out.write(f"--- a/{f}\n+++ b/{f}\n@@ -{n},0 +{n + 1},1 @@\n+pub fn bench_patch() -> u32 {{ 1 }}\n")
PY
# Through a shell (the hook reads its payload on stdin); hyperfine subtracts the shell's start-up.
hyperfine --warmup 1 --runs "$RUNS" --export-json "$JSON5" -i \
  -n "ribo hook, one-file edit" "$RIBO hook claude-code < $PAYLOAD" \
  -n "ribo --patch, 3 files" "$RIBO check $CORPUS --patch $PATCH3 --quiet --color never" \
  -n "ribo --patch --new, 3 files" "$RIBO check $CORPUS --patch $PATCH3 --new --quiet --color never" \
  >/dev/null
rm -f "$PAYLOAD" "$PATCH3"

# The MCP server (bench/mcp.py: one session, the calls an agent makes, timed from request to
# answer): its first `check` cold (no cache at all) and, in a second session, with the caches
# warm; then `check_change` of a one-file edit and `explain_path`, each a median of 15.
MCP_COLD="$(mktemp)"; MCP_WARM="$(mktemp)"
python3 "$(dirname "${BASH_SOURCE[0]}")/mcp.py" "$RIBO" "$CORPUS" "$ONE_FILE" --cold --rounds 15 | tee /dev/stderr | tail -1 >"$MCP_COLD"
python3 "$(dirname "${BASH_SOURCE[0]}")/mcp.py" "$RIBO" "$CORPUS" "$ONE_FILE" --rounds 15 | tee /dev/stderr | tail -1 >"$MCP_WARM"

python3 - "$MCP_COLD" "$MCP_WARM" "$JSON" "$JSON1" "$JSON2" "$JSON2.item" "$JSON2.use" "$JSON3" "$JSON4" "$JSON4.new" "$JSON5" <<'PY'
import json, statistics, sys
r = {}
mcp_cold, mcp_warm = (json.load(open(p)) for p in sys.argv[1:3])
for path in sys.argv[3:]:
    # hyperfine names a result by its -n name; interleave.py by the name before `=`.
    r.update({x["command"]: statistics.median(x["times"]) for x in json.load(open(path))["results"]})
parse = r["tsparse parse (2 threads)"]
sg = r["ast-grep scan (5 rules, 2 threads)"]
print(f"{'what':38} {'median':>9} {'vs parse':>9}")
for k, v in r.items():
    print(f"{k:38} {v:8.3f}s {v / parse:8.2f}x")
print()
print(f"cold / parse (goal <= 1.2):         {r['ribo cold'] / parse:.2f}")
print(f"cold / ast-grep (goal <= 1.0):      {r['ribo cold'] / sg:.2f}")
print(f"warm / parse (goal <= 0.1):         {r['ribo warm'] / parse:.3f}")
print(f"warm, spec edited / parse:          {r['ribo warm, spec edited'] / parse:.3f}")
print(f"one changed file (goal <= 0.150 s): {r['ribo one changed file']:.3f}s")
print(f"one file, item added:               {r['ribo one file, interface edit']:.3f}s (names mode: resolves the files that may see the name)")
print(f"one file, use added:                {r['ribo one file, use edit']:.3f}s (names mode: resolves the files that may see the binding)")
print(f"one file, inline module added:      {r['ribo one file, mod edit']:.3f}s (module trees mapped onto the snapshot's)")
print(f"one file, new file and its mod:     {r['ribo one file, new file']:.3f}s (the new file checked too)")
print(f"2 threads speed-up (goal >= 1.7):   {r['ribo cold, 1 thread'] / r['ribo cold']:.2f}")
print(f"hook, one-file edit / parse (goal <= 0.03): {r['ribo hook, one-file edit'] / parse:.3f}")
print(f"--patch, 3 files / parse (goal <= 0.04):    {r['ribo --patch, 3 files'] / parse:.3f}")
print(f"--new, 3 files / parse (goal <= 0.06):      {r['ribo --patch --new, 3 files'] / parse:.3f}")
print(f"mcp first check, cold / parse (goal <= 1.2):          {mcp_cold['first check (cold)'] / parse:.3f}")
print(f"mcp first check, warm caches / parse (goal <= 0.1):   {mcp_warm['first check (warm caches)'] / parse:.3f}")
print(f"mcp check_change, one-file edit / parse (goal <= 0.005): {mcp_warm['check_change, one-file edit'] / parse:.4f}")
print(f"mcp explain_path / parse (goal <= 0.001):             {mcp_warm['explain_path'] / parse:.4f}")
print(f"mcp server peak memory: {mcp_cold.get('peak_kb', 0) / 1024:.0f} MB (cold session), {mcp_warm.get('peak_kb', 0) / 1024:.0f} MB (warm)")
base = {k[:-len(" (base)")]: v for k, v in r.items() if k.endswith(" (base)")}
if base:
    print()
    print(f"{'side by side':38} {'this':>9} {'base':>9} {'this/base':>9}")
    for k, v in base.items():
        print(f"{k:38} {r[k]:8.3f}s {v:8.3f}s {r[k] / v:8.2f}x")
PY
echo "== peak memory"
cp "$ONE_SAVED" "$CORPUS/$ONE_FILE"; cp "$SPEC_SAVED" "$CORPUS/ribo.yaml"
/usr/bin/time -f "ribo cold: %M KB" "$RIBO" check "$CORPUS" --no-cache --quiet --color never >/dev/null || true
# A repository's very first run with the cache (nothing cached yet) also writes every cache.
for i in 1 2 3; do
  rm -rf "$CORPUS/.ribo-cache"
  /usr/bin/time -f "ribo first run with the cache ($i of 3): %M KB" "$RIBO" check "$CORPUS" --quiet --color never >/dev/null || true
done
"$RIBO" check "$CORPUS" --quiet --color never >/dev/null || true
/usr/bin/time -f "ribo warm: %M KB" "$RIBO" check "$CORPUS" --quiet --color never >/dev/null || true
echo "// bench" >> "$CORPUS/$ONE_FILE"
/usr/bin/time -f "ribo one changed file: %M KB" "$RIBO" check "$CORPUS/$ONE_FILE" --quiet --color never >/dev/null || true
if [ -n "$BASE" ]; then
  cp "$ONE_SAVED" "$CORPUS/$ONE_FILE"
  /usr/bin/time -f "base cold: %M KB" "$BASE" check "$CORPUS" --no-cache --quiet --color never >/dev/null || true
  for i in 1 2 3; do
    rm -rf "$BASE_CACHE"
    /usr/bin/time -f "base first run with the cache ($i of 3): %M KB" "$BASE" check "$CORPUS" --quiet --color never --cache-dir "$BASE_CACHE" >/dev/null || true
  done
  "$BASE" check "$CORPUS" --quiet --color never --cache-dir "$BASE_CACHE" >/dev/null || true
  /usr/bin/time -f "base warm: %M KB" "$BASE" check "$CORPUS" --quiet --color never --cache-dir "$BASE_CACHE" >/dev/null || true
  echo "// bench" >> "$CORPUS/$ONE_FILE"
  /usr/bin/time -f "base one changed file: %M KB" "$BASE" check "$CORPUS/$ONE_FILE" --quiet --color never --cache-dir "$BASE_CACHE" >/dev/null || true
  rm -rf "$BASE_CACHE"
fi
rm -f "$JSON" "$JSON1" "$JSON2" "$JSON2.item" "$JSON2.use" "$JSON3" "$JSON4" "$JSON4.new" "$JSON5"
