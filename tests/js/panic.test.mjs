// No input may make the wasm trap: a trap (Rust panic) poisons the instance
// for every later call. Hundreds of hostile inputs go through each entry
// point; every call must return a tagged result, and a known-good scenario
// must still simulate correctly afterwards.
import assert from "node:assert/strict";
import test from "node:test";
import { explain, simulate, validateScenario } from "../../dist/node.mjs";
import { mulberry32 } from "../../scripts/demo.mjs";
import { conformanceCases } from "./helpers.mjs";

const good = conformanceCases().find((c) => c.name.startsWith("03-"));

const random = mulberry32(7);
const pick = (items) => items[Math.floor(random() * items.length)];

const weird = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -0,
  1e308,
  -1e308,
  2 ** 53 + 1,
  Number.MAX_SAFE_INTEGER,
  "",
  " ",
  "x",
  "a@b",
  "@",
  "a@",
  "@b.com",
  "a@b.com",
  "A@B.COM",
  "a@b..com",
  "a@-b.com",
  "é@ü.com",
  "a@b.com\u0000",
  "🦀@crab.rs",
  `${"x".repeat(300)}@d.com`,
  "server",
  "domain:",
  "class:",
  "class:d.com",
  "class:d.com/",
  "account:",
  "2026-01-01T00:00:00Z",
  "2026-02-30T00:00:00Z",
  "9999-12-31T23:59:59.999Z",
  "0000-01-01T00:00:00Z",
  [],
  [[]],
  {},
  { op: "connect" },
  "inherit",
  "enabled",
  "disabled",
];

function hostileEvent() {
  const op = pick([
    "connect",
    "set",
    "licence",
    "create",
    "delete",
    "set-type",
    "restore-capped",
    "nope",
    7,
    null,
  ]);
  const event = { op };
  for (const field of [
    "account",
    "feature",
    "node",
    "value",
    "type",
    "class",
    "settings",
    "licence",
    "at",
    "extra",
  ]) {
    if (random() < 0.5) event[field] = pick(weird);
  }
  if (random() < 0.3)
    event.licence = {
      features: { f: { seats: pick(weird) } },
      mailboxes: pick(weird),
      expires: pick(weird),
    };
  return event;
}

function hostileScenario() {
  const base = JSON.parse(JSON.stringify(good.scenario));
  switch (Math.floor(random() * 8)) {
    case 0:
      return pick(weird);
    case 1:
      base.licence = pick(weird);
      return base;
    case 2:
      base.directory = {
        ...base.directory,
        accounts: [
          {
            id: pick(weird),
            type: pick(weird),
            class: pick(weird),
            settings: { activesync: pick(weird) },
            capped: { activesync: pick(weird) },
          },
        ],
      };
      return base;
    case 3:
      base.directory.generate = [
        {
          domain: pick(weird),
          count: pick([0, 1, 2 ** 40, -5, 1e21, 3.5, "9"]),
          prefix: pick(weird),
        },
      ];
      return base;
    case 4:
      base.seats = {
        activesync: {
          holders: [
            { account: pick(weird), since: pick(weird), via: pick(weird), lastSeen: pick(weird) },
          ],
          waitlist: [pick(weird)],
        },
      };
      return base;
    case 5:
      base.policy = {
        capping: pick(weird),
        overflow: pick(weird),
        shrink: pick(weird),
        restoreOnGrow: pick(weird),
      };
      return base;
    case 6:
      base.events = Array.from({ length: 20 }, hostileEvent);
      return base;
    default: {
      const text = JSON.stringify(base);
      const cut = Math.floor(random() * text.length);
      return (
        text.slice(0, cut) +
        pick(["", "}", "]", ",", '"', "\\", "\u0000", '{"a":']) +
        text.slice(cut + 1)
      );
    }
  }
}

function randomText() {
  const length = Math.floor(random() * 200);
  return Array.from({ length }, () => String.fromCharCode(Math.floor(random() * 0x3000))).join("");
}

function stillHealthy() {
  const result = simulate(good.scenario);
  assert.equal(result.type, "success");
  assert.deepStrictEqual(result.outcome, good.outcome);
}

function assertTagged(result) {
  assert.ok(
    result && (result.type === "success" || result.type === "failure"),
    JSON.stringify(result)?.slice(0, 200),
  );
  if (result.type === "failure") {
    assert.equal(typeof result.error.code, "string");
    assert.equal(typeof result.error.message, "string");
    assert.ok(!result.error.message.includes("\n"), "one-line messages");
  }
}

test("hostile scenarios, events and texts never trap the wasm", () => {
  let calls = 0;
  for (let i = 0; i < 400; i++) {
    const input = i % 4 === 3 ? randomText() : hostileScenario();
    assertTagged(simulate(input));
    assertTagged(validateScenario(input));
    assertTagged(
      explain(
        input,
        pick(weird.filter((w) => typeof w === "string")),
        pick(["activesync", "", "x y", "a".repeat(100)]),
      ),
    );
    calls += 3;
    if (i % 20 === 0) stillHealthy();
  }
  stillHealthy();
  assert.ok(calls >= 1200);
});

test("deep nesting, huge numbers and giant strings are refused cleanly", () => {
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  const inputs = [
    deep,
    JSON.stringify({ licence: { features: { f: { seats: 1e300 } } }, directory: {} }),
    JSON.stringify({
      licence: { features: {} },
      directory: {
        domains: { "d.com": {} },
        generate: [{ domain: "d.com", count: 1e15, prefix: "u" }],
      },
    }),
    JSON.stringify({
      licence: { features: {} },
      directory: { domains: { [`${"d".repeat(100_000)}.com`]: {} } },
    }),
    `"${"a".repeat(1_000_000)}"`,
  ];
  for (const input of inputs) {
    const result = simulate(input);
    assert.equal(result.type, "failure", input.slice(0, 60));
    assert.equal(result.error.code, "invalid-input");
  }
  // A deeply nested event is that event's problem only (SPEC: invalid event vs invalid scenario).
  const nested = simulate({
    licence: { features: {} },
    directory: {},
    events: [JSON.parse("[".repeat(120) + "]".repeat(120)), { op: "restore-capped", feature: "f" }],
  });
  assert.equal(nested.type, "success");
  assert.deepStrictEqual(
    nested.outcome.events.map((e) => e.error?.code),
    ["invalid-input", "unknown-feature"],
  );
  stillHealthy();
});

test("values JSON can't carry are refused, not thrown", () => {
  const cyclic = { licence: { features: {} }, directory: {} };
  cyclic.self = cyclic;
  for (const input of [
    cyclic,
    { licence: { features: { f: { seats: 10n } } } },
    undefined,
    Symbol("x"),
    () => 1,
  ]) {
    const result = simulate(input);
    assert.equal(result.type, "failure");
    assert.equal(result.error.code, "invalid-input");
  }
  stillHealthy();
});

test("a progress callback that throws neither stops the run nor poisons the module", () => {
  const result = simulate(good.scenario, {
    onProgress: () => {
      throw new Error("boom");
    },
  });
  assert.equal(result.type, "success");
  assert.deepStrictEqual(result.outcome, good.outcome);
  stillHealthy();
});
