#!/usr/bin/env bash
# Starts the servers bench/load/compare.sh measures, all on 127.0.0.1, all with WORKERS event
# loops (nginx worker_processes, HAProxy nbthread, aileron's HTTPServer `workers`):
#   :BASE+0  upstream     nginx, 1 worker, `200 hello world`; what the proxies forward to
#   :BASE+1  nginx        `return 200 '{}'`             (echo reference)
#   :BASE+2  aileron      bench/load/echo.yaml: `200 {}` (HealthCheckHandler on /)
#   :BASE+3  nginx-proxy  the same nginx, proxy_pass to the upstream
#   :BASE+4  haproxy      proxy to the upstream
#   :BASE+5  aileron-proxy bench/load/proxy.yaml: ReverseProxyHandler to the upstream
#   :BASE+6  aileron-static bench/load/static.yaml: StaticFileHandler on $RUN/static
#   :BASE+7  nginx-static the same nginx, `root $RUN/static` with sendfile
#   :BASE+8  aileron-proxy-log bench/load/proxy-accesslog.yaml: aileron-proxy plus an HTTPLogger
#            (access log to a rotating file in $RUN/access-log)
#   :BASE+9  caddy        when installed (peers/Caddyfile)
#   :BASE+10 aileron-proxy-chain bench/load/proxy-chain.yaml: aileron-proxy behind TrackingMiddleware,
#            HTTPLogger (to $RUN/chain-log), CORSMiddleware, ThrottleMiddleware (type-erased chain)
#   :BASE+11 static-proxy       bench/static_chain_proxy --bare: the same proxy built in code
#   :BASE+12 static-proxy-chain bench/static_chain_proxy: that proxy behind the same chain as a
#            static_chain (log to $RUN/static-chain-log); both only when STATIC_CHAIN_BIN is built
# $RUN/static gets 1k.png (1 KiB) and 1m.png (1 MiB) of random bytes, served by both. Named
# .png so that both servers type them by extension (a file of unknown type would cost aileron
# a 512-byte read to sniff it, as Go's file server does).
# Each server's "pid start-time port" goes to $RUN/<name>.pid; peers-down.sh stops exactly those
# processes (the start time tells a recycled PID from ours). Nothing is installed here.
#
# env: WORKERS=2  BASE=9300  RUN=${TMPDIR:-/tmp}/aileron-bench-load
#      AILERON_BIN=<repo>/build/aileron  NICE=0
#      STATIC_CHAIN_BIN=<dir of AILERON_BIN>/bench/static_chain_proxy (target static_chain_proxy) (applied to every server alike)
#      CPUS= (taskset CPU list for every server, e.g. 1; empty: unpinned)
#      AUTOGROUP_NICE= (e.g. -10: the servers' scheduler autogroup gets that nice value, so that
#      builds in other sessions, which the kernel otherwise weighs equally, take less of the CPU)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
WORKERS=${WORKERS:-2} BASE=${BASE:-9300} NICE=${NICE:-0}
RUN=${RUN:-${TMPDIR:-/tmp}/aileron-bench-load}
AILERON_BIN=${AILERON_BIN:-$repo/build/aileron}
STATIC_CHAIN_BIN=${STATIC_CHAIN_BIN:-$(dirname "$AILERON_BIN")/bench/static_chain_proxy}

# The servers live in a process session of their own: they outlive this script and the
# terminal, and they share one scheduler autogroup, so none is favoured over another.
if [ "$(ps -o sid= -p $$ | tr -d ' ')" != "$$" ]; then exec setsid -w "$0" "$@"; fi
if [ -n "${AUTOGROUP_NICE:-}" ]; then echo "$AUTOGROUP_NICE" > /proc/self/autogroup; fi

missing=()
for tool in wrk:wrk nginx:nginx-light haproxy:haproxy curl:curl; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${tool%%:*}" ] || missing+=("${tool#*:}")
done
if ((${#missing[@]})); then
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "install them with: AILERON_BENCH=1 scripts/setup.sh   (or: apt-get install -y ${missing[*]})" >&2
  exit 1
fi
PATH=$PATH:/usr/sbin
[ -x "$AILERON_BIN" ] || { echo "no aileron binary at $AILERON_BIN: build the aileron_cli target or set AILERON_BIN" >&2; exit 1; }
[[ $WORKERS =~ ^[1-9][0-9]*$ ]] || { echo "WORKERS must be a positive integer" >&2; exit 1; }

mkdir -p "$RUN/tmp"
if compgen -G "$RUN/*.pid" >/dev/null; then
  echo "servers from an earlier peers-up.sh are recorded in $RUN; run peers-down.sh first" >&2
  exit 1
fi
for off in $(seq 0 12); do
  if ss -ltnH "sport = :$((BASE + off))" | grep -q .; then
    echo "port $((BASE + off)) is taken; pick another BASE" >&2
    exit 1
  fi
done

echo "$WORKERS" > "$RUN/workers"   # compare.sh prints it with the results
up=$BASE echo_port=$((BASE + 1)) ail=$((BASE + 2)) nproxy=$((BASE + 3)) hap=$((BASE + 4)) aproxy=$((BASE + 5))
astatic=$((BASE + 6)) nstatic=$((BASE + 7)) aplog=$((BASE + 8)) caddy_port=$((BASE + 9))
achain=$((BASE + 10)) sproxy=$((BASE + 11)) schain=$((BASE + 12))
mkdir -p "$RUN/static"
head -c 1024 /dev/urandom > "$RUN/static/1k.png"
head -c 1048576 /dev/urandom > "$RUN/static/1m.png"
head -c 65536 /dev/urandom > "$RUN/static/64k.bin"   # the upstream's /64k
render() {  # render TEMPLATE OUTFILE
  sed -e "s|@RUN@|$RUN|g" -e "s|@WORKERS@|$WORKERS|g" -e "s|@UPSTREAM_PORT@|$up|g" \
      -e "s|@ECHO_PORT@|$echo_port|g" -e "s|@PROXY_PORT@|$nproxy|g" -e "s|@HAPROXY_PORT@|$hap|g" \
      -e "s|@STATIC_PORT@|$nstatic|g" -e "s|@CADDY_PORT@|$caddy_port|g" \
      "$here/peers/$1" > "$RUN/$2"
}
start_time() {  # field 22 of /proc/PID/stat (counted after the parenthesised command name)
  local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }; set -- $s; echo "${20}"
}
launch=(nice -n "$NICE"); [ -n "${CPUS:-}" ] && launch+=(taskset -c "$CPUS")
start() {   # start NAME PORT COMMAND...  (nice and taskset exec, so $! is the server itself)
  local name=$1 port=$2; shift 2
  "${launch[@]}" "$@" > "$RUN/$name.log" 2>&1 < /dev/null &
  echo "$! $(start_time $!) $port" > "$RUN/$name.pid"
}

render upstream.conf upstream.conf
render nginx.conf nginx.conf
render haproxy.cfg haproxy.cfg
start upstream "$up" nginx -p "$RUN" -e "$RUN/upstream.err" -c "$RUN/upstream.conf"
start nginx "$echo_port $nproxy $nstatic" nginx -p "$RUN" -e "$RUN/nginx.err" -c "$RUN/nginx.conf"
start haproxy "$hap" haproxy -db -f "$RUN/haproxy.cfg"
start aileron "$ail" env AILERON_ADDR="127.0.0.1:$ail" AILERON_WORKERS="$WORKERS" \
  "$AILERON_BIN" -f "$here/echo.yaml"
start aileron-proxy "$aproxy" env AILERON_ADDR="127.0.0.1:$aproxy" AILERON_WORKERS="$WORKERS" \
  UPSTREAM="http://127.0.0.1:$up" "$AILERON_BIN" -f "$here/proxy.yaml"
start aileron-static "$astatic" env AILERON_ADDR="127.0.0.1:$astatic" AILERON_WORKERS="$WORKERS" \
  STATIC_ROOT="$RUN/static" "$AILERON_BIN" -f "$here/static.yaml"
start aileron-proxy-log "$aplog" env AILERON_ADDR="127.0.0.1:$aplog" AILERON_WORKERS="$WORKERS" \
  UPSTREAM="http://127.0.0.1:$up" ACCESS_LOG_DIR="$RUN/access-log" "$AILERON_BIN" -f "$here/proxy-accesslog.yaml"
start aileron-proxy-chain "$achain" env AILERON_ADDR="127.0.0.1:$achain" AILERON_WORKERS="$WORKERS" \
  UPSTREAM="http://127.0.0.1:$up" ACCESS_LOG_DIR="$RUN/chain-log" "$AILERON_BIN" -f "$here/proxy-chain.yaml"

# Caddy (Debian package caddy) is a peer when installed: GOMAXPROCS gives it the same cores.
checked="upstream:$up nginx:$echo_port aileron:$ail nginx-proxy:$nproxy haproxy:$hap aileron-proxy:$aproxy
         aileron-static:$astatic nginx-static:$nstatic aileron-proxy-log:$aplog aileron-proxy-chain:$achain"
# The static_chain variant of the chain bench (bench target static_chain_proxy), when built.
if [ -x "$STATIC_CHAIN_BIN" ]; then
  start static-proxy "$sproxy" env AILERON_ADDR="127.0.0.1:$sproxy" AILERON_WORKERS="$WORKERS" \
    UPSTREAM="http://127.0.0.1:$up" "$STATIC_CHAIN_BIN" --bare
  start static-proxy-chain "$schain" env AILERON_ADDR="127.0.0.1:$schain" AILERON_WORKERS="$WORKERS" \
    UPSTREAM="http://127.0.0.1:$up" ACCESS_LOG_DIR="$RUN/static-chain-log" "$STATIC_CHAIN_BIN"
  checked="$checked static-proxy:$sproxy static-proxy-chain:$schain"
else
  echo "no $STATIC_CHAIN_BIN (build the static_chain_proxy target): static-proxy and static-proxy-chain not started" >&2
fi
if command -v caddy >/dev/null 2>&1; then
  render Caddyfile Caddyfile
  mkdir -p "$RUN/caddy-home"
  start caddy "$caddy_port" env GOMAXPROCS="$WORKERS" HOME="$RUN/caddy-home" XDG_DATA_HOME="$RUN/caddy-home" \
    XDG_CONFIG_HOME="$RUN/caddy-home" caddy run --adapter caddyfile --config "$RUN/Caddyfile"
  checked="$checked caddy:$caddy_port"
fi

# Every listener must answer 200 within ~10 s; otherwise stop everything and show why.
printf '%-12s %-8s %-24s %s\n' NAME PID URL STATUS
failed=0
for t in $checked; do
  name=${t%%:*} port=${t#*:} pidname=$name status=down path=/
  case $name in nginx-proxy | nginx-static) pidname=nginx ;; esac   # server blocks of the one nginx
  [[ $name == *-static ]] && path=/1k.png
  for _ in $(seq 50); do
    code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$port$path") || true
    [ "$code" = 200 ] && { status=up; break; }
    sleep 0.2
  done
  printf '%-12s %-8s %-24s %s\n' "$name" "$(cut -d' ' -f1 "$RUN/$pidname.pid")" "http://127.0.0.1:$port$path" "$status"
  [ "$status" = up ] || { failed=1; tail -5 "$RUN/$pidname.log" "$RUN/$pidname.err" 2>/dev/null >&2 || true; }
done
echo "WORKERS=$WORKERS NICE=$NICE CPUS=${CPUS:-unpinned} AUTOGROUP_NICE=${AUTOGROUP_NICE:-none} RUN=$RUN aileron=$AILERON_BIN"
if [ "$failed" = 1 ]; then
  echo "a server did not come up; stopping what was started" >&2
  RUN=$RUN "$here/peers-down.sh" >&2
  exit 1
fi
