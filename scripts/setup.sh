#!/usr/bin/env bash
# Set-up shared by the two quick-start commands: system tools (SoftHSM, OpenSC, OpenSSL), npm dependencies, build.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "dpclab needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# System packages: softhsm2 (the virtual cards), opensc (pkcs11-tool, the independent PKCS#11 client),
# openssl (the independent certificate judge). Extra packages may be named by the caller (e.g. docker-compose).
need=()
command -v softhsm2-util >/dev/null 2>&1 || need+=(softhsm2)
command -v pkcs11-tool >/dev/null 2>&1 || need+=(opensc)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]} (apt)…" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/tmp/dpclab-apt.log 2>&1 \
      || { echo "apt-get install ${need[*]} failed; see /tmp/dpclab-apt.log" >&2; exit 1; }
  else
    echo "dpclab needs: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

# Optional packages (best effort: the tests that need them skip with a reason when they are missing).
for extra in ${DPCLAB_OPTIONAL_APT:-}; do
  if ! command -v "$extra" >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$extra" >>/tmp/dpclab-apt.log 2>&1 \
      || echo "note: could not install $extra; the tests that need it will skip" >&2
  fi
done

# npm dependencies, reinstalled only when package-lock.json changed.
stamp=node_modules/.dpclab-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing npm dependencies…" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi

npx tsc -p tsconfig.json
