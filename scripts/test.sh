#!/usr/bin/env bash
# Everything `npm test` runs, after scripts/setup.sh has installed the toolchain.
# Fails fast, naming the step; the Node test runner goes last so its summary
# closes the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
current=""
step() { current="$*"; printf '\n== %s\n' "$*"; }
trap 'printf "\nnpm test FAILED at: %s\n" "$current" >&2' ERR

step "formatting and lint: rustfmt (rustfmt.toml) and Biome (biome.json) fail on drift"
cargo fmt --check
(cd fuzz && cargo fmt --check)
biome ci --reporter=summary .

step "build the npm package (release wasm, wasm-opt, bundles, types; forced, so the tests see a fresh artefact)"
node scripts/build.mjs --force

step "Rust: unit, rule, property and conformance tests"
cargo test --locked

step "generated TypeScript types are committed"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && [ -n "$(git status --porcelain -- js/src/generated)" ]; then
  echo "js/src/generated changed when cargo test regenerated it: commit the new TypeScript types" >&2
  git status --short -- js/src/generated >&2
  false
fi

step "clippy (native and wasm, warnings are errors)"
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --features wasm --target wasm32-unknown-unknown -- -D warnings

step "fuzzing: the cargo-fuzz targets build and each runs for a bounded time (scripts/fuzz.sh)"
bash scripts/fuzz.sh 60

step "TypeScript: type-check the wrapper and the console"
tsc --noEmit -p js/tsconfig.json
tsc --noEmit -p www/tsconfig.json

step "JavaScript: the built package in Node, Chromium, workerd-style and as an installed tarball"
node --test --test-concurrency=1 tests/js/
