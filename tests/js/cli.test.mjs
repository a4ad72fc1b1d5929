// The `seatcap` command line, run as users run it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import test from "node:test";
import { conformanceCases, root } from "./helpers.mjs";

const cli = path.join(root, "dist/cli.mjs");
const tmp = mkdtempSync(path.join(tmpdir(), "seatcap-cli-"));
const cases = conformanceCases();

function seatcap(args, input) {
  return spawnSync(process.execPath, [cli, ...args], {
    input,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
}

function write(name, text) {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

function assertOneLineFailure(result, pattern, code = 1) {
  assert.equal(result.status, code, result.stderr);
  assert.equal(result.stdout, "");
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, code === 1 ? 1 : lines.length);
  assert.match(lines[0], /^seatcap: /);
  assert.match(lines[0], pattern);
  assert.ok(!/\n\s+at /.test(result.stderr), "no stack trace");
}

test("simulate FILE prints the Outcome JSON of every conformance case", () => {
  for (const c of cases) {
    const result = seatcap(["simulate", write(`${c.name}.json`, JSON.stringify(c.scenario))]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepStrictEqual(JSON.parse(result.stdout), c.outcome, c.name);
    assert.equal(result.stderr, "", "no progress when stderr is not a terminal");
  }
});

test("simulate - reads the scenario from stdin", () => {
  const c = cases[0];
  const result = seatcap(["simulate", "-"], JSON.stringify(c.scenario));
  assert.equal(result.status, 0, result.stderr);
  assert.deepStrictEqual(JSON.parse(result.stdout), c.outcome);
});

test("bad files exit 1 with one line and no stack trace", () => {
  assertOneLineFailure(
    seatcap(["simulate", path.join(tmp, "missing.json")]),
    /missing\.json: no such file/,
  );
  assertOneLineFailure(seatcap(["simulate", tmp]), /is a directory/);
  assertOneLineFailure(
    seatcap(["simulate", write("garbage.json", "{licence: nope")]),
    /garbage\.json: not valid JSON/,
  );
  assertOneLineFailure(
    seatcap([
      "simulate",
      write(
        "invalid.json",
        JSON.stringify({ licence: { features: { activesync: { seats: -1 } } }, directory: {} }),
      ),
    ]),
    /invalid\.json: licence\.features\.activesync\.seats: expected a whole number/,
  );
  assertOneLineFailure(
    seatcap(["simulate", "-"], "[]"),
    /^seatcap: stdin: scenario: expected a JSON object$/,
  );
  assertOneLineFailure(seatcap(["validate", "-"], "{"), /^seatcap: stdin: not valid JSON: /);
  assertOneLineFailure(
    seatcap(["validate", write("nodir.json", JSON.stringify({ licence: { features: {} } }))]),
    /missing field `directory`/,
  );
});

test("validate prints a summary line; explain prints the explanation", () => {
  const axigen = write(
    "axigen.json",
    JSON.stringify(cases.find((c) => c.name.startsWith("04-")).scenario),
  );
  const v = seatcap(["validate", axigen]);
  assert.equal(v.status, 0, v.stderr);
  assert.match(
    v.stdout,
    /valid: 1 domains, 0 classes, 500 accounts, features activesync, 555 events/,
  );
  const e = seatcap(["explain", axigen, "user1@example.com", "activesync"]);
  assert.equal(e.status, 0, e.stderr);
  const explanation = JSON.parse(e.stdout);
  assert.equal(explanation.account, "user1@example.com");
  assert.ok(["R3", "R5"].includes(explanation.rule));
});

test("on a terminal, a long run shows its progress on stderr", () => {
  const axigen = write(
    "progress.json",
    JSON.stringify(cases.find((c) => c.name.startsWith("04-")).scenario),
  );
  // script(1) gives the command a pseudo-terminal, as an administrator's shell would.
  const result = spawnSync(
    "script",
    [
      "-qec",
      `${process.execPath} ${cli} simulate ${axigen} > ${path.join(tmp, "out.json")}`,
      "/dev/null",
    ],
    {
      encoding: "utf8",
    },
  );
  assert.equal(result.status, 0, result.stdout);
  assert.match(result.stdout, /simulating… 100% \(555 of 555 events\)/);
  assert.deepStrictEqual(
    JSON.parse(readFileSync(path.join(tmp, "out.json"), "utf8")),
    cases.find((c) => c.name.startsWith("04-")).outcome,
  );
});

test("usage errors exit 2 and show the usage", () => {
  for (const args of [[], ["frobnicate"], ["simulate"], ["simulate", "a", "b"], ["explain", "f"]]) {
    const result = seatcap(args);
    assert.equal(result.status, 2, args.join(" "));
    assert.match(result.stderr, /^seatcap: /);
    assert.match(result.stderr, /usage: seatcap simulate FILE/);
  }
  const version = seatcap(["--version"]);
  assert.equal(version.status, 0);
  assert.equal(version.stdout.trim(), "0.1.0");
});

test("a file that starts with a UTF-8 byte-order mark is read as the JSON after it", () => {
  const c = cases[0];
  const file = write("bom.json", `\uFEFF${JSON.stringify(c.scenario)}`);
  const result = seatcap(["simulate", file]);
  assert.equal(result.status, 0, result.stderr);
  assert.deepStrictEqual(JSON.parse(result.stdout), c.outcome);
  assert.equal(
    seatcap(["validate", "-"], `\uFEFF${JSON.stringify(c.scenario)}`).status,
    0,
    "stdin too",
  );
});

test("an error quoting a file's bytes stays one printable line: NULs, newlines, escapes and bidi overrides are escaped", () => {
  const file = write(
    "control.json",
    '{"licence": nope\u0000\n\n\u001b[31mred\u202egnp.exe\r\nmore',
  );
  const result = seatcap(["validate", file]);
  assertOneLineFailure(result, /control\.json: not valid JSON: /);
  assert.doesNotMatch(
    result.stderr.trimEnd(),
    /[\u0000-\u0008\u000b-\u001f\u007f\u202e]/,
    JSON.stringify(result.stderr),
  );
  assert.match(result.stderr, /\\u0000/);
  const usage = seatcap([`evil\nseatcap: everything is fine`]);
  assert.equal(usage.status, 2);
  assert.match(
    usage.stderr.split("\n")[0],
    /^seatcap: unknown command `evil\\nseatcap: everything is fine`$/,
  );
  // (An argument can't hold a NUL; a line break and a terminal escape it can.)
  const serve = seatcap(["serve", "--port", "80\n\u001b[2J"]);
  assert.equal(serve.status, 2);
  assert.match(
    serve.stderr.split("\n")[0],
    /^seatcap serve: --port: expected a whole number from 0 to 65535, got `80\\n\\u001b\[2J`$/,
  );
});
