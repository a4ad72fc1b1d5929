#!/usr/bin/env node
// `npm run bench`: the wasm engine's simulation speed in Node, beside a
// baseline measured in the same process on the same input: JSON.parse of
// the scenario text (the least any host must do with it). Prints figures;
// asserts nothing. `--write-docs` also writes the table into
// docs/performance.md (scripts/write-docs.mjs).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { simulate } from "../dist/node.mjs";
import { axigenScenario } from "./demo.mjs";
import { markdownTable, writeDocs, writeDocsBlock } from "./write-docs.mjs";

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
const title = `seatcap ${process.version} wasm simulate (Axigen shape, 40 % seats, every account connects once)`;
console.log(title);
console.table(rows);
const wasm = readFileSync(new URL("../dist/seatcap_bg.wasm", import.meta.url));
const size = {
  module: "dist/seatcap_bg.wasm",
  "raw KB": (wasm.length / 1000).toFixed(1),
  "gzip KB": (gzipSync(wasm, { level: 9 }).length / 1000).toFixed(1),
};
console.table([size]);
if (writeDocs)
  writeDocsBlock(
    "npm run bench -- --write-docs",
    `${markdownTable(rows)}\n${markdownTable([size])}`,
  );
