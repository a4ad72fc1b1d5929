// The edge server as users run it (`seatcap serve`, a real process on
// 127.0.0.1) and a real upstream mail-server stub that records every byte.
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { request as httpRequest, createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { root } from "./helpers.mjs";
import { PG_URL, uniqueTable } from "./stores.mjs";

export const cli = path.join(root, "dist/cli.mjs");

export function tempDir(prefix = "seatcap-server-") {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Runs the CLI to completion. */
export function seatcap(args, options = {}) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", ...options });
}

/**
 * Starts `seatcap serve --port 0 …` and waits for its banner. `store`:
 * "sqlite" (a file under `data`) or "postgres" (a fresh table, or `table`).
 */
export async function startServer({
  data = tempDir(),
  store = "sqlite",
  table,
  args = [],
  env = {},
} = {}) {
  const pgArgs = store === "postgres" ? ["--postgres", PG_URL] : [];
  const pgTable = store === "postgres" ? (table ?? uniqueTable()) : undefined;
  const child = spawn(
    process.execPath,
    [cli, "serve", "--port", "0", "--data", data, ...pgArgs, ...args],
    {
      env: { ...process.env, ...env, ...(pgTable ? { SEATCAP_POSTGRES_TABLE: pgTable } : {}) },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the server did not start:\n${stdout}\n${stderr}`)),
      30_000,
    );
    const look = () => {
      const m = /edge server on (https?:\/\/\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on("data", look);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}:\n${stdout}\n${stderr}`));
    });
  });
  child.removeAllListeners("exit");
  return {
    url,
    data,
    table: pgTable,
    child,
    output: () => stdout + stderr,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * An upstream mail server on 127.0.0.1 that records each request (method,
 * url, headers, body bytes) and answers a binary, gzip-encoded body with two
 * cookies. No `Authorization`, or any password but `secret`, answers 401,
 * like a mail server refusing the credentials. `onRequest(request)`, when set,
 * runs before each answer; what it returns is kept as `request.observed`.
 */
export async function startUpstream() {
  const requests = [];
  const payload = Buffer.concat([
    gzipSync(Buffer.from("<Sync>ok</Sync>".repeat(200))),
    randomBytes(64 * 1024),
  ]);
  const upstream = { onRequest: undefined, password: "secret" };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const seen = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
      };
      requests.push(seen);
      // A test may look at the world while a request is in the mail server's hands.
      if (upstream.onRequest) seen.observed = await upstream.onRequest(seen);
      const auth = req.headers.authorization ?? "";
      if (!auth) {
        res
          .writeHead(401, { "www-authenticate": 'Basic realm="mail"', "x-upstream": "sign in" })
          .end();
        return;
      }
      const password = auth.startsWith("Basic ")
        ? Buffer.from(auth.slice(6), "base64").toString().split(":")[1]
        : undefined;
      // Like a real mail server: one password is right (`secret`), any other is refused, OPTIONS too.
      if (password !== upstream.password) {
        res
          .writeHead(401, { "www-authenticate": 'Basic realm="mail"', "x-upstream": "refused" })
          .end("bad credentials");
        return;
      }
      if (req.method === "OPTIONS") {
        res.writeHead(200, { "ms-asprotocolversions": "14.1,16.1" }).end();
        return;
      }
      res.writeHead(207, "Multi-Status Upstream", [
        "Content-Type",
        "application/vnd.ms-sync.wbxml",
        "Content-Encoding",
        "gzip",
        "Set-Cookie",
        "a=1; Path=/",
        "Set-Cookie",
        "b=2; Path=/",
        "X-Upstream-Body-Sha256",
        sha256(body),
      ]);
      res.end(payload);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(upstream, {
    url: `http://127.0.0.1:${server.address().port}/`,
    requests,
    payload,
    /** Requests that are not credential probes. */
    real: () => requests.filter((r) => r.method !== "OPTIONS"),
    close: () => new Promise((resolve) => server.close(resolve)),
  });
}

export function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A raw HTTP exchange (node:http, so no body decoding): status, headers, rawHeaders, body bytes. */
export function raw(url, { method = "GET", headers = {}, body, chunked = false, agent } = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method, headers, ...(agent === undefined ? {} : { agent }) },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode,
            message: res.statusMessage,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on("error", reject);
    if (body !== undefined && chunked) {
      // Two writes without a content-length: the body goes chunked, as streaming clients send it.
      const half = Math.floor(body.length / 2);
      req.write(body.subarray(0, half));
      setTimeout(() => req.end(body.subarray(half)), 20);
    } else {
      req.end(body);
    }
  });
}

export function basic(user, password = "secret") {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** A JSON client for the admin API with one token (or none). */
export function api(base, token) {
  const call = async (method, route, body, headers = {}) => {
    const res = await fetch(new URL(route, base), {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
  return {
    get: (route) => call("GET", route),
    post: (route, body, headers) => call("POST", route, body, headers),
    put: (route, body, headers) => call("PUT", route, body, headers),
    delete: (route) => call("DELETE", route),
    call,
  };
}

/** Runs `work` over `items` with at most `limit` at a time; answers in item order. */
export async function pool(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i], i);
      }
    }),
  );
  return results;
}
