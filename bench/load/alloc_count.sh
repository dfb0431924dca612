#!/usr/bin/env bash
# Heap allocations per request of a server, counted by liballoc_count.so (alloc_count.cpp):
# runs the server twice under it, once answering a single request and once under wrk for
# DURATION seconds, and prints (allocations(wrk) - allocations(single)) / (requests(wrk) - 1).
# The server must listen on $AILERON_ADDR, as aileron with the bench configs and
# static_chain_proxy do; it is stopped with SIGTERM after each run.
#   bench/load/alloc_count.sh build/aileron -f bench/load/proxy-chain.yaml
#   HEADER="Origin: http://localhost:3000" URL_PATH=/api/v1/users/12345 \
#     bench/load/alloc_count.sh build/bench/static_chain_proxy --bare
# env: PORT=9390  UPSTREAM=http://127.0.0.1:9300 (peers-up.sh's upstream must be running for the
#      proxies)  URL_PATH=/  HEADER=  DURATION=3  WORKERS=2  LIB=<dir of the server>/bench/liballoc_count.so
#      (or build/bench/liballoc_count.so)  ACCESS_LOG_DIR=${TMPDIR:-/tmp}/aileron-alloc-count-log
set -euo pipefail
(($#)) || { echo "usage: alloc_count.sh SERVER [ARGS...]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
PORT=${PORT:-9390} URL_PATH=${URL_PATH:-/} DURATION=${DURATION:-3} WORKERS=${WORKERS:-2}
UPSTREAM=${UPSTREAM:-http://127.0.0.1:9300} ACCESS_LOG_DIR=${ACCESS_LOG_DIR:-${TMPDIR:-/tmp}/aileron-alloc-count-log}
server_dir=$(cd "$(dirname "$1")" && pwd)
if [ -z "${LIB:-}" ]; then   # beside the server's build: <build>/aileron or <build>/bench/static_chain_proxy
  for LIB in "$server_dir/bench/liballoc_count.so" "$server_dir/liballoc_count.so" "$here/../../build/bench/liballoc_count.so"; do
    [ -f "$LIB" ] && break
  done
fi
[ -f "$LIB" ] || { echo "no liballoc_count.so: build the alloc_count target or set LIB" >&2; exit 1; }
url=http://127.0.0.1:$PORT$URL_PATH
hdr=(); [ -n "${HEADER:-}" ] && hdr=(-H "$HEADER")

once() {  # once SECONDS SERVER [ARGS...] -> "requests allocations"
  local secs=$1 err; shift
  err=$(mktemp)
  LD_PRELOAD=$LIB AILERON_ADDR=127.0.0.1:$PORT AILERON_WORKERS=$WORKERS UPSTREAM=$UPSTREAM \
    ACCESS_LOG_DIR=$ACCESS_LOG_DIR "$@" > /dev/null 2> "$err" &
  local pid=$! n=1 code=
  for _ in $(seq 50); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "$url") || true
    [ "$code" = 200 ] && break
    sleep 0.1
  done
  [ "$code" = 200 ] || { kill -TERM "$pid"; wait "$pid" || true; echo "server did not answer 200 at $url:" >&2; tail -3 "$err" >&2; exit 1; }
  if [ "$secs" != 0 ]; then
    n=$(wrk -t1 -c10 -d"$secs"s "${hdr[@]}" "$url" | awk '/ requests in /{ print $1 }')
    n=$((n + 1))
  fi
  kill -TERM "$pid"; wait "$pid" || true
  echo "$n $(awk '/^alloc_count:/{ print $2 }' "$err")"
  rm -f "$err"
}
read -r n0 a0 < <(once 0 "$@")
read -r n1 a1 < <(once "$DURATION" "$@")
awk -v n0="$n0" -v a0="$a0" -v n1="$n1" -v a1="$a1" -v what="$*" -v path="$URL_PATH" 'BEGIN {
  printf "%.2f allocations per request (%d requests, %d allocations; %d for one request)  %s  %s\n",
    (a1 - a0) / (n1 - n0), n1, a1, a0, path, what }'
