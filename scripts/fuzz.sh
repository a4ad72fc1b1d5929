#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS]: builds the cargo-fuzz targets (fuzz/) and runs each for an equal
# share of SECONDS (default 60), seeding the corpora from tests/conformance/*.json. Exits non-zero
# on the first crash; the reproducer is left in fuzz/artifacts/<target>/.
# The fuzz crate needs nightly features: RUSTC_BOOTSTRAP=1 lets the stable toolchain build it.
# Longer runs: `scripts/fuzz.sh 3600`, or one target: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run events`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
total="${1:-60}"
targets=(scenario licence events)
per=$(( total / ${#targets[@]} ))
(( per >= 1 )) || per=1
export PATH="$HOME/.cargo/bin:$PATH" RUSTC_BOOTSTRAP=1
if ! command -v cargo-fuzz >/dev/null; then
  echo "fuzz: cargo-fuzz is missing (cargo install cargo-fuzz --locked)" >&2
  exit 1
fi
cd "$root/fuzz"
start=$(date +%s)
# No lock taken here: callers on a shared machine wrap the whole script (`flock … scripts/fuzz.sh`).
cargo fuzz build 2>&1 | tail -n 3
built=$(date +%s)
echo "fuzz: built in $(( built - start )) s"

# Seeds: every conformance scenario, and its licence alone; the event target starts from bytes.
node -e '
const fs = require("fs"), path = require("path");
const [root] = process.argv.slice(1);
const dir = path.join(root, "tests/conformance");
for (const t of ["scenario", "licence", "events"]) fs.mkdirSync(path.join(root, "fuzz/corpus", t), { recursive: true });
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) {
  const { scenario } = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
  fs.writeFileSync(path.join(root, "fuzz/corpus/scenario", f), JSON.stringify(scenario));
  fs.writeFileSync(path.join(root, "fuzz/corpus/licence", f), JSON.stringify(scenario.licence));
  fs.writeFileSync(path.join(root, "fuzz/corpus/events", f), Buffer.from(JSON.stringify(scenario.events ?? []).slice(0, 600)));
}' "$root"

for target in "${targets[@]}"; do
  echo "fuzz: $target for ${per} s"
  rm -rf "artifacts/$target"
  # -rss_limit_mb: the scenario target may run directories of up to 2,000 accounts.
  cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$per" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 2>&1 \
    | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|thread '|.*panicked)" || true
  # grep's status hides cargo fuzz's: a crash leaves an artifact.
  if compgen -G "artifacts/$target/crash-*" >/dev/null || compgen -G "artifacts/$target/oom-*" >/dev/null; then
    echo "fuzz: $target found a failure: $(ls artifacts/$target/)" >&2
    exit 1
  fi
done
echo "fuzz: done in $(( $(date +%s) - start )) s"
