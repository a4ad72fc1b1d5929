#!/usr/bin/env bash
# Installs, idempotently, the real ActiveSync peers tests/js/activesync-peers.test.mjs
# drives: Debian's SOGo (+ ActiveSync), dovecot, memcached, stunnel, openssl, and a
# Python venv with pyactivesync. The tests start their own instances on free
# ports, so the packages' own services are stopped and kept from starting.
#   SEATCAP_PEERS_VENV   where the venv goes (default ~/.cache/seatcap/peers-venv)
set -euo pipefail
started=$(date +%s)
say() { printf '[setup-peers] %s\n' "$*" >&2; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
VENV=${SEATCAP_PEERS_VENV:-$HOME/.cache/seatcap/peers-venv}
PYACTIVESYNC=0.17.0

# package → a file it installs (present = nothing to do; an installed openssl is never upgraded)
declare -A marks=(
  [sogo]=/usr/sbin/sogod
  [sogo-activesync]=/usr/lib/GNUstep/SOGo/ActiveSync.SOGo
  [dovecot-imapd]=/usr/sbin/dovecot
  [memcached]=/usr/bin/memcached
  [stunnel4]=/usr/bin/stunnel4
  [openssl]=/usr/bin/openssl
)
missing=()
for pkg in "${!marks[@]}"; do
  [ -e "${marks[$pkg]}" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  # Keep the packages' services from starting on their default ports (Debian's policy-rc.d).
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  trap '[ -z "$made_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    say "apt-get install failed; updating the package lists once and retrying"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Wherever an init system started them anyway: stop them and keep them off at boot.
  for svc in sogo dovecot memcached stunnel4 apache2; do
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
      $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
    elif [ -x "/etc/init.d/$svc" ]; then
      $SUDO "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
  done
fi
for pkg in "${!marks[@]}"; do
  [ -e "${marks[$pkg]}" ] || { say "${marks[$pkg]} is still missing after installing $pkg"; exit 1; }
done
id sogo >/dev/null 2>&1 || { say "the sogo package made no 'sogo' user"; exit 1; }

if [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("pyactivesync"))' 2>/dev/null)" != "$PYACTIVESYNC" ]; then
  say "creating the Python venv $VENV with pyactivesync==$PYACTIVESYNC"
  PYTHON=$(command -v python3 || true)
  [ -n "$PYTHON" ] || { say "python3 is missing"; exit 1; }
  "$PYTHON" -m venv "$VENV" || { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; "$PYTHON" -m venv "$VENV"; }
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "pyactivesync==$PYACTIVESYNC"
fi
say "peers ready in $(( $(date +%s) - started )) s (venv: $VENV)"
