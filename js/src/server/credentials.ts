// Does the mail server accept these credentials? seatcap never sees
// passwords, so before anything is written for a caller — a seat claimed, an
// account capped or waitlisted — and before a denial tells the caller
// anything, the mail server is asked. It fails closed: a mail server that is
// down, slow, or answers the question without checking credentials verifies
// nobody (issue 12, items 3 and 5).
// quick-lru: a small, dependency-free LRU with per-entry expiry that bundles for workerd as is.
import QuickLRU from "quick-lru";
import type { ClientInfo, Forward } from "./gateway.js";

export type Verdict =
  /** The mail server accepted the credentials (now, or within the cache's lifetime). */
  | { verdict: "accepted" }
  /** It refused them: its own answer (401/403) goes back to the caller. */
  | { verdict: "rejected"; response: Response }
  /**
   * It could not say: `down` (no answer), `timeout`, or `open` (its `OPTIONS` answers
   * without checking credentials, so a probe proves nothing).
   */
  | { verdict: "unverifiable"; why: "down" | "timeout" | "open" };

export interface CredentialCheckOptions {
  forward: Forward;
  /**
   * `auto` (default): probe with `OPTIONS` once seatcap has seen the mail server refuse a made-up
   * credential on `OPTIONS`; `options`: trust `OPTIONS` probes without that check; `request`: never
   * probe, verify a claim by the real request's own status (denials can't be verified then).
   */
  mode?: "auto" | "options" | "request";
  /** How long a probe may take (default 10 s); slower is `timeout`. */
  timeoutMs?: number;
  /** How long accepted credentials are remembered (default 60 s; 0: never). */
  cacheTtlMs?: number;
  /** How many accepted credentials are remembered at most (default 10,000). */
  cacheSize?: number;
  /** How long the `OPTIONS` calibration holds before it is asked again (default 10 min). */
  calibrationTtlMs?: number;
}

/** Headers a probe carries from the real request: enough for the mail server to authenticate it. */
const PROBE_HEADERS = ["authorization", "user-agent", "ms-asprotocolversion", "x-ms-policykey"];

export class CredentialCheck {
  readonly mode: "auto" | "options" | "request";
  #forward: Forward;
  #timeoutMs: number;
  #accepted: QuickLRU<string, true> | undefined;
  #calibrationTtlMs: number;
  #calibrated: { authenticates: boolean; until: number } | undefined;
  #key: Promise<CryptoKey>;

  constructor(options: CredentialCheckOptions) {
    this.mode = options.mode ?? "auto";
    this.#forward = options.forward;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    const ttl = options.cacheTtlMs ?? 60_000;
    this.#accepted =
      ttl > 0 ? new QuickLRU({ maxSize: options.cacheSize ?? 10_000, maxAge: ttl }) : undefined;
    this.#calibrationTtlMs = options.calibrationTtlMs ?? 10 * 60_000;
    // A per-process key: the cache holds keyed hashes, never a credential or a plain digest of one.
    this.#key = crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]) as Promise<CryptoKey>;
  }

  /** Whether an `OPTIONS` probe proves anything about credentials with this mail server. */
  async probeAuthenticates(target: URL, client: ClientInfo): Promise<boolean | "down" | "timeout"> {
    if (this.mode === "request") return false;
    if (this.mode === "options") return true;
    const now = Date.now();
    if (this.#calibrated && this.#calibrated.until > now) return this.#calibrated.authenticates;
    // A credential no mail server accepts: refused ⇒ OPTIONS authenticates.
    const made = `seatcap-probe-${randomHex()}@invalid.invalid:${randomHex()}`;
    const answer = await this.#probe(
      target,
      new Headers({ authorization: `Basic ${btoa(made)}` }),
      client,
    );
    if (answer === "down" || answer === "timeout") return answer;
    await answer.body?.cancel();
    const authenticates = answer.status === 401 || answer.status === 403;
    this.#calibrated = { authenticates, until: now + this.#calibrationTtlMs };
    return authenticates;
  }

  /** Asks the mail server (or the cache) whether `request`'s credentials are good. */
  async verify(request: Request, target: URL, client: ClientInfo): Promise<Verdict> {
    const authorization = request.headers.get("authorization");
    if (authorization === null) return { verdict: "unverifiable", why: "open" };
    const key = this.#accepted ? await this.#digest(authorization) : "";
    if (this.#accepted?.get(key)) return { verdict: "accepted" };
    const authenticates = await this.probeAuthenticates(target, client);
    if (authenticates === "down" || authenticates === "timeout")
      return { verdict: "unverifiable", why: authenticates };
    if (!authenticates) return { verdict: "unverifiable", why: "open" };
    const headers = new Headers();
    for (const h of PROBE_HEADERS) {
      const v = request.headers.get(h);
      if (v !== null) headers.set(h, v);
    }
    const answer = await this.#probe(target, headers, client);
    if (answer === "down" || answer === "timeout") return { verdict: "unverifiable", why: answer };
    if (answer.status === 401 || answer.status === 403)
      return { verdict: "rejected", response: await refusalOf(answer) };
    await answer.body?.cancel();
    if (answer.status >= 500) return { verdict: "unverifiable", why: "down" };
    this.#accepted?.set(key, true);
    return { verdict: "accepted" };
  }

  /** Remembers credentials the mail server accepted on a real request. */
  async remember(request: Request): Promise<void> {
    const authorization = request.headers.get("authorization");
    if (this.#accepted && authorization !== null)
      this.#accepted.set(await this.#digest(authorization), true);
  }

  /** Forgets credentials (the mail server refused them on a real request). */
  async forget(request: Request): Promise<void> {
    const authorization = request.headers.get("authorization");
    if (this.#accepted && authorization !== null)
      this.#accepted.delete(await this.#digest(authorization));
  }

  async #probe(
    target: URL,
    headers: Headers,
    client: ClientInfo,
  ): Promise<Response | "down" | "timeout"> {
    // A timer cleared when the probe ends: one left pending past its request breaks the next one in workerd.
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error("the credential probe timed out")),
      this.#timeoutMs,
    );
    try {
      const answer = await this.#forward(
        new Request(target, { method: "OPTIONS", headers, signal: controller.signal }),
        target,
        client,
      );
      // The head is in; the (small) body is read or cancelled by the caller.
      return answer;
    } catch {
      return controller.signal.aborted ? "timeout" : "down";
    } finally {
      clearTimeout(timer);
    }
  }

  async #digest(authorization: string): Promise<string> {
    const mac = await crypto.subtle.sign(
      "HMAC",
      await this.#key,
      new TextEncoder().encode(authorization),
    );
    return btoa(String.fromCharCode(...new Uint8Array(mac)));
  }
}

/**
 * The mail server's refusal as the caller gets it: its status, headers and (small) body, in a
 * Response of this request's own. Handing on the probe's own Response broke the next request
 * in workerd (the probe's timeout signal and body stay bound to the request that made them).
 */
async function refusalOf(answer: Response): Promise<Response> {
  const body = await answer.arrayBuffer();
  return new Response(body.byteLength > 0 ? body : null, {
    status: answer.status,
    statusText: answer.statusText,
    headers: answer.headers,
  });
}

function randomHex(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}
