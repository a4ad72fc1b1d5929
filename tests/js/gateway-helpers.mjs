// Mail-server stubs that behave the way real ones do, and the calls the
// gateway tests share (tests/js/gateway.test.mjs through `seatcap serve`,
// tests/js/gateway-worker.test.mjs through the Cloudflare Worker).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { connect as netConnect, createServer as createNetServer } from "node:net";
import { api, basic, raw, startServer } from "./server-helpers.mjs";

export const AS = "/Microsoft-Server-ActiveSync";
export const ADMIN = "admin-token-for-the-gateway-tests";
export const SEATS = 2;

/** Two seats; a1…a6@example.com inherit `enabled`; off@example.com is disabled. */
export const scenario = {
  licence: { mailboxes: null, features: { activesync: { seats: SEATS } } },
  directory: {
    server: { activesync: "disabled" },
    domains: { "example.com": { settings: { activesync: "enabled" } } },
    accounts: [{ id: "off@example.com", settings: { activesync: "disabled" } }],
    generate: [{ domain: "example.com", count: 6, prefix: "a" }],
  },
};

export async function gatewayServer(upstreamUrl, extra = []) {
  const server = await startServer({
    args: ["--dev", "--admin-token", ADMIN, "--upstream", upstreamUrl, ...extra],
  });
  const admin = api(server.url, ADMIN);
  const imported = await admin.post("/v1/import?replace=true", scenario);
  assert.equal(imported.status, 200, imported.text);
  return { server, admin };
}

/** `agent: false` opens a connection per request (workerd closes a kept-alive one after a response that left the request body unread). */
export const sync = (base, account, password = "secret", headers = {}, agent) =>
  raw(`${base}${AS}?Cmd=Sync&User=${encodeURIComponent(account)}&DeviceId=d1&DeviceType=Phone`, {
    method: "POST",
    headers: { authorization: basic(account, password), ...headers },
    body: Buffer.from("sync-body"),
    ...(agent === undefined ? {} : { agent }),
  });

export async function holdersOf(admin) {
  const res = await admin.get("/v1/export");
  assert.equal(res.status, 200, res.text);
  return res.json.seats?.activesync?.holders ?? [];
}

export async function cappedOf(admin, account) {
  const res = await admin.get(`/v1/accounts/${account}`);
  assert.equal(res.status, 200, res.text);
  return res.json.features.activesync.cappedAt;
}

/** Reads a streamed body: each chunk's arrival (ms after `started`) with the text so far. */
export async function arrivals(response, started) {
  const reader = response.body.getReader();
  const seen = [];
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return seen;
    text += Buffer.from(value).toString();
    seen.push({ at: Date.now() - started, text });
  }
}

/** Waits until `check()` is truthy (background writes such as a holder's lastSeen). */
export async function eventually(check, ms = 3000) {
  const until = Date.now() + ms;
  for (;;) {
    const got = await check();
    if (got) return got;
    if (Date.now() > until) return got;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A mail server that speaks HTTP/1.1 by hand and closes each connection right
 * after its response, without `Connection: close` — as SOGo does. The
 * password `secret` is right for every account; OPTIONS checks it too.
 */
export async function closingUpstream() {
  let requests = 0;
  const server = createNetServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString("latin1");
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      requests++;
      const auth = /\r\nauthorization: *Basic ([^\r]+)/i.exec(head)?.[1];
      const password = auth ? Buffer.from(auth, "base64").toString().split(":")[1] : undefined;
      const body = password === "secret" ? "ok" : "no";
      const status =
        password === "secret"
          ? "200 OK"
          : '401 Unauthorized\r\nWWW-Authenticate: Basic realm="sogo"';
      socket.end(`HTTP/1.1 ${status}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    });
    socket.on("error", () => {});
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    count: () => requests,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** A mail server with a configurable behaviour per request: `(req, res, body) => void`. */
export async function scriptedUpstream(behave) {
  const seen = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const entry = { method: req.method, url: req.url, headers: req.headers, closed: false };
      seen.push(entry);
      res.on("close", () => (entry.closed = !res.writableFinished));
      behave(req, res, Buffer.concat(chunks), entry);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    seen,
    real: () => seen.filter((s) => s.method !== "OPTIONS"),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  };
}

export const passwordOf = (req) => {
  const auth = req.headers.authorization ?? "";
  return auth.startsWith("Basic ")
    ? Buffer.from(auth.slice(6), "base64").toString().split(":")[1]
    : undefined;
};

/** Sends a request by hand, so headers can repeat (two Authorization headers). */
export function rawRequest(base, pathAndQuery, headerPairs) {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = netConnect(Number(url.port), url.hostname, () => {
      const lines = [
        `POST ${pathAndQuery} HTTP/1.1`,
        `Host: ${url.host}`,
        "Content-Length: 1",
        "Connection: close",
        ...headerPairs.map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(`${lines.join("\r\n")}\r\n\r\nx`);
    });
    let data = "";
    socket.on("data", (d) => (data += d.toString("latin1")));
    socket.on("end", () => {
      const [head, ...rest] = data.split("\r\n\r\n");
      const [status, ...headers] = head.split("\r\n");
      const parsed = {};
      for (const h of headers) {
        const i = h.indexOf(":");
        parsed[h.slice(0, i).toLowerCase()] = h.slice(i + 1).trim();
      }
      resolve({
        status: Number(status.split(" ")[1]),
        headers: parsed,
        body: rest.join("\r\n\r\n"),
      });
    });
    socket.on("error", reject);
  });
}

export async function httpsGet(url, ca) {
  const { request } = await import("node:https");
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode }));
    })
      .on("error", reject)
      .end();
  });
}
