// Issue 13 against a real `seatcap serve` (no --dev) and the CLI: a customer
// can't raise their own seats through /v1/import or /v1/events, can't roll
// back to an older signed licence, and `licence sign` stamps serial and issue time.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { api, seatcap, startServer, tempDir } from "./server-helpers.mjs";

const TOKEN = "core-licence-admin-token-0123456789";

describe("licence files on a server without --dev", () => {
  let server;
  let admin;
  const dir = tempDir("seatcap-core-licence-");
  const vendor = path.join(dir, "vendor");
  const sign = (body, ...flags) => {
    const file = path.join(dir, `l${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(body));
    const out = seatcap(["licence", "sign", "--key", `${vendor}.key`, ...flags, file]);
    assert.equal(out.status, 0, out.stderr);
    return JSON.parse(out.stdout);
  };
  const seats = (n) => ({ mailboxes: 100, features: { activesync: { seats: n } }, expires: null });
  const directory = {
    server: { activesync: "disabled" },
    domains: { "x.com": { settings: { activesync: "enabled" } } },
    generate: [{ domain: "x.com", count: 3, prefix: "u" }],
  };

  before(async () => {
    assert.equal(seatcap(["licence", "keygen", vendor]).status, 0);
    const key = readFileSync(`${vendor}.pub`, "utf8").trim();
    server = await startServer({ args: ["--licence-key", key, "--admin-token", TOKEN] });
    admin = api(server.url, TOKEN).call;
    const first = sign(seats(2), "--serial", "5", "--issued", "2026-01-01T00:00:00Z");
    const seeded = await admin("POST", "/v1/import?replace=true", { licence: first, directory });
    assert.equal(seeded.status, 200, JSON.stringify(seeded.json));
  });
  after(() => server?.stop());

  const limit = async () =>
    (await admin("GET", "/v1/licence")).json.licence.features.activesync.seats;

  test("an unsigned licence through /v1/import or /v1/events is refused with 400 invalid-input", async () => {
    const imported = await admin("POST", "/v1/import?replace=true", {
      licence: seats(1_000_000),
      directory,
    });
    assert.equal(imported.status, 400, JSON.stringify(imported.json));
    assert.equal(imported.json.error.code, "invalid-input");
    const events = await admin("POST", "/v1/events", {
      events: [{ op: "licence", licence: seats(1_000_000) }],
    });
    assert.equal(events.json.outcomes[0].error.code, "invalid-input", JSON.stringify(events.json));
    const put = await admin("PUT", "/v1/licence", seats(1_000_000));
    assert.equal(put.status, 400);
    assert.equal(await limit(), 2);
  });

  test("an older signed licence is refused; ?force=true installs it and the log says so", async () => {
    const older = sign(seats(500), "--serial", "4", "--issued", "2025-06-01T00:00:00Z");
    const put = await admin("PUT", "/v1/licence", older);
    assert.equal(put.status, 400, JSON.stringify(put.json));
    assert.match(put.json.error.message, /serial 4 is older than serial 5/);
    const viaImport = await admin("POST", "/v1/import?replace=true", { licence: older, directory });
    assert.equal(viaImport.status, 400);
    assert.equal(await limit(), 2);
    const newer = sign(seats(3));
    assert.equal(
      (await admin("PUT", "/v1/licence", newer)).status,
      200,
      "default serial (issue time in seconds) is newer",
    );
    assert.equal(await limit(), 3);
    const forced = await admin("PUT", "/v1/licence?force=true", older);
    assert.equal(forced.status, 200, JSON.stringify(forced.json));
    assert.equal(await limit(), 500);
    const log = await admin("GET", "/v1/log");
    const last = log.json.items.at(-1);
    assert.equal(last.request.op, "licence");
    assert.equal(last.request.force, true);
  });

  test("a start before 1970 on /v1/events writes nothing and the store stays readable", async () => {
    const events = await admin("POST", "/v1/events", {
      start: "0201-05-05T05:25:14Z",
      events: [{ op: "connect", account: "u1@x.com", feature: "activesync" }],
    });
    assert.equal(events.json.outcomes[0].allowed, false, JSON.stringify(events.json));
    for (const route of ["/v1/seats/activesync", "/v1/export", "/v1/accounts/u1@x.com"]) {
      assert.equal((await admin("GET", route)).status, 200, route);
    }
  });
});

test("`licence sign` stamps serial and issued (flags, or issue time and its seconds) and `verify` shows them", () => {
  const dir = tempDir("seatcap-core-sign-");
  const vendor = path.join(dir, "v");
  assert.equal(seatcap(["licence", "keygen", vendor]).status, 0);
  const file = path.join(dir, "l.json");
  writeFileSync(file, JSON.stringify({ features: { activesync: { seats: 2 } } }));
  const flagged = JSON.parse(
    seatcap([
      "licence",
      "sign",
      "--key",
      `${vendor}.key`,
      "--serial",
      "7",
      "--issued",
      "2026-02-03T04:05:06Z",
      file,
    ]).stdout,
  );
  assert.equal(flagged.serial, 7);
  assert.equal(flagged.issued, "2026-02-03T04:05:06Z");
  const defaulted = JSON.parse(
    seatcap(["licence", "sign", "--key", `${vendor}.key`, "--issued", "2026-02-03T04:05:06Z", file])
      .stdout,
  );
  assert.equal(defaulted.serial, Date.parse("2026-02-03T04:05:06Z") / 1000);
  const now = JSON.parse(seatcap(["licence", "sign", "--key", `${vendor}.key`, file]).stdout);
  assert.ok(Math.abs(Date.parse(now.issued) - Date.now()) < 60_000, now.issued);
  const signed = path.join(dir, "s.json");
  writeFileSync(signed, JSON.stringify(flagged));
  const verified = seatcap(["licence", "verify", "--key", `${vendor}.pub`, signed]);
  assert.equal(verified.status, 0, verified.stderr);
  assert.match(verified.stdout, /serial 7, issued 2026-02-03T04:05:06Z/);
  for (const bad of [
    ["--serial", "-1"],
    ["--serial", "x"],
    ["--issued", "yesterday"],
    ["--bogus", "1"],
  ]) {
    const out = seatcap(["licence", "sign", "--key", `${vendor}.key`, ...bad, file]);
    assert.equal(out.status, 2, `${bad}: ${out.stderr}`);
    assert.equal(out.stderr.split("\n")[0].startsWith("seatcap: "), true);
  }
});
