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
# The real relying parties of `dpclab use` and `fleet run --relying-parties` (issue 13): FreeRADIUS + eapol_test
# (Wi-Fi), OpenVPN, nginx (app auth).
# Installed in the same apt-get call; without them only `dpclab use` and its tests are missing (they skip, saying why).
rp=()
[ -x /usr/sbin/freeradius ] || command -v freeradius >/dev/null 2>&1 || rp+=(freeradius)
command -v eapol_test >/dev/null 2>&1 || rp+=(eapoltest)
[ -x /usr/sbin/openvpn ] || command -v openvpn >/dev/null 2>&1 || rp+=(openvpn)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || rp+=(nginx)
command -v curl >/dev/null 2>&1 || rp+=(curl)
# OpenSSL's pkcs11 engine: a card's own credential at the relying parties (its key stays in the token).
[ -e /usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so ] || [ -e /usr/lib/aarch64-linux-gnu/engines-3/pkcs11.so ] || rp+=(libengine-pkcs11-openssl)
# libfaketime: the relying parties of a fleet run (--relying-parties) see the simulated clock through it.
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || [ -e /usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1 ] || rp+=(faketime)
all=("${need[@]}" "${rp[@]}")
if [ "${#all[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${all[*]} (apt)…" >&2
    if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${all[@]}") >/tmp/dpclab-apt.log 2>&1; then
      if [ "${#need[@]}" -gt 0 ]; then
        echo "apt-get install ${all[*]} failed; see /tmp/dpclab-apt.log" >&2
        exit 1
      fi
      echo "note: apt-get install ${rp[*]} failed (see /tmp/dpclab-apt.log); dpclab use and its tests will skip" >&2
    fi
  elif [ "${#need[@]}" -gt 0 ]; then
    echo "dpclab needs: sudo apt-get install ${all[*]}" >&2
    exit 1
  else
    echo "note: for dpclab use (real relying parties): sudo apt-get install ${rp[*]}" >&2
  fi
fi

# Optional packages (best effort: the tests that need them skip with a reason when they are missing).
for extra in ${DPCLAB_OPTIONAL_APT:-}; do
  if ! command -v "$extra" >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing $extra (apt)…" >&2
    # Package lists may be missing or stale when nothing else needed installing: refresh them once and try again.
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$extra" || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$extra"; }; } \
      >>/tmp/dpclab-apt.log 2>&1 || echo "note: could not install $extra; the tests that need it will skip" >&2
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
