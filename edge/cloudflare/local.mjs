// The Worker run locally as Cloudflare would run it: bundled by wrangler from
// wrangler.toml (`deploy --dry-run`: no account, no network), then run in a
// real workerd through the npm miniflare package, listening on 127.0.0.1
// with the Durable Object's SQLite files in a directory of our choosing.
// Used by the tests (tests/js/cloudflare.test.mjs) and `npm run bench:worker`.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const root = path.resolve(import.meta.dirname, "../..");

export const WRANGLER_CONFIG = path.join(root, "edge/cloudflare/wrangler.toml");

/** Keeps wrangler and miniflare from phoning home (metrics, update checks, `Request.cf` data). */
export const QUIET_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  MINIFLARE_DISABLE_TELEMETRY: "true",
};
Object.assign(process.env, QUIET_ENV);

/** `wrangler deploy --dry-run --outdir`: exactly what a deploy would upload. */
export async function bundleWorker(outdir) {
  await promisify(execFile)(
    path.join(root, "node_modules/.bin/wrangler"),
    ["deploy", "--dry-run", "--outdir", outdir, "--config", WRANGLER_CONFIG],
    {
      cwd: root,
      env: { ...process.env, ...QUIET_ENV, WRANGLER_LOG_PATH: outdir },
      maxBuffer: 16 << 20,
    },
  );
  const files = readdirSync(outdir);
  const wasm = files.find((f) => f.endsWith(".wasm"));
  if (!files.includes("index.js") || !wasm)
    throw new Error(`unexpected bundle: ${files.join(", ")}`);
  const size = (f) => {
    const bytes = readFileSync(path.join(outdir, f));
    return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  };
  return {
    outdir,
    main: path.join(outdir, "index.js"),
    sizes: { worker: size("index.js"), wasm: size(wasm) },
  };
}

/**
 * Starts the bundled Worker with the bindings wrangler.toml declares plus `secrets`;
 * Durable Object storage persists under `persist`, so a second start finds it.
 */
export async function startWorker({ bundle, persist, secrets = {} }) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(WRANGLER_CONFIG);
  const mf = new Miniflare({
    ...workerOptions,
    name: "seatcap",
    modules: true,
    scriptPath: bundle.main,
    modulesRoot: bundle.outdir,
    modulesRules: [{ type: "ESModule", include: ["**/*.js"] }, ...workerOptions.modulesRules],
    bindings: { ...workerOptions.bindings, SEATCAP_REQUEST_LOG: "off", ...secrets },
    host: "127.0.0.1",
    port: 0,
    cf: false,
    telemetry: { enabled: false },
    durableObjectsPersist: persist,
    ...(process.env.SEATCAP_WORKERD_LOG ? { log: new Log(LogLevel.DEBUG) } : {}),
  });
  const url = (await mf.ready).href.replace(/\/$/, "");
  return { url, mf, dispose: () => mf.dispose() };
}
