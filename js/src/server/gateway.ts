// The ActiveSync gateway: the engine decides whether the account may use
// the feature (SPEC R2–R5, R12); an allowed request goes to the mail server
// untouched and its answer comes back untouched, a denied one never leaves.
import type { ConnectResult } from "../engine.js";
import type { EngineApi } from "../engine-calls.js";
import type { Reason } from "../types.js";

/**
 * Sends a request to the upstream mail server and answers its response,
 * streaming both bodies (the Node host uses node:http so nothing is
 * re-encoded; a Worker uses `fetch`).
 */
export type Forward = (request: Request, target: URL, client: ClientInfo) => Promise<Response>;

export interface ClientInfo {
  /** The caller's address, when the host knows it (becomes `X-Forwarded-For`). */
  address?: string;
}

export interface GatewayOptions {
  engine: EngineApi;
  /** The feature a connection uses (default `activesync`). */
  feature?: string;
  /** Base URL of the mail server; unset, allowed requests answer 502. */
  upstream?: URL;
  forward: Forward;
  /**
   * Before a connect that would claim a seat or cap the account, ask the mail server whether the
   * credentials are good (an `OPTIONS` with the same `Authorization`): a stranger who knows an
   * account name can't take its seat or get it capped (default true).
   */
  verifyNewClaims?: boolean;
}

const HOP_BY_HOP = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

const SAYS: Partial<Record<Reason, string>> = {
  disabled: "the feature is disabled for this account",
  capped: "every seat of the licence is taken; an administrator must free one",
  waitlisted: "every seat is taken; the account is on the waiting list",
  "not-premium": "the account is not premium",
  "unknown-account": "no such account",
  "unknown-feature": "the licence does not include this feature",
  "licence-expired": "the licence has expired",
  "invalid-input": "the account name is not valid",
};

/**
 * The account a request is for: the HTTP Basic user name (`user@domain`, or
 * `DOMAIN\user` as Windows clients send it), else the `User` query parameter.
 */
export function accountOf(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  const basic = header ? /^Basic[ \t]+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  let name: string | undefined;
  if (basic) {
    try {
      const decoded = new TextDecoder().decode(Uint8Array.from(atob(basic[1]!), (ch) => ch.charCodeAt(0)));
      const colon = decoded.indexOf(":");
      name = colon >= 0 ? decoded.slice(0, colon) : decoded;
    } catch {
      name = undefined;
    }
  }
  if (!name) name = new URL(request.url).searchParams.get("User") ?? undefined;
  if (!name) return undefined;
  const windows = /^([^\\@]+)\\([^\\@]+)$/.exec(name);
  return windows ? `${windows[2]}@${windows[1]}` : name;
}

export function isGatewayPath(pathname: string): boolean {
  const lower = pathname.toLowerCase();
  return lower === "/microsoft-server-activesync" || lower.startsWith("/microsoft-server-activesync/");
}

export async function gateway(request: Request, options: GatewayOptions, client: ClientInfo = {}): Promise<Response> {
  const feature = options.feature ?? "activesync";
  const url = new URL(request.url);
  const target = options.upstream ? upstreamUrl(options.upstream, url) : undefined;
  // OPTIONS asks what the server supports: no account uses a seat for it.
  if (request.method === "OPTIONS") return forwardTo(request, target, options, client);
  const account = accountOf(request);
  if (account === undefined) {
    return new Response("seatcap: sign in with your mail account\n", {
      status: 401,
      headers: { "www-authenticate": 'Basic realm="ActiveSync"', "content-type": "text/plain; charset=utf-8" },
    });
  }
  let decision: ConnectResult;
  // With or without an Authorization header: a bare `?User=` must not claim anyone's seat either.
  if (target && (options.verifyNewClaims ?? true)) {
    // The hot path: a holder's connect in one step. Only a connect that would claim, cap or waitlist
    // checks the credentials with the mail server first.
    const tried = await options.engine.tryConnect(account, feature);
    if ("pending" in tried) {
      const probe = await credentialsRejected(request, target, options, client);
      if (probe) return probe;
      decision = await options.engine.connect(account, feature);
    } else {
      decision = tried;
    }
  } else {
    decision = await options.engine.connect(account, feature);
  }
  if ("error" in decision) {
    return new Response(`seatcap: could not decide (${decision.error.code}); try again\n`, {
      status: 503,
      headers: { "x-seatcap-reason": decision.error.code, "retry-after": "5", "content-type": "text/plain; charset=utf-8" },
    });
  }
  if (!decision.allowed) {
    const says = SAYS[decision.reason] ?? decision.reason;
    return new Response(`seatcap: ActiveSync denied for ${account}: ${decision.reason} (${says})\n`, {
      status: 403,
      headers: { "x-seatcap-reason": decision.reason, "content-type": "text/plain; charset=utf-8" },
    });
  }
  return forwardTo(request, target, options, client);
}

/** The request's path and query under the upstream's own path (`http://mail/base/` + `/Microsoft-Server-ActiveSync?…`). */
export function upstreamUrl(upstream: URL, url: URL): URL {
  const target = new URL(upstream.href);
  target.pathname = upstream.pathname.replace(/\/+$/, "") + url.pathname;
  target.search = url.search;
  return target;
}

/** The mail server's answer to the request, or 502 when there is no mail server to ask. */
async function forwardTo(request: Request, target: URL | undefined, options: GatewayOptions, client: ClientInfo): Promise<Response> {
  if (!target) return upstreamDown("no upstream mail server is configured");
  try {
    return await options.forward(upstreamRequest(request, target, client), target, client);
  } catch (e) {
    return upstreamDown(`the upstream mail server did not answer: ${(e as Error).message}`);
  }
}

/** The request as the upstream gets it: method, headers (but hop-by-hop) and streamed body intact, plus `X-Forwarded-*`. */
export function upstreamRequest(request: Request, target: URL, client: ClientInfo): Request {
  const headers = new Headers(request.headers);
  const listed = (headers.get("connection") ?? "").split(",").map((h) => h.trim().toLowerCase());
  for (const h of [...HOP_BY_HOP, ...listed]) if (h) headers.delete(h);
  const url = new URL(request.url);
  if (client.address) {
    const prior = headers.get("x-forwarded-for");
    headers.set("x-forwarded-for", prior ? `${prior}, ${client.address}` : client.address);
  }
  headers.set("x-forwarded-proto", url.protocol.replace(":", ""));
  if (!headers.has("x-forwarded-host") && request.headers.has("host")) headers.set("x-forwarded-host", request.headers.get("host")!);
  const hasBody = request.body !== null && !["GET", "HEAD"].includes(request.method);
  return new Request(target, {
    method: request.method,
    headers,
    body: hasBody ? request.body : null,
    redirect: "manual",
    // Stream the body instead of buffering it (required by fetch for a stream body).
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** The upstream's 401/403 when it refuses the credentials, else `undefined` (including when it can't be asked). */
async function credentialsRejected(request: Request, target: URL, options: GatewayOptions, client: ClientInfo): Promise<Response | undefined> {
  const headers = new Headers();
  for (const h of ["authorization", "user-agent", "host", "ms-asprotocolversion"]) {
    const v = request.headers.get(h);
    if (v !== null) headers.set(h, v);
  }
  try {
    const probe = await options.forward(new Request(target, { method: "OPTIONS", headers }), target, client);
    if (probe.status === 401 || probe.status === 403) return probe;
    await probe.body?.cancel();
  } catch {
    // An upstream that can't be reached will fail the real request too; the decision goes ahead.
  }
  return undefined;
}

function upstreamDown(message: string): Response {
  return new Response(`seatcap: ${message}\n`, { status: 502, headers: { "content-type": "text/plain; charset=utf-8" } });
}
