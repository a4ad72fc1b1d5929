// Abuse defences of the edge server: request rates per client address, per
// account and per token (429 + Retry-After), a lockout of addresses that keep
// presenting bad admin tokens, and bounds on concurrent upstream requests
// (503 + Retry-After). Counters live in this process (or Worker isolate):
// they bound what one caller costs one host, not a distributed flood, which
// belongs to the network edge in front.
//
// API (one `Limits` per handler; `createHandler` makes it from `ServerOptions.limits`):
//
//   await limits.address(client.address, { json })   → undefined | Response(429)   every request but /v1/health
//   await limits.lockedOut(address)                    → undefined | Response(429)   before a token is looked at
//   await limits.badToken(address)                     → counts one bad token from the address
//   await limits.token(tokenId)                        → undefined | Response(429)   after a token is accepted
//   await limits.account(account, authorization)       → undefined | Response(429)   gateway, per account
//   await limits.upstreamSlot(account, authorization)  → release() | Response(503)   gateway, around each
//                                                         upstream request; call release() once the upstream's
//                                                         response body has ended or failed (long-polls hold
//                                                         their slot for as long as they last)
//
// The gateway's per-account budgets (rate and concurrency) are keyed on the
// account *and* a digest of its `Authorization` value: a stranger who sends a
// victim's name with a wrong password spends a budget of its own, never the
// victim's, so naming an account cannot lock its owner out.
/// <reference path="./vendor-modules.d.ts" />
// Its file, not the package name: the package declares only `main`, which a neutral (Worker) bundle does not read.
import ipaddr from "ipaddr.js/lib/ipaddr.js";
import type { RateLimiterMemory as MemoryLimiter, RateLimiterRes } from "rate-limiter-flexible";
// The one limiter module, not the package index: the index also loads the Redis, cluster and SQL
// limiters, which need Node built-ins a Worker lacks.
import RateLimiterMemory from "rate-limiter-flexible/lib/RateLimiterMemory.js";
import type { Sha256 } from "./auth.js";
import { failure, gatewayText } from "./respond.js";

export interface LimitsConfig {
  /**
   * Requests a window from one client address (IPv6 by /64), gateway and API alike; 0: no limit.
   * Loopback peers are not counted: they are a proxy on the same host (whose clients share its
   * address unless `--trust-proxy` names it) or a local tool, not one client.
   */
  perAddress: number;
  /** Gateway requests a window for one account with one set of credentials; 0: no limit. */
  perAccount: number;
  /**
   * Admin API requests a window with one token; 0: no limit. `POST /v1/decide` is not counted: a
   * protocol gateway asks it for every user's connect, so its rate is its users'.
   */
  perToken: number;
  /** The rate window, in seconds. */
  windowSeconds: number;
  /** Bad tokens from one address within `lockoutWindowSeconds` that lock it out; 0: never. */
  lockoutAfter: number;
  lockoutWindowSeconds: number;
  /** How long a locked-out address is refused every API request, a good token's too. */
  lockoutSeconds: number;
  /** Upstream requests in flight at once, long-polls included; 0: no bound. */
  maxUpstream: number;
  /** Upstream requests in flight at once for one account with one set of credentials; 0: no bound. */
  maxUpstreamPerAccount: number;
}

/**
 * Safe defaults: far above what legitimate clients do (an ActiveSync device
 * makes a few requests a minute, holds one Ping and bursts to a few dozen
 * requests while it first syncs; an office behind one NAT address is a few
 * hundred devices), low enough that one address or one account costs a
 * small share of a host.
 */
export const DEFAULT_LIMITS: LimitsConfig = {
  perAddress: 3000,
  perAccount: 1200,
  perToken: 1200,
  windowSeconds: 60,
  lockoutAfter: 10,
  lockoutWindowSeconds: 600,
  lockoutSeconds: 900,
  maxUpstream: 2048,
  maxUpstreamPerAccount: 16,
};

/** How long a client is told to wait when the upstream bound is reached. */
const BUSY_RETRY_SECONDS = 5;

/** Node's `http.Server` knobs, typed structurally so this module imports nothing from Node. */
export interface ServerKnobs {
  maxConnections?: number;
  headersTimeout?: number;
  requestTimeout?: number;
}

/** Node's `http.createServer` options for these bounds (the timeouts are only enforced every `connectionsCheckingInterval`). */
export interface NodeServerOptions {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
}

export interface ServerBounds {
  /** Open client connections at once; more are closed as they arrive. */
  maxConnections: number;
  /** Time a client has to send its request headers (slowloris). */
  headersTimeoutMs: number;
  /** Time a client has to send its whole request; the response (a Ping of up to 3600 s) is not counted. */
  requestTimeoutMs: number;
}

export const DEFAULT_SERVER_BOUNDS: ServerBounds = {
  maxConnections: 4096,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 300_000,
};

/**
 * The options to create a Node `http(s).Server` with (`@hono/node-server`'s `serverOptions`): Node
 * checks these timeouts only every `connectionsCheckingInterval` (30 s by default), which it reads
 * when the server starts listening, so they must be given at creation.
 */
export function nodeServerOptions(bounds: Partial<ServerBounds> = {}): NodeServerOptions {
  const b = { ...DEFAULT_SERVER_BOUNDS, ...bounds };
  return {
    headersTimeout: b.headersTimeoutMs,
    requestTimeout: b.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(2000, b.headersTimeoutMs),
  };
}

/** Sets the connection bound on a Node `http(s).Server`, listening or not (`@hono/node-server`'s `serve` returns one). */
export function boundServer(server: ServerKnobs, bounds: Partial<ServerBounds> = {}): void {
  server.maxConnections = { ...DEFAULT_SERVER_BOUNDS, ...bounds }.maxConnections;
}

const webSha256: Sha256 = async (text) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));

export class Limits {
  readonly config: LimitsConfig;
  private readonly perAddress?: MemoryLimiter;
  private readonly perAccount?: MemoryLimiter;
  private readonly perToken?: MemoryLimiter;
  private readonly failures?: MemoryLimiter;
  private readonly sha256: Sha256;
  private inFlight = 0;
  private readonly inFlightBy = new Map<string, number>();

  constructor(config: Partial<LimitsConfig> = {}, options: { sha256?: Sha256 } = {}) {
    this.config = { ...DEFAULT_LIMITS, ...config };
    const c = this.config;
    const make = (points: number, duration: number) =>
      points > 0 ? (new RateLimiterMemory({ points, duration }) as MemoryLimiter) : undefined;
    this.perAddress = make(c.perAddress, c.windowSeconds);
    this.perAccount = make(c.perAccount, c.windowSeconds);
    this.perToken = make(c.perToken, c.windowSeconds);
    // The limiter blocks when a point is spent beyond its budget: a budget of one fewer than
    // `lockoutAfter` locks the address on its `lockoutAfter`-th bad token.
    this.failures =
      c.lockoutAfter > 0
        ? (new RateLimiterMemory({
            points: c.lockoutAfter - 1,
            duration: c.lockoutWindowSeconds,
            blockDuration: c.lockoutSeconds,
          }) as MemoryLimiter)
        : undefined;
    this.sha256 = options.sha256 ?? webSha256;
  }

  /** One request from a client address; `json` answers an API caller in the API's error shape. */
  async address(address: string | undefined, { json = false } = {}): Promise<Response | undefined> {
    // An unknown address (an in-process caller, a Worker without cf-connecting-ip) is nobody's to count.
    if (address === undefined || !this.perAddress || isLoopback(address)) return undefined;
    const wait = await spend(this.perAddress, addressKey(address));
    if (wait === undefined) return undefined;
    const message = `too many requests from this address; retry in ${wait} s`;
    return json
      ? failure({ code: "rate-limited", message }, { "retry-after": String(wait) })
      : gatewayText(429, message, { "retry-after": String(wait) });
  }

  /**
   * An API refusal while the address is locked out for bad tokens, else `undefined`. Loopback is
   * never locked out: it is a proxy on the same host, and locking it would lock out every
   * administrator behind it (`--trust-proxy` makes each client count on its own).
   */
  async lockedOut(address: string | undefined): Promise<Response | undefined> {
    if (address === undefined || !this.failures || isLoopback(address)) return undefined;
    const seen = await this.failures.get(addressKey(address));
    if (!seen || seen.consumedPoints < this.config.lockoutAfter) return undefined;
    const wait = retrySeconds(seen);
    return failure(
      {
        code: "rate-limited",
        message: `too many bad tokens from this address; locked out for ${wait} s`,
      },
      { "retry-after": String(wait) },
    );
  }

  /** Counts a bad (or unreadable) token presented from the address. */
  async badToken(address: string | undefined): Promise<void> {
    if (address === undefined || !this.failures || isLoopback(address)) return;
    await spend(this.failures, addressKey(address));
  }

  /** One API request with an accepted token, named by its `Tokens` id. */
  async token(id: string): Promise<Response | undefined> {
    if (!this.perToken) return undefined;
    const wait = await spend(this.perToken, id);
    if (wait === undefined) return undefined;
    return failure(
      { code: "rate-limited", message: `too many requests with this token; retry in ${wait} s` },
      { "retry-after": String(wait) },
    );
  }

  /** One gateway request for `account` with these credentials (the `Authorization` value, or null). */
  async account(
    account: string,
    authorization: string | null = null,
  ): Promise<Response | undefined> {
    if (!this.perAccount) return undefined;
    const wait = await spend(this.perAccount, await this.accountKey(account, authorization));
    if (wait === undefined) return undefined;
    return gatewayText(429, `too many requests for ${account}; retry in ${wait} s`, {
      "retry-after": String(wait),
    });
  }

  /**
   * A place for one upstream request: a `release` function to call exactly once when it is over
   * (later calls do nothing), or the 503 to answer when the bound is reached.
   */
  async upstreamSlot(
    account?: string,
    authorization: string | null = null,
  ): Promise<(() => void) | Response> {
    const { maxUpstream, maxUpstreamPerAccount } = this.config;
    const key = account === undefined ? undefined : await this.accountKey(account, authorization);
    const mine = key === undefined ? 0 : (this.inFlightBy.get(key) ?? 0);
    const busy = { "retry-after": String(BUSY_RETRY_SECONDS) };
    if (maxUpstream > 0 && this.inFlight >= maxUpstream)
      return gatewayText(503, "the mail server is busy; try again shortly", busy);
    if (key !== undefined && maxUpstreamPerAccount > 0 && mine >= maxUpstreamPerAccount) {
      return gatewayText(
        503,
        `too many requests in progress for ${account}; try again shortly`,
        busy,
      );
    }
    this.inFlight++;
    if (key !== undefined) this.inFlightBy.set(key, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      if (key === undefined) return;
      const left = (this.inFlightBy.get(key) ?? 1) - 1;
      if (left > 0) this.inFlightBy.set(key, left);
      else this.inFlightBy.delete(key);
    };
  }

  /** Upstream requests in flight now (for tests and health). */
  get upstreamInFlight(): number {
    return this.inFlight;
  }

  private async accountKey(account: string, authorization: string | null): Promise<string> {
    const digest = await this.sha256(authorization ?? "");
    let hex = "";
    for (let i = 0; i < 12; i++) hex += digest[i]!.toString(16).padStart(2, "0");
    return `${account.toLowerCase()}\u0000${hex}`;
  }
}

/** Spends one point; the seconds to wait when none was left, else `undefined`. */
async function spend(limiter: MemoryLimiter, key: string): Promise<number | undefined> {
  try {
    await limiter.consume(key);
    return undefined;
  } catch (e) {
    // The memory limiter rejects only with its result (no store to fail).
    return retrySeconds(e as RateLimiterRes);
  }
}

function retrySeconds(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

function isLoopback(address: string): boolean {
  return ipaddr.isValid(address) && ipaddr.process(address).range() === "loopback";
}

/**
 * The key an address is counted under: IPv4 as is (also when written as
 * IPv4-mapped IPv6), IPv6 by its /64, since one subscriber gets a whole /64
 * and could otherwise rotate through it.
 */
export function addressKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === "ipv4") return parsed.toString();
  return `${(parsed as ipaddr.IPv6).parts
    .slice(0, 4)
    .map((p: number) => p.toString(16))
    .join(":")}::/64`;
}
