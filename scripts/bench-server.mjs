#!/usr/bin/env node
// `npm run bench:server` / `npm run bench:worker`: what the gateway adds to
// an ActiveSync request. One process runs an upstream stub on 127.0.0.1; the
// edge server runs as `seatcap serve` over SQLite (as `npm start` does) or,
// with --worker, as the Cloudflare Worker in a local workerd (miniflare) with
// its Durable Object. Timed one request at a time over keep-alive
// connections, in the same run:
//   - baseline: the request sent straight to the upstream;
//   - through the gateway, a new claim (R4, with the credential probe);
//   - through the gateway, a held seat (R3: one engine step, then forward);
//   - POST /v1/decide (the decision alone, over HTTP);
//   - GET /v1/licence (a read that writes nothing).
// Prints figures and ratios to the baseline; asserts nothing. `--write-docs`
// also writes both tables into docs/performance.md (scripts/write-docs.mjs).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, createServer, request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { markdownTable, machine, writeDocs, writeDocsBlock } from "./write-docs.mjs";

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1000);
const WORKER = process.argv.includes("--worker");
const root = path.resolve(import.meta.dirname, "..");
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const TOKEN = "bench-admin-token-0123456789";
const GATEWAY_TOKEN = TOKEN.replace("admin", "gate");
const body = Buffer.alloc(2048, 7);

// Like a real mail server, it checks the password (`pw`) on every request, OPTIONS included.
const upstream = createServer((req, res) => {
  req.resume();
  const auth = req.headers.authorization ?? "";
  const right =
    auth.startsWith("Basic ") && Buffer.from(auth.slice(6), "base64").toString().endsWith(":pw");
  req.on("end", () =>
    right
      ? res.writeHead(200, { "content-type": "application/vnd.ms-sync.wbxml" }).end(body)
      : res.writeHead(401).end(),
  );
});
await new Promise((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;
const data = mkdtempSync(path.join(tmpdir(), "seatcap-bench-server-"));

/** The edge server under test: its base URL and how to stop it. */
async function startHost(extra = []) {
  if (WORKER) {
    const { bundleWorker, startWorker } = await import("../edge/cloudflare/local.mjs");
    const bundle = await bundleWorker(path.join(data, "bundle"));
    const worker = await startWorker({
      bundle,
      persist: path.join(data, "durable-objects"),
      secrets: {
        SEATCAP_ADMIN_TOKENS: TOKEN,
        SEATCAP_GATEWAY_TOKENS: GATEWAY_TOKEN,
        SEATCAP_UPSTREAM: upstreamUrl,
        // The import below is unsigned, as `seatcap serve --dev` accepts it.
        SEATCAP_DEV: "1",
      },
    });
    return {
      base: worker.url,
      host: "Cloudflare Worker + SeatLedger Durable Object in workerd (miniflare)",
      close: () => worker.dispose(),
    };
  }
  const child = spawn(
    process.execPath,
    [
      path.join(root, "dist/cli.mjs"),
      "serve",
      "--port",
      "0",
      "--data",
      data,
      "--upstream",
      upstreamUrl,
      "--admin-token",
      TOKEN,
      "--gateway-token",
      GATEWAY_TOKEN,
      "--dev",
      "--rate-per-account",
      "0",
      "--rate-per-token",
      "0",
      "--rate-per-address",
      "0",
      ...extra,
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let banner = "";
  const base = await new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (d) => {
      banner += d;
      const m = /edge server on (https?:\/\/\S+)/.exec(banner);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
  child.stdout.removeAllListeners("data").resume();
  child.removeAllListeners("exit");
  return {
    base,
    host: `seatcap serve, SQLite store${extra.length ? ` (${extra.join(" ")})` : ""}`,
    close: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
const { base, host, close } = await startHost();

function send(url, { method = "POST", headers = {}, payload } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

const basic = (n) => `Basic ${Buffer.from(`user${n}@example.com:pw`).toString("base64")}`;
const json = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };

// A directory of ACCOUNTS accounts with unlimited seats, imported through the admin API.
const seeded = await send(`${base}/v1/import`, {
  headers: json,
  payload: JSON.stringify({
    licence: { mailboxes: null, features: { activesync: { seats: null } } },
    directory: {
      server: {},
      domains: { "example.com": { settings: { activesync: "enabled" } } },
      accounts: Array.from({ length: ACCOUNTS }, (_, i) => ({ id: `user${i + 1}@example.com` })),
    },
  }),
});
if (seeded !== 200) throw new Error(`seeding: ${seeded}`);

function percentiles(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

async function time(count, call) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    const status = await call(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
    if (status >= 400) throw new Error(`request ${i} answered ${status}`);
  }
  return percentiles(samples);
}

const AS = "/Microsoft-Server-ActiveSync?Cmd=Sync&DeviceId=bench&DeviceType=iPhone";
const rounds = Math.min(ROUNDS, ACCOUNTS);
// Warm up both paths (JIT, SQLite page cache).
for (let i = 0; i < 200; i++)
  await send(`${upstreamUrl}${AS}`, { headers: { authorization: basic(1) }, payload: body });
const results = {};
results["upstream directly (baseline)"] = await time(rounds, () =>
  send(`${upstreamUrl}${AS}`, { headers: { authorization: basic(1) }, payload: body }),
);
results["gateway, new claim (probe + claim)"] = await time(rounds, (i) =>
  send(`${base}${AS}`, { headers: { authorization: basic(i + 1) }, payload: body }),
);
results["gateway, held seat"] = await time(rounds, (i) =>
  send(`${base}${AS}`, { headers: { authorization: basic(i + 1) }, payload: body }),
);
const decideHeaders = {
  "content-type": "application/json",
  authorization: `Bearer ${GATEWAY_TOKEN}`,
};
results["POST /v1/decide, held seat"] = await time(rounds, (i) =>
  send(`${base}/v1/decide`, {
    headers: decideHeaders,
    payload: JSON.stringify({ account: `user${i + 1}@example.com`, feature: "activesync" }),
  }),
);

// A read: one engine call that writes nothing (for the Worker, one Durable Object call without a storage write).
results["GET /v1/licence (a read)"] = await time(rounds, () =>
  send(`${base}/v1/licence`, { method: "GET", headers: { authorization: `Bearer ${TOKEN}` } }),
);

/** Requests a second with `connections` clients each sending one request after another for `seconds`. */
async function throughput(url, headersOf, connections = 64, seconds = 3) {
  const pool = new Agent({ keepAlive: true, maxSockets: connections });
  const until = Date.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      while (Date.now() < until) {
        const status = await new Promise((resolve, reject) => {
          const req = request(
            url,
            { method: "POST", headers: headersOf(c), agent: pool },
            (res) => {
              res.resume();
              res.on("end", () => resolve(res.statusCode));
            },
          );
          req.on("error", reject);
          req.end(body);
        });
        if (status >= 400) failed++;
        else done++;
      }
    }),
  );
  pool.destroy();
  return { rps: done / seconds, failed };
}
const concurrent = {};
concurrent["upstream directly (baseline)"] = await throughput(`${upstreamUrl}${AS}`, () => ({
  authorization: basic(1),
}));
concurrent["gateway, held seats"] = await throughput(`${base}${AS}`, (c) => ({
  authorization: basic(c + 1),
}));
if (!WORKER) {
  // The same held-seat path on servers started otherwise: upstream connections reused (for mail
  // servers that keep them), and the Engine on the HTTP thread instead of its own (what the thread
  // hop costs or saves).
  for (const [flag, ...value] of [["--upstream-keepalive", "4000"], ["--engine-in-process"]]) {
    const other = await startHost([flag, ...value]);
    for (let i = 0; i < 200; i++)
      await send(`${other.base}${AS}`, { headers: { authorization: basic(1) }, payload: body });
    results[`gateway, held seat, ${flag}`] = await time(rounds, (i) =>
      send(`${other.base}${AS}`, { headers: { authorization: basic(i + 1) }, payload: body }),
    );
    concurrent[`gateway, held seats, ${flag}`] = await throughput(`${other.base}${AS}`, (c) => ({
      authorization: basic(c + 1),
    }));
    await other.close();
  }
}

const baseline = results["upstream directly (baseline)"].p50;
console.log(
  `seatcap ${WORKER ? "bench:worker" : "bench:server"} — ${host}; ${ACCOUNTS} accounts, ${rounds} sequential requests per row, 2 KB bodies, ${process.version}`,
);
console.log(
  `${"path".padEnd(38)} ${"p50 µs".padStart(9)} ${"p99 µs".padStart(9)} ${"p50 vs baseline".padStart(16)}`,
);
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(38)} ${r.p50.toFixed(0).padStart(9)} ${r.p99.toFixed(0).padStart(9)} ${(r.p50 / baseline).toFixed(1).padStart(15)}×`,
  );
}

const direct = concurrent["upstream directly (baseline)"].rps;
console.log(
  `\n${"64 concurrent connections, 3 s".padEnd(44)} ${"req/s".padStart(9)} ${"vs baseline".padStart(12)} ${"errors".padStart(7)}`,
);
for (const [name, r] of Object.entries(concurrent)) {
  console.log(
    `${name.padEnd(44)} ${r.rps.toFixed(0).padStart(9)} ${(r.rps / direct).toFixed(2).padStart(11)}× ${String(r.failed).padStart(7)}`,
  );
}

if (writeDocs)
  writeDocsBlock(
    WORKER ? "npm run bench:worker -- --write-docs" : "npm run bench:server -- --write-docs",
    `${markdownTable(
      Object.entries(results).map(([name, r]) => ({
        path: name,
        "p50 µs": r.p50.toFixed(0),
        "p99 µs": r.p99.toFixed(0),
        "p50 × baseline": (r.p50 / baseline).toFixed(1),
      })),
    )}\n${markdownTable(
      Object.entries(concurrent).map(([name, r]) => ({
        "64 connections, 3 s": name,
        "req/s": r.rps.toFixed(0),
        "× baseline": (r.rps / direct).toFixed(2),
        errors: r.failed,
      })),
    )}`,
    `${machine()}; ${host}; ${ACCOUNTS} accounts, ${rounds} sequential requests a row, 2 KB bodies`,
  );

await close();
upstream.close();
agent.destroy();
rmSync(data, { recursive: true, force: true });
