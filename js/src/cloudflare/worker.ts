// The edge server as a Cloudflare Worker: the same handler as `seatcap
// serve` (gateway, decisions, admin API) runs in the stateless Worker, and
// every Engine call goes to the licence's SeatLedger Durable Object, which
// decides and stores in one step. The Worker talks to the mail server only
// after the ledger has answered, so the decision is stored before the
// request is forwarded.
import { createHandler, type Handler } from "../server/app.js";
import { Tokens } from "../server/auth.js";
import { ConfigError, parseConfig } from "../server/config.js";
import { indexPage } from "../server/index-page.js";
import { gatewaySettings, type Forward } from "../server/gateway.js";
import { version } from "../workerd.js";
import type { EngineCall } from "../engine-calls.js";
import { remoteEngine } from "../server/remote-engine.js";
import type { DurableObjectNamespace, ExecutionContext } from "./workers.js";
import openapi from "seatcap-openapi";

/** The SeatLedger as a Worker sees it: its one RPC method. */
export interface SeatLedgerStub {
  run(actor: string | undefined, call: EngineCall, args: unknown[]): Promise<unknown>;
}

/**
 * The Worker's bindings (wrangler.toml). Secrets and variables use the names
 * of `seatcap serve`'s environment (SEATCAP_ADMIN_TOKENS, SEATCAP_DOMAIN_TOKENS,
 * SEATCAP_GATEWAY_TOKENS, SEATCAP_LICENCE_KEYS, SEATCAP_UPSTREAM, SEATCAP_DEV,
 * SEATCAP_FEATURE, SEATCAP_BODY_LIMIT), read the same way.
 */
export interface WorkerEnv {
  SEATCAP_LEDGER: DurableObjectNamespace<SeatLedgerStub>;
  /** The name of the ledger (one Durable Object per licence) this Worker serves (default `default`). */
  SEATCAP_TENANT?: string;
  /** `off` silences the one line per request. */
  SEATCAP_REQUEST_LOG?: string;
  [name: string]: unknown;
}

export interface WorkerOptions {
  /** The ledger a request belongs to (default: the `SEATCAP_TENANT` binding, else `default`). */
  tenantOf?: (request: Request, env: WorkerEnv) => string;
}

export interface Worker {
  fetch(request: Request, env: WorkerEnv, ctx?: ExecutionContext): Promise<Response>;
}

/** The Worker's fetch forwards with the runtime's `fetch`; the mail server sees its own host name, the client's in X-Forwarded-Host. */
export const workerForward: Forward = (request) => {
  const headers = new Headers(request.headers);
  headers.delete("host");
  const hasBody = request.body !== null && !["GET", "HEAD"].includes(request.method);
  return fetch(request.url, {
    method: request.method,
    headers,
    body: hasBody ? request.body : null,
    redirect: "manual",
    signal: request.signal,
  });
};

export function createWorker(options: WorkerOptions = {}): Worker {
  // One handler per ledger and set of bindings, made on first use in this isolate (token digests are computed once).
  let built: { env: WorkerEnv; handlers: Map<string, Promise<Handler>> } | undefined;
  return {
    async fetch(request, env, ctx) {
      if (built?.env !== env) built = { env, handlers: new Map() };
      const tenant = options.tenantOf?.(request, env) ?? stringOf(env.SEATCAP_TENANT) ?? "default";
      let handler = built.handlers.get(tenant);
      if (!handler) {
        handler = handlerFor(env, tenant);
        built.handlers.set(tenant, handler);
      }
      let ready: Handler;
      try {
        ready = await handler;
      } catch (e) {
        built.handlers.delete(tenant);
        // Never echo a binding's value: ConfigError messages name the setting, not secrets.
        const why = e instanceof Error ? e.message : String(e);
        return new Response(
          JSON.stringify({
            error: { code: "store-error", message: `seatcap is misconfigured: ${why}` },
          }),
          {
            status: 500,
            headers: { "content-type": "application/json; charset=utf-8" },
          },
        );
      }
      const address = request.headers.get("cf-connecting-ip") ?? undefined;
      // A holder's lastSeen is written after its response is on its way: the runtime must wait for it.
      const defer = ctx ? (work: Promise<unknown>) => ctx.waitUntil(work) : undefined;
      return ready.fetch(request, {
        ...(address === undefined ? {} : { address }),
        ...(defer ? { defer } : {}),
      });
    },
  };
}

async function handlerFor(env: WorkerEnv, tenant: string): Promise<Handler> {
  const strings: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env))
    if (typeof value === "string") strings[name] = value;
  const config = parseConfig([], strings);
  const tokens = await Tokens.from({
    serverAdmin: config.adminTokens,
    domainAdmin: config.domainTokens,
    gateway: config.gatewayTokens,
  });
  const ledger = env.SEATCAP_LEDGER;
  if (!ledger || typeof ledger.idFromName !== "function")
    throw new ConfigError("the SEATCAP_LEDGER Durable Object binding is missing");
  const id = ledger.idFromName(tenant);
  const quiet = stringOf(env.SEATCAP_REQUEST_LOG) === "off";
  return createHandler({
    // A stub belongs to the request that made it (the runtime refuses I/O across requests): one per call.
    engine: remoteEngine((actor, call, args) => ledger.get(id).run(actor, call, args)),
    tokens,
    gateway: {
      upstream: config.upstream,
      forward: workerForward,
      slotsSpanBodies: false,
      ...gatewaySettings(config, workerForward),
      warn: (line: string) => console.warn(`[${tenant}] gateway: ${line}`),
    },
    licence: { trustedKeys: config.licenceKeys, devMode: config.dev },
    bodyLimit: config.bodyLimit,
    // Counted per isolate: a bound on what one caller costs one isolate, not a global rate.
    limits: config.limits,
    ...(quiet ? {} : { log: (line: string) => console.log(`[${tenant}] ${line}`) }),
    assets: async (request) =>
      new URL(request.url).pathname === "/" && request.method === "GET" ? indexPage() : undefined,
    openapi,
    version: version(),
  });
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
