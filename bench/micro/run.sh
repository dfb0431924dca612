#!/usr/bin/env bash
# Runs bench/micro/chain_dispatch with repetitions (randomly interleaved, so slow drift of the
# machine spreads over every variant instead of biasing one) and prints bench/micro/summarize.py's
# table. Bounded: the run is killed after TIMEOUT seconds.
# env: BIN=<build dir>/bench/chain_dispatch  REPS=9  MIN_TIME=0.2 (s per repetition)  FILTER=.
#      OUT=/tmp/chain_dispatch-<time>.json  TIMEOUT=600  CPU= (taskset list, e.g. 1; empty = unpinned)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BIN=${BIN:-$here/../../build/bench/chain_dispatch}
REPS=${REPS:-9} MIN_TIME=${MIN_TIME:-0.2} FILTER=${FILTER:-.} TIMEOUT=${TIMEOUT:-600}
OUT=${OUT:-/tmp/chain_dispatch-$(date +%Y%m%d-%H%M%S).json}
[ -x "$BIN" ] || { echo "no $BIN: build the chain_dispatch target, or set BIN" >&2; exit 1; }
pin=(); [ -n "${CPU:-}" ] && pin=(taskset -c "$CPU")

echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
timeout "$TIMEOUT" "${pin[@]}" "$BIN" --benchmark_filter="$FILTER" \
  --benchmark_repetitions="$REPS" --benchmark_enable_random_interleaving=true \
  --benchmark_min_time="$MIN_TIME" --benchmark_out="$OUT" --benchmark_out_format=json >/dev/null
echo "# load after:  $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 "$here/summarize.py" "$OUT"
echo "raw results: $OUT"
