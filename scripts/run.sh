#!/usr/bin/env bash
# Installs what is missing, builds, and runs aileron on the bundled default config: an echo
# handler and a health check on 127.0.0.1:8080. Extra arguments go to aileron.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec "${BUILD_DIR:-build}/aileron" -f examples/default/config.yaml "$@"
