#!/usr/bin/env bash
# The second pass of scripts/test.sh: everything built again with clang 14, AddressSanitizer
# (with LeakSanitizer) and UndefinedBehaviorSanitizer, plus the libFuzzer targets of fuzz/, into
# build-sanitize/; then the whole ctest suite runs there: unit, compile-fail, header, example and
# integration tests (against the sanitized aileron binary), every fuzz corpus, and a short fuzz run
# of each target. A sanitizer report stops the process that made it and fails its test.
#   bash scripts/test-sanitized.sh [ctest args]      e.g. -R integration.proxy
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${SANITIZE_BUILD_DIR:-build-sanitize}
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  # -O1: fast enough to run, quick to compile; line tables are all a report needs.
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
    -DAILERON_SANITIZE=address,undefined -DAILERON_FUZZ=ON -DAILERON_BUILD_BENCH=OFF \
    -DAILERON_COMPILE_CHECKS=OFF
fi
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}"

# Stop at the first report (UBSan too), check for leaks at exit, symbolize stacks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
if [[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
cd "$BUILD_DIR"
ctest --output-on-failure -j "${JOBS:-2}" "$@"
