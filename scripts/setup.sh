#!/usr/bin/env bash
# Installs what building and testing aileron needs, from Debian 12 packages. Idempotent: packages
# already present are skipped, so a second run costs one dpkg query.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  # the system roots https:// upstreams are verified against by default
  ca-certificates
  libboost1.81-dev libtomlplusplus-dev libyaml-cpp-dev catch2 libbenchmark-dev
  libssl-dev zlib1g-dev libbrotli-dev
  # the allocator the aileron binary links (docs/architecture.md, "Build")
  libjemalloc-dev
  # the openssl command line makes the certificates of the HeaderCertMiddleware tests
  openssl
  # Expat, the XML parser of SOAPRESTMiddleware
  libexpat1-dev
  libargon2-dev libcrypt-dev argon2
  curl python3 netcat-openbsd procps
  # real peers of the proxy tests: httpbin, and a WebSocket client and server
  python3-httpbin python3-websockets
  # promtool, which checks PrometheusMeter's output (tests/integration/test_prometheus.py).
  prometheus
  # The sanitizer and fuzzing pass (scripts/test-sanitized.sh): clang 14, its sanitizer and
  # libFuzzer runtimes, llvm-symbolizer for readable reports.
  clang-14 libclang-rt-14-dev llvm-14
  # Reliability tests (docs/reliability.md): load, slow clients, and the peers of the smuggling grid.
  wrk slowhttptest nginx-light haproxy
)
# Only for `bench/` (load runs against peers); install with AILERON_BENCH=1.
if [[ "${AILERON_BENCH:-0}" == 1 ]]; then
  packages+=(wrk nginx-light haproxy caddy)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
