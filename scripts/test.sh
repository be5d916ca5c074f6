#!/usr/bin/env bash
# Quick start, command 2: the test suite (vitest against real SoftHSM, OpenSSL and OpenSC).
set -euo pipefail
cd "$(dirname "$0")/.."
# docker-compose (Debian's package) lets the suite check docker-compose.yml without a container engine.
DPCLAB_OPTIONAL_APT=docker-compose bash scripts/setup.sh
exec npx vitest run "$@"
