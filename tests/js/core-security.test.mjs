// Issue 13, the core's part, through the Engine as hosts use it: times out of
// range can't brick a store, a replacing import repairs one, arguments of the
// wrong type never reach the wasm, and on a trusting Engine every way a
// licence enters the store is verified by the core and can't be rolled back.
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { describe, test } from "node:test";
import { Engine, MemoryStore, licenceMessage, simulate } from "../../dist/node.mjs";

const T0 = Date.parse("2026-03-01T00:00:00Z");

function scenario({ accounts = 3, seats = 2, licence } = {}) {
  return {
    licence: licence ?? { mailboxes: 100, features: { activesync: { seats } } },
    directory: {
      server: { activesync: "disabled" },
      domains: { "x.com": { settings: { activesync: "enabled" } } },
      generate: [{ domain: "x.com", count: accounts, prefix: "u" }],
    },
  };
}

/** A store's entries as plain data, to show that nothing changed. */
function snapshot(store) {
  return JSON.stringify(store.list(""));
}

/** Every read a console or gateway makes answers (a bricked store answers store-error here). */
async function readable(engine) {
  for (const result of [
    await engine.seats("activesync"),
    await engine.exportScenario(),
    await engine.account("u1@x.com"),
    await engine.audit(),
  ]) {
    assert.equal(result.type, "success", JSON.stringify(result.error));
  }
  const connect = await engine.connect("u1@x.com", "activesync", T0);
  assert.equal(connect.allowed, true, JSON.stringify(connect));
}

describe("times the host passes in (issue 13: a time before 1970 bricked the store)", () => {
  test("connect at -1, NaN, Infinity, a fraction or past 9999 is invalid-input and writes nothing", async () => {
    const store = new MemoryStore();
    const engine = new Engine(store, { now: () => T0 });
    assert.deepEqual(await engine.importScenario(scenario()), { ok: true });
    const before = snapshot(store);
    for (const at of [
      -1,
      Number.NaN,
      Infinity,
      -Infinity,
      0.5,
      253_402_300_800_000,
      new Date("nonsense"),
      "0201-05-05T05:25:14Z",
    ]) {
      const result = await engine.connect("u1@x.com", "activesync", at);
      assert.deepEqual(
        result,
        { allowed: false, reason: "invalid-input", source: null },
        String(at),
      );
      assert.equal(
        (await engine.set("account:u2@x.com", "activesync", "enabled", at)).error?.code,
        "invalid-input",
        String(at),
      );
      assert.equal(
        (await engine.explain("u1@x.com", "activesync", at)).error?.code,
        "invalid-input",
        String(at),
      );
    }
    assert.equal(snapshot(store), before, "nothing was written");
    await readable(engine);
  });

  test("replay with a start before 1970 answers every event invalid-input and writes nothing", async () => {
    const store = new MemoryStore();
    const engine = new Engine(store, { now: () => T0 });
    await engine.importScenario(scenario());
    const before = snapshot(store);
    const events = [
      { op: "connect", account: "u1@x.com", feature: "activesync" },
      {
        op: "set",
        node: "account:u2@x.com",
        feature: "activesync",
        value: "enabled",
        at: "2026-03-01T00:00:00Z",
      },
    ];
    for (const start of ["0201-05-05T05:25:14Z", "May 5, 2026", -5, new Date(Number.NaN)]) {
      const outcomes = await engine.replay(events, { start });
      assert.equal(outcomes.length, 2);
      assert.equal(outcomes[0].allowed, false, String(start));
      assert.equal(outcomes[0].error.code, "invalid-input");
      assert.equal(outcomes[1].error.code, "invalid-input");
    }
    assert.equal(snapshot(store), before);
    await readable(engine);
  });

  test("an importScenario with replace repairs a store that already holds an unreadable record", async () => {
    const store = new MemoryStore();
    const engine = new Engine(store, { now: () => T0 });
    await engine.importScenario(scenario());
    // What the bug wrote: a holder whose times are before 1970, and a record that is not JSON.
    const bad =
      '{"seq":0,"since":"0201-05-05T05:25:14Z","via":"connect","lastSeen":"0201-05-05T05:25:14Z"}';
    assert.equal(
      store.commit({
        expect: [],
        put: [
          { key: "holder/activesync/u1@x.com", value: bad },
          { key: "account/u2@x.com", value: "{" },
        ],
        del: [],
      }),
      true,
    );
    assert.equal(
      (await engine.exportScenario()).error.code,
      "store-error",
      "the store is unreadable",
    );
    assert.equal((await engine.importScenario(scenario())).error.code, "already-exists");
    assert.deepEqual(await engine.importScenario(scenario(), { replace: true }), { ok: true });
    await readable(engine);
    assert.deepEqual((await engine.audit()).audit.problems, []);
  });
});

describe("arguments of the wrong type never reach the wasm (issue 13: RuntimeError: memory access out of bounds)", () => {
  const wrong = [42, Number.NaN, {}, [], null, true, 10n, Symbol("s")];

  test("every Engine method answers a typed invalid-input, and the module stays healthy", async () => {
    const engine = new Engine(new MemoryStore(), { now: () => T0 });
    await engine.importScenario(scenario());
    for (const bad of wrong) {
      const name =
        typeof bad === "symbol"
          ? "symbol"
          : typeof bad === "bigint"
            ? "bigint"
            : JSON.stringify(bad);
      for (const [call, result] of [
        ["seats", await engine.seats(bad)],
        ["account", await engine.account(bad)],
        ["explain", await engine.explain(bad, "activesync")],
        ["explain feature", await engine.explain("u1@x.com", bad)],
        ["capped", await engine.capped(bad)],
        ["capped page", await engine.capped("activesync", { after: bad })],
        ["waitlist", await engine.waitlist(bad)],
        ["accounts page", await engine.accounts({ domain: bad })],
        // 42 is a fine offset or limit.
        ...(bad === 42
          ? []
          : [
              ["waitlist page", await engine.waitlist("activesync", { offset: bad })],
              ["log page", await engine.log({ limit: bad })],
            ]),
      ]) {
        assert.equal(result.type, "failure", `${call}(${name})`);
        assert.equal(
          result.error.code,
          "invalid-input",
          `${call}(${name}): ${result.error.message}`,
        );
      }
      for (const [call, result] of [
        ["connect", await engine.connect(bad, "activesync")],
        ["connect feature", await engine.connect("u1@x.com", bad)],
        // 42 ms is a fine time (1970-01-01T00:00:00.042Z).
        [
          "connect at",
          await engine.connect(
            "u1@x.com",
            "activesync",
            bad === 42 ? -42 : bad === null ? {} : bad,
          ),
        ],
        ["tryConnect", await engine.tryConnect(bad, "activesync")],
      ]) {
        assert.deepEqual(
          result,
          { allowed: false, reason: "invalid-input", source: null },
          `${call}(${name})`,
        );
      }
      for (const [call, result] of [
        ["set", await engine.set(bad, "activesync", "enabled")],
        ["createDomain", await engine.createDomain(bad)],
        ["createAccount", await engine.createAccount(bad)],
        ["deleteAccount", await engine.deleteAccount(bad)],
        ["setType", await engine.setType("u1@x.com", bad)],
        ["restoreCapped", await engine.restoreCapped(bad)],
        ["setLicence", await engine.setLicence(bad)],
        ["uploadLicence", await engine.uploadLicence(bad, { trustedKeys: [] })],
        ["uploadLicence keys", await engine.uploadLicence("{}", { trustedKeys: [bad] })],
        ["apply", await engine.apply(bad)],
        ["importScenario", await engine.importScenario(bad, { replace: true })],
        [
          "importScenario replace",
          await engine.importScenario(scenario(), { replace: bad === true ? "yes" : bad }),
        ],
      ]) {
        assert.equal(result.ok ?? result.allowed, false, `${call}(${name})`);
        assert.equal(result.error?.code ?? result.reason, "invalid-input", `${call}(${name})`);
      }
    }
    assert.throws(() => engine.by(42), TypeError);
    await readable(engine);
    assert.equal(simulate(scenario()).type, "success", "the wasm instance is not poisoned");
  });

  test("replay never rejects: a bad argument becomes invalid-input outcomes", async () => {
    const store = new MemoryStore();
    const engine = new Engine(store, { now: () => T0 });
    await engine.importScenario(scenario());
    const before = snapshot(store);
    const cyclic = { op: "connect" };
    cyclic.self = cyclic;
    for (const [events, options] of [
      [42, {}],
      [null, undefined],
      [[{ op: "connect" }], 5],
      [[{ op: "connect" }], { start: {} }],
      [[cyclic, 10n], {}],
    ]) {
      const outcomes = await engine.replay(events, options);
      assert.ok(Array.isArray(outcomes) && outcomes.length >= 1);
      for (const o of outcomes)
        assert.equal(o.error?.code ?? o.reason, "invalid-input", JSON.stringify(o));
    }
    assert.equal(snapshot(store), before);
  });

  test("deeply nested JSON in a licence file or an event is invalid-input, not store-error", async () => {
    const engine = new Engine(new MemoryStore(), { now: () => T0 });
    await engine.importScenario(scenario());
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const file = `{"features": {"activesync": {"seats": ${deep}}}}`;
    assert.equal(
      (await engine.uploadLicence(file, { trustedKeys: [], allowUnsigned: true })).error.code,
      "invalid-input",
    );
    assert.equal(
      (await engine.apply(`{"op": "licence", "licence": ${deep}}`)).error.code,
      "invalid-input",
    );
    assert.equal(
      (await engine.importScenario(`{"licence": ${deep}, "directory": {}}`, { replace: true }))
        .error.code,
      "invalid-input",
    );
    await readable(engine);
  });
});

describe("licences on a trusting Engine (issue 13: forged and rolled-back licences)", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const publicHex = Buffer.from(publicKey.export({ format: "jwk" }).x, "base64url").toString("hex");
  const other = generateKeyPairSync("ed25519").privateKey;

  function signed(body, key = privateKey, keyHex = publicHex) {
    const message = licenceMessage(body);
    assert.equal(message.type, "success");
    return {
      ...body,
      signature: {
        key: keyHex,
        value: sign(null, Buffer.from(message.message, "utf8"), key).toString("hex"),
      },
    };
  }
  const licence = (seats, serial, issued, extra = {}) => ({
    mailboxes: 100,
    features: { activesync: { seats } },
    serial,
    issued,
    ...extra,
  });

  async function trusting() {
    const store = new MemoryStore();
    const seed = new Engine(store, { now: () => T0 });
    assert.deepEqual(
      await seed.importScenario(
        scenario({ licence: signed(licence(2, 5, "2026-01-01T00:00:00Z")) }),
      ),
      { ok: true },
    );
    return {
      store,
      engine: new Engine(store, { now: () => T0, licence: { trustedKeys: [publicHex] } }),
    };
  }

  test("an unsigned, tampered or foreign licence is refused by every route in, nothing changes", async () => {
    const { store, engine } = await trusting();
    const before = snapshot(store);
    const unsigned = licence(1_000_000, 9, "2026-02-01T00:00:00Z");
    const tampered = signed(licence(2, 9, "2026-02-01T00:00:00Z"));
    tampered.features.activesync.seats = 1_000_000;
    const foreign = signed(licence(1_000_000, 9, "2026-02-01T00:00:00Z"), other, publicHex);
    for (const bad of [unsigned, tampered, foreign]) {
      const answers = [
        await engine.setLicence(bad),
        await engine.setLicence(bad, undefined, { force: true }),
        await engine.uploadLicence(bad),
        await engine.uploadLicence(bad, {
          trustedKeys: [publicHex],
          allowUnsigned: true,
          force: true,
        }),
        await engine.apply({ op: "licence", licence: bad }),
        (await engine.replay([{ op: "licence", licence: bad, force: true }]))[0],
        await engine.importScenario(scenario({ licence: bad }), { replace: true, force: true }),
        await engine.by("admin").importScenario(scenario({ licence: bad }), { replace: true }),
      ];
      for (const [i, answer] of answers.entries()) {
        assert.equal(answer.ok, false, `route ${i}`);
        assert.equal(answer.error.code, "invalid-input", `route ${i}: ${answer.error.message}`);
        assert.match(answer.error.message, /unsigned|does not verify/, `route ${i}`);
      }
    }
    assert.equal(snapshot(store), before, "nothing was written by any route");
    assert.equal((await engine.seats("activesync")).seats.limit, 2);
  });

  test("an older or expired licence is refused unless forced, and the log records the force", async () => {
    const { engine } = await trusting();
    const older = signed(licence(50, 4, "2026-01-01T00:00:00Z"));
    assert.match(
      (await engine.uploadLicence(older)).error.message,
      /serial 4 is older than serial 5/,
    );
    const expired = signed(
      licence(50, 6, "2026-01-02T00:00:00Z", { expires: "2026-02-01T00:00:00Z" }),
    );
    assert.match(
      (await engine.uploadLicence(expired)).error.message,
      /expired at 2026-02-01T00:00:00Z/,
    );
    const legacy = signed({ features: { activesync: { seats: 50 } } });
    assert.match((await engine.uploadLicence(legacy)).error.message, /serial 0 is older/);
    const newer = signed(licence(3, 6, "2026-01-02T00:00:00Z"));
    assert.deepEqual(await engine.uploadLicence(newer), { ok: true });
    assert.deepEqual(await engine.uploadLicence(newer), { ok: true }, "the same licence again");
    const view = (await engine.licence()).licence;
    assert.equal(view.signedBy, publicHex);
    assert.equal(view.licence.serial, 6);
    assert.deepEqual(await engine.by("admin:alice").uploadLicence(older, { force: true }), {
      ok: true,
    });
    assert.equal((await engine.seats("activesync")).seats.limit, 50);
    const entries = (await engine.log()).page.items;
    const last = entries[entries.length - 1];
    assert.equal(last.actor, "admin:alice");
    assert.equal(last.request.force, true);
  });

  test("export → import round-trips on a trusting Engine: the export carries the signature", async () => {
    const { engine } = await trusting();
    const exported = (await engine.exportScenario()).scenario;
    assert.equal(exported.licence.signature.key, publicHex);
    const target = new Engine(new MemoryStore(), {
      now: () => T0,
      licence: { trustedKeys: [publicHex] },
    });
    assert.deepEqual(await target.importScenario(exported), { ok: true });
    assert.deepEqual(await engine.importScenario(exported, { replace: true }), { ok: true });
    assert.equal((await target.licence()).licence.signedBy, publicHex);
  });

  test("dev mode accepts an unsigned licence but never a bad signature; a bad key list is refused at construction", async () => {
    const { store } = await trusting();
    const dev = new Engine(store, { now: () => T0, licence: { trustedKeys: [], devMode: true } });
    assert.deepEqual(await dev.setLicence(licence(9, 9, "2026-02-01T00:00:00Z")), { ok: true });
    const bad = signed(licence(9, 10, "2026-02-02T00:00:00Z"));
    bad.serial = 11;
    assert.equal((await dev.setLicence(bad)).ok, false);
    assert.throws(() => new Engine(store, { licence: { trustedKeys: ["not hex"] } }), TypeError);
    assert.throws(() => new Engine(store, { licence: { trustedKeys: "abc" } }), TypeError);
  });

  test("without trust (a library, the what-if simulator) licences are taken as SPEC's events say", async () => {
    const engine = new Engine(new MemoryStore(), { now: () => T0 });
    await engine.importScenario(scenario());
    assert.deepEqual(await engine.setLicence({ features: { activesync: { seats: 7 } } }), {
      ok: true,
    });
    assert.equal((await engine.seats("activesync")).seats.limit, 7);
  });
});

describe("the change log in commit order (issue 13: a tailer with ?after= could miss entries)", () => {
  test("four engines writing at once: entries numbered without gaps, and a tailer misses none", async () => {
    const inner = new MemoryStore();
    await new Engine(inner, { now: () => T0 }).importScenario(scenario({ accounts: 6, seats: 6 }));
    let n = 0;
    const pause = () => new Promise((resolve) => setTimeout(resolve, (n++ * 7) % 5));
    // Every store call yields, so the engines' reads and commits interleave.
    const slow = {
      get: async (keys) => {
        await pause();
        return inner.get(keys);
      },
      list: async (p, a, l) => {
        await pause();
        return inner.list(p, a, l);
      },
      commit: async (tx) => {
        await pause();
        return inner.commit(tx);
      },
    };
    const engines = [0, 1, 2, 3].map(
      (i) => new Engine(slow, { now: () => T0 + i, actor: `host-${i}`, tries: 50 }),
    );
    const values = ["disabled", "enabled", "inherit"];
    let writing = true;
    const seen = [];
    const tail = (async () => {
      let after;
      const reader = new Engine(inner);
      for (;;) {
        const done = !writing;
        const page = (await reader.log({ after, limit: 3 })).page;
        seen.push(...page.items);
        after =
          page.items.length > 0
            ? (page.next ?? `s${String(page.items.at(-1).seq).padStart(16, "0")}`)
            : after;
        if (done && page.items.length === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    const results = await Promise.all(
      engines.flatMap((engine, i) =>
        Array.from({ length: 8 }, (_, k) =>
          engine.set(`account:u${1 + ((i + k) % 6)}@x.com`, "activesync", values[(i + k) % 3]),
        ),
      ),
    );
    writing = false;
    await tail;
    assert.ok(
      results.every((r) => r.ok),
      JSON.stringify(results.find((r) => !r.ok)),
    );
    const log = (await new Engine(inner).log({ limit: 10_000 })).page.items;
    assert.deepEqual(
      log.map((e) => e.seq),
      log.map((_, i) => i + 1),
      "numbered in commit order without gaps",
    );
    assert.deepEqual(
      seen.map((e) => e.seq),
      log.map((e) => e.seq),
      "the tailer saw every entry, once, in order",
    );
    // Folding each entry's `after` in log order gives what the store holds.
    const last = new Map();
    for (const entry of log) for (const c of entry.changes) last.set(c.node, c.after);
    for (const [node, after] of last) {
      if (!node.startsWith("account:")) continue;
      const stored = JSON.parse(inner.get([`account/${node.slice(8)}`])[0].value);
      assert.deepEqual(after, stored, node);
    }
  });
});
