#!/usr/bin/env bash
# Quick start, command 2: the test suite (vitest against real SoftHSM, OpenSSL and OpenSC).
set -euo pipefail
cd "$(dirname "$0")/.."
# docker-compose (Debian's package) lets the suite check docker-compose.yml without a container engine; chromium renders
# report.html headless (test/fleet/report); postgresql runs the shared-lab tests (a cluster of its own in a temp dir).
optional="docker-compose chromium"
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || optional="$optional postgresql"
DPCLAB_OPTIONAL_APT="$optional" bash scripts/setup.sh
# The container tests: a Docker engine (Debian's dockerd started here when installed and none answers, stopped after
# the suite) and the project's image built without a registry. Either failing is one line; those tests then skip.
bash scripts/docker-engine.sh start
trap 'bash scripts/docker-engine.sh stop' EXIT
if docker info >/dev/null 2>&1; then
  bash scripts/docker-image.sh build || echo "note: the image did not build; test/containers.test.ts will fail and say why" >&2
fi
status=0
npx vitest run "$@" || status=$?
exit "$status"
