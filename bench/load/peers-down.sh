#!/usr/bin/env bash
# Stops the servers bench/load/peers-up.sh recorded in $RUN/<name>.pid, and nothing else: a PID
# is signalled only while its start time still matches the one recorded (a recycled PID is left
# alone). TERM first; whatever still runs after 5 s gets KILL, with its children (nginx workers).
# env: RUN=${TMPDIR:-/tmp}/aileron-bench-load
set -uo pipefail
RUN=${RUN:-${TMPDIR:-/tmp}/aileron-bench-load}

start_time() {
  local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }; set -- $s; echo "${20}"
}

shopt -s nullglob
files=("$RUN"/*.pid)
((${#files[@]})) || { echo "nothing recorded in $RUN: nothing to stop"; exit 0; }
signalled=()
for f in "${files[@]}"; do
  name=$(basename "$f" .pid)
  read -r pid started _ < "$f"
  if [ "$(start_time "$pid")" != "$started" ]; then
    echo "$name ($pid): not running (or the PID now belongs to another process): left alone"
  elif kill -TERM "$pid" 2>/dev/null; then
    echo "$name ($pid): TERM"; signalled+=("$pid:$started")
  fi
  rm -f "$f"
done

for _ in $(seq 50); do
  alive=()
  for ps_ in "${signalled[@]}"; do [ "$(start_time "${ps_%%:*}")" = "${ps_#*:}" ] && alive+=("$ps_"); done
  ((${#alive[@]})) || exit 0
  sleep 0.1
done
for ps_ in "${alive[@]}"; do
  pid=${ps_%%:*}
  kids=$(ps -o pid= --ppid "$pid" | tr '\n' ' ')
  echo "($pid) still running after 5 s: KILL $pid $kids"
  kill -KILL "$pid" $kids 2>/dev/null
done
