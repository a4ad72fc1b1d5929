// The ActiveSync gateway: the engine decides whether the account may use
// the feature (SPEC R2–R5, R12); an allowed request goes to the mail server
// untouched and its answer comes back untouched, a denied one never leaves.
//
// Nothing is written and nothing is told for a caller the mail server has
// not accepted: a holder's request is forwarded and its `lastSeen` (R3) moves
// only once the mail server's status shows it accepted the credentials; a
// claim, a cap, a waitlisting and every denial wait for the credentials to be
// verified (see credentials.ts), failing closed.
import type { ConnectResult } from "../engine.js";
import type { EngineApi } from "../engine-calls.js";
import type { Decision, Reason } from "../types.js";
import type { Config } from "./config.js";
import { CredentialCheck } from "./credentials.js";
import { identify, type LoginNames } from "./identity.js";

/**
 * Sends a request to the upstream mail server and answers its response,
 * streaming both bodies and honouring `request.signal` (the Node host uses
 * undici so nothing is re-encoded; a Worker uses `fetch`).
 */
export type Forward = (request: Request, target: URL, client: ClientInfo) => Promise<Response>;

/** What the host knows of the caller, after its `--trust-proxy` rule was applied. */
export interface ClientInfo {
  /** The caller's address (keys per-address limits; the `X-Forwarded-For` the upstream gets when `forwardedFor` is unset). */
  address?: string;
  /** The whole `X-Forwarded-For` the upstream gets: trusted proxies' entries, then the peer that reached this host. */
  forwardedFor?: string;
  /** The scheme the caller used (`https` behind a TLS terminator that is trusted); default: the request URL's. */
  proto?: string;
  /** The host name the caller asked for, when a trusted proxy says so; default: the request's `Host`. */
  host?: string;
  /** Keeps work that outlives the response running (a Worker's `ctx.waitUntil`). */
  defer?: (work: Promise<unknown>) => void;
}

/** Bounds the gateway asks before it decides or forwards (rate limits, concurrency); see limits.ts. */
export interface GatewayLimits {
  /** A 429 for this account with these credentials, or undefined to go on. */
  account(account: string, authorization: string | null): Promise<Response | undefined>;
  /** A slot for one upstream request: a release function, or a refusal (503). */
  upstreamSlot(
    account: string | undefined,
    authorization: string | null,
  ): Promise<(() => void) | Response>;
}

export interface GatewayOptions {
  engine: EngineApi;
  /** The feature a connection uses (default `activesync`). */
  feature?: string;
  /** Base URL of the mail server; unset, every request answers 502. */
  upstream?: URL;
  forward: Forward;
  /**
   * Check credentials with the mail server before anything is written or told (default true).
   * `false` trusts the Basic user name as is: only for a mail server whose clients are
   * authenticated in front of seatcap.
   */
  verifyNewClaims?: boolean;
  /** How credentials are checked (see `CredentialCheck`); made from `forward` when absent. */
  credentials?: CredentialCheck;
  /** How login names become account ids. */
  loginNames?: LoginNames;
  limits?: GatewayLimits;
  /**
   * Hold an upstream slot until the response body ends (default true). A Worker sets false: reading
   * a fetched body in JavaScript makes workerd decode it (and re-encode it), so there the slot is
   * released when the response's head arrives and the body is passed on untouched.
   */
  slotsSpanBodies?: boolean;
  /** Runs work that may outlive the response (a Worker's `ctx.waitUntil`); default: detached. */
  defer?: (work: Promise<unknown>) => void;
  /** Where background failures are reported (a holder's `lastSeen` that could not be written). */
  warn?: (message: string) => void;
}

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];
const FORWARDED = ["forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"];

/** What a denial says when the engine has no explanation at hand. */
const SAYS: Partial<Record<Reason, string>> = {
  disabled: "the feature is disabled for this account; an administrator can enable it",
  capped:
    "the account was capped when every seat was taken; an administrator must enable it or restore capped accounts",
  waitlisted: "every seat is taken; the account is on the waiting list and gets the next free seat",
  "not-premium": "the account is not premium; an administrator can make it premium",
  "unknown-account": "seatcap has no such account; an administrator must add it to the directory",
  "unknown-feature": "the licence does not include this feature",
  "licence-expired": "the licence has expired; an administrator must install a new one",
  "invalid-input": "the account name is not valid",
};

/** Statuses with which the mail server refuses the caller's credentials. */
const refused = (status: number) => status === 401 || status === 403;

export function isGatewayPath(pathname: string): boolean {
  const lower = pathname.toLowerCase();
  return (
    lower === "/microsoft-server-activesync" || lower.startsWith("/microsoft-server-activesync/")
  );
}

/** The credential check a gateway uses: the configured one, else one made (once) from its `forward`. */
const madeChecks = new WeakMap<Forward, CredentialCheck>();
function checkOf(options: GatewayOptions): CredentialCheck {
  if (options.credentials) return options.credentials;
  let made = madeChecks.get(options.forward);
  if (!made) {
    made = new CredentialCheck({ forward: options.forward });
    madeChecks.set(options.forward, made);
  }
  return made;
}

/**
 * The gateway settings that come from the server's configuration, the same in the Node server and
 * the Worker: how claims are verified with the mail server over `forward`, login names, the feature.
 */
export function gatewaySettings(
  config: Config,
  forward: Forward,
): Pick<GatewayOptions, "verifyNewClaims" | "credentials" | "loginNames" | "feature"> {
  return {
    verifyNewClaims: config.verifyNewClaims,
    credentials: new CredentialCheck({
      forward,
      mode: config.credentialCheck,
      cacheTtlMs: config.credentialCacheMs,
      timeoutMs: config.probeTimeoutMs,
    }),
    loginNames: {
      ...(config.defaultDomain === undefined ? {} : { defaultDomain: config.defaultDomain }),
      netbios: config.netbios,
    },
    feature: config.feature,
  };
}

export async function gateway(
  request: Request,
  options: GatewayOptions,
  client: ClientInfo = {},
): Promise<Response> {
  const feature = options.feature ?? "activesync";
  if (!options.upstream) return answer(502, "no upstream mail server is configured", "no-upstream");
  const target = upstreamUrl(options.upstream, new URL(request.url));
  // OPTIONS asks what the server supports: no account uses a seat for it.
  if (request.method === "OPTIONS")
    return forwardTo(request, identified(request, options), target, options, client);
  const identity = identify(request.headers.get("authorization"), options.loginNames);
  if (identity.kind === "anonymous") return signIn("sign in with your mail account");
  if (identity.kind === "unreadable") return signIn(identity.why);
  const account = identity.account;
  const limited = await options.limits?.account(
    account.toLowerCase(),
    request.headers.get("authorization"),
  );
  if (limited) return limited;
  // `--no-verify-claims`: the user name is trusted, as the mail server's own front end authenticated it.
  if (options.verifyNewClaims === false)
    return connectAndForward(request, account, feature, target, options, client);

  const peek = await options.engine.peekConnect(account, feature);
  if ("error" in peek) return undecided(peek);
  // The hot path: a holder's request goes straight on; R3 is applied once the mail server accepted it.
  if (!("pending" in peek) && peek.allowed)
    return forwardHolder(request, account, feature, target, options, client);

  // Anything else writes (a claim, a cap, a waitlisting) or tells (a denial): the caller must be verified first.
  const check = checkOf(options);
  const verdict = await check.verify(request, target, client);
  if (verdict.verdict === "rejected") return verdict.response;
  if (verdict.verdict === "unverifiable") {
    const wouldClaim = "pending" in peek && peek.pending.allowed;
    // A mail server whose OPTIONS checks nothing: the real request's status verifies a claim.
    if (verdict.why === "open" && wouldClaim)
      return claimOnRequest(request, account, feature, target, options, client, check);
    return unverified(verdict.why);
  }
  return connectAndForward(
    request,
    account,
    feature,
    target,
    options,
    client,
    "pending" in peek ? undefined : peek,
  );
}

/** Connects (unless `decided` already is the decision), then denies or forwards. */
async function connectAndForward(
  request: Request,
  account: string,
  feature: string,
  target: URL,
  options: GatewayOptions,
  client: ClientInfo,
  decided?: ConnectResult,
): Promise<Response> {
  const decision = decided ?? (await options.engine.connect(account, feature));
  if ("error" in decision) return undecided(decision);
  if (!decision.allowed) return deny(account, feature, decision, options);
  return forwardTo(request, account.toLowerCase(), target, options, client);
}

/** A holder's request: forwarded at once; its `lastSeen` moves once the mail server's status is known and is not a refusal. */
async function forwardHolder(
  request: Request,
  account: string,
  feature: string,
  target: URL,
  options: GatewayOptions,
  client: ClientInfo,
): Promise<Response> {
  const { response, reached } = await forwardOrFail(
    request,
    account.toLowerCase(),
    target,
    options,
    client,
  );
  if (reached && !refused(response.status)) {
    background(options, client, async () => {
      const touched = await options.engine.tryConnect(account, feature);
      if ("error" in touched)
        options.warn?.(`lastSeen of ${account} not written: ${touched.error.code}`);
      await checkOf(options).remember(request);
    });
  } else if (reached) {
    background(options, client, () => checkOf(options).forget(request));
  }
  return response;
}

/**
 * A would-be claim when the mail server's OPTIONS proves nothing: the real request goes first and
 * its response is held; only if the mail server accepted the caller is the seat claimed. Should the
 * claim then lose the last seat to a concurrent one, the response is dropped and the caller capped.
 */
async function claimOnRequest(
  request: Request,
  account: string,
  feature: string,
  target: URL,
  options: GatewayOptions,
  client: ClientInfo,
  check: CredentialCheck,
): Promise<Response> {
  const { response, reached } = await forwardOrFail(
    request,
    account.toLowerCase(),
    target,
    options,
    client,
  );
  if (!reached || refused(response.status) || response.status >= 500) return response;
  const decision = await options.engine.connect(account, feature);
  if (!("error" in decision) && decision.allowed) {
    await check.remember(request);
    return response;
  }
  await response.body?.cancel();
  return "error" in decision ? undecided(decision) : deny(account, feature, decision, options);
}

/** A 403 that says what happened and what an administrator can do, in the engine's words when it has them. */
async function deny(
  account: string,
  feature: string,
  decision: Decision,
  options: GatewayOptions,
): Promise<Response> {
  let why = SAYS[decision.reason] ?? decision.reason;
  const explained = await options.engine.explain(account, feature);
  if (explained.type === "success" && explained.explanation.decision.reason === decision.reason)
    why = explained.explanation.why;
  return answer(
    403,
    `ActiveSync denied for ${account.toLowerCase()}: ${decision.reason} — ${why}`,
    decision.reason,
  );
}

/** The request's path and query under the upstream's own path (`http://mail/base/` + `/Microsoft-Server-ActiveSync?…`). */
export function upstreamUrl(upstream: URL, url: URL): URL {
  const target = new URL(upstream.href);
  target.pathname = upstream.pathname.replace(/\/+$/, "") + url.pathname;
  target.search = url.search;
  return target;
}

/** The mail server's answer to the request, or the gateway's 502/504 when it gave none. */
async function forwardTo(
  request: Request,
  account: string | undefined,
  target: URL,
  options: GatewayOptions,
  client: ClientInfo,
): Promise<Response> {
  return (await forwardOrFail(request, account, target, options, client)).response;
}

/** Forwards `request` for `account` (lower-cased; it keys the per-account upstream bound). */
async function forwardOrFail(
  request: Request,
  account: string | undefined,
  target: URL,
  options: GatewayOptions,
  client: ClientInfo,
): Promise<{ response: Response; reached: boolean }> {
  const slot = await options.limits?.upstreamSlot(account, request.headers.get("authorization"));
  if (slot instanceof Response) return { response: slot, reached: false };
  try {
    const response = await options.forward(
      upstreamRequest(request, target, client),
      target,
      client,
    );
    if (slot && options.slotsSpanBodies === false) slot();
    return {
      response: slot && options.slotsSpanBodies !== false ? released(response, slot) : response,
      reached: true,
    };
  } catch (e) {
    slot?.();
    // The upstream's address stays out of public bodies; the operator's log has it.
    const timedOut =
      (e as Error)?.name === "TimeoutError" || /timeout/i.test(String((e as Error)?.message));
    options.warn?.(`upstream ${target.origin}: ${(e as Error)?.message ?? e}`);
    return timedOut
      ? {
          response: answer(
            504,
            "the mail server did not answer in time; try again",
            "upstream-timeout",
          ),
          reached: false,
        }
      : {
          response: answer(
            502,
            "the mail server did not answer; try again",
            "upstream-unreachable",
          ),
          reached: false,
        };
  }
}

/** The response with `release` called once its body has been sent or dropped (a held upstream slot). */
function released(response: Response, release: () => void): Response {
  if (!response.body) {
    release();
    return response;
  }
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    release();
  };
  // Released at the body's end, or when a client that goes away cancels it.
  const reader = response.body.getReader();
  const stream = new ReadableStream({
    pull: async (controller) => {
      const { value, done: end } = await reader.read();
      if (end) {
        once();
        controller.close();
      } else controller.enqueue(value);
    },
    cancel: async (reason) => {
      once();
      await reader.cancel(reason);
    },
  });
  return rebody(response, stream);
}

/** The same response with another body stream (status text and raw head kept). */
function rebody(response: Response, body: ReadableStream<Uint8Array>): Response {
  const out = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  const raw = rawHeadOf(response);
  if (raw) setRawHead(out, raw);
  return out;
}

/** The request as the upstream gets it: method, headers (but hop-by-hop) and streamed body intact, plus `X-Forwarded-*`. */
export function upstreamRequest(request: Request, target: URL, client: ClientInfo): Request {
  const headers = new Headers(request.headers);
  const listed = (headers.get("connection") ?? "").split(",").map((h) => h.trim().toLowerCase());
  for (const h of [...HOP_BY_HOP, ...listed]) if (h) headers.delete(h);
  const url = new URL(request.url);
  // Only the host's trust rule decides what a caller's X-Forwarded-* may say.
  const host = client.host ?? request.headers.get("host");
  for (const h of FORWARDED) headers.delete(h);
  const chain = client.forwardedFor ?? client.address;
  if (chain) headers.set("x-forwarded-for", chain);
  headers.set("x-forwarded-proto", client.proto ?? url.protocol.replace(":", ""));
  if (host) headers.set("x-forwarded-host", host);
  const hasBody = request.body !== null && !["GET", "HEAD"].includes(request.method);
  return new Request(target, {
    method: request.method,
    headers,
    body: hasBody ? request.body : null,
    redirect: "manual",
    signal: request.signal,
    // Stream the body instead of buffering it (required by fetch for a stream body).
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** The account an OPTIONS request's credentials name, for per-account bounds (undefined for the anonymous). */
function identified(request: Request, options: GatewayOptions): string | undefined {
  const identity = identify(request.headers.get("authorization"), options.loginNames);
  return identity.kind === "account" ? identity.account.toLowerCase() : undefined;
}

function background(
  options: GatewayOptions,
  client: ClientInfo,
  work: () => Promise<unknown>,
): void {
  const running = work().catch((e: unknown) =>
    options.warn?.(`background work failed: ${(e as Error)?.message ?? e}`),
  );
  (client.defer ?? options.defer)?.(running);
}

function answer(
  status: number,
  text: string,
  reason: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(`seatcap: ${text}\n`, {
    status,
    headers: {
      "x-seatcap-reason": reason,
      "content-type": "text/plain; charset=utf-8",
      ...headers,
    },
  });
}

function signIn(why: string): Response {
  return answer(401, why, "sign-in", {
    "www-authenticate": 'Basic realm="ActiveSync", charset="UTF-8"',
  });
}

function undecided(result: { error: { code: string } }): Response {
  return answer(503, `could not decide (${result.error.code}); try again`, result.error.code, {
    "retry-after": "5",
  });
}

function unverified(why: "down" | "timeout" | "open"): Response {
  if (why === "down")
    return answer(
      502,
      "the mail server could not check your credentials; try again",
      "upstream-unreachable",
      { "retry-after": "30" },
    );
  if (why === "timeout")
    return answer(
      504,
      "the mail server did not check your credentials in time; try again",
      "upstream-timeout",
      { "retry-after": "30" },
    );
  return answer(
    503,
    "seatcap could not verify your credentials with the mail server; an administrator must configure a credential check",
    "unverified",
    { "retry-after": "300" },
  );
}

// ---- raw response heads (the Node host writes status text and header order as the upstream sent them) ----

/** The upstream's status line text and headers in order, as received; only the Node host knows them. */
export interface RawHead {
  statusText: string;
  rawHeaders: string[];
}
const rawHeads = new WeakMap<Response, RawHead>();
export function setRawHead(response: Response, head: RawHead): void {
  rawHeads.set(response, head);
}
export function rawHeadOf(response: Response): RawHead | undefined {
  return rawHeads.get(response);
}
