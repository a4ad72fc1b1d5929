#!/usr/bin/env bash
# Installs schemathesis (PyPI) into its own virtual environment for the API
# conformance test (tests/js/security-schemathesis.test.mjs), once. The test
# finds it at $SEATCAP_SCHEMATHESIS_VENV (default below).
set -euo pipefail
VERSION=4.32.5
VENV=${SEATCAP_SCHEMATHESIS_VENV:-$HOME/.cache/seatcap/schemathesis-venv}
say() { printf '[setup] %s\n' "$*" >&2; }
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" = "$VERSION" ]; then exit 0; fi
command -v python3 >/dev/null || { say "python3 is missing: schemathesis needs Python 3.9 or later"; exit 1; }
say "installing schemathesis $VERSION into $VENV (once)"
mkdir -p "$(dirname "$VENV")"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
