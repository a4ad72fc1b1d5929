// A real ActiveSync server (Debian's SOGo over dovecot) and a real client
// (pyactivesync, over TLS), directly and through `seatcap serve`: what a
// phone sees, byte for byte, and what the licence makes of it (issue 12,
// "A real ActiveSync server and client in the suite"). SPEC rules are cited
// where a test checks one; "[defect n]" names the defect of issue 12 a test guards
// against. The 300 s Ping runs beside the other tests.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { describeExchanges, header, startPeers } from "./peers-helpers.mjs";

const password = () => `pw-${randomBytes(9).toString("base64url")}`;
const USERS = ["alice", "bob", "carol", "dave"].map((name) => ({
  id: `${name}@example.com`,
  password: password(),
}));
const [alice, bob, carol, dave] = USERS;
const nobody = { id: "nobody@example.com", password: password() };
const SEATS = 3;
const LONG_HEARTBEAT = 300;

/** Three ActiveSync seats for four SOGo users, the feature enabled on the domain (R1). */
const scenario = (users) => ({
  licence: { mailboxes: 50, features: { activesync: { seats: SEATS } }, expires: null },
  policy: {
    capping: "on-attempt",
    overflow: "disable",
    shrink: "grandfather",
    restoreOnGrow: false,
  },
  directory: {
    server: { activesync: "disabled" },
    domains: { "example.com": { settings: { activesync: "enabled" }, classes: {} } },
    accounts: users.map((u) => ({ id: u.id, type: "premium", settings: {} })),
  },
});

/** An exchange's body with the server's own per-call counters (every SyncKey) masked. */
function masked(exchange) {
  const keys = [];
  const walk = (nodes) => {
    for (const [name, , children] of nodes ?? []) {
      if (name.endsWith(".SyncKey")) keys.push(children.find(([n]) => n === "#text")?.[1]);
      walk(children);
    }
  };
  walk(Array.isArray(exchange.wbxml) ? exchange.wbxml : []);
  let body = Buffer.from(exchange.body, "base64").toString("latin1");
  // An inline WBXML string: STR_I (0x03), the text, a NUL.
  for (const key of keys.filter(Boolean))
    body = body.split(`\x03${key}\x00`).join("\x03<SyncKey>\x00");
  return { body, keys };
}

/** The decoded WBXML with every SyncKey's text masked. */
function maskedTree(nodes) {
  return (nodes ?? []).map(([name, text, children]) => [
    name,
    text,
    name.endsWith(".SyncKey") ? [["#text", "<SyncKey>", []]] : maskedTree(children),
  ]);
}

/** The command's final HTTP answer (after any retry of a 5xx). */
function final(answer, cmd) {
  const posts = answer.exchanges.filter((x) => new URL(x.url).searchParams.get("Cmd") === cmd);
  assert.ok(posts.length >= 1, `a ${cmd} exchange:\n${describeExchanges(answer.exchanges)}`);
  return posts.at(-1);
}

const inboxOf = (answer) =>
  answer.result.folders.find((f) => f.type === 2 && f.name === "INBOX").id;

describe("a real ActiveSync server (SOGo) and client (pyactivesync) through seatcap", () => {
  let peers;
  let longPing;
  const timings = {};

  /** The ActiveSync ledger as the admin API shows it. */
  const seats = async () => {
    const res = await peers.admin.get("/v1/seats/activesync");
    assert.equal(res.status, 200, res.text);
    return res.json;
  };
  const holder = async (user) => (await seats()).holders.find((h) => h.account === user.id);
  const account = async (user) => {
    const res = await peers.admin.get(`/v1/accounts/${encodeURIComponent(user.id)}`);
    assert.equal(res.status, 200, res.text);
    return res.json.features.activesync;
  };
  /** A device that has listed its folders and synced its INBOX to the end, ready for Ping. */
  const syncedDevice = async (user, via, deviceId) => {
    const client = await peers.client(user, { via, deviceId, timeout: LONG_HEARTBEAT + 120 });
    const folders = await client.must("foldersync");
    const inbox = inboxOf(folders);
    const synced = await client.must("syncall", { folderId: inbox });
    return { client, inbox, synced };
  };

  before(async () => {
    const t0 = Date.now();
    peers = await startPeers({ users: USERS, scenario });
    timings.stack = peers.startSeconds;
    // Bob's phone goes to sleep on a long Ping now; the test at the end looks at its answer.
    const { client, inbox } = await syncedDevice(bob, "gateway", "bob-push");
    // No retries: a Ping cut short must show, not be sent again.
    longPing = client
      .call("ping", {
        folders: [inbox],
        heartbeat: LONG_HEARTBEAT,
        timeout: LONG_HEARTBEAT + 120,
        retries: 0,
      })
      .then((answer) => ({ answer, at: Date.now() }));
    longPing.started = Date.now();
    timings.before = (Date.now() - t0) / 1000;
  });

  after(async () => {
    console.log(
      `[peers] stack up in ${timings.stack?.toFixed(1)} s, ready with Bob's Ping in ${timings.before?.toFixed(1)} s; 300 requests in ${timings.hammer?.toFixed(1)} s`,
    );
    await peers?.stop();
  });

  test("OPTIONS, direct and through the gateway: SOGo's protocol versions and commands come back; no seat is taken", async () => {
    const before = (await seats()).used;
    const direct = await (
      await peers.client(alice, { via: "direct", deviceId: "alice-options" })
    ).must("options");
    const gateway = await (
      await peers.client(alice, { via: "gateway", deviceId: "alice-options" })
    ).must("options");
    assert.match(direct.result.versions, /14\.1/);
    assert.equal(gateway.result.status, 200);
    assert.equal(gateway.result.versions, direct.result.versions);
    assert.equal(gateway.result.commands, direct.result.commands);
    assert.equal((await seats()).used, before, "OPTIONS takes no seat");
    assert.equal(await holder(alice), undefined);
  });

  test("R4 Provision, FolderSync and Sync through the gateway: Alice claims a seat and a mail delivered to her INBOX comes back (and directly too)", async () => {
    const subject = `first mail ${randomBytes(4).toString("hex")}`;
    await peers.deliver(alice, subject);
    for (const via of ["direct", "gateway"]) {
      const client = await peers.client(alice, { via, deviceId: `alice-${via}` });
      const provision = await client.must("provision");
      // SOGo's Provision is a stub: Status 1 with the policy's Status 2 and no PolicyKey.
      assert.deepEqual(
        [provision.result.status, provision.result.policyStatus, provision.result.policyKey],
        ["1", "2", null],
        via,
      );
      const folders = await client.must("foldersync");
      const inbox = inboxOf(folders);
      const synced = await client.must("syncall", { folderId: inbox });
      assert.ok(
        synced.result.subjects.includes(subject),
        `${via}: ${JSON.stringify(synced.result)}`,
      );
      assert.match(synced.result.syncKey, /^\d+-\d+$/, "a settled SOGo Sync key (uid-modseq)");
    }
    const held = await holder(alice);
    assert.equal(held?.via, "connect", "R4: the first connect through the gateway claimed a seat");
    assert.equal((await account(alice)).seat !== null, true);
  });

  test("FolderSync and Sync bodies through the gateway are byte-identical to SOGo's direct answers, SyncKeys masked", async () => {
    const direct = await peers.client(alice, { via: "direct", deviceId: "alice-cmp-direct" });
    const gateway = await peers.client(alice, { via: "gateway", deviceId: "alice-cmp-gateway" });
    const pairs = [];
    const both = async (cmd, args = {}) => {
      const d = await direct.must(cmd, args);
      const g = await gateway.must(cmd, args);
      pairs.push([
        cmd,
        final(d, cmd.replace("foldersync", "FolderSync").replace("sync", "Sync")),
        final(g, cmd.replace("foldersync", "FolderSync").replace("sync", "Sync")),
      ]);
      return [d, g];
    };
    const [folders] = await both("foldersync");
    const inbox = inboxOf(folders);
    const [initial] = await both("sync", { folderId: inbox, syncKey: "0" });
    await both("sync", { folderId: inbox, syncKey: initial.result.syncKey });
    for (const [cmd, d, g] of pairs) {
      assert.equal(g.status, d.status, cmd);
      assert.equal(header(g, "content-type"), header(d, "content-type"), cmd);
      assert.deepEqual(maskedTree(g.wbxml), maskedTree(d.wbxml), `${cmd}: the decoded WBXML`);
      const [md, mg] = [masked(d), masked(g)];
      assert.ok(
        mg.keys.length >= 1 && mg.body.includes("\x03<SyncKey>\x00"),
        `${cmd}: a SyncKey to mask`,
      );
      assert.equal(mg.body, md.body, `${cmd}: the bytes, SyncKeys masked`);
    }
    assert.ok(pairs.at(-1)[2].wbxml.length, "the fetch Sync carried the INBOX's mails");
  });

  test("[defect 5] the gateway hands on SOGo's status line and headers as sent (names, case, order, values)", async () => {
    const direct = final(
      await (await peers.client(alice, { via: "direct", deviceId: "alice-headers" })).must(
        "foldersync",
      ),
      "FolderSync",
    );
    const gateway = final(
      await (await peers.client(alice, { via: "gateway", deviceId: "alice-headers-gw" })).must(
        "foldersync",
      ),
      "FolderSync",
    );
    assert.equal(gateway.reason, direct.reason, "the status text");
    // Whatever the gateway adds for its own connection (Date, Connection, Keep-Alive) is left aside.
    const own = new Set(["date", "connection", "keep-alive", "transfer-encoding"]);
    const names = (x) => x.headers.map(([k]) => k).filter((k) => !own.has(k.toLowerCase()));
    assert.deepEqual(names(gateway), names(direct), "header names, their case and order");
    for (const [k, v] of direct.headers)
      if (k.toLowerCase() !== "content-length") assert.equal(header(gateway, k), v, k);
  });

  test("R3 a Ping through the gateway is interrupted by a new mail: Status 2 names the INBOX, and the mail syncs", async () => {
    const { client, inbox, synced } = await syncedDevice(alice, "gateway", "alice-push");
    const subject = `push ${randomBytes(4).toString("hex")}`;
    const started = Date.now();
    const ping = client.call("ping", { folders: [inbox], heartbeat: 120, retries: 0 });
    await new Promise((resolve) => setTimeout(resolve, 8000));
    await peers.deliver(alice, subject);
    const answer = await ping;
    const seconds = (Date.now() - started) / 1000;
    assert.ok(answer.ok, `${JSON.stringify(answer.error)}\n${describeExchanges(answer.exchanges)}`);
    assert.equal(answer.result.status, "2", "changes found");
    assert.deepEqual(answer.result.changed, [inbox]);
    assert.ok(
      seconds >= 8 && seconds < 60,
      `answered ${seconds} s after it was sent (the mail came at 8 s)`,
    );
    const after = await client.must("syncall", { folderId: inbox, syncKey: synced.result.syncKey });
    assert.deepEqual(after.result.subjects, [subject]);
  });

  test("[defect 1] 300 consecutive requests through the gateway: every one answered 200 by SOGo, zero 502 (SOGo closes each connection)", async () => {
    const client = await peers.client(alice, {
      via: "gateway",
      deviceId: "alice-hammer",
      retries: 0,
    });
    const started = Date.now();
    const answer = await client.must("repeat", { times: 300, what: { cmd: "provision" } });
    timings.hammer = (Date.now() - started) / 1000;
    const statuses = answer.result.runs.flatMap((r) => r.statuses);
    const failures = answer.result.runs.filter((r) => !r.ok).map((r) => r.error.message);
    const count = (s) => statuses.filter((x) => x === s).length;
    assert.equal(statuses.length, 300, "one HTTP exchange per request (the driver never retries)");
    assert.equal(
      count(502),
      0,
      `${count(502)} of 300 answered 502: ${[...new Set(failures)].slice(0, 3).join(" | ")}`,
    );
    assert.deepEqual(failures, []);
    assert.equal(count(200), 300);
  });

  describe("wrong passwords (R2–R5 only for credentials SOGo accepts)", () => {
    let sogo401;
    before(async () => {
      // What SOGo itself answers a stranger: the reference a gateway's refusal must match.
      const answer = await (
        await peers.client(nobody, { via: "direct", deviceId: "nobody-direct" })
      ).call("provision");
      assert.equal(answer.error?.status, 401, describeExchanges(answer.exchanges));
      sogo401 = answer.exchanges.at(-1);
    });
    const assertSameRefusal = (answer, who) => {
      assert.equal(answer.ok, false, who);
      assert.equal(answer.error.type, "HTTPError", who);
      const x = answer.exchanges.at(-1);
      assert.equal(x.status, 401, `${who}: ${describeExchanges(answer.exchanges)}`);
      assert.equal(header(x, "x-seatcap-reason"), undefined, `${who}: nothing about the licence`);
      assert.equal(
        Buffer.from(x.body, "base64").toString(),
        Buffer.from(sogo401.body, "base64").toString(),
        `${who}: SOGo's own body`,
      );
      assert.equal(
        header(x, "www-authenticate"),
        header(sogo401, "www-authenticate"),
        `${who}: SOGo's own challenge`,
      );
    };

    test("[defect 8] R4 a wrong password for an account with a seat free takes no seat and gets SOGo's 401", async () => {
      const before = await seats();
      const answer = await (
        await peers.client(carol, { via: "gateway", deviceId: "carol-wrong", password: "wrong" })
      ).call("provision");
      assertSameRefusal(answer, carol.id);
      const now = await seats();
      assert.equal(now.used, before.used);
      assert.equal(
        now.holders.some((h) => h.account === carol.id),
        false,
      );
      const view = await account(carol);
      assert.equal(view.cappedAt ?? null, null);
      assert.equal(view.setting, "inherit");
    });

    test("[defect 4] R3 a wrong password for a holder gets SOGo's 401 and does not move its lastSeen", async () => {
      const before = await holder(alice);
      assert.ok(before?.lastSeen);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const answer = await (
        await peers.client(alice, { via: "gateway", deviceId: "alice-wrong", password: "wrong" })
      ).call("provision");
      assertSameRefusal(answer, alice.id);
      assert.equal((await holder(alice)).lastSeen, before.lastSeen, "lastSeen unchanged");
      // The control: the right password moves it.
      await (await peers.client(alice, { via: "gateway", deviceId: "alice-right" })).must(
        "provision",
      );
      assert.notEqual(
        (await holder(alice)).lastSeen,
        before.lastSeen,
        "a request SOGo accepted moves lastSeen",
      );
    });

    test("[defect 3] R2 an account seatcap does not know, with a wrong password, learns nothing: SOGo's 401, not unknown-account", async () => {
      const answer = await (
        await peers.client(nobody, { via: "gateway", deviceId: "nobody-gw" })
      ).call("provision");
      assertSameRefusal(answer, nobody.id);
    });

    describe("the capped account's experience end to end", () => {
      test(`R4/R5 a third account claims the last of ${SEATS} seats; the next account is denied 403 capped, its setting disabled with the capped marker`, async () => {
        await (await peers.client(carol, { via: "gateway", deviceId: "carol-phone" })).must(
          "foldersync",
        );
        const full = await seats();
        assert.deepEqual([full.limit, full.used, full.free], [SEATS, SEATS, 0]);
        assert.deepEqual(
          new Set(full.holders.map((h) => h.account)),
          new Set([alice.id, bob.id, carol.id]),
        );

        const answer = await (
          await peers.client(dave, { via: "gateway", deviceId: "dave-phone" })
        ).call("foldersync");
        assert.equal(answer.ok, false);
        assert.deepEqual(
          [answer.error.type, answer.error.status],
          ["HTTPError", 403],
          "pyactivesync raises HTTPError on the 403",
        );
        const denied = answer.exchanges.at(-1);
        assert.equal(header(denied, "x-seatcap-reason"), "capped");
        assert.match(Buffer.from(denied.body, "base64").toString(), /capped/);
        const view = await account(dave);
        assert.equal(view.setting, "disabled", "explicitly defined (Axigen)");
        assert.ok(view.cappedAt, "the capped marker");
        assert.equal((await seats()).used, SEATS);
      });

      test("[defect 3] R2 the capped account with a wrong password learns nothing: SOGo's 401, not capped", async () => {
        const answer = await (
          await peers.client(dave, { via: "gateway", deviceId: "dave-wrong", password: "wrong" })
        ).call("provision");
        assertSameRefusal(answer, dave.id);
      });

      test("[defect 6] R7 an administrator frees a seat: the capped account is told an administrator must enable it, not that every seat is taken", async () => {
        const freed = await peers.admin.put("/v1/settings", {
          node: `account:${carol.id}`,
          feature: "activesync",
          value: "disabled",
        });
        assert.equal(freed.status, 200, freed.text);
        assert.equal((await seats()).free, 1, "R7 disabling a holder releases its seat");
        const answer = await (
          await peers.client(dave, { via: "gateway", deviceId: "dave-phone-2" })
        ).call("provision");
        const denied = answer.exchanges.at(-1);
        assert.equal(denied.status, 403);
        assert.equal(
          header(denied, "x-seatcap-reason"),
          "capped",
          "R5: capped stays capped until an administrator acts",
        );
        const text = Buffer.from(denied.body, "base64").toString();
        assert.doesNotMatch(text, /every seat of the licence is taken/, `a seat is free: ${text}`);
        assert.match(text, /enable/i, text);
      });

      test("R6 the administrator enables the capped account: it takes the free seat and syncs its mail", async () => {
        const enabled = await peers.admin.put("/v1/settings", {
          node: `account:${dave.id}`,
          feature: "activesync",
          value: "enabled",
        });
        assert.equal(enabled.status, 200, enabled.text);
        const held = await holder(dave);
        assert.equal(held?.via, "admin", "R6: the seat is reserved at once");
        const view = await account(dave);
        assert.equal(
          view.cappedAt ?? null,
          null,
          "an administrator's write clears the capped marker",
        );
        const subject = `welcome back ${randomBytes(4).toString("hex")}`;
        await peers.deliver(dave, subject);
        const { synced } = await syncedDevice(dave, "gateway", "dave-phone-3");
        assert.ok(synced.result.subjects.includes(subject), JSON.stringify(synced.result));
      });
    });
  });

  test(`[defect 2] R3 a Ping with a ${LONG_HEARTBEAT} s heartbeat through the gateway is answered Status 1 when the heartbeat ends`, async () => {
    const { answer, at } = await longPing;
    const seconds = (at - longPing.started) / 1000;
    assert.ok(
      answer.ok,
      `after ${seconds} s: ${JSON.stringify(answer.error)}\n${describeExchanges(answer.exchanges)}\n${peers.logs().slice(-3000)}`,
    );
    assert.equal(answer.result.status, "1", "no changes in the heartbeat");
    assert.ok(seconds >= LONG_HEARTBEAT - 1, `answered after ${seconds} s`);
    assert.equal(answer.exchanges.at(-1).status, 200);
  });
});
