#!/usr/bin/env bash
# Quick start, command 1: the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/dpclab.js demo "$@"
