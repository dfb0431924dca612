#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit, compile-fail, header,
# example and integration tests) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "${JOBS:-2}" "$@"
