// `seatcap serve` / `npm start`: the edge server as a Node process, on a
// SQLite file under --data (or PostgreSQL), with the gateway forwarding over
// node:http. Everything the process prints is for the operator; request
// lines never carry a token or a body.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import * as path from "node:path";
import { serve as listen, type HttpBindings, type Http2Bindings } from "@hono/node-server";
import { Engine, SqliteStore, PostgresStore, version, type Store } from "../node.js";
import { Tokens } from "./auth.js";
import { createHandler } from "./app.js";
import { ConfigError, parseConfig, USAGE, type Config } from "./config.js";
import { nodeForward } from "./node-forward.js";
import { axigenExample } from "./seed.js";
import { consoleAssets } from "./assets.js";
import { generateVendorKey } from "../licence-keys.js";
import { startDemoUpstream } from "./demo-upstream.js";

export interface Running {
  url: string;
  close(): Promise<void>;
}

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<Running | undefined> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE);
    return undefined;
  }
  let config: Config;
  try {
    config = parseConfig(argv, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`seatcap serve: ${e.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return undefined;
  }
  return start(config);
}

export async function start(config: Config): Promise<Running> {
  mkdirSync(config.data, { recursive: true });
  const { store, describe, close: closeStore } = await openStore(config);
  const engine = new Engine(store);
  const notes: string[] = [];

  // Tokens: the configured ones, else one generated on first start and kept (0600) in the data directory.
  let adminTokens = config.adminTokens;
  if (adminTokens.length === 0) {
    const file = path.join(config.data, "admin-token");
    if (!existsSync(file)) {
      writeFileSync(file, randomBytes(24).toString("base64url") + "\n", { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    adminTokens = [readFileSync(file, "utf8").trim()];
    notes.push(`  admin token  ${adminTokens[0]}   (kept in ${file})`);
  } else {
    notes.push("  admin token  as configured (not printed)");
  }
  const sha256 = (text: string) => createHash("sha256").update(text).digest();
  const tokens = await Tokens.from({ serverAdmin: adminTokens, domainAdmin: config.domainTokens, gateway: config.gatewayTokens }, { sha256 });

  const trustedKeys = [...config.licenceKeys];
  if (config.demo) {
    const demoKey = demoVendorKey(config.data);
    trustedKeys.push(demoKey.publicHex);
    notes.push(`  demo vendor  licences signed with ${demoKey.keyFile} are trusted:`);
    notes.push(`               npx seatcap licence sign --key ${demoKey.keyFile} licence.json > licence.signed.json`);
    const seeded = await seedIfEmpty(engine, store);
    notes.push(seeded ? "  seeded       the Axigen example: example.com, 500 accounts, 200 ActiveSync seats" : "  store        already holds a directory (not seeded)");
  }

  let upstream = config.upstream;
  let upstreamNote = upstream ? upstream.href : "no upstream (--upstream <url>): allowed requests answer 502";
  let demoUpstream: Awaited<ReturnType<typeof startDemoUpstream>> | undefined;
  if (!upstream && config.demo) {
    demoUpstream = await startDemoUpstream();
    upstream = demoUpstream.url;
    upstreamNote = `a demo mail server on ${upstream.href} that accepts any password`;
  }

  const requestLog = batchedLog((text) => process.stdout.write(text));
  const handler = createHandler({
    engine,
    tokens,
    gateway: { upstream, forward: nodeForward(), verifyNewClaims: config.verifyNewClaims, feature: config.feature },
    licence: { trustedKeys, devMode: config.dev },
    bodyLimit: config.bodyLimit,
    log: requestLog.line,
    assets: consoleAssets(),
    openapi: loadOpenApi(),
    version: version(),
  });

  const server = await new Promise<ReturnType<typeof listen>>((resolve, reject) => {
    const s = listen(
      {
        hostname: config.host,
        port: config.port,
        fetch: (request: Request, bindings: HttpBindings | Http2Bindings) => handler.fetch(request, { address: bindings.incoming.socket.remoteAddress }),
      },
      () => resolve(s),
    );
    s.once("error", reject);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  const lines = [
    `seatcap ${version()} edge server on ${url}`,
    `  console      ${url}/`,
    `  admin API    ${url}/v1   (OpenAPI: ${url}/v1/openapi.json)`,
    `  gateway      ${url}/Microsoft-Server-ActiveSync → ${upstreamNote}`,
    `  store        ${describe}`,
    `  licences     ${config.dev ? "dev mode: unsigned licence files accepted" : `signed by ${trustedKeys.length} trusted vendor key(s)`}`,
    ...notes,
  ];
  process.stdout.write(lines.join("\n") + "\n");
  return {
    url,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      requestLog.flush();
      demoUpstream?.server.close();
      await closeStore();
    },
  };
}

/**
 * Request lines written in batches: one `write` per line to a piped stdout
 * costs ~15% of a gateway request (measured with bench:server); lines wait
 * at most 50 ms.
 */
function batchedLog(write: (text: string) => void): { line: (text: string) => void; flush: () => void } {
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

async function openStore(config: Config): Promise<{ store: Store; describe: string; close: () => Promise<void> }> {
  if (config.postgres) {
    const driver = "pg";
    const pg = (await import(driver)) as { default: { Pool: new (o: { connectionString: string }) => import("../postgres-store.js").PgPool & { end(): Promise<void> } } };
    const pool = new pg.default.Pool({ connectionString: config.postgres });
    const store = new PostgresStore(pool, { table: process.env.SEATCAP_POSTGRES_TABLE ?? "seatcap_kv" });
    await store.ready();
    const where = new URL(config.postgres);
    return { store, describe: `PostgreSQL ${where.host}${where.pathname} (table ${store.table})`, close: () => pool.end() };
  }
  const file = path.join(config.data, "seatcap.db");
  const store = await SqliteStore.open(file);
  return { store, describe: `SQLite ${file}`, close: async () => store.close() };
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
    writeFileSync(pubFile, key.publicHex + "\n");
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
