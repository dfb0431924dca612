#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit, compile-fail, header,
# example and integration tests) with CTest; then builds and runs it all a second time under
# sanitizers, with the fuzz targets (scripts/test-sanitized.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure -j "${JOBS:-2}" "$@")
# The same suite again under AddressSanitizer + UndefinedBehaviorSanitizer, with the fuzz
# targets' corpora and short fuzz runs (AILERON_SANITIZED=0 skips it).
if [[ "${AILERON_SANITIZED:-1}" != 0 ]]; then
  bash scripts/test-sanitized.sh "$@"
fi
