// `seatcap serve` / `npm start`: the edge server as a Node process, on a
// SQLite file under --data (or PostgreSQL), with the gateway forwarding over
// node:http. Everything the process prints is for the operator; request
// lines never carry a token or a body.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import * as path from "node:path";
import { serve as listen, type HttpBindings, type Http2Bindings } from "@hono/node-server";
import { Engine, SqliteStore, PostgresStore, version, type Store } from "../node.js";
import type { EngineApi } from "../engine-calls.js";
import { startEngineThread, type EngineThreadOptions } from "./engine-thread.js";
import { Tokens } from "./auth.js";
import { createHandler } from "./app.js";
import { boundServer, Limits, nodeServerOptions } from "./limits.js";
import { printable } from "../printable.js";
import { ConfigError, parseConfig, USAGE, type Config } from "./config.js";
import { nodeForward } from "./node-forward.js";
import { gatewaySettings } from "./gateway.js";
import { clientInfo, readTls, reloadOnHangup, trustOf, writeRaw } from "./node-host.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { axigenExample } from "./seed.js";
import { consoleAssets } from "./assets.js";
import { generateVendorKey } from "../licence-keys.js";
import { DEMO_PASSWORD, startDemoUpstream } from "./demo-upstream.js";

export interface Running {
  url: string;
  close(): Promise<void>;
}

export async function main(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<Running | undefined> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE);
    return undefined;
  }
  let config: Config;
  try {
    config = parseConfig(argv, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`seatcap serve: ${printable(e.message)}\n\n${USAGE}`);
    process.exitCode = 2;
    return undefined;
  }
  return start(config);
}

export async function start(config: Config): Promise<Running> {
  mkdirSync(config.data, { recursive: true });
  const { store, describe, close: closeStore, thread: where } = await openStore(config);
  const notes: string[] = [];

  // Tokens: the configured ones, else one generated on first start and kept (0600) in the data directory.
  let adminTokens = config.adminTokens;
  if (adminTokens.length === 0) {
    const file = path.join(config.data, "admin-token");
    const generated = !existsSync(file);
    if (generated) {
      writeFileSync(file, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    adminTokens = [readFileSync(file, "utf8").trim()];
    // Shown once, when it is made: later starts' output (logs, terminals, CI) never carries it.
    notes.push(
      generated
        ? `  admin token  ${adminTokens[0]}   (generated, kept in ${file}; shown only this once)`
        : `  admin token  kept in ${file} (not printed)`,
    );
  } else {
    notes.push("  admin token  as configured (not printed)");
  }
  const sha256 = (text: string) => createHash("sha256").update(text).digest();
  const tokens = await Tokens.from(
    { serverAdmin: adminTokens, domainAdmin: config.domainTokens, gateway: config.gatewayTokens },
    { sha256 },
  );

  const trustedKeys = [...config.licenceKeys];
  if (config.demo) {
    const demoKey = demoVendorKey(config.data);
    trustedKeys.push(demoKey.publicHex);
    notes.push(`  demo vendor  licences signed with ${demoKey.keyFile} are trusted:`);
    notes.push(
      `               npx seatcap licence sign --key ${demoKey.keyFile} licence.json > licence.signed.json`,
    );
    // The server seeds its own store: the example's unsigned licence is not a client's upload.
    const seeded = await seedIfEmpty(new Engine(store), store);
    notes.push(
      seeded
        ? "  seeded       the Axigen example: example.com, 500 accounts, 200 ActiveSync seats"
        : "  store        already holds a directory (not seeded)",
    );
  }
  // Every licence a client installs (upload, import, events) is verified by the core against these keys.
  const licence = { trustedKeys, devMode: config.dev };
  let engine: EngineApi;
  let closeEngine: () => Promise<void>;
  if (config.engineThread) {
    // This thread's connection was for seeding; the engine thread opens its own.
    await closeStore();
    const thread = await startEngineThread(
      { store: where, licence },
      {
        // Every decision would now fail: end the process, so its supervisor starts a whole new one.
        onLost: (e) => {
          process.stderr.write(`seatcap serve: the engine thread ended (${e.message}); exiting\n`);
          process.exit(1);
        },
      },
    );
    engine = thread.engine;
    closeEngine = () => thread.close();
  } else {
    engine = new Engine(store, { licence });
    closeEngine = closeStore;
  }

  let upstream = config.upstream;
  let upstreamNote = upstream
    ? upstream.href
    : "no upstream (--upstream <url>): allowed requests answer 502";
  let demoUpstream: Awaited<ReturnType<typeof startDemoUpstream>> | undefined;
  if (!upstream && config.demo) {
    demoUpstream = await startDemoUpstream();
    upstream = demoUpstream.url;
    upstreamNote = `a demo mail server on ${upstream.href} (every account, password \`${DEMO_PASSWORD}\`)`;
  }

  const requestLog = batchedLog((text) => process.stdout.write(text));
  const forward = nodeForward({
    keepAliveMs: config.upstreamKeepAliveMs,
    connections: config.upstreamConnections,
    idleTimeoutMs: config.upstreamTimeoutMs,
  });
  const handler = createHandler({
    engine,
    tokens,
    gateway: {
      upstream,
      forward,
      ...gatewaySettings(config, forward),
      warn: (line) => process.stderr.write(`seatcap gateway: ${line}\n`),
    },
    licence: { trustedKeys, devMode: config.dev },
    bodyLimit: config.bodyLimit,
    log: requestLog.line,
    assets: consoleAssets(),
    openapi: loadOpenApi(),
    version: version(),
    limits: new Limits(config.limits, { sha256 }),
  });

  const trust = trustOf(config.trustProxy);
  const secure = config.tls !== undefined;
  const fetch = async (request: Request, bindings: HttpBindings | Http2Bindings) => {
    const response = await handler.fetch(
      request,
      clientInfo(bindings.incoming as IncomingMessage, trust, secure),
    );
    // The mail server's own head (status text, header order) where the gateway forwarded one.
    return writeRaw(response, bindings.outgoing as ServerResponse)
      ? RESPONSE_ALREADY_SENT
      : response;
  };
  const server = await new Promise<ReturnType<typeof listen>>((resolve, reject) => {
    const s = listen(
      config.tls
        ? {
            hostname: config.host,
            port: config.port,
            fetch,
            createServer: createHttpsServer,
            serverOptions: { ...nodeServerOptions(), ...readTls(config.tls) },
          }
        : { hostname: config.host, port: config.port, fetch, serverOptions: nodeServerOptions() },
      () => resolve(s),
    );
    s.once("error", reject);
  });
  boundServer(server, { maxConnections: config.maxConnections });
  const stopReloading = config.tls
    ? reloadOnHangup(server as HttpsServer, config.tls, (line) => process.stdout.write(`${line}\n`))
    : () => {};
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `${secure ? "https" : "http"}://${host}:${port}`;
  const lines = [
    `seatcap ${version()} edge server on ${url}`,
    `  console      ${url}/`,
    `  admin API    ${url}/v1   (OpenAPI: ${url}/v1/openapi.json)`,
    `  gateway      ${url}/Microsoft-Server-ActiveSync → ${upstreamNote}`,
    `  store        ${describe}`,
    `  licences     ${config.dev ? "dev mode: unsigned licence files accepted" : `signed by ${trustedKeys.length} trusted vendor key(s)`}`,
    ...notes,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return {
    url,
    close: async () => {
      stopReloading();
      // Long-polls don't end by themselves: idle connections go now, the rest after a short grace.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const http = server as unknown as {
        closeIdleConnections?(): void;
        closeAllConnections?(): void;
      };
      http.closeIdleConnections?.();
      const grace = setTimeout(() => http.closeAllConnections?.(), 2000);
      await closed;
      clearTimeout(grace);
      await forward.close();
      requestLog.flush();
      demoUpstream?.server.close();
      await closeEngine();
    },
  };
}

/**
 * Request lines written in batches: one `write` per line to a piped stdout
 * costs ~15% of a gateway request (measured with bench:server); lines wait
 * at most 50 ms.
 */
function batchedLog(write: (text: string) => void): {
  line: (text: string) => void;
  flush: () => void;
} {
  let pending: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length > 0) write(pending.join(""));
    pending = [];
  };
  process.once("exit", flush);
  return {
    line(text) {
      pending.push(`${new Date().toISOString()} ${text}\n`);
      if (pending.length >= 256) flush();
      timer ??= setTimeout(flush, 50);
    },
    flush,
  };
}

/** The store, for seeding; how to describe it; and where the engine thread opens its own. */
async function openStore(config: Config): Promise<{
  store: Store;
  describe: string;
  close: () => Promise<void>;
  thread: EngineThreadOptions["store"];
}> {
  if (config.postgres) {
    // A pool that outlives its database: requests answer `store-error` while it is away (see PostgresStore.open).
    const timeout = Number(process.env.SEATCAP_POSTGRES_TIMEOUT_MS);
    const options = {
      table: process.env.SEATCAP_POSTGRES_TABLE ?? "seatcap_kv",
      ...(Number.isInteger(timeout) && timeout > 0 ? { timeoutMs: timeout } : {}),
    };
    const store = await PostgresStore.open(config.postgres, options);
    await store.ready();
    const where = new URL(config.postgres);
    return {
      store,
      describe: `PostgreSQL ${where.host}${where.pathname} (table ${store.table})`,
      close: () => store.close(),
      thread: { kind: "postgres", url: config.postgres, ...options },
    };
  }
  const file = path.join(config.data, "seatcap.db");
  const store = await SqliteStore.open(file);
  return {
    store,
    describe: `SQLite ${file}`,
    close: async () => store.close(),
    thread: { kind: "sqlite", file },
  };
}

/** Seeds the Axigen example into an empty store; `false` when the store already holds something. */
async function seedIfEmpty(engine: Engine, store: Store): Promise<boolean> {
  const any = await store.list("", undefined, 1);
  if (any.length > 0) return false;
  const result = await engine.by("seed").importScenario(axigenExample());
  if (!result.ok) {
    if (result.error.code === "already-exists") return false;
    throw new Error(`seeding failed: ${result.error.message}`);
  }
  return true;
}

/** A vendor key for the demo, made once in the data directory (PKCS#8 PEM private key, hex public key). */
function demoVendorKey(data: string): { keyFile: string; publicHex: string } {
  const keyFile = path.join(data, "demo-vendor.key");
  const pubFile = path.join(data, "demo-vendor.pub");
  if (!existsSync(keyFile) || !existsSync(pubFile)) {
    const key = generateVendorKey();
    writeFileSync(keyFile, key.privatePem, { mode: 0o600 });
    writeFileSync(pubFile, `${key.publicHex}\n`);
  }
  return { keyFile, publicHex: readFileSync(pubFile, "utf8").trim() };
}

/** The OpenAPI document shipped beside this file (dist/openapi.json). */
function loadOpenApi(): unknown {
  try {
    return JSON.parse(readFileSync(new URL("./openapi.json", import.meta.url), "utf8"));
  } catch {
    return undefined;
  }
}
