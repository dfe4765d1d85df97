# bench/common.sh — sourced by the bench scripts: where things are, and the two binaries
# every benchmark runs (ribo and the tsparse parse floor), built in release mode.
HERE="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SHARED="${RIBO_BENCH_SHARED:-$REPO/../shared/bench}"
TOOLS="$HERE/.tools"
# RIBO_BIN: a ribo binary to time instead of building this checkout's.
RIBO="${RIBO_BIN:-$REPO/target/release/ribo}"
TSPARSE="$TOOLS/tsparse-target/release/tsparse"

# Builds ribo and tsparse (release).
build_binaries() {
  [ -n "${RIBO_BIN:-}" ] || (cd "$REPO" && cargo build --release --quiet)
  (cd "$SHARED/tsparse" && CARGO_TARGET_DIR="$TOOLS/tsparse-target" cargo build --release --quiet)
}

# Builds the pinned corpus TIER into DIR unless DIR already holds it.
ensure_corpus() {
  local tier="$1" dir="$2"
  if [ ! -d "$dir" ] || [ -z "$(ls -A "$dir" 2>/dev/null | grep -v '^ribo.yaml$' | grep -v '^\.ribo-cache$')" ]; then
    echo "== building the $tier corpus in $dir"
    bash "$SHARED/make-corpus.sh" "$tier" "$dir"
  fi
}

# ensure_corpus, then writes the benchmark spec (bench/spec.py) into DIR.
prepare_corpus() {
  ensure_corpus "$1" "$2"
  python3 "$HERE/spec.py" "$2" > "$2/ribo.yaml"
}
