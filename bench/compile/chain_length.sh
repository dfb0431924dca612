#!/usr/bin/env bash
# How compile time grows with the length of a static_chain. For each N (and N=0: the handler
# alone, i.e. the cost of the headers) it generates one TU with N distinct trivial middleware
# types, instantiates static_chain<handler, m0..m(N-1)>::operator() (coroutine bodies
# included), compiles it REPEATS times with the project's flags and prints the median time,
# the time over N=0, the peak memory of the compiler and the object size.
#   bench/compile/chain_length.sh                      # N = 1 4 16 32, filters and around
#   SIZES="1 2 4 8 16 32" SHAPES=filter REPEATS=5 bench/compile/chain_length.sh
# env: CXX=g++  SIZES="1 4 16 32"  SHAPES="filter around"  REPEATS=3  KEEP= (keep the TUs)
#      EXTRA_FLAGS= (e.g. -g, which the RelWithDebInfo build adds)
# The compiler is called directly (no ccache). Flags: -std=c++20 -O2, the include dir and the
# AILERON_DEFINES of CMakeLists.txt (read from it, so they cannot drift).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
CXX=${CXX:-g++} SIZES=${SIZES:-1 4 16 32} SHAPES=${SHAPES:-filter around} REPEATS=${REPEATS:-3}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package: time)" >&2; exit 1; }

version=$(sed -n 's/^project(aileron VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
defines=()
while read -r d; do
  [ -n "$d" ] && defines+=("-D${d//\$\{PROJECT_VERSION\}/$version}")
done < <(sed -n '/^set(AILERON_DEFINES/,/)/p' "$repo/CMakeLists.txt" |
         sed -e 's/^set(AILERON_DEFINES//' -e 's/)$//' | tr -s ' \t' '\n' | sed '/^$/d')
flags=(-std=c++20 -O2 -I"$repo/include" "${defines[@]}" ${EXTRA_FLAGS:-})

work=$(mktemp -d "${TMPDIR:-/tmp}/chain_length.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

gen() {  # gen N SHAPE > file.cpp
  local n=$1 shape=$2 i types=""
  cat <<'CPP'
#include <aileron/chain/static_chain.hpp>
namespace bench {
using namespace aileron;
struct handler {
    task<response> operator()(request& req) const { co_return response{http::status::ok, req.version()}; }
};
CPP
  for ((i = 0; i < n; ++i)); do
    if [ "$shape" = filter ]; then
      echo "struct m$i { int* hits; std::optional<response> on_request(request&) const { ++hits[$i]; return std::nullopt; } };"
    else
      echo "struct m$i { int* hits; template <class Next> task<response> operator()(request& req, Next next) const { ++hits[$i]; co_return co_await next(req); } };"
    fi
    types+=", m$i"
  done
  echo "int hits[$((n > 0 ? n : 1))];"
  printf 'static_chain<handler%s> chain{handler{}' "$types"
  for ((i = 0; i < n; ++i)); do printf ', m%d{hits}' "$i"; done
  echo '};'
  echo '}  // namespace bench'
  echo 'aileron::task<aileron::response> run(aileron::request& req) { return bench::chain(req); }'
}

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "# $(date -Is) $($CXX --version | head -1) nproc=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg) REPEATS=$REPEATS"
echo "# flags: ${flags[*]}"
printf '%-7s %4s %9s %9s %8s %9s\n' shape N median_s over_N0_s peak_MB object_KB
for shape in $SHAPES; do
  base=""
  for n in 0 $SIZES; do
    src=$work/chain_${shape}_$n.cpp obj=$work/chain_${shape}_$n.o
    gen "$n" "$shape" > "$src"
    times="" mem=0
    for _ in $(seq "$REPEATS"); do
      out=$( { /usr/bin/time -f '%e %M' timeout 600 "$CXX" "${flags[@]}" -c "$src" -o "$obj"; } 2>&1 >/dev/null | tail -1)
      read -r t m <<< "$out"
      [[ $t =~ ^[0-9.]+$ ]] || { echo "compile failed for $shape N=$n:" >&2; "$CXX" "${flags[@]}" -c "$src" -o "$obj" >&2; exit 1; }
      times+=" $t"; ((m > mem)) && mem=$m
    done
    med=$(echo "$times" | median)
    [ -z "$base" ] && base=$med
    awk -v s="$shape" -v n="$n" -v t="$med" -v b="$base" -v m="$mem" -v o="$(stat -c %s "$obj")" \
      'BEGIN { printf "%-7s %4d %9.2f %9.2f %8.0f %9.0f\n", s, n, t, t - b, m / 1024, o / 1024 }'
  done
done
[ -n "${KEEP:-}" ] && echo "TUs kept in $work"
