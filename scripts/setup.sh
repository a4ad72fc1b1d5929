#!/usr/bin/env bash
# Installs, idempotently, everything `npm start` / `npm test` need on a fresh
# machine of this kind (see ../shared/TOOLCHAIN.md). Skips what is already there.
#   scripts/setup.sh build   rust target, wasm-bindgen CLI, wasm-pack, npm deps
#   scripts/setup.sh test    build + Chromium/ChromeDriver for browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-build}
say() { printf '[setup] %s\n' "$*" >&2; }
export PATH="$HOME/.cargo/bin:$PATH"
for tool in rustup cargo node npm; do
  command -v "$tool" >/dev/null || { say "$tool is missing: install Rust via rustup and Node 20 first"; exit 1; }
done
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

# The wasm-bindgen CLI must match the crate version in Cargo.toml exactly.
WB_VERSION=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p; s/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml | head -n1)
WASM_PACK_VERSION=0.15.1
[ -n "$WB_VERSION" ] || { say "cannot read the pinned wasm-bindgen version from Cargo.toml"; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  say "installing wasm-bindgen-cli $WB_VERSION (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --no-default-features --force
fi
if [ "$(wasm-pack --version 2>/dev/null | awk '{print $2}')" != "$WASM_PACK_VERSION" ]; then
  say "installing wasm-pack $WASM_PACK_VERSION (a few minutes, once)"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --force
fi
if [ "$want" = test ] && ! command -v cargo-fuzz >/dev/null; then
  say "installing cargo-fuzz (a few minutes, once)"
  cargo install cargo-fuzz --locked
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
if [ "$want" = test ]; then
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    say "installing Debian's chromium and chromium-driver"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  bash scripts/setup-peers.sh # SOGo, dovecot, memcached, stunnel, pyactivesync for tests/js/activesync-peers.test.mjs
  bash scripts/setup-schemathesis.sh # schemathesis (PyPI, its own venv) for tests/js/security-schemathesis.test.mjs
fi
say "toolchain ready"
