// Property test over every Engine call's arguments (issue 13): whatever a host
// passes (any JSON-ish value, numbers, NaN, BigInt, Dates, symbols, functions),
// each call resolves to its typed result shape, never rejects or throws, never
// traps the wasm, and the store stays consistent (the core's audit).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Engine, MemoryStore, simulate } from "../../dist/node.mjs";

const T0 = Date.parse("2026-03-01T00:00:00Z");
const scenario = {
  licence: { mailboxes: 20, features: { activesync: { seats: 2 } } },
  policy: { capping: "at-cap" },
  directory: {
    server: { activesync: "disabled" },
    domains: { "x.com": { settings: { activesync: "enabled" } } },
    generate: [{ domain: "x.com", count: 4, prefix: "u" }],
  },
};

// Plausible values beside hostile ones, so calls also get past the argument checks.
const names = fc.constantFrom(
  "u1@x.com",
  "u2@x.com",
  "U3@X.COM",
  "activesync",
  "account:u1@x.com",
  "domain:x.com",
  "server",
  "enabled",
  "disabled",
  "inherit",
  "premium",
  "basic",
  "x.com",
  "",
);
const hostile = fc.oneof(
  fc.anything(),
  fc.constantFrom(
    Number.NaN,
    Infinity,
    -1,
    -0.5,
    2 ** 53,
    8.64e15,
    10n,
    Symbol("s"),
    () => 1,
    new Date(Number.NaN),
    "0201-05-05T05:25:14Z",
    "[".repeat(200),
  ),
  fc.date({ noInvalidDate: false }),
);
const arg = fc.oneof(
  { weight: 3, arbitrary: names },
  { weight: 2, arbitrary: hostile },
  { weight: 1, arbitrary: fc.integer() },
);
const event = fc.record(
  {
    op: fc.constantFrom(
      "connect",
      "set",
      "licence",
      "create",
      "delete",
      "set-type",
      "restore-capped",
      "nope",
    ),
    account: arg,
    feature: arg,
    node: arg,
    value: arg,
    licence: arg,
    at: arg,
  },
  { requiredKeys: ["op"] },
);
const argsFor = {
  apply: fc.tuple(fc.oneof(event, arg), arg),
  replay: fc.tuple(
    fc.oneof(fc.array(fc.oneof(event, arg), { maxLength: 4 }), arg),
    fc.oneof(fc.record({ start: arg }), arg),
  ),
  importScenario: fc.tuple(
    fc.oneof(fc.constant(scenario), arg),
    fc.oneof(fc.record({ replace: arg, force: arg, at: arg }), arg),
  ),
};
const anyArgs = fc.array(arg, { maxLength: 4 });

/** What each call may answer: its typed shape, nothing else. */
function shaped(call, result) {
  if (call === "replay") return Array.isArray(result) && result.every((r) => shaped("apply", r));
  if (result === null || typeof result !== "object") return false;
  if (call === "tryConnect" && "pending" in result)
    return typeof result.pending.reason === "string";
  if ("type" in result)
    return (
      result.type === "success" ||
      (result.type === "failure" && typeof result.error.code === "string")
    );
  if ("ok" in result) return result.ok === true || typeof result.error.code === "string";
  if ("allowed" in result)
    return typeof result.reason === "string" || typeof result.error?.code === "string";
  return false;
}

test("every Engine call answers its typed result for any arguments, and the store stays consistent", async () => {
  const store = new MemoryStore();
  const engine = new Engine(store, { now: () => T0, actor: "fuzz" });
  assert.deepEqual(await engine.importScenario(scenario), { ok: true });
  // Every public method, so a new one is fuzzed without editing this test (`by` makes a view; tested apart).
  const calls = Object.getOwnPropertyNames(Engine.prototype).filter(
    (n) => n !== "constructor" && n !== "by",
  );
  assert.ok(calls.length >= 25, calls.join());
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...calls), fc.nat(), async (call, seed) => {
      const args = fc.sample(argsFor[call] ?? anyArgs, { numRuns: 1, seed })[0];
      let result;
      try {
        result = await engine[call](...args);
      } catch (e) {
        assert.fail(`${call} threw ${e}`);
      }
      assert.ok(
        shaped(call, result),
        `${call}: ${JSON.stringify(result, (_, v) => (typeof v === "bigint" ? String(v) : v))}`,
      );
    }),
    { numRuns: 1500, seed: 13 },
  );
  const audit = await engine.audit();
  assert.equal(audit.type, "success", JSON.stringify(audit.error));
  assert.deepEqual(audit.audit.problems, []);
  assert.equal(simulate(scenario).type, "success", "the wasm instance is not poisoned");
});

test("a trusting Engine never installs a licence it was not given signed, whatever the route", async () => {
  const store = new MemoryStore();
  const engine = new Engine(store, { now: () => T0, licence: { trustedKeys: ["00".repeat(32)] } });
  await new Engine(store, { now: () => T0 }).importScenario(scenario);
  const licence = fc.record(
    {
      mailboxes: fc.oneof(fc.nat(), fc.constant(null)),
      features: fc.dictionary(
        fc.constantFrom("activesync", "sharing"),
        fc.record({ seats: fc.oneof(fc.nat(), fc.constant(null)) }),
      ),
      serial: fc.nat(),
      issued: fc.constant("2027-01-01T00:00:00Z"),
    },
    { requiredKeys: ["features"] },
  );
  await fc.assert(
    fc.asyncProperty(licence, fc.boolean(), async (l, force) => {
      for (const result of [
        await engine.setLicence(l, undefined, { force }),
        await engine.uploadLicence(l, { force, trustedKeys: [], allowUnsigned: true }),
        await engine.apply({ op: "licence", licence: l, force }),
        (await engine.replay([{ op: "licence", licence: l }]))[0],
        await engine.importScenario({ ...scenario, licence: l }, { replace: true, force }),
      ]) {
        assert.equal(result.ok, false);
        assert.equal(result.error.code, "invalid-input");
      }
    }),
    { numRuns: 100, seed: 13 },
  );
  assert.equal((await engine.seats("activesync")).seats.limit, 2);
});
