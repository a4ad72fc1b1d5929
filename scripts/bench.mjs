#!/usr/bin/env node
// `npm run bench`: the wasm engine's simulation speed in Node, beside a
// baseline measured in the same process on the same input: JSON.parse of
// the scenario text (the least any host must do with it). Prints figures;
// asserts nothing.
import { execFileSync } from "node:child_process";
import { simulate } from "../dist/node.mjs";
import { axigenScenario } from "./demo.mjs";

// A fresh process's first run: it also pays for growing the wasm memory.
if (process.argv[2] === "--first-run") {
  const accounts = Number(process.argv[3]);
  const text = JSON.stringify(axigenScenario({ accounts, seats: Math.floor(accounts * 0.4) }));
  const start = performance.now();
  simulate(text);
  console.log(performance.now() - start);
  process.exit(0);
}

function bestOf(runs, fn) {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

const rows = [];
for (const accounts of [500, 10_000, 100_000, 300_000]) {
  const text = JSON.stringify(axigenScenario({ accounts, seats: Math.floor(accounts * 0.4) }));
  const runs = accounts >= 100_000 ? 2 : 5;
  const sim = bestOf(runs, () => {
    const r = simulate(text);
    if (r.type !== "success") throw new Error(r.error.message);
  });
  const parse = bestOf(runs, () => JSON.parse(text));
  const first = Number(
    execFileSync(process.execPath, [import.meta.filename, "--first-run", String(accounts)], {
      encoding: "utf8",
    }),
  );
  rows.push({
    accounts: accounts.toLocaleString("en"),
    events: (accounts + 1).toLocaleString("en"),
    "input MB": (text.length / 1e6).toFixed(1),
    "first run ms": first.toFixed(1),
    "simulate ms": sim.toFixed(1),
    "JSON.parse ms": parse.toFixed(1),
    "events/s": Math.round((accounts + 1) / (sim / 1000)).toLocaleString("en"),
    "× JSON.parse": (sim / parse).toFixed(1),
  });
}
console.log(
  `seatcap ${process.version} wasm simulate (Axigen shape, 40 % seats, every account connects once)`,
);
console.table(rows);
