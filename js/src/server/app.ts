// The edge server as one fetch-style handler (Request → Response), so the
// Node process and a Cloudflare Worker serve the same code: the ActiveSync
// gateway, the decision API and the admin API over one Engine.
import { Hono, type Context } from "hono";
import type { ConnectResult, Read, WriteResult } from "../engine.js";
import type { EngineApi } from "../engine-calls.js";
import type { ErrorBody } from "../types.js";
import { roleName, type Role, type Tokens } from "./auth.js";
import { gateway, isGatewayPath, type ClientInfo, type GatewayOptions } from "./gateway.js";
import { Limits, type LimitsConfig } from "./limits.js";
import {
  failure,
  gatewayText,
  HttpError,
  invalid,
  isSafePath,
  json,
  objectBody,
  readJson,
} from "./respond.js";

export interface ServerOptions {
  /** The engine, here (an `Engine` over a store) or elsewhere (a Durable Object's, through `remoteEngine`). */
  engine: EngineApi;
  tokens: Tokens;
  /** Where allowed ActiveSync requests go and how (the host's `forward`). */
  gateway: Omit<GatewayOptions, "engine">;
  /** Vendor public keys (Ed25519, hex) whose licence files are accepted; `devMode` also accepts unsigned ones. */
  licence: { trustedKeys: string[]; devMode?: boolean };
  /** Largest JSON body the API reads (default 64 KiB). Gateway bodies stream through unlimited. */
  bodyLimit?: number;
  /** Largest scenario `POST /v1/import` reads (default 16 MiB): a whole directory. */
  importLimit?: number;
  /** One line per request: method, path, status, role, milliseconds. Never a token or a body. */
  log?: (line: string) => void;
  /** Static files (the console) for paths outside the APIs, when the host has them. */
  assets?: (request: Request) => Promise<Response | undefined>;
  /** The OpenAPI document, served at `/v1/openapi.json`. */
  openapi?: unknown;
  /** The version string `/v1/health` reports. */
  version?: string;
  /** Rates, lockout and upstream bounds (`DEFAULT_LIMITS` for what is not given), or a `Limits` to share. */
  limits?: Limits | Partial<LimitsConfig>;
}

/** A fetch handler: `handler.fetch(request, client?)`. */
export interface Handler {
  fetch(request: Request, client?: ClientInfo): Promise<Response>;
}

/** `seen` carries the caller's role out of the app for the request log line; `client` is who is calling. */
type Env = { Variables: { role: Role }; Bindings: { seen: { role?: string }; client: ClientInfo } };

const DEFAULT_BODY_LIMIT = 64 * 1024;
const DEFAULT_IMPORT_LIMIT = 16 * 1024 * 1024;

export function createHandler(options: ServerOptions): Handler {
  const limits = options.limits instanceof Limits ? options.limits : new Limits(options.limits);
  const app = adminApp(options, limits);
  const gatewayEngine = options.engine.by("activesync-gateway");
  return {
    async fetch(request, client = {}) {
      const started = Date.now();
      const url = new URL(request.url);
      const api = url.pathname.startsWith("/v1/");
      let response: Response;
      let who = "-";
      try {
        const refused = await screen(request, url, api, client, limits);
        if (refused) {
          response = refused;
        } else if (isGatewayPath(url.pathname)) {
          who = "gateway";
          response = await gateway(
            request,
            { limits, ...options.gateway, engine: gatewayEngine },
            client,
          );
        } else {
          const found = api || !options.assets ? undefined : await options.assets(request);
          const seen: { role?: string } = {};
          response = found ?? (await app.fetch(request, { seen, client }));
          who = seen.role ?? "-";
        }
      } catch (e) {
        // The operator reads what went wrong in the log; a caller (perhaps anonymous) learns nothing of it.
        options.log?.(`internal error: ${(e as Error).message}`);
        response = api
          ? failure({ code: "store-error", message: "internal error; try again shortly" })
          : gatewayText(503, "internal error; try again shortly", { "retry-after": "5" });
      }
      options.log?.(
        `${request.method} ${url.pathname} ${response.status} ${who} ${Date.now() - started}ms`,
      );
      return response;
    },
  };
}

/**
 * What every request passes before it is routed: a path a server behind
 * could resolve differently is refused (400), and the client address's
 * rate (429). `/v1/health` is exempt from the rate, so a load balancer's
 * probe never reads a flood as the server being down.
 */
async function screen(
  request: Request,
  url: URL,
  api: boolean,
  client: ClientInfo,
  limits: Limits,
): Promise<Response | undefined> {
  if (!isSafePath(url)) {
    const message = "the path holds an encoded slash, backslash or dot segment";
    return api ? invalid(message) : gatewayText(400, message);
  }
  if (url.pathname === "/v1/health" && request.method === "GET") return undefined;
  return limits.address(client.address, { json: api });
}

function adminApp(options: ServerOptions, limits: Limits): Hono<Env> {
  const { engine, tokens } = options;
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = new Hono<Env>();
  const body = (c: Context<Env>) => readJson(c.req.raw, limit);
  /** A bulk body (a whole scenario, a list of events): the import limit, not the JSON one. */
  const bulk = (c: Context<Env>) =>
    readJson(c.req.raw, options.importLimit ?? DEFAULT_IMPORT_LIMIT);
  const role = (c: Context<Env>) => c.get("role");
  const as = (c: Context<Env>) => engine.by(roleName(role(c)));

  app.onError((e) => {
    if (e instanceof HttpError) return failure(e.body);
    // The detail (a database's address, a stack) is for the operator's log, not the caller.
    options.log?.(`internal error: ${e.message}`);
    return failure({ code: "store-error", message: "internal error; try again shortly" });
  });
  app.notFound(() =>
    failure({ code: "not-found", message: "no such route; see /v1/openapi.json" }),
  );

  app.get("/v1/health", () => json({ status: "ok", version: options.version ?? null }));
  app.get("/v1/openapi.json", () =>
    options.openapi
      ? json(options.openapi)
      : failure({ code: "not-found", message: "no OpenAPI document" }),
  );

  // Everything else under /v1 needs a token. An address that keeps presenting bad ones is locked
  // out for a while (its good tokens too: a guesser must not learn that a guess was right).
  app.use("/v1/*", async (c, next) => {
    const address = c.env.client.address;
    const locked = await limits.lockedOut(address);
    if (locked) return locked;
    const found = await tokens.identify(c.req.header("authorization") ?? null);
    if (!found) {
      if (found === undefined) await limits.badToken(address);
      const message =
        found === null ? "send `Authorization: Bearer <token>`" : "the token is not valid";
      return failure(
        { code: "unauthorized", message },
        { "www-authenticate": 'Bearer realm="seatcap"' },
      );
    }
    const isDecide = c.req.path === "/v1/decide" && c.req.method === "POST";
    const limited = isDecide ? undefined : await limits.token(found.id);
    if (limited) return limited;
    c.set("role", found.role);
    c.env.seen.role = roleName(found.role);
    if (found.role.kind === "gateway" && !isDecide)
      return failure({
        code: "forbidden",
        message: "a gateway token may only ask POST /v1/decide",
      });
    await next();
  });

  // ---- decisions for other protocols -------------------------------------------
  app.post("/v1/decide", async (c) => {
    if (role(c).kind === "domain-admin")
      forbid("deciding is for gateways and server administrators");
    const b = objectBody(await body(c), { account: "string", feature: "string" });
    const decision = await engine
      .by(`decide:${roleName(role(c))}`)
      .connect(b.account as string, b.feature as string);
    if ("error" in decision) return failure(decision.error);
    return json(decision);
  });

  // ---- who am I -------------------------------------------------------------------
  app.get("/v1/whoami", (c) => json(role(c)));

  // ---- directory ------------------------------------------------------------------
  app.get("/v1/directory", async (c) => {
    const got = unwrap(await engine.directory(), "directory");
    const r = role(c);
    if (r.kind !== "domain-admin") return json(got);
    const own = got.domains[r.domain];
    return json({ server: got.server, domains: own ? { [r.domain]: own } : {} });
  });

  app.post("/v1/domains", async (c) => {
    serverOnly(c);
    const b = objectBody(await body(c), { name: "string", settings: "object?" });
    return written(await as(c).createDomain(b.name as string, (b.settings ?? {}) as never), 201);
  });

  app.get("/v1/domains/:domain", async (c) => {
    const domain = c.req.param("domain").toLowerCase();
    ownDomain(c, domain);
    const view = unwrap(await engine.directory(), "directory").domains[domain];
    return view
      ? json({ name: domain, ...view })
      : failure({ code: "unknown-domain", message: `no domain \`${domain}\`` });
  });

  app.post("/v1/domains/:domain/classes", async (c) => {
    const domain = c.req.param("domain").toLowerCase();
    ownDomain(c, domain);
    const b = objectBody(await body(c), { name: "string", settings: "object?" });
    return written(
      await as(c).createClass(domain, b.name as string, (b.settings ?? {}) as never),
      201,
    );
  });

  app.get("/v1/domains/:domain/accounts", async (c) => {
    const domain = c.req.param("domain").toLowerCase();
    ownDomain(c, domain);
    if (!unwrap(await engine.directory(), "directory").domains[domain])
      return failure({ code: "unknown-domain", message: `no domain \`${domain}\`` });
    return json(
      unwrap(
        await engine.accounts({ domain, after: c.req.query("after"), limit: pageLimit(c) }),
        "page",
      ),
    );
  });

  // ---- accounts -------------------------------------------------------------------
  app.post("/v1/accounts", async (c) => {
    const b = objectBody(await body(c), {
      id: "string",
      type: "string?",
      class: "string?",
      settings: "object?",
    });
    ownAccount(c, b.id as string);
    const options = {
      ...(b.type === undefined ? {} : { type: b.type }),
      ...(b.class === undefined ? {} : { class: b.class }),
      settings: b.settings ?? {},
    };
    return written(await as(c).createAccount(b.id as string, options as never), 201, scope(c));
  });

  app.get("/v1/accounts/:id", async (c) => {
    const id = ownAccount(c, c.req.param("id"));
    return json(unwrap(await engine.account(id), "account"));
  });

  app.delete("/v1/accounts/:id", async (c) => {
    const id = ownAccount(c, c.req.param("id"));
    return written(await as(c).deleteAccount(id));
  });

  app.put("/v1/accounts/:id/type", async (c) => {
    const id = ownAccount(c, c.req.param("id"));
    const b = objectBody(await body(c), { type: "string" });
    return written(await as(c).setType(id, b.type as never));
  });

  // ---- settings at any node -------------------------------------------------------------
  app.put("/v1/settings", async (c) => {
    const b = objectBody(await body(c), { node: "string", feature: "string", value: "string" });
    ownNode(c, b.node as string);
    return written(
      await as(c).set(b.node as string, b.feature as string, b.value as never),
      200,
      scope(c),
    );
  });

  // ---- licence --------------------------------------------------------------------------
  app.get("/v1/licence", async () => {
    const view = unwrap(await engine.licence(), "licence");
    return json({ ...view, signature: view.signedBy ? "verified" : "unsigned" });
  });

  app.put("/v1/licence", async (c) => {
    serverOnly(c);
    const file = await body(c);
    if (file === null || typeof file !== "object" || Array.isArray(file))
      return invalid("a licence file is a JSON object");
    const force = c.req.query("force");
    if (force !== undefined && force !== "true" && force !== "false")
      return invalid("`force`: expected true or false");
    const result = await as(c).uploadLicence(file as object, {
      trustedKeys: options.licence.trustedKeys,
      allowUnsigned: options.licence.devMode ?? false,
      force: force === "true",
    });
    if (!result.ok) return failure(result.error);
    const view = unwrap(await engine.licence(), "licence");
    return json({
      ok: true,
      signedBy: view.signedBy,
      signature: view.signedBy ? "verified" : "unsigned",
    });
  });

  // ---- seats ------------------------------------------------------------------------------
  app.get("/v1/seats", async () => {
    const { licence } = unwrap(await engine.licence(), "licence");
    const features = [];
    for (const feature of Object.keys(licence.features)) {
      const seats = unwrap(await engine.seats(feature), "seats");
      features.push({
        feature,
        limit: seats.limit,
        used: seats.holders.length,
        free: seats.free,
        waiting: seats.waiting,
      });
    }
    return json({ features });
  });

  app.get("/v1/seats/:feature", async (c) => {
    const seats = unwrap(await engine.seats(c.req.param("feature")), "seats");
    const r = role(c);
    const used = seats.holders.length;
    const holders =
      r.kind === "domain-admin"
        ? seats.holders.filter((h) => domainOf(h.account) === r.domain)
        : seats.holders;
    return json({ ...seats, used, holders });
  });

  app.get("/v1/seats/:feature/capped", async (c) => {
    return json(
      unwrap(
        await engine.capped(c.req.param("feature"), {
          after: c.req.query("after"),
          limit: pageLimit(c),
          domain: scope(c),
        }),
        "page",
      ),
    );
  });

  app.get("/v1/seats/:feature/waitlist", async (c) => {
    const offset = integerQuery(c, "offset", 0, Number.MAX_SAFE_INTEGER) ?? 0;
    return json(
      unwrap(
        await engine.waitlist(c.req.param("feature"), {
          offset,
          limit: pageLimit(c),
          domain: scope(c),
        }),
        "page",
      ),
    );
  });

  app.post("/v1/seats/:feature/restore-capped", async (c) => {
    serverOnly(c);
    return written(await as(c).restoreCapped(c.req.param("feature")));
  });

  // ---- explain, log, export, check -----------------------------------------------------------
  app.get("/v1/explain", async (c) => {
    const account = c.req.query("account");
    const feature = c.req.query("feature");
    if (!account || !feature)
      return invalid("query parameters `account` and `feature` are required");
    ownAccount(c, account);
    return json(unwrap(await engine.explain(account, feature), "explanation"));
  });

  app.get("/v1/log", async (c) => {
    const domain = scope(c);
    const page = unwrap(
      await engine.log({ after: c.req.query("after"), limit: pageLimit(c), domain }),
      "page",
    );
    if (domain === undefined) return json(page);
    // An entry that also touched other domains shows a domain admin only its own part.
    const mine = (node: string) => domainOfNode(node) === domain;
    const items = page.items.map((e) => ({
      ...e,
      domains: [domain],
      changes: e.changes.filter((ch) => mine(ch.node)),
      seats: e.seats.filter((s) => domainOf(s.account) === domain),
    }));
    return json({ ...page, items });
  });

  app.get("/v1/export", async (c) => {
    serverOnly(c);
    return json(unwrap(await engine.exportScenario(), "scenario"), 200, {
      "content-disposition": 'attachment; filename="seatcap-scenario.json"',
    });
  });

  app.get("/v1/check", async (c) => {
    serverOnly(c);
    return json(unwrap(await engine.audit(), "audit"));
  });

  // ---- moving whole scenarios in ---------------------------------------------------------------
  // A SPEC scenario (without events) replaces or seeds the store: a backup restored, a Node
  // server's export moved to a Worker, a what-if made live.
  app.post("/v1/import", async (c) => {
    serverOnly(c);
    const replace = c.req.query("replace");
    if (replace !== undefined && replace !== "true" && replace !== "false")
      return invalid("`replace`: expected true or false");
    const force = c.req.query("force");
    if (force !== undefined && force !== "true" && force !== "false")
      return invalid("`force`: expected true or false");
    const scenario = await bulk(c);
    if (scenario === null || typeof scenario !== "object" || Array.isArray(scenario))
      return invalid("a scenario is a JSON object");
    return written(
      await as(c).importScenario(scenario as never, {
        replace: replace === "true",
        force: force === "true",
      }),
    );
  });

  // SPEC scenario events, run in order as `simulate` runs them (each at its own `at`, else one
  // second after the one before, the first at `start`, else now), each in its own commit: replays
  // a recorded scenario or a what-if against the live store. A malformed event answers
  // `invalid-input` and changes nothing, exactly as `simulate` records it.
  app.post("/v1/events", async (c) => {
    serverOnly(c);
    const b = objectBody(await bulk(c), { events: "array", start: "string?" });
    const start = b.start as string | undefined;
    if (start !== undefined && Number.isNaN(Date.parse(start)))
      return invalid("`start`: expected an ISO-8601 time");
    const outcomes: (ConnectResult | WriteResult)[] = await as(c).replay(
      // Each event as its JSON text, so a string in the list is a (malformed) event, not event text.
      (b.events as unknown[]).map((e) => JSON.stringify(e)),
      start === undefined ? {} : { start },
    );
    return json({ outcomes });
  });

  return app;
}

// ---- helpers -------------------------------------------------------------------------------------

function forbid(message: string): never {
  throw new HttpError({ code: "forbidden", message });
}

function serverOnly(c: Context<Env>): void {
  if (c.get("role").kind !== "server-admin") forbid("only a server administrator may do this");
}

/** The domain a domain administrator is limited to; `undefined` for a server administrator. */
function scope(c: Context<Env>): string | undefined {
  const r = c.get("role");
  return r.kind === "domain-admin" ? r.domain : undefined;
}

function ownDomain(c: Context<Env>, domain: string): void {
  const own = scope(c);
  if (own !== undefined && own !== domain.toLowerCase())
    forbid(`a domain administrator of ${own} may not act on ${domain}`);
}

function domainOf(account: string): string {
  return account.slice(account.lastIndexOf("@") + 1).toLowerCase();
}

/** The account id, after checking a domain administrator may touch it. */
function ownAccount(c: Context<Env>, id: string): string {
  if (!id.includes("@"))
    throw new HttpError({
      code: "invalid-input",
      message: `\`${id}\` is not an account id (local@domain)`,
    });
  ownDomain(c, domainOf(id));
  return id;
}

/** The domain a node (`domain:d`, `class:d/c`, `account:x@d`) belongs to; `undefined` for `server`, `licence`, `policy`. */
function domainOfNode(node: string): string | undefined {
  const colon = node.indexOf(":");
  if (colon < 0) return undefined;
  const kind = node.slice(0, colon);
  const rest = node.slice(colon + 1);
  return (
    kind === "account" ? domainOf(rest) : kind === "class" ? rest.split("/")[0]! : rest
  ).toLowerCase();
}

function ownNode(c: Context<Env>, node: string): void {
  const own = scope(c);
  if (own === undefined) return;
  if (node === "server") forbid("only a server administrator may change the server's settings");
  ownDomain(c, domainOfNode(node) ?? node);
}

function pageLimit(c: Context<Env>): number | undefined {
  return integerQuery(c, "limit", 1, 10_000);
}

function integerQuery(c: Context<Env>, name: string, min: number, max: number): number | undefined {
  const text = c.req.query(name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new HttpError({
      code: "invalid-input",
      message: `\`${name}\`: expected a whole number from ${min} to ${max}`,
    });
  return n;
}

/** The value of a successful read, or the engine's refusal as the HTTP error. */
function unwrap<K extends string, T>(result: Read<K, T>, field: K): T {
  if (result.type === "failure") throw new HttpError(result.error as ErrorBody);
  return (result as unknown as Record<K, T>)[field];
}

function written(result: WriteResult, status = 200, domain?: string): Response {
  if (result.ok) return json({ ok: true }, status);
  // R6's refusal lists the holders to disable; a domain administrator sees only its own domain's.
  const holders = result.error.holders;
  if (domain !== undefined && holders)
    return failure({ ...result.error, holders: holders.filter((h) => domainOf(h) === domain) });
  return failure(result.error);
}
