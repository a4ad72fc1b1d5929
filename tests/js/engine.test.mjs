// The Engine over host storage (SPEC "Storage callbacks", R14): the store
// contract on every shipped store, conformance replayed through the Engine,
// faults, re-entrancy, and export/import round trips.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Engine, MemoryStore, simulate, validateScenario } from "../../dist/node.mjs";
import { mulberry32 } from "../../scripts/demo.mjs";
import { conformanceCases } from "./helpers.mjs";
import { openStore, storeKinds } from "./stores.mjs";

const kinds = await storeKinds();
const T0 = Date.parse("2026-03-01T00:00:00Z");

/** The scenario without its events: what importScenario takes. */
function stateOnly(scenario) {
  const { events: _events, ...rest } = scenario;
  return rest;
}

/** A domain enabling `activesync` for `accounts` premium accounts; `seats` seats. */
function domainScenario({ accounts, seats, policy = {}, extra = [] }) {
  return {
    licence: { mailboxes: accounts + 100, features: { activesync: { seats } } },
    policy,
    directory: {
      server: { activesync: "disabled" },
      domains: { "x.com": { settings: { activesync: "enabled" } } },
      accounts: extra,
      generate: [{ domain: "x.com", count: accounts, prefix: "u" }],
    },
  };
}

/** Random SPEC events over a small directory, each with its own time. */
function randomEvents(random, count, startMs) {
  const accounts = Array.from({ length: 8 }, (_, i) => `u${i + 1}@x.com`).concat(["nobody@x.com"]);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const events = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(startMs + i * 1000).toISOString();
    const r = random();
    if (r < 0.55)
      events.push({
        op: "connect",
        account: pick(accounts),
        feature: pick(["activesync", "activesync", "oc"]),
        at,
      });
    else if (r < 0.75)
      events.push({
        op: "set",
        node: pick([`account:${pick(accounts)}`, "domain:x.com", "server"]),
        feature: "activesync",
        value: pick(["enabled", "disabled", "inherit"]),
        at,
      });
    else if (r < 0.82)
      events.push({
        op: "licence",
        licence: { mailboxes: null, features: { activesync: { seats: Math.floor(random() * 4) } } },
        at,
      });
    else if (r < 0.88) events.push({ op: "restore-capped", feature: "activesync", at });
    else if (r < 0.93)
      events.push({
        op: "set-type",
        account: pick(accounts),
        type: pick(["basic", "premium"]),
        at,
      });
    else if (r < 0.97) events.push({ op: "delete", account: pick(accounts), at });
    else events.push({ op: "create", account: pick(accounts), at });
  }
  return events;
}

for (const kind of kinds) {
  describe(`${kind} store`, () => {
    let opened;
    let store;
    before(async () => {
      opened = await openStore(kind);
      store = opened.store;
    });
    after(() => opened.close());

    test("SPEC Storage callbacks: get in key order, versions change on every write, commit all or nothing", async () => {
      const none = await store.commit({
        expect: [{ key: "k/a", version: null }],
        put: [
          { key: "k/a", value: "1" },
          { key: "k/b", value: "2" },
        ],
        del: [],
      });
      assert.equal(none, true);
      const [a1, missing, b1] = await store.get(["k/a", "k/zz", "k/b"]);
      assert.equal(a1.value, "1");
      assert.equal(missing, null);
      assert.equal(b1.value, "2");
      // A stale expectation changes nothing, not even the keys whose expectation holds.
      const stale = await store.commit({
        expect: [
          { key: "k/a", version: a1.version },
          { key: "k/b", version: b1.version + 1000 },
        ],
        put: [{ key: "k/a", value: "x" }],
        del: ["k/b"],
      });
      assert.equal(stale, false);
      assert.deepEqual(
        (await store.get(["k/a", "k/b"])).map((v) => v.value),
        ["1", "2"],
      );
      // A key expected absent but present fails too.
      assert.equal(
        await store.commit({
          expect: [{ key: "k/a", version: null }],
          put: [{ key: "k/c", value: "c" }],
          del: [],
        }),
        false,
      );
      assert.deepEqual(await store.get(["k/c"]), [null]);
      assert.equal(
        await store.commit({
          expect: [{ key: "k/a", version: a1.version }],
          put: [{ key: "k/a", value: "3" }],
          del: ["k/b"],
        }),
        true,
      );
      const [a2, b2] = await store.get(["k/a", "k/b"]);
      assert.equal(a2.value, "3");
      assert.notEqual(a2.version, a1.version);
      assert.equal(b2, null);
      // Deleted and written again: a version never seen before (no ABA).
      assert.equal(
        await store.commit({ expect: [], put: [{ key: "k/b", value: "2" }], del: [] }),
        true,
      );
      const [b3] = await store.get(["k/b"]);
      assert.ok(![a1.version, b1.version, a2.version].includes(b3.version));
    });

    test("SPEC Storage callbacks: list is ascending by code point, after and limit page through a prefix", async () => {
      const keys = ["p/b", "p/a", "p/\u{10000}", "p/\u{e000}", "p/a/b", "q/a", "p0", "o/z"];
      assert.equal(
        await store.commit({ expect: [], put: keys.map((key) => ({ key, value: key })), del: [] }),
        true,
      );
      const all = (await store.list("p/")).map((e) => e.key);
      assert.deepEqual(all, ["p/a", "p/a/b", "p/b", "p/\u{e000}", "p/\u{10000}"]);
      assert.deepEqual(
        (await store.list("p/", undefined, 2)).map((e) => e.key),
        ["p/a", "p/a/b"],
      );
      assert.deepEqual(
        (await store.list("p/", "p/a/b", 2)).map((e) => e.key),
        ["p/b", "p/\u{e000}"],
      );
      assert.deepEqual(
        (await store.list("p/", "p/\u{10000}", 2)).map((e) => e.key),
        [],
      );
      assert.deepEqual(
        (await store.list("p/", "p/b")).map((e) => e.value),
        ["p/\u{e000}", "p/\u{10000}"],
      );
    });

    test("SPEC Storage callbacks: list without a limit answers every key under the prefix", async () => {
      const keys = Array.from({ length: 1200 }, (_, i) => `many/${String(i).padStart(4, "0")}`);
      assert.equal(
        await store.commit({ expect: [], put: keys.map((key) => ({ key, value: "x" })), del: [] }),
        true,
      );
      assert.deepEqual(
        (await store.list("many/")).map((e) => e.key),
        keys,
      );
      assert.equal((await store.list("many/", keys[99])).length, 1100);
    });
  });

  describe(`Engine on ${kind}: the conformance cases`, () => {
    for (const c of conformanceCases()) {
      test(`${c.name} (${c.rule}): import + replay equals simulate`, async () => {
        const { store, close } = await openStore(kind);
        try {
          const engine = new Engine(store);
          const summary = validateScenario(c.scenario);
          assert.equal(summary.type, "success");
          assert.deepEqual(await engine.importScenario(stateOnly(c.scenario)), { ok: true });
          const results = await engine.replay(c.scenario.events ?? [], {
            start: Date.parse(summary.summary.start),
          });
          assert.deepEqual(results, c.outcome.events);
          const exported = await engine.exportScenario();
          assert.equal(exported.type, "success");
          assert.deepEqual(simulate(exported.scenario).outcome.state, c.outcome.state);
          const audit = await engine.audit();
          assert.deepEqual(audit.audit.problems, []);
        } finally {
          await close();
        }
      });
    }
  });

  describe(`Engine on ${kind}: concurrency, round trips and reads`, () => {
    test("R14 re-entrancy: 300 concurrent connects on one Engine fill the seats exactly once", async () => {
      const { store, close } = await openStore(kind);
      try {
        // An async store whose answers come back out of order.
        const random = mulberry32(7);
        const delayed = kind === "memory" ? shuffled(store, random) : store;
        const engine = new Engine(delayed);
        assert.deepEqual(
          await engine.importScenario(domainScenario({ accounts: 100, seats: 25 })),
          { ok: true },
        );
        const calls = Array.from({ length: 300 }, (_, i) =>
          engine.connect(`u${(i % 100) + 1}@x.com`, "activesync", T0 + i),
        );
        const results = await Promise.all(calls);
        const by = (reason) => results.filter((r) => r.reason === reason).length;
        assert.equal(
          results.filter((r) => r.error).length,
          0,
          JSON.stringify(results.find((r) => r.error)),
        );
        assert.equal(by("seat-claimed"), 25);
        assert.equal(by("seat-claimed") + by("seat-held") + by("capped"), 300);
        const seats = await engine.seats("activesync");
        assert.equal(seats.seats.holders.length, 25);
        assert.equal(seats.seats.free, 0);
        // Every account that claimed holds; no one else does.
        const claimed = new Set(
          results.flatMap((r, i) =>
            r.reason === "seat-claimed" ? [`u${(i % 100) + 1}@x.com`] : [],
          ),
        );
        assert.deepEqual(new Set(seats.seats.holders.map((h) => h.account)), claimed);
        assert.deepEqual((await engine.audit()).audit, { problems: [], overLimit: [] });
      } finally {
        await close();
      }
    });

    test("SPEC Recorded state: exportScenario + further events through simulate equals the live engine", async () => {
      for (const seed of [1, 2, 3]) {
        const { store, close } = await openStore(kind);
        try {
          const random = mulberry32(seed);
          const engine = new Engine(store);
          const base = domainScenario({
            accounts: 6,
            seats: 2,
            policy: { overflow: seed === 2 ? "waitlist" : "disable", shrink: "evict-idle" },
          });
          base.licence.features.oc = { seats: 1 };
          await engine.importScenario(base);
          const first = randomEvents(random, 40, T0);
          await engine.replay(first);
          const exported = await engine.exportScenario();
          assert.equal(exported.type, "success");
          const further = randomEvents(random, 40, T0 + 100_000);
          const live = await engine.replay(further);
          const replayed = simulate({ ...exported.scenario, events: further });
          assert.equal(replayed.type, "success", JSON.stringify(replayed));
          assert.deepEqual(live, replayed.outcome.events);
          const now = await engine.exportScenario();
          assert.deepEqual(simulate(now.scenario).outcome.state, replayed.outcome.state);
          assert.deepEqual((await engine.audit()).audit.problems, []);
        } finally {
          await close();
        }
      }
    });

    test("reads for administrators: account, seats, capped and waitlist pages, explain", async () => {
      const { store, close } = await openStore(kind);
      try {
        const engine = new Engine(store);
        await engine.importScenario(domainScenario({ accounts: 12, seats: 3 }));
        for (let i = 1; i <= 12; i++)
          await engine.connect(`u${i}@x.com`, "activesync", T0 + i * 1000);
        const seats = (await engine.seats("activesync")).seats;
        assert.deepEqual(
          seats.holders.map((h) => h.account),
          ["u1@x.com", "u2@x.com", "u3@x.com"],
        );
        assert.deepEqual([seats.limit, seats.free, seats.holders[0].via], [3, 0, "connect"]);
        const page1 = (await engine.capped("activesync", { limit: 5 })).page;
        assert.equal(page1.items.length, 5);
        const page2 = (await engine.capped("activesync", { after: page1.next, limit: 5 })).page;
        assert.equal(page2.items.length, 4);
        assert.equal(page2.next, null);
        const capped = [...page1.items, ...page2.items].map((c) => c.account).sort();
        assert.deepEqual(capped, Array.from({ length: 9 }, (_, i) => `u${i + 4}@x.com`).sort());
        assert.equal(page1.items[0].at.endsWith("Z"), true);
        const account = (await engine.account("U4@X.com")).account;
        assert.deepEqual(account.features.activesync.effective, "disabled");
        assert.equal(account.features.activesync.source, "account:u4@x.com");
        assert.ok(account.features.activesync.cappedAt);
        const held = (await engine.account("u2@x.com")).account.features.activesync;
        assert.equal(held.seat.via, "connect");
        const why = (await engine.explain("u4@x.com", "activesync")).explanation;
        assert.equal(why.rule, "R5");
        assert.equal((await engine.account("ghost@x.com")).error.code, "unknown-account");
        assert.equal((await engine.seats("nope")).error.code, "unknown-feature");
        assert.equal((await engine.capped("no/such")).error.code, "invalid-input");
        // R12 waitlist in arrival order, paged.
        const { store: s2, close: close2 } = await openStore(kind);
        try {
          const engine2 = new Engine(s2);
          await engine2.importScenario(
            domainScenario({ accounts: 8, seats: 2, policy: { overflow: "waitlist" } }),
          );
          for (const n of [1, 2, 7, 5, 6])
            await engine2.connect(`u${n}@x.com`, "activesync", T0 + n);
          const wait = (await engine2.waitlist("activesync", { limit: 2 })).page;
          assert.deepEqual(wait, { items: ["u7@x.com", "u5@x.com"], next: "2" });
          assert.deepEqual((await engine2.waitlist("activesync", { offset: 2 })).page, {
            items: ["u6@x.com"],
            next: null,
          });
        } finally {
          await close2();
        }
      } finally {
        await close();
      }
    });

    test("importScenario seeds an empty store only, unless replacing; a bad scenario changes nothing", async () => {
      const { store, close } = await openStore(kind);
      try {
        const engine = new Engine(store);
        assert.deepEqual(await engine.importScenario(domainScenario({ accounts: 3, seats: 1 })), {
          ok: true,
        });
        const again = await engine.importScenario(domainScenario({ accounts: 5, seats: 1 }));
        assert.equal(again.error.code, "already-exists");
        const bad = await engine.importScenario({
          licence: { features: {} },
          directory: { accounts: [{ id: "x" }] },
        });
        assert.equal(bad.error.code, "invalid-input");
        const withEvents = await engine.importScenario({
          ...domainScenario({ accounts: 1, seats: 1 }),
          events: [{ op: "delete", account: "u1@x.com" }],
        });
        assert.equal(withEvents.error.code, "invalid-input");
        assert.equal((await engine.exportScenario()).scenario.directory.accounts.length, 3);
        assert.deepEqual(
          await engine.importScenario(domainScenario({ accounts: 5, seats: 1 }), { replace: true }),
          { ok: true },
        );
        assert.equal((await engine.exportScenario()).scenario.directory.accounts.length, 5);
      } finally {
        await close();
      }
    });
  });
}

/** An async view of a synchronous store whose answers resolve in a random order. */
function shuffled(store, random) {
  const later = (fn) =>
    new Promise((resolve, reject) =>
      setTimeout(
        () => {
          try {
            resolve(fn());
          } catch (e) {
            reject(e);
          }
        },
        Math.floor(random() * 3),
      ),
    );
  return {
    get: (keys) => later(() => store.get(keys)),
    list: (prefix, after, limit) => later(() => store.list(prefix, after, limit)),
    commit: (tx) => later(() => store.commit(tx)),
  };
}

/** A store that fails on purpose: throws, rejects, loses commits, delays, reorders. */
function faulty(inner, random, rates) {
  const maybe = (name, fn) => {
    const r = random();
    if (r < rates.throw) throw new Error(`injected ${name} throw`);
    if (r < rates.throw + rates.reject)
      return Promise.reject(new Error(`injected ${name} rejection`));
    if (name === "commit" && r < rates.throw + rates.reject + rates.lose)
      return Promise.resolve(false);
    return new Promise((resolve, reject) =>
      setTimeout(
        () => {
          try {
            resolve(fn());
          } catch (e) {
            reject(e);
          }
        },
        Math.floor(random() * 4),
      ),
    );
  };
  return {
    get: (keys) => maybe("get", () => inner.get(keys)),
    list: (prefix, after, limit) => maybe("list", () => inner.list(prefix, after, limit)),
    commit: (tx) => maybe("commit", () => inner.commit(tx)),
  };
}

describe("request input", () => {
  test("bad names and times answer invalid-input and read nothing; ISO text and Dates are times", async () => {
    const calls = [];
    const inner = new MemoryStore();
    const spy = {
      get: (k) => {
        calls.push(k);
        return inner.get(k);
      },
      list: (...a) => inner.list(...a),
      commit: (tx) => inner.commit(tx),
    };
    const engine = new Engine(spy);
    await engine.importScenario(domainScenario({ accounts: 2, seats: 1 }));
    calls.length = 0;
    for (const [account, feature, at] of [
      ["no-at-sign", "activesync"],
      ["u1@x.com", "bad/feature"],
      ["u1@x.com", "activesync", Number.NaN],
      ["u1@x.com", "activesync", "yesterday"],
      [42, "activesync"],
    ]) {
      const r = await engine.connect(account, feature, at);
      assert.deepEqual(
        r,
        { allowed: false, reason: "invalid-input", source: null },
        JSON.stringify([account, feature, at]),
      );
    }
    assert.equal(calls.length, 0, "nothing was read for invalid requests");
    assert.equal(
      (await engine.set("account:u1@x.com", "activesync", "maybe")).error.code,
      "invalid-input",
    );
    const iso = await engine.connect("U1@X.COM", "activesync", "2026-06-01T10:00:00+02:00");
    assert.equal(iso.reason, "seat-claimed");
    const since = (await engine.seats("activesync")).seats.holders[0].since;
    assert.equal(since, "2026-06-01T08:00:00Z");
    await engine.connect("u1@x.com", "activesync", new Date("2026-06-02T00:00:00Z"));
    assert.equal(
      (await engine.seats("activesync")).seats.holders[0].lastSeen,
      "2026-06-02T00:00:00Z",
    );
    const fixed = new Engine(inner, { now: () => Date.parse("2026-07-01T00:00:00Z") });
    await fixed.connect("u1@x.com", "activesync");
    assert.equal(
      (await fixed.seats("activesync")).seats.holders[0].lastSeen,
      "2026-07-01T00:00:00Z",
    );
  });
});

describe("faults (SPEC Storage callbacks: store-error and conflict change nothing)", () => {
  test("a throwing, rejecting or losing store: every failed request leaves the state as it was", async () => {
    const inner = new MemoryStore();
    const random = mulberry32(42);
    const initial = domainScenario({ accounts: 8, seats: 3, policy: { overflow: "waitlist" } });
    await new Engine(inner).importScenario(initial);
    const engine = new Engine(faulty(inner, random, { throw: 0.05, reject: 0.05, lose: 0.35 }), {
      tries: 2,
      backoff: () => 0,
    });
    const events = randomEvents(random, 300, T0);
    const seen = { "store-error": 0, conflict: 0, fine: 0 };
    const applied = [];
    for (const event of events) {
      const before = JSON.stringify(inner.entries());
      const result = await engine.apply(event);
      const code = result.error?.code;
      if (code === "store-error" || code === "conflict") {
        seen[code]++;
        assert.equal(
          JSON.stringify(inner.entries()),
          before,
          `${JSON.stringify(event)} failed with ${code} but changed the store`,
        );
        if (event.op === "connect") assert.equal(result.allowed, false);
      } else {
        seen.fine++;
        applied.push(event);
      }
    }
    assert.ok(
      seen["store-error"] > 10 && seen.conflict > 5 && seen.fine > 100,
      JSON.stringify(seen),
    );
    assert.deepEqual((await new Engine(inner).audit()).audit.problems, []);
    // The store is what the requests that went through make, run one at a time by the core (a
    // licence event may leave grandfathered holders over the limit, R10: not a fault).
    const live = (await new Engine(inner).exportScenario()).scenario;
    assert.deepEqual(
      simulate(live).outcome.state,
      simulate({ ...initial, events: applied }).outcome.state,
    );
  });

  test("concurrent requests over a store that fails and reorders: the state stays consistent", async () => {
    const inner = new MemoryStore();
    const random = mulberry32(9);
    await new Engine(inner).importScenario(domainScenario({ accounts: 8, seats: 3 }));
    const engine = new Engine(faulty(inner, random, { throw: 0.03, reject: 0.03, lose: 0.1 }), {
      tries: 4,
      backoff: () => 0,
    });
    const results = await Promise.all(randomEvents(random, 400, T0).map((e) => engine.apply(e)));
    const codes = new Set(results.map((r) => r.error?.code).filter(Boolean));
    assert.ok(codes.has("store-error"));
    assert.deepEqual((await new Engine(inner).audit()).audit.problems, []);
  });

  test("a store answering the wrong shape gives store-error, never an exception", async () => {
    const inner = new MemoryStore();
    await new Engine(inner).importScenario(domainScenario({ accounts: 2, seats: 1 }));
    const wrong = [
      { get: () => [{ value: 1, version: 1 }], list: () => [], commit: () => true },
      { get: () => "nope", list: () => [], commit: () => true },
      {
        get: (keys) => keys.map(() => ({ value: "{broken", version: 1 })),
        list: () => [],
        commit: () => true,
      },
      { get: (keys) => keys.map(() => null).slice(1), list: () => [], commit: () => true },
      {
        get: (keys) => inner.get(keys).map((v) => v && { ...v, version: "7" }),
        list: () => [],
        commit: () => true,
      },
    ];
    for (const store of wrong) {
      const result = await new Engine(store).connect("u1@x.com", "activesync");
      assert.equal(result.allowed, false);
      assert.equal(result.error.code, "store-error", JSON.stringify(result));
    }
  });

  test("a listing's optional version: a bad one gives store-error, none at all reads as before", async () => {
    const inner = new MemoryStore();
    await new Engine(inner).importScenario(domainScenario({ accounts: 3, seats: 2 }));
    await new Engine(inner).connect("u1@x.com", "activesync", T0);
    const listing = (version) => ({
      get: (keys) => inner.get(keys),
      list: (prefix, after, limit) =>
        inner.list(prefix, after, limit).map((e) => ({ ...e, version: version(e) })),
      commit: (tx) => inner.commit(tx),
    });
    // An export reads every range through the core.
    for (const bad of [() => "7", () => -1, () => 1.5]) {
      const read = await new Engine(listing(bad)).exportScenario();
      assert.equal(read.error?.code, "store-error", JSON.stringify(read));
      assert.match(read.error.message, /version is not a whole number/);
    }
    const versioned = await new Engine(inner).exportScenario();
    assert.equal(versioned.type, "success");
    for (const none of [() => undefined, () => null])
      assert.deepEqual(await new Engine(listing(none)).exportScenario(), versioned);
  });
});
