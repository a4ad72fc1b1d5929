// SqliteStore when another process holds the database's lock (issue 13): a
// commit that cannot get the write lock within the busy timeout is a lost race — the engine answers
// `conflict` with nothing written, never a crash — and succeeds once the
// lock is free.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { Engine, SqliteStore } from "../../dist/node.mjs";
import { root } from "./helpers.mjs";

test("a write lock held by another process: `conflict` with nothing written, then success once it is released", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "seatcap-sqlite-busy-"));
  const file = path.join(dir, "seatcap.db");
  const store = await SqliteStore.open(file, { busyTimeoutMs: 50 });
  try {
    const engine = new Engine(store, { tries: 3 });
    const scenario = {
      licence: { mailboxes: null, features: { activesync: { seats: 2 } } },
      directory: {
        server: { activesync: "enabled" },
        domains: { "x.com": {} },
        accounts: [{ id: "a@x.com" }, { id: "b@x.com" }],
      },
    };
    assert.deepEqual(await engine.importScenario(scenario), { ok: true });
    // Another process takes the write lock and keeps it until told to let go.
    const holder = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `
      const { default: Database } = await import(${JSON.stringify(path.join(root, "node_modules/better-sqlite3/lib/index.js"))});
      const db = new Database(${JSON.stringify(file)});
      db.exec("BEGIN IMMEDIATE");
      process.stdout.write("locked\\n");
      process.stdin.once("data", () => { db.exec("ROLLBACK"); db.close(); process.exit(0); });`,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    await new Promise((resolve) => holder.stdout.once("data", resolve));
    const locked = await engine.connect(
      "a@x.com",
      "activesync",
      Date.parse("2026-04-01T00:00:00Z"),
    );
    assert.equal(locked.allowed, false);
    assert.equal(locked.error.code, "conflict", JSON.stringify(locked));
    holder.stdin.write("go\n");
    await new Promise((resolve) => holder.once("exit", resolve));
    assert.deepEqual((await engine.seats("activesync")).seats.holders, [], "nothing was written");
    const free = await engine.connect("a@x.com", "activesync", Date.parse("2026-04-01T00:00:01Z"));
    assert.deepEqual([free.allowed, free.reason], [true, "seat-claimed"]);
    assert.deepEqual((await engine.audit()).audit.problems, []);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
