#!/usr/bin/env bash
# Drives the servers of peers-up.sh with wrk, interleaved, and prints one table.
#   bench/load/compare.sh                         # nginx aileron nginx-proxy haproxy aileron-proxy
#   bench/load/compare.sh gw=http://127.0.0.1:8080/   # plus any other loopback target (its cpu_us
#                                                 # when $RUN/gw.pid holds "pid start-time port")
#   bench/load/compare.sh --report RAWFILE        # reprint the table of an earlier run
#   TARGETS="nginx-static-1k aileron-static-1k nginx-static-1m aileron-static-1m" bench/load/compare.sh
#                                                 # static files, 1 KiB and 1 MiB
#   TARGETS="nginx-proxy-64k haproxy-64k aileron-proxy-64k nginx-proxy-close haproxy-close aileron-proxy-close" \
#     bench/load/compare.sh                       # proxies: 64 KiB responses; a new connection per request
#   HEADER="Origin: http://localhost:3000" \
#     TARGETS="aileron-proxy aileron-proxy-chain static-proxy static-proxy-chain" bench/load/compare.sh
#                                                 # what a middleware chain costs the proxy, config and static
# Each repeat measures every target once, in an order rotated by one per repeat, so no target is
# always first after a switch. A measurement is redone (at most RETRIES times per run) when
# processes outside the benchmark took more than OTHER_MAX % of the machine meanwhile.
# Columns (medians over the repeats):
#   rps       requests/s seen by wrk          spread  (max-min)/median of rps
#   x_nginx   median of the per-repeat ratios rps/rps(nginx): the pair is measured close in time
#             (for a static-file target, nginx is nginx-static of the same file; for a *-64k or
#             *-close proxy target, it is nginx-proxy-64k or nginx-proxy-close; for a *-chain
#             target, the same proxy without the chain: aileron-proxy or static-proxy)
#   p50, p99  latency (ms) from wrk --latency errors  socket errors + non-2xx, summed
#   cpu_us    CPU the target's own processes spent per request, in microseconds (from
#             /proc/<pid>/stat: how hard it works for a request, whatever wrk got)
#   other%    the most CPU that anything outside the benchmark took in one measurement
# wrk, the servers and the upstream share the machine's cores: compare ratios within one run,
# not absolute numbers across runs or machines.
# env: DURATION=3 (s)  REPEATS=5  CONNS=50  THREADS=2  TARGETS="nginx aileron nginx-proxy haproxy aileron-proxy"
#      BASE=9300  RUN=${TMPDIR:-/tmp}/aileron-bench-load  OTHER_MAX=15  RETRIES=8
#      OUT=/tmp/aileron-load-<time>.txt (raw results)  WRK_CPUS= (taskset list for wrk)
#      COMMIT= (recorded in the output; default: git rev-parse of this checkout)
#      HEADER= (one request header every target gets, e.g. "Origin: http://localhost:3000")
#      AUTOGROUP_NICE= (e.g. -10: wrk and this script run in a scheduler autogroup of that nice
#      value; use the same for peers-up.sh)
set -euo pipefail
if [ -n "${AUTOGROUP_NICE:-}" ] && [ "$(ps -o sid= -p $$ | tr -d ' ')" != "$$" ]; then exec setsid -w "$0" "$@"; fi
if [ -n "${AUTOGROUP_NICE:-}" ]; then echo "$AUTOGROUP_NICE" > /proc/self/autogroup; fi
here=$(cd "$(dirname "$0")" && pwd)
RUN=${RUN:-${TMPDIR:-/tmp}/aileron-bench-load}
BASE=${BASE:-9300}

table() {  # table RAWFILE
  awk '
  function med(list,   a, n, i, j, t) {   # median of a space-separated list; sets lo, hi
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    lo = a[1]; hi = a[n]
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  /^#/ { print; next }
  { r = $1; t = $2
    if (!(t in seen)) { seen[t]; order[++nt] = t }
    rps[t] = rps[t] " " $3; p50[t] = p50[t] " " $4; p99[t] = p99[t] " " $5; err[t] += $6
    cpu[t] = cpu[t] " " ($7 > 0 ? $8 / $7 : 0); if ($9 > oth[t]) oth[t] = $9
    at[r, t] = $3; reps[r] }
  END {
    printf "%-12s %9s %7s %8s %8s %8s %7s %7s %7s\n", "target", "rps", "spread", "x_nginx", "p50_ms", "p99_ms", "errors", "cpu_us", "other%"
    for (i = 1; i <= nt; i++) {
      t = order[i]; m = med(rps[t]); sp = m > 0 ? 100 * (hi - lo) / m : 0
      ref = match(t, /-static-/) ? "nginx" substr(t, RSTART) : match(t, /-(64k|close)$/) ? "nginx-proxy" substr(t, RSTART) : "nginx"
      if (t ~ /-chain$/) ref = substr(t, 1, length(t) - 6)
      q = ""; for (r in reps) if (at[r, ref] > 0 && (r, t) in at) q = q " " at[r, t] / at[r, ref]
      printf "%-12s %9.0f %6.1f%% %8s %8.2f %8.2f %7d %7.1f %6d%%\n", t, m, sp,
        q == "" ? "-" : sprintf("%.2f", med(q)), med(p50[t]), med(p99[t]), err[t], med(cpu[t]), oth[t]
    }
  }' "$1"
}
if [ "${1:-}" = --report ]; then table "$2"; exit; fi

DURATION=${DURATION:-3} REPEATS=${REPEATS:-5} CONNS=${CONNS:-50} THREADS=${THREADS:-2}
OTHER_MAX=${OTHER_MAX:-15} RETRIES=${RETRIES:-8}
OUT=${OUT:-/tmp/aileron-load-$(date +%Y%m%d-%H%M%S).txt}
read -ra targets <<< "${TARGETS:-nginx aileron nginx-proxy haproxy aileron-proxy}"
command -v wrk >/dev/null || { echo "missing Debian package: wrk (AILERON_BENCH=1 scripts/setup.sh)" >&2; exit 1; }
wrk_cmd=(wrk); [ -n "${WRK_CPUS:-}" ] && wrk_cmd=(taskset -c "$WRK_CPUS" wrk)

declare -A url=([upstream]=http://127.0.0.1:$BASE/ [nginx]=http://127.0.0.1:$((BASE + 1))/
  [aileron]=http://127.0.0.1:$((BASE + 2))/ [nginx-proxy]=http://127.0.0.1:$((BASE + 3))/
  [haproxy]=http://127.0.0.1:$((BASE + 4))/ [aileron-proxy]=http://127.0.0.1:$((BASE + 5))/
  [aileron-static-1k]=http://127.0.0.1:$((BASE + 6))/1k.png [aileron-static-1m]=http://127.0.0.1:$((BASE + 6))/1m.png
  [nginx-static-1k]=http://127.0.0.1:$((BASE + 7))/1k.png [nginx-static-1m]=http://127.0.0.1:$((BASE + 7))/1m.png
  [aileron-proxy-log]=http://127.0.0.1:$((BASE + 8))/
  [nginx-proxy-64k]=http://127.0.0.1:$((BASE + 3))/64k [haproxy-64k]=http://127.0.0.1:$((BASE + 4))/64k
  [aileron-proxy-64k]=http://127.0.0.1:$((BASE + 5))/64k
  [nginx-proxy-close]=http://127.0.0.1:$((BASE + 3))/ [haproxy-close]=http://127.0.0.1:$((BASE + 4))/
  [aileron-proxy-close]=http://127.0.0.1:$((BASE + 5))/
  [caddy]=http://127.0.0.1:$((BASE + 9))/ [caddy-64k]=http://127.0.0.1:$((BASE + 9))/64k
  [caddy-close]=http://127.0.0.1:$((BASE + 9))/
  [aileron-proxy-chain]=http://127.0.0.1:$((BASE + 10))/ [static-proxy]=http://127.0.0.1:$((BASE + 11))/
  [static-proxy-chain]=http://127.0.0.1:$((BASE + 12))/)
declare -A pidfile=([upstream]=upstream [nginx]=nginx [aileron]=aileron [nginx-proxy]=nginx [haproxy]=haproxy
  [aileron-proxy]=aileron-proxy [aileron-static-1k]=aileron-static [aileron-static-1m]=aileron-static
  [nginx-static-1k]=nginx [nginx-static-1m]=nginx [aileron-proxy-log]=aileron-proxy-log
  [nginx-proxy-64k]=nginx [haproxy-64k]=haproxy [aileron-proxy-64k]=aileron-proxy
  [nginx-proxy-close]=nginx [haproxy-close]=haproxy [aileron-proxy-close]=aileron-proxy
  [caddy]=caddy [caddy-64k]=caddy [caddy-close]=caddy [aileron-proxy-chain]=aileron-proxy-chain
  [static-proxy]=static-proxy [static-proxy-chain]=static-proxy-chain)
for arg in "$@"; do   # extra NAME=URL targets: loopback only
  name=${arg%%=*} u=${arg#*=}
  [[ $u =~ ^http://(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?(/.*)?$ ]] || { echo "not a loopback http:// URL: $u" >&2; exit 1; }
  url[$name]=$u; targets+=("$name")
done

start_time() {
  local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }; set -- $s; echo "${20}"
}
server_pids() {  # the recorded server of target $1 and its children, if it is still ours
  local f=$RUN/${pidfile[$1]:-$1}.pid pid started   # an extra NAME=URL target: $RUN/NAME.pid if any
  [ -f "$f" ] || return 0
  read -r pid started _ < "$f"
  [ "$(start_time "$pid")" = "$started" ] || return 0
  echo "$pid $(ps -o pid= --ppid "$pid" | tr '\n' ' ')"
}
ticks_of() {  # utime+stime (clock ticks) summed over the given PIDs
  local p s sum=0
  for p in "$@"; do
    s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    s=${s##*) }; set -- $s; sum=$((sum + ${12} + ${13}))
  done
  echo "$sum"
}
all_server_pids() { local t; for t in upstream nginx aileron haproxy aileron-proxy aileron-static-1k aileron-proxy-log caddy \
  aileron-proxy-chain static-proxy static-proxy-chain; do server_pids "$t"; done; }
machine() {  # "total busy" ticks of all CPUs from /proc/stat (busy = user nice system irq softirq)
  awk 'NR == 1 { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $2 + $3 + $4 + $7 + $8 }' /proc/stat
}
own_ticks() {  # this script plus every child it has reaped (wrk runs as one)
  local s; s=$(cat /proc/$$/stat); s=${s##*) }; set -- $s; echo $((${12} + ${13} + ${14} + ${15}))
}
wrk_once() {  # wrk_once SECONDS URL [TARGET] -> "rps p50_ms p99_ms errors requests"
  local extra=()   # *-close targets: a new connection for every request
  [[ ${3:-} == *-close ]] && extra=(-H "Connection: close")
  [ -n "${HEADER:-}" ] && extra+=(-H "$HEADER")
  timeout $(($1 + 10)) "${wrk_cmd[@]}" -t"$THREADS" -c"$CONNS" -d"$1"s --latency "${extra[@]}" "$2" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    / requests in / { n = $1 } /^Requests\/sec/ { rps = $2 }
    /Socket errors/ { gsub(",", ""); e += $4 + $6 + $8 + $10 } /Non-2xx/ { e += $NF }
    END { printf "%.0f %.3f %.3f %d %d\n", rps, p50, p99, e, n }'
}

# Every target must answer 200 before anything is timed.
for t in "${targets[@]}"; do
  [ -n "${url[$t]:-}" ] || { echo "unknown target $t" >&2; exit 1; }
  code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "${url[$t]}") || true
  [ "$code" = 200 ] || { echo "$t (${url[$t]}) answered '$code', not 200: is peers-up.sh running?" >&2; exit 1; }
done

commit=${COMMIT:-$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)}
workers=$(cat "$RUN/workers" 2>/dev/null || echo '?')
echo "# $(date -Is) commit=$commit WORKERS=$workers nproc=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg) DURATION=${DURATION}s REPEATS=$REPEATS CONNS=$CONNS THREADS=$THREADS WRK_CPUS=${WRK_CPUS:-none} AUTOGROUP_NICE=${AUTOGROUP_NICE:-none} HEADER=${HEADER:-none}" | tee "$OUT" >&2
for t in "${targets[@]}"; do wrk_once 1 "${url[$t]}" > /dev/null; done   # warm-up
hz=$(getconf CLK_TCK) retries=0
for r in $(seq "$REPEATS"); do
  k=$(((r - 1) % ${#targets[@]}))
  for t in "${targets[@]:k}" "${targets[@]:0:k}"; do
    while :; do
      read -r pids <<< "$(server_pids "$t")" || true
      mine=$(all_server_pids | tr '\n' ' ')
      [ -n "${pidfile[$t]:-}" ] || mine="$mine $pids"   # an extra target's server is not "other" work
      read -r tot0 busy0 < <(machine); own0=$(own_ticks); all0=$(ticks_of $mine); srv0=$(ticks_of $pids)
      res=$(wrk_once "$DURATION" "${url[$t]}" "$t")
      read -r tot1 busy1 < <(machine); own1=$(own_ticks); all1=$(ticks_of $mine); srv1=$(ticks_of $pids)
      other=$(((busy1 - busy0 - (own1 - own0) - (all1 - all0)) * 100 / (tot1 - tot0 > 0 ? tot1 - tot0 : 1)))
      ((other < 0)) && other=0
      ((other <= OTHER_MAX || retries >= RETRIES)) && break
      retries=$((retries + 1)); echo "  redo $t (repeat $r): other processes took $other% ($retries/$RETRIES)" >&2
    done
    read -r rps p50 p99 errs n <<< "$res"
    # raw: repeat target rps p50 p99 errors requests server_cpu_us other%
    echo "$r $t $rps $p50 $p99 $errs $n $(((srv1 - srv0) * 1000000 / hz)) $other" >> "$OUT"
  done
  echo "  repeat $r/$REPEATS done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT"
table "$OUT"
echo "raw results: $OUT"
