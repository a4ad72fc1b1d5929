// `npm start`'s demo: the SPEC's Axigen example, read off its printed summary.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import test from "node:test";
import { root } from "./helpers.mjs";

test("the demo prints 200 holders, 300 capped and the refused admin enable", () => {
  const result = spawnSync(process.execPath, [path.join(root, "scripts/demo.mjs")], {
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /seats used\s+200 of 200/);
  assert.match(result.stdout, /accounts capped\s+300 /);
  assert.match(result.stdout, /connects allowed\s+200\n\s+connects denied\s+300/);
  assert.match(result.stdout, /first capped\s+user\d+@example\.com \(login 201\)/);
  assert.match(result.stdout, /refused: seats-exhausted/);
  const cappedLines = result.stdout
    .split("\n")
    .filter((l) => /^\s+user\d+@example\.com\s+setting /.test(l));
  assert.equal(cappedLines.length, 4, "a few capped accounts with their setting");
  for (const line of cappedLines)
    assert.match(
      line,
      /setting disabled \(capped\), effective disabled from account:user\d+@example\.com, no seat/,
    );
  assert.match(result.stdout, /… and 296 more/);
});

test("the demo is deterministic: the same seed prints the same summary", () => {
  const run = () =>
    spawnSync(process.execPath, [path.join(root, "scripts/demo.mjs")], { encoding: "utf8" }).stdout;
  assert.equal(run(), run());
});
